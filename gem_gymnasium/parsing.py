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

__all__ = [
    "last_boxed",
    "last_code_block",
    "last_delimited",
    "last_tagged",
    "parse_int",
    "parse_ints",
]

_BOXED = "\\boxed{"
_BOXED_OR_BRACE = re.compile(r"\\boxed\{|[{}]")
_BRACE = re.compile(r"[{}]")
_CODE_BLOCK = re.compile(r"```[ \t]*([A-Za-z0-9_+.-]*)[^\n]*\n(.*?)```", re.DOTALL)


def last_boxed(text: str) -> str | None:
    r"""Content of the last complete ``\boxed{...}`` in ``text``, or ``None``.

    Braces nest, so ``\boxed{\frac{1}{2}}`` gives ``\frac{1}{2}``. "Last" means the complete box
    that opens last: an unclosed ``\boxed{`` is ignored (``\boxed{3} \boxed{`` gives ``3``) and
    nested boxes give the inner one (``\boxed{\boxed{5}}`` gives ``5``).
    """
    # partition() does the search and the slicing in C: the common case costs three calls.
    head, found, tail = text.rpartition(_BOXED)
    if not found:
        return None
    content, closed, _ = tail.partition("}")
    if closed and "{" not in content:  # the common case: no braces inside
        return content.strip()
    start = len(head) + len(_BOXED)
    end = _closing_brace(text, start)
    if end >= 0:
        return text[start:end].strip()
    return _last_complete_box(text)  # the last box is unclosed: one linear pass over all


def _closing_brace(text: str, start: int) -> int:
    """Index of the brace closing the one opened just before ``start``, or -1."""
    depth = 1
    for match in _BRACE.finditer(text, start):
        depth += 1 if match.group() == "{" else -1
        if depth == 0:
            return match.start()
    return -1


def _last_complete_box(text: str) -> str | None:
    open_stack: list[int] = []  # content start for a box, -1 for a plain brace
    last = (-1, -1)
    for match in _BOXED_OR_BRACE.finditer(text):
        token = match.group()
        if token == "}":
            if open_stack:
                start = open_stack.pop()
                if start > last[0]:
                    last = (start, match.start())
        else:
            open_stack.append(match.end() if token != "{" else -1)
    return None if last[0] < 0 else text[last[0] : last[1]].strip()


def last_tagged(text: str, tag: str) -> str | None:
    """Content of the last complete ``<tag>...</tag>`` in ``text``, or ``None``."""
    return last_delimited(text, f"<{tag}>", f"</{tag}>")


def last_delimited(text: str, opening: str, closing: str) -> str | None:
    """Content between the last ``closing`` and the last ``opening`` before it, or ``None``.

    >>> last_delimited("[[a]] then [[ b ]]", "[[", "]]")
    'b'
    """
    end = text.rfind(closing)
    if end < 0:
        return None
    start = text.rfind(opening, 0, end)
    if start < 0:
        return None
    return text[start + len(opening) : end].strip()


def last_code_block(
    text: str, languages: tuple[str, ...] = ("", "python", "py", "python3")
) -> str | None:
    """Body of the last fenced code block whose language tag is one of ``languages``."""
    bodies = [m.group(2) for m in _CODE_BLOCK.finditer(text) if m.group(1).lower() in languages]
    return bodies[-1] if bodies else None


def parse_int(text: str) -> int | None:
    """The integer ``text`` holds (surrounding spaces allowed), else ``None``.

    Anything ``int()`` reads as a decimal integer parses; strings longer than 24 characters never
    do, so a 10 000-digit number cannot slow anything down.
    """
    if len(text) > 24:
        return None
    try:
        return int(text)
    except ValueError:
        return None


def parse_ints(text: str, sep: str | None = None) -> list[int] | None:
    """A list of integers separated by whitespace (or ``sep``), else ``None`` if any part fails."""
    parts = text.replace(",", " ").split() if sep is None else text.split(sep)
    values = [parse_int(part) for part in parts]
    if not values or any(v is None for v in values):
        return None
    return values  # type: ignore[return-value]
