"""Reset and step latency of any single-player games, per preset, ours vs GEM 0.1.0.

For every preset: the median time of one ``reset(seed=i)`` over ``--resets`` seeds, and the median
time of one ``step`` with the env's own ``sample_random_action()``. Ours runs the raw env
(``gymnasium.make(id).unwrapped``); GEM runs ``gem.make(<GEM id>)`` in its own venv (see
``gem_reference.py``). Rows GEM cannot run print its error type instead: GEM registers no plain
``-v0`` id for these games, and its FifteenPuzzle random preset crashes.

    python bench/bench_game_latency.py [--games Mastermind Minesweeper ...] [--resets 1000]
                                       [--gem-python PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time

from gem_reference import gem_python, run_in_gem

DEFAULT_GAMES = ("Mastermind", "Minesweeper", "FifteenPuzzle", "TowerOfHanoi")
PRESETS = ("", "Easy", "Hard", "Random")
GEM_SUFFIX = {"": "", "Easy": "-easy", "Hard": "-hard", "Random": "-random"}
GEM_NAME = {"TowerOfHanoi": "TowerofHanoi"}  # GEM's spelling

# Times resets and steps of one env built by `make()`; shared by both sides.
TIMER = """
def measure(make, resets):
    env = make()
    reset_times, step_times = [], []
    for seed in range(resets):
        start = time.perf_counter()
        env.reset(seed=seed)
        reset_times.append(time.perf_counter() - start)
        try:
            action = env.sample_random_action()
        except NotImplementedError:  # GEM's TowerofHanoi has none
            action = "\\\\boxed{A C}"
        if "\\\\boxed" not in action:  # GEM's FifteenPuzzle samples an unboxed direction
            action = "\\\\boxed{" + action + "}"
        start = time.perf_counter()
        env.step(action)
        step_times.append(time.perf_counter() - start)
    return statistics.median(reset_times) * 1e6, statistics.median(step_times) * 1e6
"""

GEM_CODE = (
    "import json, statistics, sys, time, gem\n"
    + TIMER
    + """
results = {}
for gem_id in sys.argv[2:]:
    try:
        results[gem_id] = measure(lambda: gem.make(gem_id), int(sys.argv[1]))
    except Exception as error:  # an id GEM does not register, or a crash in its reset
        results[gem_id] = type(error).__name__
print(json.dumps(results))
"""
)


def ours(env_ids: list[str], resets: int) -> dict[str, tuple[float, float]]:
    import gymnasium as gym

    import gem_gymnasium  # noqa: F401

    namespace: dict = {"time": time, "statistics": statistics}
    exec(TIMER, namespace)
    return {
        env_id: namespace["measure"](lambda i=env_id: gym.make(i).unwrapped, resets)
        for env_id in env_ids
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--games", nargs="+", default=list(DEFAULT_GAMES))
    parser.add_argument("--resets", type=int, default=1000)
    parser.add_argument("--gem-python", default=None, help="a Python with gem-llm installed")
    args = parser.parse_args()

    pairs = [
        (
            f"gem/{game}{'-' + preset if preset else ''}-v0",
            f"game:{GEM_NAME.get(game, game)}-v0{GEM_SUFFIX[preset]}",
        )
        for game in args.games
        for preset in PRESETS
    ]
    theirs = run_in_gem(
        GEM_CODE, gem_python(args.gem_python), str(args.resets), *(g for _, g in pairs)
    )
    mine = ours([i for i, _ in pairs], args.resets)

    print(f"seeds per preset: {args.resets}; medians in microseconds")
    print(
        f"{'preset':<30} {'reset ours':>10} {'reset GEM':>10} {'GEM/ours':>8} "
        f"{'step ours':>10} {'step GEM':>10}"
    )
    for env_id, gem_id in pairs:
        reset, step = mine[env_id]
        gem = theirs[gem_id]
        if isinstance(gem, list):
            print(
                f"{env_id:<30} {reset:>10.1f} {gem[0]:>10.1f} {gem[0] / reset:>7.2f}x "
                f"{step:>10.1f} {gem[1]:>10.1f}"
            )
        else:
            print(
                f"{env_id:<30} {reset:>10.1f} {'n/a':>10} {'':>8} {step:>10.1f} {'n/a':>10}  ({gem})"
            )


if __name__ == "__main__":
    main()
