"""Time per ``rgb_array`` frame of every game, the multi-agent games and a text task; and the
viewer page over many episodes.

For each id: frames are rendered along random well-formed rollouts (``sample_random_action``),
``--frames`` in all, and the table gives the median and 95th percentile of one ``env.render()``
call, the frame size and the PNG size of one frame (what the viewer embeds). A game step of a
real LLM takes hundreds of milliseconds to seconds; a frame should cost a small fraction of that.

The second table builds the viewer page (``gem-gym view``) over ``--episodes`` random episodes of
GuessTheNumber-Easy and gives the build time and the page size.

    python bench/bench_render.py [--frames 200] [--episodes 10000] [--ids gem/Sudoku-v0 ...]
"""

from __future__ import annotations

import argparse
import io
import statistics
import tempfile
import time
from pathlib import Path

import gymnasium as gym
import numpy as np

import gem_gymnasium
from gem_gymnasium.trainers.evaluation import evaluate_env, write_trajectories
from gem_gymnasium.viewer import build_page, read_episodes


def default_ids() -> list[str]:
    catalogue = gem_gymnasium.catalogue()
    games = sorted(i for i, info in catalogue.items() if info.group == "game" and "-" not in
                   i.removeprefix("gem/").removesuffix("-v0"))  # fmt: skip
    multiagent = [i for i in ("gem/TicTacToe-vsRandom-v0", "gem/ConnectFour-vsRandom-v0",
                              "gem/KuhnPoker-vsRandom-v0") if i in catalogue]  # fmt: skip
    tasks = [i for i in sorted(catalogue) if catalogue[i].group == "math"][:1]
    return games + multiagent + tasks


def png_bytes(frame: np.ndarray) -> int:
    from PIL import Image

    buffer = io.BytesIO()
    Image.fromarray(frame).save(buffer, format="PNG")
    return len(buffer.getvalue())


def measure(env_id: str, frames: int) -> tuple[float, float, tuple[int, ...], int]:
    env = gym.make(env_id, render_mode="rgb_array")
    times, seed = [], 0
    env.reset(seed=seed)
    env.render()  # the first frame loads Pillow and the font
    frame = None
    while len(times) < frames:
        start = time.perf_counter()
        frame = env.render()
        times.append(time.perf_counter() - start)
        _, _, terminated, truncated, _ = env.step(env.unwrapped.sample_random_action())
        if terminated or truncated:
            seed += 1
            env.reset(seed=seed)
    env.close()
    times.sort()
    return statistics.median(times) * 1e3, times[int(0.95 * (len(times) - 1))] * 1e3, \
        frame.shape, png_bytes(frame)  # fmt: skip


def page_build(episodes: int) -> tuple[float, float, float]:
    with tempfile.TemporaryDirectory() as folder:
        start = time.perf_counter()
        result = evaluate_env(None, "gem/GuessTheNumber-Easy-v0", episodes, num_envs=64)
        path = write_trajectories([result], Path(folder) / "t.jsonl")
        played = time.perf_counter() - start
        start = time.perf_counter()
        page = build_page(read_episodes([path]), title="bench", image_limit=200)
        return played, time.perf_counter() - start, len(page.encode()) / 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--frames", type=int, default=200)
    parser.add_argument("--episodes", type=int, default=10_000)
    parser.add_argument("--ids", nargs="*")
    args = parser.parse_args()
    print(f"{'id':<34} {'median ms':>9} {'p95 ms':>7} {'frame (h, w)':>13} {'PNG kB':>7}")
    for env_id in args.ids or default_ids():
        median, p95, shape, png = measure(env_id, args.frames)
        print(f"{env_id:<34} {median:>9.2f} {p95:>7.2f} {shape[:2]!s:>13} {png / 1e3:>7.1f}")
    if args.episodes:
        played, built, size = page_build(args.episodes)
        print(
            f"\nviewer page over {args.episodes} episodes (images for 200): built in "
            f"{built:.1f} s, {size:.1f} MB (playing them took {played:.1f} s)"
        )


if __name__ == "__main__":
    main()
