"""Code: programs run against stdin/stdout tests in the sandbox."""

from __future__ import annotations

import json

import pytest

from gem_gymnasium.envs.tasks.code_env import CodeEnv, outputs_match, parse_test_cases
from gem_gymnasium.envs.tasks.records import DATA_DIR

SAMPLE = [json.loads(line) for line in (DATA_DIR / "code_sample.jsonl").read_text().splitlines()]


def _fenced(code: str) -> str:
    return f"Here is my solution:\n```python\n{code}\n```\n"


@pytest.fixture(scope="module")
def env() -> CodeEnv:
    environment = CodeEnv()
    yield environment
    environment.close()


def test_reference_solutions_pass_every_sample_problem(env: CodeEnv) -> None:
    for index, item in enumerate(SAMPLE):
        env.reset(options={"index": index})
        _, reward, terminated, _, info = env.step(_fenced(item["solution"]))
        assert (reward, terminated, info["correct"]) == (1.0, True, True), (item["id"], info)
        assert info["passed"] == info["total"] == len(item["tests"]["inputs"])


@pytest.mark.parametrize(
    ("program", "message"),
    [
        ("print('wrong')", "expected"),
        ("raise SystemExit(3)", "runtime error"),
        ("import sys\nprint(1/0)", "ZeroDivisionError"),
        ("while True:\n    pass", "time limit"),
        ("x = bytearray(2 * 1024**3)", "memory limit"),
    ],
)
def test_failures_pay_zero_and_say_why(env: CodeEnv, program: str, message: str) -> None:
    env.reset(options={"index": 0})  # sum of two integers
    obs, reward, terminated, _, info = env.step(_fenced(program))
    assert (reward, terminated, info["correct"]) == (0.0, True, False)
    assert info["passed"] == 0 and info["total"] == 4
    assert message in obs


def test_partial_pass_is_reported(env: CodeEnv) -> None:
    env.reset(options={"index": 0})
    program = "a, b = map(int, input().split())\nprint(a + b if a > 0 else 0)"
    _, reward, _, _, info = env.step(_fenced(program))
    assert reward == 0.0 and (info["passed"], info["total"]) == (3, 4)  # fails -7 -8 only


def test_last_code_block_counts_and_no_block_is_a_format_error(env: CodeEnv) -> None:
    env.reset(options={"index": 1})  # reverse a string
    action = _fenced("print('draft')") + _fenced("print(input()[::-1])")
    assert env.step(action)[1] == 1.0
    env.reset(options={"index": 1})
    _, reward, _, _, info = env.step("print(input()[::-1])  # forgot the fence")
    assert reward == -0.1 and info["format_error"]


def test_test_formats_and_output_comparison() -> None:
    assert parse_test_cases({"inputs": ["1\n"], "outputs": ["2\n"]}) == [("1\n", "2\n")]
    assert parse_test_cases('[{"input": ["a", "b"], "output": "c"}]') == [("a\nb", "c")]
    with pytest.raises(ValueError):
        parse_test_cases({"inputs": ["1"], "outputs": []})
    assert outputs_match("1 2  \n3\n\n", "1 2\n3")
    assert not outputs_match("1 2 3", "1 2\n3")


def test_max_tests_keeps_the_longest_inputs() -> None:
    items = [
        {"problem": "echo", "tests": {"inputs": ["a", "bbb", "cc"], "outputs": ["a", "bbb", "cc"]}}
    ]
    env = CodeEnv(source=items, max_tests=2)
    env.reset(seed=0)
    assert env.cases() == [("bbb", "bbb"), ("cc", "cc")]
