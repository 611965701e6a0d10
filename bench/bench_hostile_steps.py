"""Worst step time on hostile actions, per id: no action may stall a step.

Each id is made with ``gymnasium.make``, warmed with two ordinary steps (its grading worker and
imports are paid there), then reset and stepped once with each hostile action below; the table
shows the slowest of those steps per id, and which action it was.

    python bench/bench_hostile_steps.py [--ids gem/Math-Procedural-v0 ...] [--all-families]

``--all-families`` adds the first id of every env family (entry point) in the catalogue.
"""

from __future__ import annotations

import argparse
import importlib
import time

import gymnasium as gym

import gem_gymnasium

HOSTILE = {
    "20k nested \\boxed{": "\\boxed{" * 20_000,
    "20k nested, closed": "\\boxed{" * 20_000 + "1" + "}" * 20_000,
    "1 MB \\boxed{111...}": "\\boxed{" + "1" * 1_000_000 + "}",
    "\\sum to 10^100": "\\boxed{\\sum_{i=1}^{10^{100}} i}",
    "\\prod to 10^100": "\\boxed{\\prod_{i=1}^{10^{100}} i}",
    "\\int of a tower": "\\boxed{\\int_0^{10^{100}} x^{x^{x}} dx}",
    "(10^10)!": "\\boxed{(10^{10})!}",
    "power tower": "\\boxed{9^{9^{9^{9}}}}",
    "python power": "\\boxed{9**9**9**9}",
    "100k parentheses": "\\boxed{" + "(" * 100_000 + "1" + ")" * 100_000 + "}",
    "200k braces": "\\boxed{" + "{" * 100_000 + "}" * 99_999,
}
DEFAULT_IDS = ["gem/Math-Procedural-v0", "gem/RG-BasicArithmetic-v0", "gem/Math-v0"]


def family_ids() -> list[str]:
    firsts: dict[str, str] = {}
    for env_id, info in gem_gymnasium.catalogue().items():
        try:
            importlib.import_module(info.entry_point.split(":")[0])
        except ImportError:
            continue
        firsts.setdefault(info.entry_point, env_id)
    return list(firsts.values())


def worst_step(env_id: str) -> tuple[float, str]:
    env = gym.make(env_id)
    for warm_up in (env.unwrapped.sample_random_action(), "\\boxed{\\sqrt{2}}"):
        env.reset(seed=0)
        env.step(warm_up)  # grading workers and imports are paid here, not below
    worst = (0.0, "")
    for name, action in HOSTILE.items():
        env.reset(seed=0)
        start = time.perf_counter()
        env.step(action)
        worst = max(worst, (time.perf_counter() - start, name))
    env.close()
    return worst


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ids", nargs="*", default=DEFAULT_IDS)
    parser.add_argument("--all-families", action="store_true")
    args = parser.parse_args()
    ids = list(dict.fromkeys(args.ids + (family_ids() if args.all_families else [])))
    print("| id | worst step ms | on |\n| --- | ---: | --- |")
    overall = 0.0
    for env_id in ids:
        seconds, name = worst_step(env_id)
        overall = max(overall, seconds)
        print(f"| `{env_id}` | {seconds * 1000:.1f} | {name} |", flush=True)
    print(f"\nworst over {len(ids)} ids: {overall * 1000:.1f} ms")


if __name__ == "__main__":
    main()
