"""Crosswords: clue data, layouts whose every run is an answer, moves, a solver, rewards."""

from __future__ import annotations

import re

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import gem_gymnasium  # noqa: F401  (registers the ids)
from gem_gymnasium.envs.games.crosswords import (
    BLOCK,
    EMPTY,
    RANDOM_CHOICES,
    Crosswords,
    Slot,
    clue_pool,
    generate_crossword,
    parse_placement,
    solution_grid,
)

IDS = [
    "gem/Crosswords-v0",
    "gem/Crosswords-Easy-v0",
    "gem/Crosswords-Hard-v0",
    "gem/Crosswords-Random-v0",
]


# --- clue data -----------------------------------------------------------------------------------


NUMBER_OF_LETTERS = r"\b(one|two|three|four|five|six|seven|eight|nine|ten)[- ]letters?\b"


@pytest.mark.parametrize("hard", [False, True])
def test_clue_data(hard):
    pool = clue_pool(hard)
    assert len(pool) >= (300 if not hard else 150)
    assert len({clue for _, clue in pool}) == len(pool)  # a clue names one answer
    for answer, clue in pool:
        assert answer.isascii() and answer.isalpha() and answer.isupper()
        assert 3 <= len(answer) <= 9
        assert clue and clue == clue.strip()
        # Clues never state a length (the game adds the true one) nor give the answer away.
        assert not re.search(r"\d", clue), (answer, clue)
        assert not re.search(NUMBER_OF_LETTERS, clue, re.IGNORECASE), (answer, clue)
        assert not re.search(rf"\b{answer}\b", clue, re.IGNORECASE), (answer, clue)


def test_hard_words_are_a_separate_pool():
    normal = {a for a, _ in clue_pool(False)}
    hard = {a for a, _ in clue_pool(True)}
    assert not normal & hard


# --- layout --------------------------------------------------------------------------------------


def runs(grid: list[list[str | None]]) -> set[tuple[int, int, str, str]]:
    """Every maximal run of two or more letters: (row, col, direction, text)."""
    found = set()
    for direction, lines in (
        ("across", grid),
        ("down", [list(col) for col in zip(*grid, strict=True)]),
    ):
        for i, line in enumerate(lines):
            j = 0
            while j < len(line):
                if line[j] is None:
                    j += 1
                    continue
                start = j
                while j < len(line) and line[j] is not None:
                    j += 1
                if j - start >= 2:
                    text = "".join(line[start:j])
                    found.add(
                        (i, start, direction, text)
                        if direction == "across"
                        else (start, i, direction, text)
                    )
    return found


def connected(slots: list[Slot]) -> bool:
    cells = [set(s.cells()) for s in slots]
    seen, todo = {0}, [0]
    while todo:
        i = todo.pop()
        for j in range(len(slots)):
            if j not in seen and cells[i] & cells[j]:
                seen.add(j)
                todo.append(j)
    return len(seen) == len(slots)


@given(seed=st.integers(0, 2**32 - 1), num_words=st.integers(1, 8), hard=st.booleans())
def test_every_run_of_letters_is_exactly_one_answer(seed, num_words, hard):
    slots = generate_crossword(clue_pool(hard), num_words, np.random.default_rng(seed))
    assert len(slots) == num_words == len({s.answer for s in slots})
    grid = solution_grid(slots)
    assert runs(grid) == {(s.row, s.col, s.direction, s.answer) for s in slots}
    assert connected(slots)
    assert min(min(r for r, _ in s.cells()) for s in slots) == 0
    assert min(min(c for _, c in s.cells()) for s in slots) == 0


def test_generation_is_deterministic():
    pool = clue_pool(False)
    first = generate_crossword(pool, 5, np.random.default_rng(7))
    assert first == generate_crossword(pool, 5, np.random.default_rng(7))


# --- prompt --------------------------------------------------------------------------------------

CLUE_LINE = re.compile(
    r"^\d+\. (Across|Down), starting at row (\d+), column (\d+), (\d+) letters: (.+)$", re.M
)


@pytest.mark.parametrize("env_id", IDS)
def test_every_stated_length_and_start_matches_the_grid(env_id):
    env = gym.make(env_id).unwrapped
    for seed in range(25):
        obs, _ = env.reset(seed=seed)
        lines = CLUE_LINE.findall(obs)
        assert len(lines) == len(env.slots)
        clues = dict(clue_pool(env.hard))
        for (direction, row, col, length, clue), slot in zip(lines, env.slots, strict=True):
            row, col, length = int(row), int(col), int(length)
            dr, dc = (0, 1) if direction == "Across" else (1, 0)
            # The stated cells are open, and the run ends exactly after `length` cells.
            cells = [(row + i * dr, col + i * dc) for i in range(length)]
            assert all(env.board[r][c] == EMPTY for r, c in cells)
            end = (row + length * dr, col + length * dc)
            before = (row - dr, col - dc)
            for r, c in (end, before):
                assert not (0 <= r < len(env.board) and 0 <= c < len(env.board[0])) or (
                    env.board[r][c] == BLOCK
                )
            answer = "".join(env.solution[r][c] for r, c in cells)
            assert clues[answer] == clue == slot.clue


# --- moves ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "move"),
    [
        ("0 2 E", (0, 2, "E")),
        (" 10  3 q ", (10, 3, "Q")),
        ("1, 2, a", (1, 2, "A")),
        ("[3 4 Z]", (3, 4, "Z")),
        ("-1 0 A", (-1, 0, "A")),
        ("0 2", None),
        ("0 2 EE", None),
        ("0 2 3", None),
        ("a b c", None),
        ("0 2 é", None),
        ("", None),
    ],
)
def test_parse_placement(content, move):
    assert parse_placement(content) == move


def fixed_env(**kwargs) -> Crosswords:
    """An env reset to seed 1's puzzle, with a known first answer cell."""
    env = Crosswords(**kwargs)
    env.reset(seed=1)
    return env


def first_cell(env: Crosswords) -> tuple[int, int, str]:
    r, c = env.slots[0].cells()[0]
    return r, c, env.solution[r][c]


def blocked_cell(env: Crosswords) -> tuple[int, int]:
    return next(
        (r, c) for r, row in enumerate(env.board) for c, cell in enumerate(row) if cell == BLOCK
    )


def wrong_letter(letter: str) -> str:
    return "Z" if letter != "Z" else "Q"


def test_moves_table():
    env = fixed_env()
    r, c, letter = first_cell(env)
    br, bc = blocked_cell(env)
    height, width = len(env.board), len(env.board[0])
    bad = wrong_letter(letter)
    table = [
        # (action, reward, valid, message)
        (f"{r} {c} {bad}", 0.0, True, "not the right letter"),
        (f"{r} {c} {bad}", 0.0, False, "already found"),
        (f"{br} {bc} A", 0.0, False, "is blocked"),
        (f"{height} 0 A", 0.0, False, "outside"),
        (f"0 {width} A", 0.0, False, "outside"),
        ("-1 0 A", 0.0, False, "outside"),
        (f"{r} {c} {letter.lower()}", 1 / env.letter_cells, True, "Correct"),
        (f"{r} {c} {letter}", 0.0, False, "already filled"),
    ]
    for action, reward, valid, message in table:
        obs, got, terminated, _, info = env.step(rf"\boxed{{{action}}}")
        assert got == pytest.approx(reward), action
        assert info["valid_action"] is valid and not info["format_error"], action
        assert message in obs and not terminated, action
    assert f"row {r} column {c}" not in obs  # the wrong-letter note goes once the cell is right


@pytest.mark.parametrize("action", ["0 0 A", r"\boxed{0 0}", r"\boxed{x y z}", r"\boxed{}"])
def test_format_error(action):
    env = fixed_env()
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated and info["reason"] == "format_error"


def test_turn_limit():
    env = fixed_env(max_turns=2)
    r, c, letter = first_cell(env)
    env.step(rf"\boxed{{{r} {c} {wrong_letter(letter)}}}")
    _, reward, terminated, truncated, info = env.step(rf"\boxed{{{r} {c} {letter}}}")
    assert reward == pytest.approx(1 / env.letter_cells)
    assert terminated and not truncated and info["reason"] == "turn_limit"
    assert info["success"] is False


def test_random_preset_mixes_easy_and_hard():
    env = gym.make("gem/Crosswords-Random-v0").unwrapped
    seen = set()
    for seed in range(20):
        env.reset(seed=seed)
        seen.add((env.num_words, env.max_turns, env.hard))
    assert seen == set(RANDOM_CHOICES)


def test_sample_random_action_targets_an_empty_cell():
    env = fixed_env()
    env.action_space.seed(0)
    for _ in range(10):
        r, c, _ = env.parse_move(env.extract_answer(env.sample_random_action()))
        assert env.board[r][c] == EMPTY


def test_bad_num_words():
    with pytest.raises(ValueError, match="num_words"):
        Crosswords(num_words=0)


# --- solver --------------------------------------------------------------------------------------


def solve(obs: str, hard: bool) -> list[str]:
    """Read the clues from the observation, look the answers up, and write every open cell."""
    answers = {clue: answer for answer, clue in clue_pool(hard)}
    actions, done = [], set()
    for direction, row, col, _, clue in CLUE_LINE.findall(obs):
        clue = clue.removesuffix(" (solved)")
        dr, dc = (0, 1) if direction == "Across" else (1, 0)
        for i, letter in enumerate(answers[clue]):
            cell = (int(row) + i * dr, int(col) + i * dc)
            if cell not in done:
                done.add(cell)
                actions.append(rf"I am confident: \boxed{{{cell[0]} {cell[1]} {letter}}}")
    return actions


@pytest.mark.parametrize("env_id", IDS)
def test_solver_wins_and_rewards_sum_to_one(env_id):
    env = gym.make(env_id)
    for seed in range(10):
        obs, _ = env.reset(seed=seed)
        actions = solve(obs, env.unwrapped.hard)
        assert len(actions) == env.unwrapped.letter_cells <= env.unwrapped.max_turns
        total = 0.0
        for action in actions:
            obs, reward, terminated, _, info = env.step(action)
            total += reward
        assert terminated and info["success"] and info["reason"] == "won"
        assert total == pytest.approx(1.0)
        assert EMPTY not in obs.split("Clues:")[0]
