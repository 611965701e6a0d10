r"""Extracting the agent's answer from free LLM text.

Every function here is linear in the length of the text (actions may be megabytes of adversarial
text) and never raises on a ``str``.

>>> last_boxed(r"I think 5... no: \boxed{7}. Final: \boxed{\frac{1}{2}}")
'\\frac{1}{2}'
>>> last_tagged("<answer>a</answer> <answer>Paris</answer>", "answer")
'Paris'
>>> last_code_block("```python\nprint(1)\n```")
'print(1)\n'
"""

from __future__ import annotations

import re

__all__ = ["last_boxed", "last_code_block", "last_tagged", "parse_int", "parse_ints"]

_BOXED_OR_BRACE = re.compile(r"\\boxed\s*\{|[{}]")
_INT = re.compile(r"[+-]?\d+")
_CODE_BLOCK = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)```", re.DOTALL)


def last_boxed(text: str) -> str | None:
    r"""Content of the last complete ``\boxed{...}`` in ``text``, or ``None``.

    Braces nest, so ``\boxed{\frac{1}{2}}`` gives ``\frac{1}{2}``. "Last" means the box that closes
    last; an unclosed ``\boxed{`` is ignored, so ``\boxed{3} \boxed{`` still gives ``3``.
    """
    open_stack: list[int] = []  # content start for a box, -1 for a plain brace
    last: tuple[int, int] | None = None
    for match in _BOXED_OR_BRACE.finditer(text):
        token = match.group()
        if token == "}":
            if open_stack:
                start = open_stack.pop()
                if start >= 0:
                    last = (start, match.start())
        else:
            open_stack.append(match.end() if token != "{" else -1)
    return None if last is None else text[last[0] : last[1]].strip()


def last_tagged(text: str, tag: str) -> str | None:
    """Content of the last complete ``<tag>...</tag>`` in ``text``, or ``None``."""
    close = f"</{tag}>"
    end = text.rfind(close)
    if end < 0:
        return None
    start = text.rfind(f"<{tag}>", 0, end)
    if start < 0:
        return None
    return text[start + len(tag) + 2 : end].strip()


def last_code_block(
    text: str, languages: tuple[str, ...] = ("", "python", "py", "python3")
) -> str | None:
    """Body of the last fenced code block whose language tag is one of ``languages``."""
    bodies = [m.group(2) for m in _CODE_BLOCK.finditer(text) if m.group(1).lower() in languages]
    return bodies[-1] if bodies else None


def parse_int(text: str) -> int | None:
    """The integer ``text`` holds (surrounding spaces allowed), else ``None``.

    Only plain decimal integers of at most 18 digits parse, so ``"1e999"`` or a 10 000-digit
    number cannot slow anything down.
    """
    text = text.strip()
    if _INT.fullmatch(text) and len(text.lstrip("+-")) <= 18:
        return int(text)
    return None


def parse_ints(text: str, sep: str | None = None) -> list[int] | None:
    """A list of integers separated by whitespace (or ``sep``), else ``None`` if any part fails."""
    parts = text.replace(",", " ").split() if sep is None else text.split(sep)
    values = [parse_int(part) for part in parts]
    if not values or any(v is None for v in values):
        return None
    return values  # type: ignore[return-value]
