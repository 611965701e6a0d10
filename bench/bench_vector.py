"""Vector env throughput: gem-gymnasium vs Gymnasium's vector envs vs GEM 0.1.0, side by side.

Three tables, all in env-steps per second (sub-env steps summed over the batch; only the time
inside ``step`` counts, not the policy):

1. **sync**: 64 x GuessTheNumber-Hard driven by a binary-search policy; plus a trivial text env
   (constant observation, empty info) that isolates each vector env's own overhead.
2. **I/O**: 64 envs whose step sleeps 20 ms; the ideal is 64 / 0.02 = 3200 steps/s.
3. **scaling**: N = 1, 8, 64, 256 for every mode on both workloads.

Rounds alternate between the implementations (GEM's side runs in a subprocess of a throwaway
venv with ``gem-llm==0.1.0``, see ``gem_reference.py``); the tables show medians over rounds.

    python bench/bench_vector.py                 # everything (a few minutes)
    python bench/bench_vector.py --quick         # fewer rounds and sizes
    python bench/bench_vector.py --gem-python /path/to/venv/bin/python
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

from gem_reference import gem_python, run_in_gem

DELAY = 0.02  # seconds per step of the I/O env
GTN_OURS = "gem/GuessTheNumber-Hard-v0"  # 1..50, 7 turns
GTN_GEM = "game:GuessTheNumber-v0-hard"  # the same game in GEM
LOW, HIGH = 1, 50


# --- the policy: binary search, the same on every side -------------------------------------------


class BinarySearch:
    """Per-sub-env bounds updated from the feedback line (both projects say "too low"/"higher
    than" or "too high"/"lower than"); a finished episode restarts the bounds."""

    def __init__(self, n: int) -> None:
        self.low = [LOW] * n
        self.high = [HIGH] * n
        self.guess = [0] * n

    def act(self) -> list[str]:
        actions = []
        for i in range(len(self.low)):
            self.guess[i] = (self.low[i] + self.high[i]) // 2
            actions.append(f"\\boxed{{{self.guess[i]}}}")
        return actions

    def observe(self, observations: Any, done: Any) -> None:
        for i, obs in enumerate(observations):
            if done[i]:
                self.low[i], self.high[i] = LOW, HIGH
                continue
            head = obs.split("\n", 1)[0]
            if "too low" in head or "higher than" in head:
                self.low[i] = min(self.guess[i] + 1, HIGH)
            elif "too high" in head or "lower than" in head:
                self.high[i] = max(self.guess[i] - 1, LOW)
            else:  # a fresh episode (NextStep autoreset) or an unknown reply
                self.low[i], self.high[i] = LOW, HIGH


def measure(step: Callable[[list[str]], Any], n: int, workload: str, seconds: float) -> float:
    """Env-steps/s of ``step`` (a vector step returning Gymnasium's 5-tuple or GEM's)."""
    policy = BinarySearch(n)
    constant = ["\\boxed{25}"] * n
    for _ in range(3):  # warm-up
        step(policy.act() if workload == "gtn" else constant)
    elapsed, steps = 0.0, 0
    while elapsed < seconds or steps < 5:
        actions = policy.act() if workload == "gtn" else constant
        start = time.perf_counter()
        obs, _, terminated, truncated, _ = step(actions)
        elapsed += time.perf_counter() - start
        steps += 1
        if workload == "gtn":
            policy.observe(obs, [t or u for t, u in zip(terminated, truncated, strict=True)])
    return steps * n / elapsed


# --- our side ------------------------------------------------------------------------------------


def _register_bench_envs() -> None:
    import gymnasium as gym

    from gem_gymnasium.spaces import TextSpace

    class Trivial(gym.Env[str, str]):
        """Constant observation, no reward, never ends, empty info."""

        metadata = {"render_modes": []}  # noqa: RUF012

        def __init__(self, delay: float = 0.0) -> None:
            self.observation_space = TextSpace(64)
            self.action_space = TextSpace(64)
            self.delay = delay

        def reset(self, *, seed: int | None = None, options: dict | None = None):
            super().reset(seed=seed)
            return "ready", {}

        def step(self, action: str):
            if self.delay:
                time.sleep(self.delay)
            return "ok", 0.0, False, False, {}

    for env_id, delay in (("bench/Trivial-v0", 0.0), ("bench/Sleep-v0", DELAY)):
        if env_id not in gym.registry:
            gym.register(env_id, entry_point=Trivial, kwargs={"delay": delay})


def make_ours(impl: str, workload: str, n: int) -> Any:
    """A vector env of one of our implementations or of Gymnasium's."""
    import gymnasium as gym

    import gem_gymnasium

    env_id = {"gtn": GTN_OURS, "trivial": "bench/Trivial-v0", "io": "bench/Sleep-v0"}[workload]
    if impl.startswith("gem-gymnasium "):
        mode = impl.split()[1]
        return gem_gymnasium.make_vec(env_id, n, vectorization_mode=mode, seed=0)
    mode = impl.split()[1]  # "gymnasium sync" / "gymnasium async": gymnasium.make_vec defaults
    if workload == "trivial":  # the same sub-envs as ours, to compare the vector layers alone
        fns = [lambda: gym.make(env_id, disable_env_checker=True)] * n
        cls = gym.vector.SyncVectorEnv if mode == "sync" else gym.vector.AsyncVectorEnv
        return cls(fns)
    return gym.make_vec(env_id, num_envs=n, vectorization_mode=mode)


def run_ours(impl: str, workload: str, n: int, seconds: float) -> float:
    vec = make_ours(impl, workload, n)
    try:
        vec.reset(seed=0)
        return measure(lambda actions: vec.step(tuple(actions)), n, workload, seconds)
    finally:
        vec.close()


# --- GEM's side (runs in GEM's venv: only the standard library and gem) ----------------------------

GEM_CODE = r"""
import contextlib, io, json, sys, time
import gem
from gem.core import Env

class Sleep(Env):
    def __init__(self, delay=0.02, **_):
        super().__init__()
        self.delay = delay
    def reset(self, seed=None):
        super().reset(seed)
        return "ready", {}
    def step(self, action):
        if self.delay:
            time.sleep(self.delay)
        return "ok", 0.0, False, False, {}

gem.register("bench:Sleep", Sleep, delay=DELAY)
gem.register("bench:Trivial", Sleep, delay=0.0)
jobs = json.loads(sys.argv[1])
out = []
for job in jobs:
    env_id = {"gtn": GTN_GEM, "io": "bench:Sleep", "trivial": "bench:Trivial"}[job["workload"]]
    with contextlib.redirect_stdout(io.StringIO()):  # make_vec prints a line
        vec = gem.make_vec([env_id] * job["n"], async_mode=job["async"], seed=0)
    vec.reset(seed=0)
    out.append(measure(vec.step, job["n"], job["workload"], job["seconds"]))
print(json.dumps(out))
"""


def gem_source() -> str:
    """GEM_CODE with the policy and ``measure`` defined above (one policy for every side)."""
    import inspect

    head = "\n".join(
        [
            "import time",
            f"DELAY, LOW, HIGH, GTN_GEM = {DELAY!r}, {LOW}, {HIGH}, {GTN_GEM!r}",
            "from typing import Any, Callable",
            inspect.getsource(BinarySearch),
            inspect.getsource(measure),
        ]
    )
    return head + GEM_CODE


# --- the run ---------------------------------------------------------------------------------------

OURS_IMPLS = ("gem-gymnasium sync", "gem-gymnasium thread", "gem-gymnasium async")
GYM_IMPLS = ("gymnasium sync", "gymnasium async")
GEM_IMPLS = ("GEM sync", "GEM async")


def plan(sizes: list[int], seconds: float) -> list[dict[str, Any]]:
    """Every (implementation, workload, N) to measure."""
    jobs = []

    def add(impl: str, workload: str, n: int) -> None:
        jobs.append({"impl": impl, "workload": workload, "n": n, "seconds": seconds})

    add("gem-gymnasium sync", "trivial", 64)
    add("gymnasium sync", "trivial", 64)
    add("GEM sync", "trivial", 64)
    for n in sorted(set(sizes) | {64}):
        for impl in OURS_IMPLS + GYM_IMPLS + GEM_IMPLS:
            add(impl, "gtn", n)
        for impl in ("gem-gymnasium thread", "gem-gymnasium async", "gymnasium async", "GEM async"):
            add(impl, "io", n)
        if n <= 8:  # a sync loop over 20 ms steps is 20 ms x N: only small N is worth timing
            add("gem-gymnasium sync", "io", n)
    return jobs


def run(jobs: list[dict[str, Any]], rounds: int, python: str | None) -> dict[tuple, list[float]]:
    _register_bench_envs()
    results: dict[tuple, list[float]] = {}
    gem_jobs = [j for j in jobs if j["impl"].startswith("GEM")]
    for r in range(rounds):
        print(f"round {r + 1}/{rounds} ...", file=sys.stderr, flush=True)
        if python is not None and gem_jobs:
            payload = [
                {**j, "async": j["impl"] == "GEM async"} for j in gem_jobs
            ]  # one subprocess per round for all GEM jobs
            for job, value in zip(
                gem_jobs, run_in_gem(gem_source(), python, json.dumps(payload)), strict=True
            ):
                results.setdefault(_key(job), []).append(value)
        for job in jobs:
            if not job["impl"].startswith("GEM"):
                value = run_ours(job["impl"], job["workload"], job["n"], job["seconds"])
                results.setdefault(_key(job), []).append(value)
    return results


def _key(job: dict[str, Any]) -> tuple[str, str, int]:
    return (job["impl"], job["workload"], job["n"])


def report(results: dict[tuple, list[float]], sizes: list[int]) -> str:
    med = {key: statistics.median(values) for key, values in results.items()}

    def get(impl: str, workload: str, n: int) -> float | None:
        return med.get((impl, workload, n))

    def fmt(value: float | None) -> str:
        return "-" if value is None else f"{value:,.0f}"

    def ratio(a: float | None, b: float | None) -> str:
        return "-" if a is None or b is None else f"{a / b:.2f}x"

    lines = ["### Sync, 64 sub-envs (env-steps/s, median)", ""]
    lines += [
        "| workload | gem-gymnasium sync | gymnasium SyncVectorEnv | GEM sync | ours / GEM "
        "| ours / gymnasium |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for workload, label in (
        ("gtn", "GuessTheNumber-Hard, binary search"),
        ("trivial", "trivial env"),
    ):
        ours, gym_, gem = (
            get(i, workload, 64) for i in ("gem-gymnasium sync", "gymnasium sync", "GEM sync")
        )
        lines.append(
            f"| {label} | {fmt(ours)} | {fmt(gym_)} | {fmt(gem)} | {ratio(ours, gem)} "
            f"| {ratio(ours, gym_)} |"
        )
    ours_gtn, gym_trivial = (
        get("gem-gymnasium sync", "gtn", 64),
        get("gymnasium sync", "trivial", 64),
    )
    lines += [
        "",
        f"GuessTheNumber in our sync env vs Gymnasium's SyncVectorEnv on the trivial env: "
        f"{ratio(ours_gtn, gym_trivial)}",
        "",
    ]

    ideal = 64 / DELAY
    lines += [
        f"### I/O-bound, 64 sub-envs sleeping {DELAY * 1000:.0f} ms per step "
        f"(ideal {ideal:,.0f} steps/s)",
        "",
        "| implementation | env-steps/s | of ideal |",
        "|---|---:|---:|",
    ]
    for impl, label in (
        ("gem-gymnasium thread", "gem-gymnasium thread"),
        ("GEM async", "GEM async_mode=True (threads)"),
        ("gymnasium async", "gymnasium AsyncVectorEnv (processes)"),
        ("gem-gymnasium async", "gem-gymnasium async (Gymnasium's processes)"),
    ):
        value = get(impl, "io", 64)
        lines.append(
            f"| {label} | {fmt(value)} | {'-' if value is None else f'{value / ideal:.0%}'} |"
        )

    for workload, title in (
        ("gtn", "GuessTheNumber-Hard, binary search"),
        ("io", f"I/O ({DELAY * 1000:.0f} ms steps)"),
    ):
        impls = [
            i
            for i in OURS_IMPLS + GYM_IMPLS + GEM_IMPLS
            if any((i, workload, n) in med for n in sizes)
        ]
        lines += [
            "",
            f"### Scaling: {title} (env-steps/s, median)",
            "",
            "| N | " + " | ".join(impls) + " |",
            "|---:|" + "---:|" * len(impls),
        ]
        for n in sizes:
            lines.append(f"| {n} | " + " | ".join(fmt(get(i, workload, n)) for i in impls) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="rounds per measurement (median)")
    parser.add_argument("--seconds", type=float, default=0.4, help="stepping time per measurement")
    parser.add_argument("--sizes", default="1,8,64,256", help="N values of the scaling tables")
    parser.add_argument("--quick", action="store_true", help="3 rounds, N = 1, 8, 64")
    parser.add_argument("--gem-python", help="a Python with gem-llm installed (default: make one)")
    parser.add_argument("--no-gem", action="store_true", help="skip GEM's side")
    args = parser.parse_args()
    sizes = [int(s) for s in args.sizes.split(",")]
    if args.quick:
        args.rounds, sizes = 3, [n for n in sizes if n <= 64]
    python = None if args.no_gem else gem_python(args.gem_python)
    started = time.perf_counter()
    results = run(plan(sizes, args.seconds), args.rounds, python)
    print(report(results, sizes))
    print(
        f"\n({args.rounds} rounds, {time.perf_counter() - started:.0f} s; {sys.version.split()[0]})"
    )


if __name__ == "__main__":
    main()
