"""The pure rule functions of the multi-agent games, tested without any environment."""

from __future__ import annotations

import pytest

pytest.importorskip("pettingzoo")

from gem_gymnasium.envs.multiagent.grid_rules import (
    drop_row,
    empty_board,
    is_full,
    open_columns,
    winner,
    winning_cells,
)
from gem_gymnasium.envs.multiagent.kuhn_poker import hand_result, legal_words
from gem_gymnasium.envs.multiagent.negotiation import valuations, worth
from gem_gymnasium.envs.multiagent.prisoners_dilemma import parse_choice


def board(*rows: str) -> list[list[str]]:
    return [list(row) for row in rows]


@pytest.mark.parametrize(
    ("rows", "k", "expected"),
    [
        (("XXX", "OO.", "..."), 3, "X"),
        (("XO.", "XO.", ".O."), 3, "O"),
        (("X.O", ".XO", "..X"), 3, "X"),
        (("..O", ".O.", "OXX"), 3, "O"),
        (("XOX", "XOO", "OXX"), 3, None),
        (("....", "XXX.", "OOO."), 4, None),
    ],
)
def test_winner(rows: tuple[str, ...], k: int, expected: str | None) -> None:
    assert winner(board(*rows), k) == expected


def test_winning_cells_and_full() -> None:
    b = board("XX.", "OO.", "...")
    assert winning_cells(b, "X", 3) == [(0, 2)]
    assert winning_cells(b, "O", 3) == [(1, 2)]
    assert b == board("XX.", "OO.", "...")  # left unchanged
    assert not is_full(b)
    assert is_full(board("XOX", "XOO", "OXX"))


def test_gravity() -> None:
    b = empty_board(4, 4)
    assert drop_row(b, 2) == 3
    b[3][2] = "X"
    assert drop_row(b, 2) == 2
    for r in range(4):
        b[r][0] = "O"
    assert drop_row(b, 0) is None
    assert open_columns(b) == [1, 2, 3]


def test_kuhn_betting_rounds() -> None:
    assert legal_words([]) == ["check", "bet"]
    assert legal_words(["check"]) == ["check", "bet"]
    assert legal_words(["bet"]) == ["call", "fold"]
    assert legal_words(["check", "bet"]) == ["call", "fold"]
    assert legal_words(["bet", "call"]) == []
    cards = {"player_0": "Q", "player_1": "K"}
    assert hand_result(["check"], cards) is None
    assert hand_result(["check", "check"], cards) == ("player_1", 1, "showdown")
    assert hand_result(["bet", "call"], cards) == ("player_1", 2, "showdown")
    assert hand_result(["bet", "fold"], cards) == ("player_0", 1, "fold")
    assert hand_result(["check", "bet", "fold"], cards) == ("player_1", 1, "fold")
    assert hand_result(["check", "bet", "call"], cards) == ("player_1", 2, "showdown")


def test_negotiation_valuations() -> None:
    found = valuations((1, 2, 3), 10)
    assert found and all(worth((1, 2, 3), v) == 10 for v in found)
    assert (10, 0, 0) in found and (1, 0, 3) in found
    assert valuations((3, 3, 3), 10) == []


@pytest.mark.parametrize(
    ("text", "move"),
    [("C", "C"), (" d ", "D"), ("Cooperate", "C"), ("DEFECT", "D"), ("maybe", None), ("", None)],
)
def test_parse_choice(text: str, move: str | None) -> None:
    assert parse_choice(text) == move
