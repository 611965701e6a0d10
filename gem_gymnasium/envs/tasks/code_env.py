"""CodeEnv: write a program that passes stdin/stdout tests, run in the Python sandbox."""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome
from gem_gymnasium.envs.tasks.base import DatasetEnv

__all__ = ["CodeEnv", "outputs_match", "parse_test_cases"]

TestCase = tuple[str, str]  # (stdin, expected stdout)


def _as_text(value: Any) -> str:
    if isinstance(value, (list, tuple)):
        return "\n".join(map(str, value))
    return str(value)


def parse_test_cases(tests: Any) -> list[TestCase]:
    """A dataset's tests as ``(stdin, expected)`` pairs.

    Accepts ``{"inputs": [...], "outputs": [...]}`` (CodeContests, TACO), a list of
    ``{"input", "output"}`` objects, or either of them as a JSON string.
    """
    if isinstance(tests, str):
        tests = json.loads(tests)
    if isinstance(tests, Mapping):
        inputs, outputs = tests.get("inputs", []), tests.get("outputs", [])
        if len(inputs) != len(outputs):
            raise ValueError(f"tests have {len(inputs)} inputs but {len(outputs)} outputs")
        return [(_as_text(i), _as_text(o)) for i, o in zip(inputs, outputs, strict=True)]
    if isinstance(tests, Sequence):
        return [(_as_text(case["input"]), _as_text(case["output"])) for case in tests]
    raise ValueError(f"unsupported tests format: {type(tests).__name__}")


def outputs_match(actual: str, expected: str) -> bool:
    """Exact match after stripping the whole output and the end of every line."""
    return [line.rstrip() for line in actual.strip().splitlines()] == [
        line.rstrip() for line in expected.strip().splitlines()
    ]


# One sandbox per (memory limit, isolation, hidden files) and process, shared by every CodeEnv:
# its workers are processes, so it is neither copied by snapshots nor pickled with the env.
_sandboxes: dict[tuple[int, str, tuple[str, ...], int], Any] = {}
_sandbox_lock = threading.Lock()

#: Levels a code task may grade under: the tests and answers must stay out of the code's reach,
#: which the opt-in ``rlimits`` level does not ensure.
CODE_ISOLATION = ("auto", "bwrap", "namespace")


def shared_sandbox(memory_mb: int, isolation: str, hidden: tuple[str, ...] = ()) -> Any:
    """The process-wide :class:`~gem_gymnasium.tools.sandbox.PythonSandbox` for these limits;
    ``hidden`` names data files the graded code must not read (the package's own are always
    hidden)."""
    key = (memory_mb, isolation, hidden, os.getpid())
    with _sandbox_lock:
        if key not in _sandboxes:
            from gem_gymnasium.tools.sandbox import PythonSandbox

            _sandboxes[key] = PythonSandbox(
                isolation=isolation,
                memory_mb=memory_mb,
                workers=min(4, os.cpu_count() or 1),
                hidden_paths=hidden,
            )
        return _sandboxes[key]


_PROMPT = (
    "Write a Python 3 program that solves the problem below. It reads from standard input and "
    "writes to standard output. Put the complete program in one ```python code block; the last "
    "code block in your reply is the one that runs.\n\n{question}"
)


# Under another answer format the program goes where that format says (shown as in the rules).
_OTHER_FORMAT_PROMPT = (
    "Write a Python 3 program that solves the problem below. It reads from standard input and "
    "writes to standard output. Give the complete program inside \\boxed{...}; the last one in "
    "your reply is the one that runs.\n\n{question}"
)


def _asks_for_code_block(kwargs: Mapping[str, Any]) -> bool:
    chosen = kwargs.get("answer_format") or kwargs.get("action_format") or "code_block"
    return chosen == "code_block"


class CodeEnv(DatasetEnv):
    r"""Solve one programming problem; the last fenced code block runs against the tests.

    ## Description
    Each episode is one problem with stdin/stdout test cases (GEM's CodeContests, TACO,
    PrimeIntellect sets, a local file, or the shipped 16-problem sample). The agent's program runs
    once per test case in :class:`~gem_gymnasium.tools.sandbox.PythonSandbox` (no network, capped
    memory, time and output; the tests and answers stay out of its reach).

    ## Action Space
    Free text; the body of the last fenced code block tagged ``python``, ``py``, ``python3`` or
    untagged is the program. Under another ``answer_format`` the program is read from there:
    ``"boxed"``, ``"answer_tags"``, delimiters, or the ``submit(code)`` tool (``"tool_call"``).

    ## Observation Space
    Text. At reset: the instructions and the problem statement. After the answer: how many tests
    passed and the first failure.

    ## Starting State
    The problem is drawn with ``self.np_random``; ``options={"index": i}`` and ``sequential=True``
    work as for every dataset env (:class:`~gem_gymnasium.envs.tasks.base.DatasetEnv`).

    ## Rewards
    * 1.0 when the program's output matches every test case (exact match after stripping the
      output and trailing spaces of each line);
    * 0.0 otherwise (a crash, wrong output, or a case over ``case_timeout`` seconds or
      ``memory_mb`` MiB; after a timeout the remaining cases are not run and count as failed);
    * ``format_error_reward`` (-0.1) when there is no code block.

    ## Episode End
    Termination: the first answer (or format error). Truncation: never by the env itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``, ``index``, ``epoch``; after an
    answer ``passed``, ``total`` and ``correct``; at the end ``success`` and ``reason``.

    ## Arguments
    ```python
    gymnasium.make("gem/Code-v0", source=None, hub_name=None, split=None,
                   question_key="problem", test_key="tests", case_timeout=2.0, memory_mb=512,
                   max_tests=12, isolation="auto", sequential=False, num_shards=1, shard=None,
                   answer_format=None,
                   prompt_template=None, format_error_reward=-0.1, render_mode=None)
    ```
    ``max_tests``: problems with more cases run the ``max_tests`` longest inputs (as GEM does).
    ``isolation``: the sandbox level (``"auto"``, ``"bwrap"``, ``"namespace"``); the code never
    sees the tests: they stay in this process, and the package's data and a local ``source``
    file are hidden from it.

    ## Version History
    * v0: Initial version.
    """

    sample_file = "code_sample.jsonl"
    sample_fields: ClassVar[Mapping[str, str]] = {"question": "problem", "tests": "tests"}
    default_prompt = _PROMPT
    default_answer_format = "code_block"
    move_tools = (
        MoveTool(
            "submit",
            "Submit your program; it runs once per test case.",
            (Param("code", "string", "The complete Python 3 program (stdin to stdout)."),),
        ),
    )

    def __init__(
        self,
        *,
        question_key: str = "problem",
        test_key: str = "tests",
        case_timeout: float = 2.0,
        memory_mb: int = 512,
        max_tests: int = 12,
        isolation: str = "auto",
        **kwargs: Any,
    ) -> None:
        if case_timeout <= 0:
            raise ValueError(f"CodeEnv: case_timeout must be > 0, got {case_timeout}")
        if max_tests < 1:
            raise ValueError(f"CodeEnv: max_tests must be >= 1, got {max_tests}")
        if isolation not in CODE_ISOLATION:
            raise ValueError(
                f"CodeEnv: isolation must be one of {CODE_ISOLATION} (graded code must not reach "
                f"the tests), got {isolation!r}"
            )
        self.case_timeout = float(case_timeout)
        self.memory_mb = int(memory_mb)
        self.max_tests = int(max_tests)
        self.isolation = isolation
        source = kwargs.get("source")
        # A local dataset file holds the tests with their answers: hide it from the code too.
        self.hidden_data = (
            (os.path.realpath(source),)
            if isinstance(source, str) and os.path.exists(source)
            else ()
        )
        if kwargs.get("prompt_template") is None and not _asks_for_code_block(kwargs):
            kwargs["prompt_template"] = _OTHER_FORMAT_PROMPT
        super().__init__(fields={"question": question_key, "tests": test_key}, **kwargs)

    static_attributes = DatasetEnv.static_attributes | {
        "case_timeout",
        "memory_mb",
        "max_tests",
        "isolation",
        "hidden_data",
    }

    def parse_move(self, content: str) -> str | None:
        return content if content.strip() else None

    def cases(self) -> list[TestCase]:
        """The test cases that run for the current problem (at most ``max_tests``)."""
        cases = parse_test_cases(self.field("tests"))
        if len(cases) > self.max_tests:
            longest = sorted(range(len(cases)), key=lambda i: -len(cases[i][0]))[: self.max_tests]
            cases = [cases[i] for i in sorted(longest)]
        return cases

    def grade(self, answer: str) -> Outcome:
        cases = self.cases()
        sandbox = shared_sandbox(self.memory_mb, self.isolation, self.hidden_data)
        passed, failure = 0, ""
        for number, (stdin, expected) in enumerate(cases, start=1):
            result = sandbox.run(answer, stdin=stdin, timeout=self.case_timeout)
            if result.ok and outputs_match(result.stdout, expected):
                passed += 1
                continue
            if not failure:
                failure = f" Test {number} failed: {_describe(result, expected)}"
            if result.timed_out:
                break  # an infinite loop would time out on every remaining case too
        correct = passed == len(cases) and bool(cases)
        self.grade_info = {"passed": passed, "total": len(cases), "correct": correct}
        summary = f"{passed}/{len(cases)} tests passed."
        return self._outcome(correct, summary if correct else summary + failure)

    def format_error_message(self) -> str:
        if self.reply_format.kind == "code_block":
            return "Format error: no code found. Put your program in a ```python code block."
        return "Format error: no program found. Put your program inside \\boxed{...}."

    def sample_random_action(self) -> str:
        programs = (
            "print(input())",
            "import sys\nprint(len(sys.stdin.read().split()))",
            "print(sum(map(int, input().split())))",
            "print('YES')",
        )
        program = programs[int(self.action_space.np_random.integers(len(programs)))]
        return f"```python\n{program}\n```"


def _describe(result: Any, expected: str) -> str:
    if result.timed_out:
        return "time limit exceeded."
    if result.error == "memory":
        return "memory limit exceeded."
    if result.exit_code != 0:
        last = result.stderr.strip().splitlines()[-1:] or [f"exit code {result.exit_code}"]
        return f"runtime error ({last[0][:200]})."
    return f"expected {expected.strip()[:100]!r}, got {result.stdout.strip()[:100]!r}."
