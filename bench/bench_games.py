"""Reset and step times of every game preset in the registry, ours vs GEM 0.1.0, in one run.

For every id of ``gem_gymnasium.registration.GAMES`` (all games, all presets) and its GEM id:

* reset: the median time of ``reset(seed=i)`` over ``--resets`` seeds;
* step: the median time of one ``step`` with a random well-formed action from the env's
  ``sample_random_action()``, over ``--steps`` steps per episode (a finished episode is reset).

Ours goes through ``gymnasium.make`` (so the passive checker and order enforcing wrappers are
timed too); GEM runs ``gem.make(<GEM id>)`` in its own venv (see ``gem_reference.py``: a
throwaway venv with ``gem-llm==0.1.0`` is created on first use, or ``--gem-python`` names one).
Games whose module does not exist yet are skipped with a note; GEM ids that GEM cannot run
(no plain ``-v0`` ids in GEM, downloads at construction, crashes) show GEM's error type. A preset
stops after ``--budget-s`` seconds (at least 5 seeds), and the row says how many seeds it used.

    python bench/bench_games.py [--resets 200] [--steps 5] [--budget-s 30]
                                [--games Sudoku Sokoban ...] [--gem-python PATH] [--no-gem]
"""

from __future__ import annotations

import argparse
import importlib.util
import statistics
import time

from gem_reference import gem_python, run_in_gem

# Times `resets` episodes of one env built by `make()`; shared by both sides. GEM's
# TowerofHanoi has no sample_random_action and its FifteenPuzzle samples an unboxed direction.
TIMER = r"""
def measure(make, resets, steps, sample, budget):
    env = make()
    reset_times, step_times = [], []
    began = time.perf_counter()
    for seed in range(resets):
        if seed >= 5 and time.perf_counter() - began > budget:
            break
        start = time.perf_counter()
        env.reset(seed=seed)
        reset_times.append(time.perf_counter() - start)
        for _ in range(steps):
            action = sample(env)
            start = time.perf_counter()
            terminated, truncated = env.step(action)[2:4]
            step_times.append(time.perf_counter() - start)
            if terminated or truncated:
                break
    median = statistics.median
    return median(reset_times) * 1e3, median(step_times) * 1e6, len(reset_times)
"""

GEM_CODE = (
    "import json, statistics, sys, time, gem\n"
    + TIMER
    + r"""
def sample(env):
    try:
        action = env.sample_random_action()
    except (NotImplementedError, AttributeError):
        action = "\\boxed{A C}"
    return action if "\\boxed" in action else "\\boxed{" + action + "}"

resets, steps, budget = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3])
results = {}
for gem_id in sys.argv[4:]:
    try:
        results[gem_id] = measure(lambda: gem.make(gem_id), resets, steps, sample, budget)
    except Exception as error:  # an id GEM lacks, a download it needs, a crash in its reset
        results[gem_id] = type(error).__name__
print(json.dumps(results))
"""
)


def preset_rows(games: list[str] | None) -> tuple[list[tuple[str, str | None]], list[str]]:
    """``([(our id, GEM id or None)], [skipped games])`` over the registry's game table."""
    from gem_gymnasium.registration import GAMES

    rows, skipped = [], []
    for family in GAMES:
        if games and family.name not in games:
            continue
        module = family.entry_point.split(":")[0]
        if importlib.util.find_spec(module) is None:
            skipped.append(family.name)
            continue
        for preset in family.presets:
            gem_ids = [g for g, p in family.gem_ids.items() if p == preset]
            rows.append((family.env_id(preset), gem_ids[0] if gem_ids else None))
    return rows, skipped


def ours(
    env_ids: list[str], resets: int, steps: int, budget: float
) -> dict[str, tuple[float, float, int]]:
    import gymnasium as gym

    import gem_gymnasium  # noqa: F401  (registers the ids)

    namespace: dict = {"time": time, "statistics": statistics}
    exec(TIMER, namespace)

    def sample(env: gym.Env) -> str:
        return env.unwrapped.sample_random_action()

    return {
        env_id: namespace["measure"](lambda i=env_id: gym.make(i), resets, steps, sample, budget)
        for env_id in env_ids
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resets", type=int, default=200, help="seeds (episodes) per preset")
    parser.add_argument("--steps", type=int, default=5, help="timed steps per episode")
    parser.add_argument("--games", nargs="+", default=None, help="only these game names")
    parser.add_argument(
        "--budget-s",
        type=float,
        default=30.0,
        help="stop a preset after this many seconds (at least 5 seeds); GEM's Sokoban-Hard "
        "reset takes seconds",
    )
    parser.add_argument("--gem-python", default=None, help="a Python with gem-llm installed")
    parser.add_argument("--no-gem", action="store_true", help="time our side only")
    args = parser.parse_args()

    rows, skipped = preset_rows(args.games)
    gem_ids = [g for _, g in rows if g]
    theirs: dict = {}
    if gem_ids and not args.no_gem:
        code_args = (str(args.resets), str(args.steps), str(args.budget_s), *gem_ids)
        theirs = run_in_gem(GEM_CODE, gem_python(args.gem_python), *code_args)
    mine = ours([i for i, _ in rows], args.resets, args.steps, args.budget_s)

    print(
        f"{args.resets} seeds per preset, up to {args.steps} random steps each; medians; "
        "GEM/ours > 1 means ours is faster"
    )
    header = (
        f"{'id':<28} {'GEM id':<30} {'reset ms':>9} {'GEM':>8} {'GEM/ours':>8} "
        f"{'step us':>8} {'GEM':>8} {'GEM/ours':>8}"
    )
    print(header)
    print("-" * len(header))
    for env_id, gem_id in rows:
        reset, step, seeds = mine[env_id]
        gem = theirs.get(gem_id) if gem_id else "no GEM id"
        if isinstance(gem, list):
            counts = [
                f"{n} seeds {side}"
                for n, side in ((seeds, "ours"), (gem[2], "GEM"))
                if n < args.resets
            ]
            print(
                f"{env_id:<28} {gem_id:<30} {reset:>9.3f} {gem[0]:>8.3f} {gem[0] / reset:>7.2f}x "
                f"{step:>8.1f} {gem[1]:>8.1f} {gem[1] / step:>7.2f}x"
                + (f"  ({', '.join(counts)})" if counts else "")
            )
        else:
            note = gem or "not run"
            print(
                f"{env_id:<28} {gem_id or '-':<30} {reset:>9.3f} {'n/a':>8} {'':>8} "
                f"{step:>8.1f} {'n/a':>8} {'':>8}  ({note})"
            )
    for name in skipped:
        print(f"{name}: skipped, its module does not exist yet")


if __name__ == "__main__":
    main()
