"""Sokoban: move rules, reverse-play generation checked by a BFS solver, and the env's move paths."""

from __future__ import annotations

import gymnasium as gym
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

import gem_gymnasium
from gem_gymnasium.envs.games import sokoban_rules
from gem_gymnasium.envs.games.sokoban import Sokoban
from gem_gymnasium.envs.games.sokoban_rules import (
    DIRECTIONS,
    generate_level,
    render_room,
    try_move,
)
from gem_gymnasium.testing import check_fuzz

PRESETS = ["gem/Sokoban-v0", "gem/Sokoban-Easy-v0", "gem/Sokoban-Hard-v0", "gem/Sokoban-Random-v0"]


# --- an independent breadth-first solver (moves, not pushes), with dead-corner pruning ------------


def bfs_solution_length(size, walls, targets, boxes, player, limit):
    """Fewest moves that put every box on a target, or ``None`` if more than ``limit`` are needed."""
    steps = (-size, size, -1, 1)
    dead = {
        c
        for c in range(size * size)
        if c not in walls
        and c not in targets
        and (c - size in walls or c + size in walls)
        and (c - 1 in walls or c + 1 in walls)
    }
    frontier = [(player, frozenset(boxes))]
    seen = set(frontier)
    for depth in range(1, limit + 1):
        following = []
        for cell, placed in frontier:
            for step in steps:
                ahead = cell + step
                if ahead in walls:
                    continue
                if ahead in placed:
                    beyond = ahead + step
                    if beyond in walls or beyond in placed or beyond in dead:
                        continue
                    placed_after = (placed - {ahead}) | {beyond}
                    if placed_after <= targets:
                        return depth
                    state = (ahead, placed_after)
                else:
                    state = (ahead, placed)
                if state not in seen:
                    seen.add(state)
                    following.append(state)
        frontier = following
    return None


def parse(rows: list[str]):
    """``(size, walls, targets, boxes, player)`` of a hand-drawn room (legend symbols, no spaces)."""
    size = len(rows)
    cells = {r * size + c: ch for r, row in enumerate(rows) for c, ch in enumerate(row)}
    walls = frozenset(i for i, ch in cells.items() if ch == "#")
    targets = frozenset(i for i, ch in cells.items() if ch in ".*+")
    boxes = frozenset(i for i, ch in cells.items() if ch in "$*")
    player = next(i for i, ch in cells.items() if ch in "@+")
    return size, walls, targets, boxes, player


def load(env: gym.Env, rows: list[str], max_turns: int = 20) -> Sokoban:
    """Put a hand-drawn room into a reset env."""
    u = env.unwrapped
    u.room_size, u.walls, u.targets, u.boxes, u.player = parse(rows)
    u.num_boxes = len(u.boxes)
    u.max_turns = max_turns
    return u


# --- rules ---------------------------------------------------------------------------------------

MOVES = [
    # (room, direction, expected room after the move, or the reason it is blocked)
    (
        ["#####", "#@__#", "#___#", "#___#", "#####"],
        "right",
        ["#####", "#_@_#", "#___#", "#___#", "#####"],
    ),
    (["#####", "#@__#", "#___#", "#___#", "#####"], "up", "wall"),
    (
        ["#####", "#@$_#", "#___#", "#___#", "#####"],
        "right",
        ["#####", "#_@$#", "#___#", "#___#", "#####"],
    ),
    (["#####", "#_@$#", "#___#", "#___#", "#####"], "right", "box_wall"),
    (["#####", "#@$$#", "#___#", "#___#", "#####"], "right", "box_box"),
    (["#####", "#@*$#", "#___#", "#___#", "#####"], "right", "box_box"),
    (
        ["#####", "#@*_#", "#___#", "#___#", "#####"],
        "right",
        ["#####", "#_+$#", "#___#", "#___#", "#####"],
    ),
    (
        ["#####", "#___#", "#_$_#", "#_+_#", "#####"],
        "up",
        ["#####", "#_$_#", "#_@_#", "#_._#", "#####"],
    ),
]


@pytest.mark.parametrize(("before", "direction", "expected"), MOVES)
def test_try_move(before, direction, expected):
    size, walls, _, boxes, player = parse(before)
    result = try_move(size, walls, boxes, player, direction)
    if isinstance(expected, str):
        assert result == expected
        return
    _, _, _, boxes_after, player_after = parse(expected)
    assert result == (player_after, boxes_after, boxes_after != boxes)


def test_render_room_symbols():
    walls = frozenset(range(25)) - {6, 7, 8, 11, 12, 13}
    text = render_room(5, walls, frozenset({7, 12}), frozenset({7, 13}), 12)
    assert text.splitlines() == ["# # # # #", "# _ * _ #", "# _ + $ #", "# # # # #", "# # # # #"]
    assert render_room(5, walls, frozenset({7}), frozenset({8}), 7).splitlines()[1] == "# _ + $ #"
    assert render_room(5, walls, frozenset({6}), frozenset({8}), 7).splitlines()[1] == "# . @ $ #"


def _replay(level) -> tuple[frozenset[int], int]:
    boxes, player = level.boxes, level.player
    for direction in level.solution:
        result = try_move(level.size, level.walls, boxes, player, direction)
        assert not isinstance(result, str)
        player, boxes, _ = result
    return boxes, player


def _floor_connected(level) -> bool:
    floor = set(range(level.size**2)) - level.walls
    start = next(iter(floor))
    seen, stack = {start}, [start]
    while stack:
        cell = stack.pop()
        for step in (-level.size, level.size, -1, 1):
            if cell + step in floor and cell + step not in seen:
                seen.add(cell + step)
                stack.append(cell + step)
    return seen == floor


@pytest.mark.parametrize(
    ("size", "num_boxes", "budget", "seeds"),
    [(6, 2, 20, 300), (6, 3, 100, 200), (8, 4, 50, 200), (8, 5, 50, 150), (5, 1, 8, 100)],
)
def test_generated_levels_are_solvable_within_budget(size, num_boxes, budget, seeds):
    rooms = set()
    for seed in range(seeds):
        level = generate_level(np.random.default_rng(seed), size, num_boxes, budget)
        border = {
            i for i in range(size * size) if i // size in (0, size - 1) or i % size in (0, size - 1)
        }
        assert border <= level.walls
        assert len(level.boxes) == len(level.targets) == num_boxes
        assert not level.boxes & level.targets, "a box starts on a target"
        assert not level.boxes & level.walls and not level.targets & level.walls
        assert level.player not in level.walls | level.boxes
        assert _floor_connected(level)
        assert 1 <= len(level.solution) <= budget
        boxes, _ = _replay(level)
        assert boxes == level.targets
        rooms.add((level.walls, level.boxes, level.player))
    if size >= 6:  # a 5x5 room has only 3x3 inner cells: few distinct levels exist
        assert len(rooms) > seeds * 0.9


def test_generation_gives_up_with_a_clear_error(monkeypatch):
    monkeypatch.setattr(sokoban_rules, "_MAX_ROOMS", 50)
    with pytest.raises(RuntimeError, match="fewer boxes or more moves"):
        generate_level(np.random.default_rng(0), 5, 2, 1)


# --- the environment -----------------------------------------------------------------------------


def test_gem_aliases():
    assert gem_gymnasium.make("game:Sokoban-v0-hard").spec.id == "gem/Sokoban-Hard-v0"
    assert gem_gymnasium.make("game:Sokoban-v0-random").spec.id == "gem/Sokoban-Random-v0"


@pytest.mark.parametrize(("env_id", "seeds"), [(p, 15) for p in PRESETS])
def test_known_solution_wins_with_reward_one(env_id, seeds):
    env = gym.make(env_id)
    for seed in range(seeds):
        env.reset(seed=seed)
        u = env.unwrapped
        assert len(u.solution) <= u.max_turns
        total, info = 0.0, {}
        for direction in u.solution:
            _, reward, terminated, truncated, info = env.step(
                f"Push: \\boxed{{{direction.upper()}}}"
            )
            assert info["valid_action"] and not truncated
            total += reward
            if terminated:
                break
        assert terminated and info["success"] and info["reason"] == "won"
        assert total == pytest.approx(1.0) and info["turn"] <= u.max_turns


@pytest.mark.parametrize(
    ("env_id", "seeds"),
    [("gem/Sokoban-Easy-v0", 100), ("gem/Sokoban-v0", 60), ("gem/Sokoban-Hard-v0", 8)],
)
def test_bfs_solver_confirms_solvable_within_turn_limit(env_id, seeds):
    env = gym.make(env_id)
    for seed in range(seeds):
        env.reset(seed=seed)
        u = env.unwrapped
        moves = bfs_solution_length(u.room_size, u.walls, u.targets, u.boxes, u.player, u.max_turns)
        assert moves is not None and moves <= len(u.solution) <= u.max_turns


def test_random_preset_draws_both_candidates():
    env = gym.make("gem/Sokoban-Random-v0")
    seen = set()
    for seed in range(20):
        env.reset(seed=seed)
        u = env.unwrapped
        seen.add((u.room_size, u.num_boxes, u.max_turns))
        assert len(u.boxes) == u.num_boxes and len(u.solution) <= u.max_turns
    assert seen == {(6, 2, 20), (8, 5, 50)}


BLOCKED = [
    (["######", "#@#__#", "#____#", "#_$._#", "#____#", "######"], "right", "a wall is in the way"),
    (["######", "#@$#_#", "#____#", "#__._#", "#____#", "######"], "right", "pushed into a wall"),
    (["######", "#@$$_#", "#____#", "#__..#", "#____#", "######"], "right", "into another box"),
    (["######", "#@*$_#", "#____#", "#__._#", "#____#", "######"], "right", "into another box"),
]


@pytest.mark.parametrize(("rows", "direction", "message"), BLOCKED)
def test_blocked_moves_are_invalid_and_change_nothing(rows, direction, message):
    env = gym.make("gem/Sokoban-Easy-v0")
    env.reset(seed=0)
    u = load(env, rows)
    before = (u.player, u.boxes)
    obs, reward, terminated, truncated, info = env.step(rf"\boxed{{{direction}}}")
    assert reward == 0.0 and not terminated and not truncated
    assert info["valid_action"] is False and info["format_error"] is False and info["turn"] == 1
    assert message in obs and (u.player, u.boxes) == before


def test_walk_push_and_win():
    env = gym.make("gem/Sokoban-Easy-v0")
    env.reset(seed=0)
    load(env, ["######", "#@___#", "#_$__#", "#____#", "#_._##", "######"])
    obs, reward, terminated, _, info = env.step(r"\boxed{right}")
    assert (reward, terminated, info["valid_action"]) == (0.0, False, True)
    assert "You moved right" in obs
    obs, reward, terminated, _, info = env.step(r"\boxed{down}")
    assert "You pushed a box down" in obs and reward == 0.0 and not terminated
    _, reward, terminated, _, info = env.step(r"\boxed{down}")
    assert reward == 1.0 and terminated and info["success"] and info["reason"] == "won"


def test_turn_limit_pays_fraction_of_boxes_on_targets():
    env = gym.make("gem/Sokoban-Easy-v0")
    env.reset(seed=0)
    load(env, ["######", "#@$.##", "#____#", "#_$__#", "#__._#", "######"], max_turns=3)
    _, reward, terminated, _, _ = env.step(r"\boxed{right}")  # first box onto its target
    assert reward == 0.0 and not terminated
    _, reward, terminated, _, _ = env.step(r"\boxed{up}")  # blocked: still a turn
    assert reward == 0.0 and not terminated
    obs, reward, terminated, truncated, info = env.step(r"\boxed{down}")
    assert terminated and not truncated and info["reason"] == "turn_limit" and not info["success"]
    assert reward == pytest.approx(0.5)
    assert "Boxes on targets: 1/2" in obs


def test_win_on_last_turn_counts():
    env = gym.make("gem/Sokoban-Easy-v0")
    env.reset(seed=0)
    load(env, ["######", "#@$.##", "#____#", "#____#", "#____#", "######"], max_turns=1)
    _, reward, terminated, _, info = env.step(r"\boxed{right}")
    assert reward == 1.0 and terminated and info["success"] and info["reason"] == "won"


@pytest.mark.parametrize("action", ["right", r"\boxed{north}", r"\boxed{}", r"\boxed{up down}", ""])
def test_format_errors_end_the_episode(action):
    env = gym.make("gem/Sokoban-Easy-v0")
    env.reset(seed=0)
    _, reward, terminated, _, info = env.step(action)
    assert reward == pytest.approx(-0.1) and terminated and info["format_error"]


def test_prompt_has_legend_and_limit():
    env = gym.make("gem/Sokoban-Hard-v0")
    obs, _ = env.reset(seed=0)
    for symbol in [
        "'#' wall",
        "'_' floor",
        "'.' target",
        "'$' box",
        "'*' box on a target",
        "'@' you",
    ]:
        assert symbol in obs
    assert "within 50 moves" in obs and "Boxes on targets: 0/4" in obs


def test_same_seed_same_level():
    a, b = gym.make("gem/Sokoban-Hard-v0"), gym.make("gem/Sokoban-Hard-v0")
    assert a.reset(seed=4)[0] == b.reset(seed=4)[0]
    assert a.reset(seed=4)[0] != a.reset(seed=5)[0]


def test_sample_random_action_is_legal():
    env = gym.make("gem/Sokoban-v0")
    env.reset(seed=1)
    u = env.unwrapped
    u.action_space.seed(1)
    for _ in range(100):
        action = u.sample_random_action()
        assert u.parse_move(u.extract_answer(action)) in DIRECTIONS
        _, _, terminated, _, info = env.step(action)
        assert info["valid_action"]
        if terminated:
            break


def test_constructor_validation():
    with pytest.raises(ValueError, match="room_size"):
        Sokoban(room_size=4)
    with pytest.raises(ValueError, match="num_boxes"):
        Sokoban(room_size=6, num_boxes=4)
    with pytest.raises(ValueError, match="max_turns"):
        Sokoban(room_size=8, num_boxes=4, max_turns=20)


@settings(max_examples=60, deadline=None)
@given(
    st.lists(
        st.text(max_size=30) | st.sampled_from([r"\boxed{up}", r"\boxed{LEFT}", r"\boxed{x}"]),
        max_size=40,
    )
)
def test_fuzzed_actions_never_crash(actions):
    # Format errors do not end the episode here, so the fuzz reaches deep into the game.
    check_fuzz("gem/Sokoban-Easy-v0", actions, end_on_format_error=False, max_turns=1000)
