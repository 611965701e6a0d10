"""Python-tool latency and throughput: gem-gymnasium's sandboxed tool vs GEM 0.1.0's tool.

    python bench/bench_tools.py [--calls 200] [--envs 8] [--gem-python PATH]

Both sides run the same snippets through their python tool's public entry point (ours:
``PythonTool.execute``; GEM: ``PythonCodeTool.execute_action``):

* latency: one env calling the tool back to back (p50 / p99 per call);
* throughput: ``--envs`` envs calling at once from threads (calls per second).

GEM runs in its own interpreter (a throwaway venv with ``gem-llm==0.1.0``, see
``gem_reference.py``; ``--gem-python`` names one). Ours runs with the strongest
isolation available (printed), GEM's with none (its default).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import textwrap
from pathlib import Path

from gem_reference import gem_python, run_in_gem

SNIPPETS = [
    "print(sum(i * i for i in range(1000)))",
    "import math\nprint(math.comb(30, 12))",
    "x = [3, 1, 2]\nx.sort()\nprint(x)",
    "def f(n):\n    return 1 if n < 2 else n * f(n - 1)\nprint(f(20))",
]
ACTIONS = [f"Let me compute.\n<python>\n{code}\n</python>" for code in SNIPPETS]

# The measuring loop, shared by both sides: `execute(action) -> None` is defined before it runs.
MEASURE = textwrap.dedent(
    """
    import json, statistics, threading, time
    def measure(execute, actions, calls, envs):
        for action in actions:  # warm up
            execute(action)
        latencies = []
        for i in range(calls):
            start = time.perf_counter()
            execute(actions[i % len(actions)])
            latencies.append(time.perf_counter() - start)
        latencies.sort()
        per_env = max(1, calls // envs)
        def worker():
            for i in range(per_env):
                execute(actions[i % len(actions)])
        threads = [threading.Thread(target=worker) for _ in range(envs)]
        start = time.perf_counter()
        for t in threads: t.start()
        for t in threads: t.join()
        elapsed = time.perf_counter() - start
        return {
            "p50_ms": 1000 * statistics.median(latencies),
            "p99_ms": 1000 * latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))],
            "calls_per_s": per_env * envs / elapsed,
        }
    """
)

GEM_SIDE = MEASURE + textwrap.dedent(
    """
    import sys
    from gem.tools.python_code_tool import PythonCodeTool
    tool = PythonCodeTool(timeout=5)
    def execute(action):
        ok, err, obs, _ = tool.execute_action(action)
        assert ok and not err, obs
    print(json.dumps(measure(execute, json.loads(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3]))))
    """
)


def run_ours(calls: int, envs: int, workers: int) -> tuple[dict[str, float], str]:
    from gem_gymnasium.tools.base import ToolCall  # noqa: F401  (import cost outside the timing)
    from gem_gymnasium.tools.python import PythonTool
    from gem_gymnasium.tools.sandbox import PythonSandbox

    with PythonSandbox(timeout=5, workers=workers) as sandbox:
        tool = PythonTool(sandbox=sandbox)

        def execute(action: str) -> None:
            result = tool.execute(tool.find_call(action))
            assert result.ok, result.observation

        scope: dict = {}
        exec(MEASURE, scope)
        return scope["measure"](execute, ACTIONS, calls, envs), sandbox.isolation


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--calls", type=int, default=200)
    parser.add_argument("--envs", type=int, default=8)
    parser.add_argument("--gem-python", help="python of a venv with gem-llm 0.1.0")
    parser.add_argument(
        "--no-gem", action="store_true", help="measure ours only (e.g. before/after a change)"
    )
    parser.add_argument("--workers", type=int, default=None, help="sandbox workers (default)")
    parser.add_argument("--rounds", type=int, default=3, help="alternating rounds; medians kept")
    args = parser.parse_args()

    gem = None if args.no_gem else gem_python(args.gem_python)
    ours_runs, gem_runs = [], []
    isolation = "?"
    for _ in range(args.rounds):
        result, isolation = run_ours(args.calls, args.envs, args.workers)
        ours_runs.append(result)
        if gem is None:
            continue
        gem_runs.append(
            run_in_gem(
                GEM_SIDE,
                gem,
                json.dumps(ACTIONS),
                str(args.calls),
                str(args.envs),
                cwd=Path(__file__).resolve().parent,
                python_on_path=True,  # GEM's tool starts `python` from PATH
            )
        )

    def median(runs: list[dict[str, float]], key: str) -> float:
        return statistics.median(run[key] for run in runs) if runs else float("nan")

    print(
        f"python tool, {args.calls} calls, {args.envs} concurrent envs, {os.cpu_count()} CPUs, "
        f"medians of {args.rounds} rounds"
    )
    print(f"{'metric':<22}{'gem-gymnasium':>16}{'GEM 0.1.0':>14}{'ratio':>10}")
    print(f"{'isolation':<22}{isolation:>16}{'none':>14}")
    for key, label, better_low in (
        ("p50_ms", "latency p50 (ms)", True),
        ("p99_ms", "latency p99 (ms)", True),
        ("calls_per_s", f"calls/s ({args.envs} envs)", False),
    ):
        ours, theirs = median(ours_runs, key), median(gem_runs, key)
        ratio = theirs / ours if better_low else ours / theirs
        print(f"{label:<22}{ours:>16.1f}{theirs:>14.1f}{ratio:>9.2f}x")
    print("(ratio > 1: gem-gymnasium is better)")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
