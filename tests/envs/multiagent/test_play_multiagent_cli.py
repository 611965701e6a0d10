"""``gem-gym play-ma``: a person plays a seat (stdin scripted here)."""

from __future__ import annotations

import io

import pytest

pytest.importorskip("pettingzoo")

from gem_gymnasium.cli import main


def run_cli(monkeypatch: pytest.MonkeyPatch, lines: str, *argv: str) -> int:
    monkeypatch.setattr("sys.stdin", io.StringIO(lines))
    return main(["play-ma", *argv])


def test_play_a_seat_against_the_scripted_opponent(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    moves = ":legal\n" + "\n".join([":random"] * 9) + "\n"
    assert run_cli(monkeypatch, moves, "TicTacToe", "--seat", "1", "--opponent", "scripted") == 0
    out = capsys.readouterr().out
    assert "player_1 with mark O" in out and "Legal moves: \\boxed{" in out
    assert "Episode 1 finished" in out


def test_hot_seat_kuhn_poker_shows_each_seat_its_own_view(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert (
        run_cli(
            monkeypatch,
            "\\boxed{bet}\n\\boxed{call}\n",
            "KuhnPoker",
            "--opponent",
            "human",
            "--seed",
            "0",
        )
        == 0
    )
    out = capsys.readouterr().out
    assert "=== player_0 ===" in out and "=== player_1 ===" in out
    assert "Showdown" in out and "Episode 1 finished: player_0" in out


def test_quit_and_bad_arguments(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run_cli(monkeypatch, ":quit\n", "PrisonersDilemma") == 0
    assert "(stopped)" in capsys.readouterr().out
    assert run_cli(monkeypatch, "", "Chess") == 2
    assert run_cli(monkeypatch, "", "TicTacToe", "--seat", "5") == 2
    assert "seat" in capsys.readouterr().err
