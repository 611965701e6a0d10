"""A scripted tool-calling policy wins every game its text twin wins, with the same rewards.

The text policy plays ``\\boxed{...}`` moves (an oracle that reads the episode's hidden state
where one exists, the env's own random moves elsewhere); the tool-calling policy makes the same
decisions as function calls built from the game's JSON schemas alone, the way a chat client does.
Both play the same seed side by side.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

import pytest

import gem_gymnasium
from gem_gymnasium.actions import tools_for
from gem_gymnasium.parsing import last_boxed

GAME_IDS = sorted(i for i, info in gem_gymnasium.catalogue().items() if info.group == "game")


def _hanoi_moves(n: int, source: str = "A", target: str = "C", spare: str = "B") -> list[str]:
    if n == 0:
        return []
    return [
        *_hanoi_moves(n - 1, source, spare, target),
        f"{source} {target}",
        *_hanoi_moves(n - 1, spare, target, source),
    ]


def _sudoku(env: Any) -> str:
    cell = env.board.index(0)
    return f"{cell // env.size + 1} {cell % env.size + 1} {env.solution[cell]}"


def _crosswords(env: Any) -> str:
    for r, row in enumerate(env.solution):
        for c, letter in enumerate(row):
            if letter is not None and env.board[r][c] != letter:
                return f"{r} {c} {letter}"
    raise AssertionError("nothing left to fill")


def _word_search(env: Any) -> str:
    for word, (row, col, direction) in env.placements.items():
        if word not in env.found and word not in env.found.values():
            end = (
                (row, col + len(word) - 1) if direction == "across" else (row + len(word) - 1, col)
            )
            return f"{row} {col} {end[0]} {end[1]}"
    raise AssertionError("every word is found")


def _minesweeper(env: Any) -> str:
    if env.mines is None:
        return f"reveal {env.rows // 2} {env.cols // 2}"
    hidden = [
        (env.counts[r][c] != 0, r, c)  # zeros first: they flood-fill their neighbours
        for r in range(env.rows)
        for c in range(env.cols)
        if not env.mines[r][c] and not env.revealed[r][c]
    ]
    _, r, c = min(hidden)
    return f"reveal {r} {c}"


class _Hanoi:
    def __init__(self) -> None:
        self.moves: list[str] = []

    def __call__(self, env: Any) -> str:
        if env.turn == 0:
            self.moves = _hanoi_moves(env.num_disks)
        return self.moves[env.turn]


# Move text for the current state, from the hidden state; games without one play at random.
ORACLES: dict[str, Callable[[], Callable[[Any], str]]] = {
    "GuessTheNumber": lambda: lambda env: str(env.secret),
    "Mastermind": lambda: lambda env: " ".join(map(str, env.secret)),
    "Wordle": lambda: lambda env: env.secret,
    "Hangman": lambda: lambda env: env.secret,
    "Sudoku": lambda: _sudoku,
    "Crosswords": lambda: _crosswords,
    "WordSearch": lambda: _word_search,
    "Minesweeper": lambda: _minesweeper,
    "TowerOfHanoi": _Hanoi,
}


def _fill(function: dict[str, Any], words: list[str]) -> dict[str, Any] | None:
    rest = words[1:] if words and words[0] == function["name"] else list(words)
    properties = function["parameters"]["properties"]
    arguments: dict[str, Any] = {}
    for index, (name, spec) in enumerate(properties.items()):
        if spec["type"] == "array":
            arguments[name], rest = [int(w) for w in rest], []
        elif spec["type"] == "integer":
            arguments[name] = int(rest.pop(0))
        elif index == len(properties) - 1:
            arguments[name], rest = " ".join(rest), []
        else:
            arguments[name] = rest.pop(0)
        if "enum" in spec and arguments[name] not in spec["enum"]:
            return None
    return None if rest else arguments


def as_tool_call(move: str, schemas: list[dict[str, Any]]) -> str:
    """The move as a Hermes tool call, built from the OpenAI schemas only.

    Each schema's arguments are filled, in order, from the words of the move after the tool's
    name (when the move starts with it): integers for ``integer``, a list for ``array``, the
    rest of the text for the last ``string``.
    """
    words = move.split()
    for schema in schemas:
        function = schema["function"]
        if not function["parameters"]["properties"] and words != [function["name"]]:
            continue
        try:
            arguments = _fill(function, words)
        except (ValueError, IndexError):
            continue  # the move's words do not fit this tool
        if arguments is not None:
            call = {"name": function["name"], "arguments": arguments}
            return f"<tool_call>\n{json.dumps(call)}\n</tool_call>"
    raise AssertionError(f"no tool fits {move!r}")


def play_side_by_side(env_id: str, seed: int) -> bool:
    """One episode in text and with tool calls from the same seed; whether the text one won."""
    text_env = gem_gymnasium.make(env_id)
    tool_env = gem_gymnasium.make(env_id, answer_format="tool_call")
    schemas = tools_for(env_id)
    assert schemas == tool_env.unwrapped.tool_schemas()
    family = env_id.split("/")[1].split("-")[0]
    oracle = ORACLES[family]() if family in ORACLES else None
    text_env.reset(seed=seed)
    tool_env.reset(seed=seed)
    text_env.unwrapped.action_space.seed(seed)
    while True:
        if oracle is None:
            move = last_boxed(text_env.unwrapped.sample_random_action())
        else:
            move = oracle(text_env.unwrapped)
        text = text_env.step(f"I will play \\boxed{{{move}}}")
        tool = tool_env.step(as_tool_call(move, schemas))
        assert tool[1:4] == text[1:4], f"{move!r}: {tool[0]!r} vs {text[0]!r}"
        assert tool[4] == text[4]
        if text[2] or text[3]:
            assert tool[4]["success"] == text[4]["success"]
            return bool(text[4]["success"])


@pytest.mark.parametrize("env_id", GAME_IDS)
def test_tool_calls_play_like_text(env_id: str) -> None:
    wins = [play_side_by_side(env_id, seed) for seed in range(4)]
    family = env_id.split("/")[1].split("-")[0]
    if family in ORACLES:  # a scripted policy that wins in text wins with tool calls too
        assert any(wins), f"the scripted policy never won {env_id}"


MULTIAGENT_IDS = sorted(
    i for i, info in gem_gymnasium.catalogue().items() if info.group == "multiagent"
)


@pytest.mark.parametrize("env_id", MULTIAGENT_IDS)
def test_one_seat_games_play_like_text_with_tool_calls(env_id: str) -> None:
    """The game's own scripted strategy, in text and as tool calls, against the same opponent."""
    results = []
    for seed in range(3):
        text_env = gem_gymnasium.make(env_id)
        tool_env = gem_gymnasium.make(env_id, answer_format="tool_call")
        schemas = tools_for(env_id)
        text_env.reset(seed=seed)
        tool_env.reset(seed=seed)
        while True:
            core = text_env.unwrapped
            move = last_boxed(core.game.unwrapped.scripted_move(core.seat))
            text = text_env.step(f"\\boxed{{{move}}}")
            tool = tool_env.step(as_tool_call(move, schemas))
            assert tool[1:4] == text[1:4]
            assert tool[4]["format_error"] is False and text[4]["format_error"] is False
            if text[2] or text[3]:
                results.append((text[4]["success"], tool[4]["success"]))
                break
    assert all(a == b for a, b in results)
