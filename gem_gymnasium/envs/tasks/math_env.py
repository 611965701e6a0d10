"""MathEnv: answer a math problem in ``\\boxed{}``, graded by symbolic equivalence."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, ClassVar

from gem_gymnasium.core import Outcome
from gem_gymnasium.envs.tasks.base import DatasetEnv
from gem_gymnasium.envs.tasks.math_generator import ProceduralMath
from gem_gymnasium.envs.tasks.math_grading import grade_math, warn_if_degraded
from gem_gymnasium.envs.tasks.records import Records


def reference_answers(value: Any) -> list[str]:
    """A dataset's answer field as a list of accepted answers."""
    if isinstance(value, (list, tuple)):
        return [str(v) for v in value]
    return [str(value)]


class MathEnv(DatasetEnv):
    r"""Solve one math problem; the last ``\boxed{}`` of the answer is graded.

    ## Description
    Each episode is one problem from a dataset (GEM's GSM8K, MATH, DeepScaleR, the math evaluation
    sets, a local file, or the shipped 40-problem sample). The agent reasons freely and puts its
    final answer in ``\boxed{}``.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`); only the last ``\boxed{...}`` counts,
    e.g. ``"... so the answer is \boxed{\frac{19}{12}}"``. ``answer_format`` reads it from
    ``<answer>`` tags, delimiters or the ``answer(text)`` tool instead (``"tool_call"``).

    ## Observation Space
    Text. At reset: the prompt (instructions and the problem). After the answer: whether it was
    correct, with the reference answer.

    ## Starting State
    The problem is drawn uniformly from the data with ``self.np_random``; ``options={"index": i}``
    picks problem ``i``; ``sequential=True`` walks the data in order (see
    :class:`~gem_gymnasium.envs.tasks.base.DatasetEnv`).

    ## Rewards
    * 1.0 when the boxed answer is equivalent to a reference answer: math-verify decides symbolic
      equivalence (fractions and decimals, radicals, LaTeX, intervals, sets, equations such as
      ``x=5``, units stripped) in a worker process, after a cheap normalised string comparison;
      a grade past 0.2 s of CPU (``GRADE_BUDGET_S``, timed in the worker) or past ``grade_timeout``
      (the worker is killed) counts as wrong;
    * 0.0 for a wrong answer, an answer too long or too costly to evaluate (``9^{9^{9^9}}``), or a
      grade that times out;
    * ``format_error_reward`` (-0.1) when there is no non-empty ``\boxed{}``.

    ## Episode End
    Termination: the first answer (or format error). Truncation: never by the env itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``, ``index`` (item), ``epoch``; after
    an answer ``correct`` and ``grade_method`` (``"normalised"``, ``"math_verify"``, ``"timeout"``,
    ``"too_long"``, ``"too_costly"``, ``"error"``); at the end ``success`` and ``reason``.

    ## Arguments
    ```python
    gymnasium.make("gem/Math-v0", source=None, hub_name=None, hub_config=None, split=None,
                   question_key="problem", answer_key="answer", grade_timeout=5.0,
                   use_math_verify=True, sequential=False, num_shards=1, shard=None,
                   answer_format=None,
                   prompt_template=None, format_error_reward=-0.1, render_mode=None)
    ```
    ``source``: ``None`` (the offline sample; hub-backed ids log a one-line notice), ``"hub"`` (the
    id's ``hub_name``), a local JSONL/JSON/Parquet path, a hub dataset name, or a list of dicts.
    ``question_key``/``answer_key`` name the fields of hub or local data. ``grade_timeout=None``
    grades in-process without a limit (trusted answers only). Without the ``math`` extra
    (math-verify) only the normalised comparison can run: the first env made that way warns once
    per process (``GradingDegradedWarning``, with the install command) unless
    ``use_math_verify=False`` says that is intended. Hub-backed ids:
    ``gem/Math-GSM8K-v0``, ``-MATH12K-``, ``-ASDiv2K-``, ``-MATHLvl3to5-``, ``-ORZ57K-``,
    ``-DeepScaleR40K-`` and the evaluation sets ``-MATH500-``, ``-AMC-``, ``-AIME24-``,
    ``-OlympiadBench-``, ``-Minerva-`` (sequential); ``gem/Math-Procedural-v0`` generates problems.

    ## Version History
    * v0: Initial version.
    """

    sample_file = "math_sample.jsonl"
    sample_fields: ClassVar[Mapping[str, str]] = {"question": "problem", "answer": "answer"}
    default_prompt = (
        "Solve the following math problem. Reason step by step, then give your final answer "
        "inside \\boxed{}.\n\nProblem: {question}"
    )

    def __init__(
        self,
        *,
        question_key: str = "problem",
        answer_key: str = "answer",
        grade_timeout: float | None = 5.0,
        use_math_verify: bool = True,
        **kwargs: Any,
    ) -> None:
        if grade_timeout is not None and grade_timeout <= 0:
            raise ValueError(f"MathEnv: grade_timeout must be > 0 or None, got {grade_timeout}")
        self.grade_timeout = grade_timeout
        self.use_math_verify = bool(use_math_verify)
        warn_if_degraded(self.use_math_verify, stacklevel=3)  # at construction, not mid-training
        super().__init__(fields={"question": question_key, "answer": answer_key}, **kwargs)

    static_attributes = DatasetEnv.static_attributes | {"grade_timeout", "use_math_verify"}

    def grade(self, answer: str) -> Outcome:
        references = reference_answers(self.field("answer"))
        verdict = grade_math(
            answer, references, timeout=self.grade_timeout, use_math_verify=self.use_math_verify
        )
        self.grade_info = {"correct": verdict.correct, "grade_method": verdict.method}
        shown = answer if len(answer) <= 200 else answer[:200] + "..."
        if verdict.correct:
            return self._outcome(True, f"Correct: {shown} is the answer.")
        why = {"timeout": " (grading timed out)", "too_costly": " (too costly to evaluate)"}
        return self._outcome(
            False,
            f"Incorrect{why.get(verdict.method, '')}: you answered {shown}; "
            f"the reference answer is {references[0]}.",
        )

    def format_error_message(self) -> str:
        return "Format error: no answer found. Put your final answer inside \\boxed{...}."

    def sample_random_action(self) -> str:
        return f"The answer is \\boxed{{{int(self.action_space.np_random.integers(0, 100))}}}."


class ProceduralMathEnv(MathEnv):
    r"""Generated arithmetic and algebra problems (no data files; see
    :mod:`~gem_gymnasium.envs.tasks.math_generator`).

    Same rules, rewards and information as :class:`MathEnv`; the "dataset" is ``size`` generated
    problems, item ``i`` a function of ``(problem_seed, i)`` only. Which item an episode gets is
    drawn from the env's ``np_random`` as for any dataset.

    ## Arguments
    ```python
    gymnasium.make("gem/Math-Procedural-v0", size=10_000, problem_seed=0, kinds=None,
                   grade_timeout=5.0, sequential=False, num_shards=1, shard=None)
    ```
    ``kinds`` restricts the generators (``"arithmetic"``, ``"fractions"``, ``"linear_equation"``,
    ``"quadratic_roots"``, ``"linear_inequality"``, ``"gcd_lcm"``, ``"percentage"``).

    ## Version History
    * v0: Initial version.
    """

    def __init__(
        self,
        *,
        size: int = 10_000,
        problem_seed: int = 0,
        kinds: Sequence[str] | None = None,
        **kwargs: Any,
    ) -> None:
        self._generated = ProceduralMath(size=size, seed=problem_seed, kinds=kinds)
        super().__init__(**kwargs)

    static_attributes = MathEnv.static_attributes | {"_generated"}

    def _load(self, source: Any, *_: Any) -> Records:
        if source is not None:
            raise ValueError("ProceduralMathEnv generates its problems; it takes no source")
        return Records(self._generated, False, "procedural generator")

    def _check_fields(self) -> None:
        self.fields = {"question": "problem", "answer": "answer"}
