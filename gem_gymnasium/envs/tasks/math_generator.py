r"""Procedural arithmetic and algebra problems with exact answers.

Item ``i`` of a :class:`ProceduralMath` set is generated from ``numpy.random.default_rng((seed, i))``,
so it is the same in every process and nothing needs to be stored: the set behaves like a dataset
of ``size`` items (random access, sequential evaluation) without any data file.

>>> items = ProceduralMath(size=100, seed=0)
>>> item = items[3]
>>> sorted(item)
['answer', 'kind', 'problem']
>>> items[3] == item
True
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from fractions import Fraction
from math import gcd

import numpy as np

__all__ = ["GENERATORS", "ProceduralMath"]

Problem = tuple[str, str]


def _int(rng: np.random.Generator, low: int, high: int, *, nonzero: bool = False) -> int:
    while True:
        value = int(rng.integers(low, high + 1))
        if value or not nonzero:
            return value


def _latex_fraction(value: Fraction) -> str:
    if value.denominator == 1:
        return str(value.numerator)
    sign = "-" if value < 0 else ""
    return f"{sign}\\frac{{{abs(value.numerator)}}}{{{value.denominator}}}"


def arithmetic(rng: np.random.Generator) -> Problem:
    """An integer expression with precedence: ``a + b * c - d``."""
    a, b, c, d = (_int(rng, 2, 30) for _ in range(4))
    return f"Compute ${a} + {b} \\times {c} - {d}$.", str(a + b * c - d)


def fractions(rng: np.random.Generator) -> Problem:
    """The sum or difference of two fractions, in lowest terms."""
    x = Fraction(_int(rng, 1, 9), _int(rng, 2, 12))
    y = Fraction(_int(rng, 1, 9), _int(rng, 2, 12))
    op = "+" if rng.random() < 0.5 else "-"
    value = x + y if op == "+" else x - y
    problem = (
        f"Compute $\\frac{{{x.numerator}}}{{{x.denominator}}} {op} "
        f"\\frac{{{y.numerator}}}{{{y.denominator}}}$ and give the result in lowest terms."
    )
    return problem, _latex_fraction(value)


def linear_equation(rng: np.random.Generator) -> Problem:
    """``a x + b = c`` with an integer or fractional root."""
    a = _int(rng, -9, 9, nonzero=True)
    b = _int(rng, -20, 20)
    c = _int(rng, -20, 20)
    root = Fraction(c - b, a)
    sign = "+" if b >= 0 else "-"
    return f"Solve for $x$: ${a}x {sign} {abs(b)} = {c}$.", _latex_fraction(root)


def quadratic_roots(rng: np.random.Generator) -> Problem:
    """A monic quadratic with two distinct integer roots; the answer is the set of roots."""
    r1 = _int(rng, -9, 9)
    r2 = _int(rng, -9, 9)
    while r2 == r1:
        r2 = _int(rng, -9, 9)
    b, c = -(r1 + r2), r1 * r2
    terms = "x^2"
    if b:
        terms += f" {'+' if b > 0 else '-'} {abs(b) if abs(b) != 1 else ''}x"
    if c:
        terms += f" {'+' if c > 0 else '-'} {abs(c)}"
    low, high = sorted((r1, r2))
    return f"Find all real solutions of ${terms} = 0$.", f"\\{{{low}, {high}\\}}"


def linear_inequality(rng: np.random.Generator) -> Problem:
    """``a x + b < c`` (or ``>``); the answer is an interval."""
    a = _int(rng, -6, 6, nonzero=True)
    b = _int(rng, -15, 15)
    c = _int(rng, -15, 15)
    strict = rng.random() < 0.5
    greater = rng.random() < 0.5
    bound = _latex_fraction(Fraction(c - b, a))
    symbol = (">" if strict else "\\ge") if greater else ("<" if strict else "\\le")
    # Dividing by a negative a flips the direction.
    upward = greater == (a > 0)
    if upward:
        answer = f"{'(' if strict else '['}{bound}, \\infty)"
    else:
        answer = f"(-\\infty, {bound}{')' if strict else ']'}"
    sign = "+" if b >= 0 else "-"
    problem = (
        f"Solve ${a}x {sign} {abs(b)} {symbol} {c}$ for real $x$ and give the answer in interval "
        "notation."
    )
    return problem, answer


def gcd_lcm(rng: np.random.Generator) -> Problem:
    """The greatest common divisor or least common multiple of two numbers."""
    common = _int(rng, 2, 12)
    x, y = common * _int(rng, 2, 15), common * _int(rng, 2, 15)
    if rng.random() < 0.5:
        return f"What is the greatest common divisor of {x} and {y}?", str(gcd(x, y))
    return f"What is the least common multiple of {x} and {y}?", str(x * y // gcd(x, y))


def percentage(rng: np.random.Generator) -> Problem:
    """A percentage of a quantity (exact, possibly a decimal)."""
    percent = int(rng.choice([5, 10, 12, 15, 20, 25, 30, 40, 45, 60, 75]))
    amount = _int(rng, 4, 80) * 10
    value = Fraction(percent * amount, 100)
    answer = str(value.numerator) if value.denominator == 1 else str(float(value))
    return f"What is ${percent}\\%$ of {amount}?", answer


#: Every generator, by name; ``ProceduralMath(kinds=...)`` picks a subset.
GENERATORS: Mapping[str, Callable[[np.random.Generator], Problem]] = {
    "arithmetic": arithmetic,
    "fractions": fractions,
    "linear_equation": linear_equation,
    "quadratic_roots": quadratic_roots,
    "linear_inequality": linear_inequality,
    "gcd_lcm": gcd_lcm,
    "percentage": percentage,
}


class ProceduralMath(Sequence[Mapping[str, str]]):
    """A virtual dataset of ``size`` generated problems (``{"problem", "answer", "kind"}``).

    Args:
        size: Number of items.
        seed: Seed of the whole set; item ``i`` depends only on ``(seed, i)``.
        kinds: Generator names to draw from (default: all of :data:`GENERATORS`).
    """

    def __init__(self, size: int = 10_000, seed: int = 0, kinds: Sequence[str] | None = None):
        if size < 1:
            raise ValueError(f"ProceduralMath: size must be >= 1, got {size}")
        unknown = sorted(set(kinds or ()) - set(GENERATORS))
        if unknown:
            raise ValueError(
                f"ProceduralMath: unknown kinds {unknown}; known: {sorted(GENERATORS)}"
            )
        self.size = size
        self.seed = seed
        self.kinds = tuple(kinds or GENERATORS)

    def __len__(self) -> int:
        return self.size

    def __getitem__(self, index: int) -> Mapping[str, str]:  # type: ignore[override]
        if not isinstance(index, int):
            raise TypeError("ProceduralMath supports integer indices only")
        if not -self.size <= index < self.size:
            raise IndexError(index)
        rng = np.random.default_rng((self.seed, index % self.size))
        kind = self.kinds[int(rng.integers(len(self.kinds)))]
        problem, answer = GENERATORS[kind](rng)
        return {"problem": problem, "answer": answer, "kind": kind}

    def __iter__(self) -> Iterator[Mapping[str, str]]:
        return (self[i] for i in range(self.size))
