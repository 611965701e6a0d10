r"""How the agent's action is read: answer formats, move tools (JSON-schema) and tool calls.

Every env reads one *move text* per turn (``"reveal 3 2"``, ``"17"``, a program) and parses it
with its own rules. The answer format says where that text sits in the agent's reply:

=======================  ===========================================================================
``"boxed"``              the last ``\boxed{...}`` (games, math, reasoning tasks: the default)
``"answer_tags"``        the last ``<answer>...</answer>`` (QA's default)
``"code_block"``         the last fenced code block (Code's default)
``"tool_call"``          a function call against the env's move tools: a Hermes/Qwen
                         ``<tool_call>{"name": ..., "arguments": {...}}</tool_call>`` block, an
                         OpenAI-style assistant message with ``tool_calls`` (a dict or its JSON)
``(opening, closing)``   custom delimiters: the text between the last ``closing`` and the last
                         ``opening`` before it
=======================  ===========================================================================

Each env declares its moves as :class:`MoveTool`\ s: an OpenAI function schema plus the move text
a call stands for (``reveal(row=3, col=2)`` is ``"reveal 3 2"``), so a tool call is parsed by the
same rules as the boxed text, and :func:`tools_for` gives the schemas without an env instance.

>>> guess = MoveTool("guess", "Guess the secret.", (Param("number", "integer", "Your guess."),))
>>> calls = parse_tool_calls('<tool_call>{"name": "guess", "arguments": {"number": 7}}</tool_call>')
>>> move_text(calls[0], (guess,))
'7'
>>> AnswerFormat.of("answer_tags").extract("so <answer>7</answer>")
'7'
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from gem_gymnasium.parsing import last_boxed, last_code_block, last_delimited

__all__ = [
    "ANSWER_FORMATS",
    "DIRECTION_CHOICES",
    "AnswerFormat",
    "MoveTool",
    "Param",
    "ToolCall",
    "ToolCallError",
    "move_text",
    "parse_tool_calls",
    "require_schema_validator",
    "tool_schemas",
    "tools_for",
]

#: The named answer formats (custom delimiters are a pair of strings instead).
ANSWER_FORMATS = ("boxed", "answer_tags", "code_block", "tool_call")
_ALIASES = {"tag": "answer_tags"}  # QAEnv's name before every family took the option

#: The choices of a direction argument (sliding and walking games).
DIRECTION_CHOICES = ("up", "down", "left", "right")

_TOOL_OPEN, _TOOL_CLOSE = "<tool_call>", "</tool_call>"
_TEMPLATE_FIELD = re.compile(r"\{(\w+)\}")
_PARAM_KINDS = ("integer", "string", "integers", "choice")
# How each kind of argument shows in a move text; loose on purpose (the examples in the rules use
# placeholders such as ROW), the typed check comes after.
_PIECE = {
    "integer": r"(\S+)",
    "choice": r"(\S+)",
    "string": r"(.+)",
    "integers": r"(\S+(?:[\s,]+\S+)*)",
}


# --- move tools -------------------------------------------------------------------------------


@dataclass(frozen=True)
class Param:
    """One argument of a move tool.

    Attributes:
        name: The argument's name in the schema and in the move template.
        kind: ``"integer"``, ``"string"``, ``"integers"`` (a list of integers, written separated
            by spaces in the move text) or ``"choice"`` (one string of ``choices``).
        description: What the argument means, for the model.
        choices: The allowed strings of a ``"choice"``.
    """

    name: str
    kind: str
    description: str
    choices: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in _PARAM_KINDS:
            raise ValueError(f"Param {self.name}: kind must be one of {_PARAM_KINDS}")
        if (self.kind == "choice") != bool(self.choices):
            raise ValueError(f"Param {self.name}: choices go with kind 'choice' and only with it")

    def schema(self) -> dict[str, Any]:
        kinds: dict[str, dict[str, Any]] = {
            "integer": {"type": "integer"},
            "string": {"type": "string"},
            "integers": {"type": "array", "items": {"type": "integer"}, "minItems": 1},
            "choice": {"type": "string", "enum": list(self.choices)},
        }
        return {**kinds[self.kind], "description": self.description}

    def as_text(self, value: Any) -> str:
        """The argument as it appears in the move text."""
        if self.kind == "integers":
            return " ".join(str(int(v)) for v in value)
        if self.kind == "integer":
            return str(int(value))  # the schema lets 3.0 through as an integer
        return str(value)

    def from_text(self, text: str) -> Any:
        """The typed argument a piece of move text stands for (``None`` if it cannot)."""
        if self.kind == "integer":
            return int(text) if re.fullmatch(r"-?\d{1,18}", text) else None
        if self.kind == "integers":
            parts = text.replace(",", " ").split()
            if not parts or not all(re.fullmatch(r"-?\d{1,18}", p) for p in parts):
                return None
            return [int(p) for p in parts]
        if self.kind == "choice":
            folded = {c.lower(): c for c in self.choices}
            return folded.get(text.lower())
        return text


@dataclass(frozen=True)
class MoveTool:
    """One kind of move as a function tool.

    Attributes:
        name: The function name (``"reveal"``).
        description: What the move does, for the model.
        params: The arguments, in the order the template uses them.
        template: The move text a call stands for, ``{name}`` per argument
            (``"reveal {row} {col}"``); by default the arguments separated by spaces.
    """

    name: str
    description: str
    params: tuple[Param, ...] = ()
    template: str = ""
    _pattern: re.Pattern[str] = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not self.template:
            if not self.params:
                raise ValueError(f"MoveTool {self.name}: a tool without arguments needs a template")
            object.__setattr__(self, "template", " ".join(f"{{{p.name}}}" for p in self.params))
        pieces = []
        for text in re.split(r"(\{\w+\})", self.template):
            if text.startswith("{") and text.endswith("}"):
                pieces.append(_PIECE[self._param(text[1:-1]).kind])
            else:
                pieces.append(r"\s+".join(map(re.escape, text.split(" "))))
        pattern = re.compile("".join(pieces), re.DOTALL | re.IGNORECASE)
        object.__setattr__(self, "_pattern", pattern)

    def _param(self, name: str) -> Param:
        for param in self.params:
            if param.name == name:
                return param
        raise ValueError(f"MoveTool {self.name}: the template names an unknown argument {name!r}")

    def schema(self) -> dict[str, Any]:
        """The tool in OpenAI's function-calling format."""
        return {
            "type": "function",
            "function": {
                "name": self.name,
                "description": self.description,
                "parameters": {
                    "type": "object",
                    "properties": {p.name: p.schema() for p in self.params},
                    "required": [p.name for p in self.params],
                    "additionalProperties": False,
                },
            },
        }

    def signature(self) -> str:
        """``reveal(row, col)``, for prompts."""
        return f"{self.name}({', '.join(p.name for p in self.params)})"

    def move_text(self, arguments: Mapping[str, Any]) -> str:
        """The move text of a call whose arguments already passed the schema.

        Raises:
            ToolCallError: A number no move text can hold (10**5000, an integral 1e308).
        """
        try:
            values = {p.name: p.as_text(arguments[p.name]) for p in self.params}
        except (ValueError, OverflowError) as error:  # int -> str has a digit limit
            raise ToolCallError(f"an argument of {self.signature()} is too large") from error
        # One pass, so a value that contains "{name}" is never substituted again.
        return _TEMPLATE_FIELD.sub(lambda m: values[m.group(1)], self.template)

    def split(self, content: str) -> list[str] | None:
        """The pieces of a move text that fill the template's arguments, or ``None``."""
        match = self._pattern.fullmatch(content.strip())
        return None if match is None else [g.strip() for g in match.groups()]

    def arguments_of(self, content: str) -> dict[str, Any] | None:
        """The typed arguments of a call standing for the move text ``content``, or ``None``."""
        pieces = self.split(content)
        if pieces is None or len(pieces) != len(self.params):
            return None
        values = [p.from_text(piece) for p, piece in zip(self.params, pieces, strict=True)]
        if any(v is None for v in values):
            return None
        return dict(zip((p.name for p in self.params), values, strict=True))


def tool_schemas(tools: Sequence[MoveTool]) -> list[dict[str, Any]]:
    """The OpenAI-format schemas of ``tools`` (what a chat template takes as ``tools=``)."""
    return [tool.schema() for tool in tools]


def tools_for(env_id: str, **kwargs: Any) -> list[dict[str, Any]]:
    """The move tools of a registered id, as OpenAI-format schemas, without making the env.

    ``kwargs`` are the ``make`` keywords that change the moves (``game=`` for the multi-agent
    ids). Only the env's class is imported, not its data.
    """
    import gymnasium as gym

    from gem_gymnasium.registration import resolve_id

    spec = gym.spec(resolve_id(env_id))
    entry_point = spec.entry_point
    if not isinstance(entry_point, str):
        env_class = entry_point
    else:
        module, _, name = entry_point.partition(":")
        env_class = getattr(__import__(module, fromlist=[name]), name)
    declared = getattr(env_class, "declared_tools", None)
    if declared is None:
        raise TypeError(f"{env_id}: {env_class.__name__} declares no move tools")
    return tool_schemas(declared(**{**spec.kwargs, **kwargs}))


# --- tool calls ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ToolCall:
    """A function call the agent made: the tool's name and its (unchecked) arguments."""

    name: str
    arguments: Any


class ToolCallError(ValueError):
    """A tool call that cannot be used; the message says exactly what is wrong."""


def parse_tool_calls(action: str | Mapping[str, Any]) -> list[ToolCall]:
    """Every tool call in an action, in order.

    ``action`` is text holding ``<tool_call>{json}</tool_call>`` blocks, or an OpenAI-style
    assistant message (a dict with ``tool_calls``, or its JSON), or a bare call
    (``{"name": ..., "arguments": ...}``) or a list of them.

    Raises:
        ToolCallError: No call, bad JSON, or a call without a name.
    """
    if isinstance(action, Mapping):
        return _calls_from_json(action)
    stripped = action.strip()
    if stripped[:1] in ("{", "["):
        try:
            return _calls_from_json(_loads(stripped, "the action"))
        except ToolCallError:
            if _TOOL_OPEN not in stripped:
                raise
    calls = [
        _calls_from_json(_loads(block, "the <tool_call> block"), single=True)[0]
        for block in _tool_call_blocks(action)
    ]
    if not calls:
        raise ToolCallError(
            'no tool call found: write a <tool_call>{"name": ..., "arguments": {...}}'
            "</tool_call> block (or send an assistant message with tool_calls)"
        )
    return calls


def _tool_call_blocks(text: str) -> list[str]:
    """The contents of complete ``<tool_call>...</tool_call>`` blocks (linear time)."""
    blocks, position = [], 0
    while True:
        end = text.find(_TOOL_CLOSE, position)
        if end < 0:
            return blocks
        start = text.rfind(_TOOL_OPEN, position, end)
        if start >= 0:
            blocks.append(text[start + len(_TOOL_OPEN) : end])
        position = end + len(_TOOL_CLOSE)


def _loads(text: str, what: str) -> Any:
    try:
        return json.loads(text)
    except (ValueError, RecursionError) as error:  # JSONDecodeError, huge ints, deep nesting
        detail = str(error)[:120] if isinstance(error, ValueError) else "nested too deeply"
        raise ToolCallError(f"{what} is not valid JSON ({detail})") from None


def _calls_from_json(value: Any, *, single: bool = False) -> list[ToolCall]:
    if isinstance(value, Mapping) and "tool_calls" in value and not single:
        value = value["tool_calls"]
        if not isinstance(value, list) or not value:
            raise ToolCallError("tool_calls must be a non-empty list of calls")
    if isinstance(value, list) and not single:
        if not value:
            raise ToolCallError("the list of tool calls is empty")
        return [_one_call(item) for item in value]
    return [_one_call(value)]


def _one_call(value: Any) -> ToolCall:
    if not isinstance(value, Mapping):
        raise ToolCallError(f"a tool call must be a JSON object, got {type(value).__name__}")
    if isinstance(value.get("function"), Mapping):  # OpenAI: {"type": "function", "function": ...}
        value = value["function"]
    name = value.get("name")
    if not isinstance(name, str) or not name:
        raise ToolCallError('a tool call needs a "name" (a string)')
    arguments = value.get("arguments", value.get("parameters", {}))
    if isinstance(arguments, str):  # OpenAI sends the arguments as a JSON string
        arguments = _loads(arguments, f"the arguments of {name!r}") if arguments.strip() else {}
    return ToolCall(name, arguments)


def move_text(call: ToolCall, tools: Sequence[MoveTool]) -> str:
    """The move text ``call`` stands for.

    Raises:
        ToolCallError: An unknown tool, or arguments that do not fit its schema (missing,
            mistyped, unexpected), with the schema validator's message.
    """
    tool = next((t for t in tools if t.name == call.name), None)
    if tool is None:
        known = ", ".join(t.signature() for t in tools)
        raise ToolCallError(f"unknown tool {call.name[:60]!r}; the tools are {known}")
    _check_arguments(tool, call.arguments)
    return tool.move_text(call.arguments)


def require_schema_validator() -> None:
    """Raise ``DependencyNotInstalled`` unless ``jsonschema`` (which checks the arguments) is there."""
    import importlib.util

    if importlib.util.find_spec("jsonschema") is None:
        from gymnasium.error import DependencyNotInstalled

        raise DependencyNotInstalled(
            "answer_format='tool_call' checks the calls' arguments with jsonschema: "
            "pip install 'gem-gymnasium[tools]'"
        )


def _check_arguments(tool: MoveTool, arguments: Any) -> None:
    import jsonschema  # only tool-call envs pay for the import

    validator = _validator(tool)
    try:
        error = jsonschema.exceptions.best_match(validator.iter_errors(arguments))
    except ValueError as overflow:  # the validator's message reprs an int past the digit limit
        raise ToolCallError(f"an argument of {tool.signature()} is too large") from overflow
    if error is not None:
        where = "".join(f"[{p!r}]" for p in error.absolute_path)
        raise ToolCallError(
            f"bad arguments for {tool.signature()}: {where + ' ' if where else ''}"
            f"{error.message[:200]}"
        )


@functools.lru_cache(maxsize=512)
def _validator(tool: MoveTool) -> Any:
    import jsonschema

    schema = tool.schema()["function"]["parameters"]
    return jsonschema.Draft202012Validator(schema)


# --- answer formats ------------------------------------------------------------------------------


_EXAMPLE_BOX = re.compile(r"\\boxed\{((?:[^{}]|\{[^{}]*\})*)\}")


@dataclass(frozen=True)
class AnswerFormat:
    """Where the move text sits in the agent's reply; see the module docstring.

    Build one with :meth:`of`. ``opening``/``closing`` are set for custom delimiters only.
    """

    kind: str
    opening: str = ""
    closing: str = ""

    @classmethod
    def of(cls, spec: str | Sequence[str] | AnswerFormat) -> AnswerFormat:
        """The format named by ``spec``: a name of :data:`ANSWER_FORMATS` or a delimiter pair.

        Raises:
            ValueError: An unknown name, or delimiters that are not two non-empty strings.
        """
        if isinstance(spec, AnswerFormat):
            return spec
        if isinstance(spec, str):
            name = _ALIASES.get(spec, spec)
            if name not in ANSWER_FORMATS:
                raise ValueError(
                    f"answer_format must be one of {ANSWER_FORMATS} or a pair of delimiter "
                    f"strings such as ('<move>', '</move>'), got {spec!r}"
                )
            return cls(name)
        pair = tuple(spec) if isinstance(spec, Sequence) else ()
        if len(pair) != 2 or not all(isinstance(s, str) and s.strip() for s in pair):
            raise ValueError(
                f"custom answer_format delimiters must be two non-empty strings, got {spec!r}"
            )
        return cls("delimiters", pair[0], pair[1])

    @property
    def spec(self) -> str | tuple[str, str]:
        """What :meth:`of` takes to build this format again."""
        return (self.opening, self.closing) if self.kind == "delimiters" else self.kind

    def extract(self, text: str) -> str | None:
        """The move text in ``text`` (not for ``tool_call``, which needs the env's tools)."""
        if self.kind == "boxed":
            return last_boxed(text)
        if self.kind == "answer_tags":
            return last_delimited(text, "<answer>", "</answer>")
        if self.kind == "code_block":
            return last_code_block(text)
        if self.kind == "delimiters":
            return last_delimited(text, self.opening, self.closing)
        raise TypeError("tool_call answers are read with the env's tools, not extract()")

    def render(self, content: str, tools: Sequence[MoveTool] = ()) -> str:
        """A reply in this format whose move text is ``content``."""
        if self.kind == "boxed":
            return f"\\boxed{{{content}}}"
        if self.kind == "answer_tags":
            return f"<answer>{content}</answer>"
        if self.kind == "code_block":
            return f"```\n{content}\n```"
        if self.kind == "delimiters":
            return f"{self.opening}{content}{self.closing}"
        for tool in tools:
            arguments = tool.arguments_of(content)
            if arguments is not None:
                call = json.dumps({"name": tool.name, "arguments": arguments})
                return f"{_TOOL_OPEN}\n{call}\n{_TOOL_CLOSE}"
        raise ValueError(f"no tool stands for the move {content[:80]!r}")

    def rewrite_examples(self, text: str, tools: Sequence[MoveTool] = ()) -> str:
        r"""``text`` (rules, prompts, feedback written for ``\boxed{}``) in this format."""
        if self.kind == "boxed" or "\\boxed{" not in text:
            return text
        if self.kind == "code_block":  # a fence cannot sit inside a sentence
            return _EXAMPLE_BOX.sub(lambda m: f"a ``` block holding {m.group(1) or '...'}", text)
        if self.kind != "tool_call":
            return _EXAMPLE_BOX.sub(lambda m: self.render(m.group(1)), text)
        return _EXAMPLE_BOX.sub(lambda m: _call_example(m.group(1), tools), text)

    def describe(self, tools: Sequence[MoveTool] = ()) -> str:
        """One sentence for the rules: how to give the answer in this format."""
        if self.kind == "tool_call":
            listed = ", ".join(t.signature() for t in tools)
            return f"Act by calling one tool per turn: {listed}."
        return f"Give your move as {self.render('...')}."


def _call_example(content: str, tools: Sequence[MoveTool]) -> str:
    """An example like ``\\boxed{reveal ROW COL}`` as ``reveal(row=ROW, col=COL)``."""
    for tool in tools:
        pieces = tool.split(content)
        if pieces is None or len(pieces) != len(tool.params):
            continue
        shown = []
        for param, piece in zip(tool.params, pieces, strict=True):
            if param.kind == "integers":
                piece = "[" + ", ".join(piece.replace(",", " ").split()) + "]"
            elif param.kind != "integer":
                piece = json.dumps(piece)
            shown.append(f"{param.name}={piece}")
        return f"{tool.name}({', '.join(shown)})"
    if len(tools) == 1:
        return f"{tools[0].name}(...)"
    return "a tool call"
