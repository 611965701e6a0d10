from __future__ import annotations

import time

import pytest
from hypothesis import given
from hypothesis import strategies as st

from gem_gymnasium.parsing import last_boxed, last_code_block, last_tagged, parse_int, parse_ints


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (r"\boxed{7}", "7"),
        (r"first \boxed{1} then \boxed{ 2 }", "2"),
        (r"\boxed{\frac{1}{2}}", r"\frac{1}{2}"),
        (r"\boxed{3} and a broken \boxed{4", "3"),
        (r"\boxed{\boxed{5}}", "5"),
        (r"\boxed{1} \boxed{\frac{1}{2}} \boxed{", r"\frac{1}{2}"),
        (r"} } \boxed{0}", "0"),
        (r"\boxed{up} \boxed {down}", "up"),
        ("no box at all", None),
        (r"\boxed{", None),
        ("", None),
    ],
)
def test_last_boxed(text: str, expected: str | None) -> None:
    assert last_boxed(text) == expected


@pytest.mark.parametrize(
    "text",
    ["\\boxed{" * 200_000, "}" * 500_000, "{" * 500_000 + "\\boxed{1}", "x" * 2_000_000],
)
def test_last_boxed_is_linear_on_adversarial_text(text: str) -> None:
    start = time.perf_counter()
    last_boxed(text)
    # Generous bound: a quadratic scan of these inputs takes minutes.
    assert time.perf_counter() - start < 5


@given(st.text())
def test_parsers_never_raise(text: str) -> None:
    last_boxed(text)
    last_tagged(text, "answer")
    last_code_block(text)
    parse_int(text)
    parse_ints(text)


def test_last_tagged_and_code_block() -> None:
    assert last_tagged("<answer>a</answer> x <answer> Paris </answer>", "answer") == "Paris"
    assert last_tagged("<answer>open", "answer") is None
    text = "```python\nprint(1)\n```\n```bash\nls\n```\n```\nprint(2)\n```"
    assert last_code_block(text) == "print(2)\n"
    assert last_code_block("```bash\nls\n```") is None


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("0", 0),
        (" -12 ", -12),
        ("+3", 3),
        ("1e3", None),
        ("3.0", None),
        ("9" * 19, 9999999999999999999),
        ("9" * 25, None),
        ("\u0663", 3),  # any Unicode decimal digit, as int() reads it
        ("", None),
    ],
)
def test_parse_int(text: str, expected: int | None) -> None:
    assert parse_int(text) == expected


def test_parse_ints() -> None:
    assert parse_ints("3 1 4") == [3, 1, 4]
    assert parse_ints("3,1, 4") == [3, 1, 4]
    assert parse_ints("3 x") is None and parse_ints("") is None


_box_pieces = st.lists(
    st.sampled_from(["\\boxed{", "}", "{", "a", "1", " ", "\\frac", "\\"]), max_size=30
).map("".join)


@given(st.one_of(_box_pieces, st.text(max_size=60)))
def test_fast_path_agrees_with_the_full_scan(text: str) -> None:
    from gem_gymnasium.parsing import _last_complete_box

    assert last_boxed(text) == _last_complete_box(text)
