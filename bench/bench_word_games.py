"""Reset and step latency of the word games (Wordle, Hangman, Crosswords, WordSearch), ours vs GEM.

For every preset: the median time of one ``reset(seed=i)`` over ``--resets`` seeds, and the median
time of one ``step`` with a well-formed random action. Ours runs the raw env (``env.unwrapped``);
GEM 0.1.0 runs ``gem.make(<GEM id>)`` in its own venv (see ``gem_reference.py``). GEM's Wordle,
Hangman and WordSearch read NLTK's ``words`` corpus, which they download at construction; without
network (and no corpus cached) those rows print ``n/a``, as do the plain ``-v0`` ids, which GEM
does not register for these games.

    python bench/bench_word_games.py [--resets 300] [--gem-python PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time

from gem_reference import gem_python, run_in_gem

GAMES = ("Wordle", "Hangman", "Crosswords", "WordSearch")
PRESETS = ("", "Easy", "Hard", "Random")
GEM_SUFFIX = {"": "", "Easy": "-easy", "Hard": "-hard", "Random": "-random"}

# Times resets and steps of one env; `make()` builds it. Shared by both sides.
TIMER = """
def measure(make, resets):
    env = make()
    reset_times, step_times = [], []
    for seed in range(resets):
        start = time.perf_counter()
        env.reset(seed=seed)
        reset_times.append(time.perf_counter() - start)
        action = env.sample_random_action()
        start = time.perf_counter()
        env.step(action)
        step_times.append(time.perf_counter() - start)
    return statistics.median(reset_times) * 1e3, statistics.median(step_times) * 1e3
"""

GEM_CODE = (
    "import json, statistics, sys, time, gem\n"
    + TIMER
    + """
results = {}
for gem_id in sys.argv[2:]:
    try:
        results[gem_id] = measure(lambda: gem.make(gem_id), int(sys.argv[1]))
    except Exception as error:  # unknown id, or an NLTK corpus that cannot be downloaded
        results[gem_id] = type(error).__name__
print(json.dumps(results))
"""
)


def ours(resets: int) -> dict[str, tuple[float, float]]:
    import gymnasium as gym

    import gem_gymnasium  # noqa: F401

    namespace: dict = {"time": time, "statistics": statistics}
    exec(TIMER, namespace)
    results = {}
    for game in GAMES:
        for preset in PRESETS:
            env_id = f"gem/{game}{'-' + preset if preset else ''}-v0"
            results[env_id] = namespace["measure"](lambda i=env_id: gym.make(i).unwrapped, resets)
    return results


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--resets", type=int, default=300)
    parser.add_argument("--gem-python", default=None)
    args = parser.parse_args()

    gem_ids = [f"game:{g}-v0{GEM_SUFFIX[p]}" for g in GAMES for p in PRESETS]
    theirs = run_in_gem(GEM_CODE, gem_python(args.gem_python), str(args.resets), *gem_ids)
    mine = ours(args.resets)

    print(f"resets per preset: {args.resets}; medians in ms")
    print(
        f"{'preset':<28} {'reset ours':>10} {'reset GEM':>10} {'ratio':>7} {'step ours':>10} {'step GEM':>10}"
    )
    for (env_id, (reset, step)), gem_id in zip(mine.items(), gem_ids, strict=True):
        gem = theirs.get(gem_id)
        if isinstance(gem, list):
            ratio = f"{gem[0] / reset:6.1f}x"
            print(
                f"{env_id:<28} {reset:>10.3f} {gem[0]:>10.3f} {ratio:>7} {step:>10.3f} {gem[1]:>10.3f}"
            )
        else:
            print(
                f"{env_id:<28} {reset:>10.3f} {'n/a':>10} {'':>7} {step:>10.3f} {'n/a':>10}  ({gem})"
            )


if __name__ == "__main__":
    main()
