"""The math grader: equivalent forms accepted, wrong answers rejected, hostile answers contained."""

from __future__ import annotations

import threading
import time
import warnings

import pytest

from gem_gymnasium.envs.tasks import math_grading
from gem_gymnasium.envs.tasks.grading_pool import GradeTimeout, GradingError, GradingPool
from gem_gymnasium.envs.tasks.math_grading import (
    GradingDegradedWarning,
    grade_math,
    normalize_answer,
    too_costly,
)

# (answer in the box, reference, expected verdict)
GRADED = [
    # fractions, decimals, LaTeX variants
    ("0.5", r"\frac{1}{2}", True),
    ("1/2", r"\frac{1}{2}", True),
    (r"\dfrac12", r"\frac{1}{2}", True),
    (r"\tfrac{3}{6}", r"\frac{1}{2}", True),
    ("0.50", "1/2", True),
    (r"\frac{19}{12}", r"\frac{19}{12}", True),
    (r"\frac{20}{12}", r"\frac{19}{12}", False),
    # radicals, pi, algebraic forms
    (r"\sqrt{8}", r"2\sqrt{2}", True),
    (r"\frac{1}{2}\sqrt{3}", r"\frac{\sqrt{3}}{2}", True),
    (r"\sqrt{117}", r"3\sqrt{13}", True),
    ("(x+1)^2", "x^2+2x+1", True),
    ("x+3", "x + 3", True),
    ("x-3", "x + 3", False),
    (r"9\pi", r"9 \pi", True),
    ("28.27", r"9\pi", False),
    # intervals and sets
    ("(1, 2]", "(1,2]", True),
    ("[1,2)", "(1,2]", False),
    (r"(3, \infty)", r"(3,\infty)", True),
    (r"[3, \infty)", r"(3, \infty)", False),
    (r"\{3, 2, 1\}", r"\{1,2,3\}", True),
    ("3, 2", "2, 3", True),
    (r"\{1, 2\}", r"\{1, 2, 3\}", False),
    # equations and units stripped
    ("x=5", "5", True),
    (r"5\text{ cm}", "5", True),
    (r"5 \mathrm{meters}", "5", True),
    (r"72^\circ", "72", True),
    (r"\$18", "18", True),
    ("1,000", "1000", True),
    ("-1.0", "-1", True),
    # plain wrong answers
    ("3", "4", False),
    ("2", "two hundred", False),
    ("", "4", False),
]


@pytest.mark.parametrize(("answer", "reference", "expected"), GRADED)
def test_graded_examples(answer: str, reference: str, expected: bool) -> None:
    verdict = grade_math(answer, reference)
    assert verdict.correct is expected, verdict


@pytest.mark.parametrize(
    "answer",
    [
        "9^9^9^9",
        "9^{9^{9^{9}}}",
        "10^{10^{10}}",
        "99999999999999^99999999999",
        "(9**9)**(9**9)",
        "100000!",
        "9" * 10_000,
        r"\frac{1}{0}",
        "\\boxed{" * 20 + "}" * 20,
    ],
)
def test_pathological_answers_are_wrong_and_fast(answer: str) -> None:
    start = time.perf_counter()
    verdict = grade_math(answer, "5", timeout=5.0)
    assert not verdict.correct
    assert time.perf_counter() - start < 30  # bounded: a cold worker start plus one grade at most


def test_pre_filter_catches_towers_but_not_ordinary_powers() -> None:
    assert too_costly("9^9^9^9") and too_costly("2^{2^{2^{2^{2^{2}}}}}") and too_costly("50000!")
    assert not too_costly("2^{10}") and not too_costly("x^{2^{3}}") and not too_costly("10!")
    assert grade_math("2^{10}", "1024").correct


def test_hard_timeout_when_the_pre_filter_is_bypassed(monkeypatch: pytest.MonkeyPatch) -> None:
    """math-verify on a tower it cannot evaluate: the grade ends near the limit, as wrong."""
    monkeypatch.setattr(math_grading, "too_costly", lambda answer: False)
    grade_math("1", "1")  # warm the worker so the limit measures the grade alone
    start = time.perf_counter()
    verdict = grade_math("9^{9^{9^{9}}}", "5", timeout=2.0)
    elapsed = time.perf_counter() - start
    assert not verdict.correct and verdict.method in ("timeout", "math_verify")
    assert elapsed < 2.0 + 3.0, elapsed
    # The pool recovered: the next grade works.
    assert grade_math(r"\sqrt{4}", "2", timeout=5.0).correct


def test_pool_kills_a_hung_call_and_replaces_the_worker() -> None:
    pool = GradingPool(max_workers=1)
    try:
        assert pool.call(pow, 2, 5, timeout=30.0) == 32
        with pytest.raises(GradeTimeout):
            pool.call(pow, 9, 9**12, timeout=0.5)  # one C call, deaf to signals
        assert pool.call(pow, 3, 3, timeout=30.0) == 27
        with pytest.raises(GradingError, match="ValueError"):
            pool.call(int, "not a number", timeout=30.0)
        assert pool.call(pow, 2, 2, timeout=30.0) == 4
    finally:
        pool.close()


def test_grading_works_off_the_main_thread() -> None:
    results: list[bool] = []
    threads = [
        threading.Thread(target=lambda: results.append(grade_math(r"\dfrac{2}{4}", "0.5").correct))
        for _ in range(3)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert results == [True, True, True]


def test_without_math_verify_the_normalised_comparison_decides(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    verdict = grade_math(r"\dfrac{1}{2}", "0.5", use_math_verify=False)
    assert verdict.correct and verdict.method == "normalised"
    assert not grade_math(r"\sqrt{8}", r"2\sqrt{2}", use_math_verify=False).correct


def _without_math_verify(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(math_grading, "math_verify_available", lambda: False)
    monkeypatch.setattr(math_grading, "_degraded_warned", threading.Event())


def test_a_degraded_grader_warns_once_with_the_install_command(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gem_gymnasium.envs.tasks.math_env import MathEnv

    _without_math_verify(monkeypatch)
    with pytest.warns(
        GradingDegradedWarning, match=r"WITHOUT math-verify.*pip install -e '\.\[math\]'"
    ):
        env = MathEnv()
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # once per process: not again for the next env or grade
        MathEnv()
        env.reset(seed=0, options={"index": 0})
        env.step("\\boxed{0}")
        assert grade_math(r"\frac{1}{\sqrt{2}}", r"\sqrt{2}/2").method == "normalised"


def test_the_first_degraded_grade_warns_and_opting_out_is_silent(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from gem_gymnasium.envs.tasks.math_env import MathEnv

    _without_math_verify(monkeypatch)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        MathEnv(use_math_verify=False)  # the normalised comparison, asked for
        assert not grade_math("0.5\\sqrt{2}", r"\sqrt{2}/2", use_math_verify=False).correct
    with pytest.warns(GradingDegradedWarning):
        grade_math("0.5\\sqrt{2}", r"\sqrt{2}/2")


@pytest.mark.parametrize(
    ("raw", "normal"),
    [
        (r"\dfrac{1}{2}", "1/2"),
        (r"\left( 1, 2 \right]", "(1,2]"),
        (r"5\ \text{cm}", "5"),
        ("1,234,567", "1234567"),
        (r"$x$.", "x"),
        (r"50\%", "50"),
    ],
)
def test_normalize_answer(raw: str, normal: str) -> None:
    assert normalize_answer(raw) == normal


def test_in_process_grading_without_a_limit() -> None:
    assert grade_math(r"\{2, 3\}", "3, 2", timeout=None).correct
