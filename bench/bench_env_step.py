"""Single-env step throughput: GuessTheNumber with a binary-search policy, ours vs GEM 0.1.0.

Ours runs through ``gymnasium.make`` with its default wrappers (passive env checker and order
enforcing on); GEM's runs raw (``gem.make("game:GuessTheNumber-v0-easy")``). Both play whole
episodes of the Easy preset (1..10, 4 turns), read the hint from the observation text, and seed
only the first reset.

    python bench/bench_env_step.py [--steps 50000] [--repeats 5] [--gem-python PATH]
"""

from __future__ import annotations

import argparse
import statistics
import time

from gem_reference import gem_python, run_in_gem

# Shared policy loop: `too_low(obs)` tells whether the secret is above the last guess.
POLICY = """
def play(env, steps, too_low, seed):
    done_steps, episodes = 0, 0
    start = time.perf_counter()
    while done_steps < steps:
        # Seed the first episode only, as Gymnasium's API intends (later resets continue the RNG).
        obs, _ = env.reset(seed=seed if episodes == 0 else None)
        episodes += 1
        low, high = 1, 10
        while True:
            guess = (low + high) // 2
            obs, reward, terminated, truncated, _ = env.step("\\\\boxed{%d}" % guess)
            done_steps += 1
            if terminated or truncated:
                break
            if too_low(obs):
                low = guess + 1
            else:
                high = guess - 1
    return done_steps / (time.perf_counter() - start)
"""

GEM_CODE = (
    "import json, sys, time, gem\n"
    + POLICY
    + """
env = gem.make("game:GuessTheNumber-v0-easy")
steps, repeats = int(sys.argv[1]), int(sys.argv[2])
rates = [play(env, steps, lambda obs: "is higher" in obs, 1000 * r) for r in range(repeats)]
print(json.dumps(rates))
"""
)


def ours(steps: int, repeats: int) -> list[float]:
    import gymnasium as gym

    import gem_gymnasium  # noqa: F401

    namespace: dict = {"time": time}
    exec(POLICY, namespace)
    env = gym.make("gem/GuessTheNumber-Easy-v0")
    return [
        namespace["play"](env, steps, lambda obs: "too low" in obs, 1000 * r)
        for r in range(repeats)
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=50_000)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--gem-python", default=None, help="a Python with gem-llm installed")
    args = parser.parse_args()

    python = gem_python(args.gem_python)
    # Interleave the two sides so drift on a shared machine hits both alike.
    our_rates, gem_rates = [], []
    for _ in range(args.repeats):
        our_rates += ours(args.steps, 1)
        gem_rates += run_in_gem(GEM_CODE, python, str(args.steps), "1")
    ours_median, gem_median = statistics.median(our_rates), statistics.median(gem_rates)
    print(f"{'side':<44} {'median steps/s':>15} {'min':>10} {'max':>10}")
    print(
        f"{'gem-gymnasium gym.make (checker on)':<44} {ours_median:>15,.0f} "
        f"{min(our_rates):>10,.0f} {max(our_rates):>10,.0f}"
    )
    print(
        f"{'GEM 0.1.0 raw game:GuessTheNumber-v0-easy':<44} {gem_median:>15,.0f} "
        f"{min(gem_rates):>10,.0f} {max(gem_rates):>10,.0f}"
    )
    print(
        f"ratio (ours / GEM): {ours_median / gem_median:.2f}x over {args.repeats} interleaved runs"
    )


if __name__ == "__main__":
    main()
