"""Math env step latency and robustness: ours vs GEM 0.1.0's MathEnv, same items, same answers.

Ours runs ``gymnasium.make("gem/Math-v0", source=items)``. GEM's ``gem.envs.math_env`` imports
``datasets`` at module level, which its package does not declare, so GEM's side reproduces
``MathEnv._mp_step`` exactly: ``gem.utils.math_grader.boxed_reward_fn`` run through a
``multiprocessing.Pool(1)`` with ``get(timeout=1)``. Both reset to item ``i`` and step one answer.
Rows:

* ``correct`` / ``wrong``: median step milliseconds over the answer set (after a warm-up step);
* ``hostile then correct``: a power tower, then the correct answer to the next item; the table
  shows each env's time for the tower and the reward it then pays for the *correct* answer.

    python bench/bench_math_grading.py [--repeats 3] [--gem-python PATH]
"""

from __future__ import annotations

import argparse
import json
import statistics
import time

from gem_reference import gem_python, run_in_gem

ITEMS = [
    {"problem": "p", "answer": a}
    for a in [
        r"\frac{1}{2}",
        "6",
        r"2\sqrt{2}",
        r"(3, \infty)",
        r"\{1, 2, 3\}",
        "x + 3",
        r"9\pi",
        "72",
    ]
]
CORRECT = [r"0.5", "6", r"\sqrt{8}", r"(3,\infty)", r"\{3,2,1\}", "3 + x", r"9 \pi", "72"]
WRONG = ["0.6", "7", r"\sqrt{7}", r"[3,\infty)", r"\{1,2\}", "x - 3", r"8\pi", "73"]
HOSTILE = r"9^{9^{9^{9}}}"

DRIVER = """
def drive(make_env, reset, items, correct, wrong, hostile, repeats):
    env = make_env()
    def step(i, answer):
        reset(env, i)
        start = time.perf_counter()
        reward = env.step("The answer is \\\\boxed{%s}." % answer)[1]
        return (time.perf_counter() - start) * 1000, float(reward)
    step(0, correct[0])  # warm-up: worker start, imports
    out = {"correct": [], "wrong": [], "correct_rewards": [], "hostile_ms": [], "after": []}
    for _ in range(repeats):
        for i in range(len(items)):
            ms, reward = step(i, correct[i]); out["correct"].append(ms); out["correct_rewards"].append(reward)
            out["wrong"].append(step(i, wrong[i])[0])
        ms, _ = step(0, hostile); out["hostile_ms"].append(ms)
        out["after"].append(step(1, correct[1])[1])
    return out
"""

GEM_CODE = (
    "import functools, json, multiprocessing, sys, time\n"
    "from gem.utils.math_grader import boxed_reward_fn\n"
    + DRIVER
    + """
verify = functools.partial(boxed_reward_fn, fast=False, correct_reward=1, incorrect_reward=0)


def check(action, answer):
    return verify(action, answer)[1]


class GemMathStep:  # MathEnv's reset(idx=...) and _mp_step, without the dataset plumbing
    def __init__(self, items):
        self.items, self.pool = items, multiprocessing.Pool(1)

    def reset(self, i):
        self.answer = self.items[i]["answer"]

    def step(self, action):
        res = self.pool.apply_async(check, (action, self.answer))
        try:
            correct = res.get(timeout=1)
        except multiprocessing.context.TimeoutError:
            correct = False
        return "", 1.0 if correct else 0.0, True, True, {}


if __name__ == "__main__":
    items, correct, wrong, hostile, repeats = json.loads(sys.argv[1])
    out = drive(lambda: GemMathStep(items), lambda env, i: env.reset(i), items, correct, wrong,
                hostile, repeats)
    print(json.dumps(out))
"""
)


def ours(repeats: int) -> dict:
    import gymnasium as gym

    import gem_gymnasium  # noqa: F401

    namespace: dict = {"time": time}
    exec(DRIVER, namespace)
    return namespace["drive"](
        lambda: gym.make("gem/Math-v0", source=ITEMS).unwrapped,
        lambda env, i: env.reset(options={"index": i}),
        ITEMS,
        CORRECT,
        WRONG,
        HOSTILE,
        repeats,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--gem-python", default=None)
    args = parser.parse_args()
    payload = json.dumps([ITEMS, CORRECT, WRONG, HOSTILE, args.repeats])
    gem = run_in_gem(GEM_CODE, gem_python(args.gem_python), payload)
    mine = ours(args.repeats)
    med = statistics.median
    print("| measure | ours | GEM 0.1.0 | GEM / ours |")
    print("| --- | ---: | ---: | ---: |")
    for key in ("correct", "wrong", "hostile_ms"):
        a, b = med(mine[key]), med(gem[key])
        print(f"| step ms, {key.replace('_ms', '')} answer | {a:.2f} | {b:.2f} | {b / a:.1f} |")
    for side in (mine, gem):
        side["acc"] = sum(side["correct_rewards"]) / len(side["correct_rewards"])
        side["after_acc"] = sum(side["after"]) / len(side["after"])
    print(f"| reward on the equivalent forms | {mine['acc']:.2f} | {gem['acc']:.2f} | |")
    print(
        f"| reward for a correct answer right after the hostile one | {mine['after_acc']:.2f} | "
        f"{gem['after_acc']:.2f} | |"
    )


if __name__ == "__main__":
    main()
