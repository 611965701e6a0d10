"""Issue 13, item 3: graded programs cannot read the code task's tests and print the answers."""

from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from gem_gymnasium.envs.tasks.code_env import CodeEnv
from gem_gymnasium.envs.tasks.records import DATA_DIR

SAMPLE_FILE = DATA_DIR / "code_sample.jsonl"

# Looks its stdin up in every copy of the shipped sample it can find and prints the answer.
CHEAT = textwrap.dedent(
    f"""
    import json, os, sys
    stdin = sys.stdin.read()
    candidates = [{str(SAMPLE_FILE)!r}]
    for top in sys.path:
        for root, _, files in os.walk(top or "."):
            candidates += [os.path.join(root, n) for n in files if n == "code_sample.jsonl"]
    for path in candidates:
        try:
            lines = open(path).read().splitlines()
        except OSError:
            continue
        for line in lines:
            tests = json.loads(line)["tests"]
            for given, expected in zip(tests["inputs"], tests["outputs"]):
                if given == stdin:
                    print(expected, end="")
                    sys.exit(0)
    print("no answers found")
    """
)


def test_the_cheat_works_where_the_tests_are_readable():
    """The attack is real: run outside the sandbox, it prints the expected output."""
    given = "1 2\n"
    result = subprocess.run(
        [sys.executable, "-c", CHEAT], input=given, capture_output=True, text=True, check=True
    )
    assert result.stdout == "3\n"


def test_graded_code_cannot_read_the_tests():
    env = CodeEnv()
    try:
        for index in range(5):
            env.reset(options={"index": index})
            _, reward, _, _, info = env.step(f"```python\n{CHEAT}\n```")
            assert reward == 0.0 and not info["correct"], (index, env.render())
    finally:
        env.close()


def test_code_tasks_refuse_the_unsafe_level():
    with pytest.raises(ValueError, match="isolation"):
        CodeEnv(isolation="rlimits")
