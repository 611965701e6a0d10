r"""Grading a math answer against reference answers.

:func:`grade_math` decides in three stages, cheapest first:

1. *Normalised comparison*: both sides stripped of LaTeX spacing, ``\left``/``\right``, ``$``,
   ``\text{}`` wrappers, trailing units and thousands separators, and compared as strings or as
   exact rationals (``0.50`` equals ``1/2``). A match is correct at no cost.
2. *Pre-filter*: an answer that is too long, or holds a numeric power tower or factorial too big to
   evaluate (``9^{9^{9^9}}``, ``100000!``), is graded wrong without running anything.
3. *math-verify* (symbolic equivalence: fractions, radicals, LaTeX, intervals, sets, equations,
   units stripped) in a :class:`~gem_gymnasium.envs.tasks.grading_pool.GradingPool` worker. Two
   limits apply. A *budget* (:data:`GRADE_BUDGET_S`, sub-second) is a CPU-time timer in the worker:
   honest answers grade in milliseconds, while a hostile one (``\sum_{i=1}^{10^{100}} i``) is
   interrupted at the budget and graded wrong (method ``"timeout"``) with the worker kept warm.
   The hard limit (``timeout``) catches what no timer can interrupt (a long C call): the worker
   is killed and replaced, so a hung grade never blocks the environment.

Without the ``math-verify`` package (the ``math`` extra) only stage 1 runs, so equivalent forms
such as ``\frac{1}{\sqrt{2}}`` and ``\sqrt{2}/2`` count as different: the first grader (or env)
that runs degraded says so once per process with a :class:`GradingDegradedWarning`, which names the
install command. ``use_math_verify=False`` asks for the normalised comparison and warns nothing.

>>> grade_math("0.5", ["\\frac{1}{2}"], timeout=None).correct
True
>>> grade_math("3", ["4"], timeout=None)
MathGrade(correct=False, method='normalised')
"""

from __future__ import annotations

import math
import re
import threading
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from functools import lru_cache

from gem_gymnasium.envs.tasks.grading_pool import (
    GRADE_BUDGET_S,
    GradeTimeout,
    GradingError,
    OverBudget,
    shared_pool,
    time_budget,
)
from gem_gymnasium.extras import install_command

__all__ = [
    "GradingDegradedWarning",
    "MathGrade",
    "grade_math",
    "math_verify_available",
    "normalize_answer",
    "too_costly",
    "warn_if_degraded",
]

#: Answers longer than this (or than 4x the longest reference) are wrong without grading.
MAX_ANSWER_CHARS = 500
#: A power tower or factorial whose value has more digits than this is not evaluated.
MAX_DIGITS = 100_000


@dataclass(frozen=True)
class MathGrade:
    """The verdict on one answer.

    Attributes:
        correct: Whether the answer matches a reference.
        method: What decided: ``"normalised"``, ``"math_verify"``, ``"timeout"``, ``"too_long"``,
            ``"too_costly"`` or ``"error"`` (the grader failed; the answer counts as wrong).
    """

    correct: bool
    method: str


# --- stage 1: normalised comparison ---------------------------------------------------------------

_TEXT_WRAPPER = re.compile(r"\\(?:text|textbf|mathrm|mathbf|mbox|operatorname)\s*\{([^{}]*)\}")
_DROP = re.compile(r"\\[,;:! ]|\\left|\\right|\\displaystyle|\$|\s+|\\?%|\^\{?\\circ\}?|\\circ")
_TRAILING_UNIT = re.compile(r"^([-+]?[\d.,/]+)[a-zA-Z][a-zA-Z^\d]*$")
_THOUSANDS = re.compile(r"^[-+]?\d{1,3}(?:,\d{3})+(?:\.\d+)?$")
_NUMBER = re.compile(r"^[-+]?(?:\d+(?:\.\d*)?|\.\d+)(?:/\d+)?$")
_LATEX_FRAC = re.compile(r"^([-+]?)\\frac\{(\d+)\}\{(\d+)\}$")


def normalize_answer(text: str) -> str:
    r"""A canonical string form of a short answer (``"\dfrac{1}{2}\ \text{cm}"`` -> ``"1/2"``)."""
    text = text.strip().rstrip(".")
    text = text.replace("\\dfrac", "\\frac").replace("\\tfrac", "\\frac").replace("\\$", "")
    for _ in range(3):  # unwrap nested \text{\textbf{...}}
        text = _TEXT_WRAPPER.sub(r"\1", text)
    text = _DROP.sub("", text)
    if text.startswith("\\boxed{") and text.endswith("}"):
        text = text[len("\\boxed{") : -1]
    match = _LATEX_FRAC.match(text)
    if match:
        text = f"{match[1]}{match[2]}/{match[3]}"
    match = _TRAILING_UNIT.match(text)
    if match:
        text = match[1]
    if _THOUSANDS.match(text):
        text = text.replace(",", "")
    return text.lower()


def _as_number(text: str) -> Fraction | None:
    if not _NUMBER.match(text) or len(text) > 40:
        return None
    try:
        return Fraction(text)
    except (ValueError, ZeroDivisionError):
        return None


def _normalised_equal(answer: str, reference: str) -> bool:
    a, b = normalize_answer(answer), normalize_answer(reference)
    if a == b and a:
        return True
    x, y = _as_number(a), _as_number(b)
    return x is not None and x == y


# --- stage 2: pre-filter ---------------------------------------------------------------------

_STRIP_GROUPING = re.compile(r"[\s{}()\[\]]|\\left|\\right")
_POWER_CHAIN = re.compile(r"\d+(?:\.\d+)?(?:\^\d+(?:\.\d+)?)+")
_FACTORIAL = re.compile(r"(\d+)!")


def _tower_digits(chain: str) -> float:
    """Decimal digits of ``a^b^c...`` read right to left (an upper bound for any grouping)."""
    numbers = [float(part) for part in chain.split("^")]
    exponent = numbers[-1]
    digits = 0.0
    for level, base in enumerate(reversed(numbers[:-1])):
        if base <= 1.0:
            exponent, digits = 1.0, 0.0
            continue
        digits = exponent * math.log10(base)
        if digits > 300 and level < len(numbers) - 2:
            return math.inf  # the next level up raises something to a 300-digit power
        exponent = 10.0**digits if digits <= 300 else math.inf
    return digits


def too_costly(answer: str) -> bool:
    r"""Whether ``answer`` holds a number too big to evaluate (``9^{9^{9^9}}``, ``10^{10^{10}}``)."""
    flat = _STRIP_GROUPING.sub("", answer).replace("**", "^")
    if any(_tower_digits(chain) > MAX_DIGITS for chain in _POWER_CHAIN.findall(flat)):
        return True
    # n! has about n*log10(n) digits.
    return any(len(n) > 6 or int(n) > 20_000 for n in _FACTORIAL.findall(flat))


# --- stage 3: math-verify in a worker --------------------------------------------------------------


@lru_cache(maxsize=1)
def math_verify_available() -> bool:
    """Whether the ``math-verify`` package can be imported."""
    try:
        import math_verify  # noqa: F401
    except ImportError:
        return False
    return True


class GradingDegradedWarning(UserWarning):
    """Math answers are graded without math-verify (its own category, so it can be filtered)."""


_degraded_warned = threading.Event()


def warn_if_degraded(use_math_verify: bool = True, *, stacklevel: int = 2) -> bool:
    """Warn once per process when math-verify is wanted but missing; returns whether it is."""
    degraded = use_math_verify and not math_verify_available()
    if degraded and not _degraded_warned.is_set():
        _degraded_warned.set()
        warnings.warn(
            "math answers are graded WITHOUT math-verify, which is not installed: only a "
            "normalised string/number comparison runs, so equivalent forms such as "
            "\\frac{1}{\\sqrt{2}} and \\sqrt{2}/2 are graded wrong. Install it with "
            f"{install_command('math')} (in the repository folder), or pass "
            "use_math_verify=False to accept the normalised comparison.",
            GradingDegradedWarning,
            stacklevel=stacklevel + 1,
        )
    return degraded


#: One grade of each kind of answer SymPy handles along its own code path (expressions,
#: radicals, intervals, sets, matrices, equations): each path's first use costs far more than
#: later ones, and an honest answer must not meet that cost inside its budget.
_WARM_UP_GRADES = (
    ("(x+1)^2", "x^2+2x+1"),
    ("\\frac{1}{\\sqrt{2}}", "\\sqrt{2}/2"),
    ("4", "(-\\infty, -\\frac{3}{4})"),
    ("\\{1,2\\}", "\\{1, 2\\}"),
    ("\\begin{pmatrix}1\\\\2\\end{pmatrix}", "(1,2)"),
    ("x=3", "3"),
)


@lru_cache(maxsize=1)
def warm_math_verify() -> None:
    """Import math-verify and grade one answer of each kind (:data:`_WARM_UP_GRADES`): SymPy's
    first uses cost about 0.5 s, which must not count against an answer's budget (a grading
    worker's untimed setup)."""
    for answer, reference in _WARM_UP_GRADES:
        math_verify_equal(answer, [reference], None)


@lru_cache(maxsize=4096)
def _parse_boxed(text: str) -> list:
    from math_verify import parse

    return parse(f"\\boxed{{{text}}}", parsing_timeout=None)  # time_budget times it


def math_verify_equal(answer: str, references: Sequence[str], budget: float | None) -> bool | None:
    """math-verify's verdict, or ``None`` when it ran past ``budget`` seconds.

    Runs in a grading worker (the timer needs the main thread); ``budget=None`` sets no timer.
    """
    from math_verify import verify

    try:
        with time_budget(budget):
            predicted = _parse_boxed(answer)
            if not predicted:
                return False
            for reference in references:
                gold = _parse_boxed(reference)
                if gold and verify(gold, predicted, timeout_seconds=None):
                    return True
            return False
    except OverBudget:
        return None


def grade_math(
    answer: str,
    references: str | Sequence[str],
    *,
    timeout: float | None = 5.0,
    use_math_verify: bool = True,
) -> MathGrade:
    """Grade ``answer`` (the content of the agent's box) against one or several references.

    Args:
        answer: The agent's answer, without the surrounding ``\\boxed{}``.
        references: The correct answer(s).
        timeout: Hard limit in seconds for the math-verify stage, which then runs in a worker
            process under the :data:`GRADE_BUDGET_S` budget as well; ``None`` runs it in this
            process without any limit (trusted input only).
        use_math_verify: ``False`` keeps to the normalised comparison.
    """
    refs = [references] if isinstance(references, str) else [str(r) for r in references]
    if any(_normalised_equal(answer, ref) for ref in refs):
        return MathGrade(True, "normalised")
    if len(answer) > max(MAX_ANSWER_CHARS, 4 * max((len(r) for r in refs), default=0)):
        return MathGrade(False, "too_long")
    if too_costly(answer):
        return MathGrade(False, "too_costly")
    if not (use_math_verify and refs) or warn_if_degraded():
        return MathGrade(False, "normalised")
    try:
        if timeout is None:
            correct = math_verify_equal(answer, refs, None)
        else:
            correct = shared_pool().call(
                math_verify_equal,
                answer,
                refs,
                min(GRADE_BUDGET_S, timeout),
                timeout=timeout,
                setup=(warm_math_verify, ()),
            )
    except GradeTimeout:
        return MathGrade(False, "timeout")
    except GradingError:
        return MathGrade(False, "error")
    if correct is None:  # interrupted at the budget
        return MathGrade(False, "timeout")
    return MathGrade(bool(correct), "math_verify")
