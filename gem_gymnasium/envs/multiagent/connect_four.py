r"""# ConnectFour

| | |
|---|---|
| Creation | `from gem_gymnasium.envs.multiagent import connect_four; env = connect_four.env()` |
| Actions | Free text (`TextSpace`); the last `\boxed{N}` is the move, N a column 1-7 |
| Parallel API | No (turn-based) |
| Agents | `['player_0', 'player_1']` (`player_0` plays X and moves first) |
| Observation space | `TextSpace(max_length=65536)` per agent |
| Action space | `TextSpace(max_length=65536)` per agent |
| Single-agent ids | `gem/ConnectFour-vsRandom-v0`, `gem/ConnectFour-vsScripted-v0` |

Two players take turns dropping a piece into one of the 7 columns of a 6-row grid; the piece
falls to the lowest empty cell. Four in a row (horizontal, vertical or diagonal) wins.

## Observation
Text. Until an agent has moved, its observation starts with the rules and its mark. Then: what
happened on the last turn, the grid (top row first, columns numbered 1-7, `.` empty) and (for the
agent to move) the prompt. Both agents see the whole grid (perfect information).

## Legal moves
`info["action_mask"]` is an int8 array over `env.unwrapped.all_actions()` (columns 1-7 (1 to `cols`), in order): 1
where that action is legal for the agent now (all 0 when it is not its turn), as PettingZoo's
classic games give it; indexed with an action text it reads that text's last box (see
`gem_gymnasium.envs.multiagent.masks`). `info["legal_moves"]` lists the legal actions of the agent to
move (the columns that are not full), and `env.unwrapped.legal_actions()` returns the same.

## Action
`\boxed{4}` drops the mover's piece into column 4. A full or out-of-range column is an invalid
move: reward 0 and the turn passes. No integer in a box is a format error: -0.1 and the turn
passes (or the game ends, with `end_on_format_error=True`).

## Rewards
Zero-sum: +1 for the winner, -1 for the loser, 0 each for a draw (a full grid or the turn limit of
`max_turns` moves of both players together). Format errors add -0.1 to the offender.

## Arguments
```python
connect_four.env(rows=6, cols=7, max_turns=84, format_error_reward=-0.1,
                 end_on_format_error=False, render_mode=None)
```
`rows` and `cols` (4 to 9) change the grid; four in a row still wins.

## Version History
* v0: Initial version.
"""

from __future__ import annotations

from typing import Any

from gem_gymnasium.extras import optional_imports

with optional_imports("multi-agent games"):
    from pettingzoo.utils import wrappers

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.envs.multiagent.base import TextAECEnv, Turn, boxed
from gem_gymnasium.envs.multiagent.grid_rules import (
    drop_row,
    empty_board,
    is_full,
    open_columns,
    winner,
)
from gem_gymnasium.parsing import parse_int

__all__ = ["env", "raw_env"]

MARKS = {"player_0": "X", "player_1": "O"}
CONNECT = 4


def render_grid(board: list[list[str]]) -> str:
    """The grid, top row first, under a header of 1-based column numbers."""
    header = " ".join(str(c + 1) for c in range(len(board[0])))
    return "\n".join([header, *(" ".join(row) for row in board)])


class raw_env(TextAECEnv[int]):
    """ConnectFour as a bare PettingZoo ``AECEnv``; see the module docstring."""

    #: The move as a function tool (``answer_format="tool_call"`` in the one-seat view).
    move_tools = (
        MoveTool(
            "drop",
            "Drop your piece into a column.",
            (Param("column", "integer", "Column, 1-indexed."),),
        ),
    )

    metadata = {**TextAECEnv.metadata, "name": "connect_four_v0"}  # noqa: RUF012

    def __init__(self, rows: int = 6, cols: int = 7, max_turns: int = 84, **kwargs: Any) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        for name, value in (("rows", rows), ("cols", cols)):
            if not isinstance(value, int) or not 4 <= value <= 9:
                raise ValueError(f"ConnectFour: {name} must be an int in 4..9, got {value!r}")
        self.rows, self.cols = rows, cols
        self.board = empty_board(rows, cols)

    def _new_game(self, options: dict[str, Any] | None) -> None:
        self.board = empty_board(self.rows, self.cols)

    def rules(self, agent: str) -> str:
        return (
            f"You are playing Connect Four as {agent} with pieces {MARKS[agent]}; X moves first. "
            f"Players take turns dropping a piece into one of the {self.cols} columns of a "
            f"{self.rows}-row grid; it falls to the lowest empty cell. The first to get four in a "
            "row (horizontally, vertically or diagonally) wins. The game ends in a draw after "
            f"{self.max_turns} moves. A full column or a missing \\boxed{{}} answer loses your "
            "turn."
        )

    def describe_state(self, agent: str) -> str:
        return f"Grid (you are {MARKS[agent]}, '.' is empty):\n{render_grid(self.board)}"

    def legal_moves(self, agent: str) -> list[str]:
        return [str(c + 1) for c in open_columns(self.board)]

    def action_prompt(self, agent: str) -> str:
        return (
            f"It is your turn ({agent}). Enter a column as \\boxed{{N}}, for example \\boxed{{4}}."
        )

    def all_moves(self) -> list[str]:
        return [str(col) for col in range(1, self.cols + 1)]

    def parse_move(self, content: str) -> int | None:
        return parse_int(content)

    def play(self, agent: str, column: int, message: str) -> Turn:
        row = drop_row(self.board, column - 1) if 1 <= column <= self.cols else None
        if row is None:
            state = "full" if 1 <= column <= self.cols else f"not 1-{self.cols}"
            return self.invalid_move(agent, f"Invalid move: column {column} is {state}.")
        mark = MARKS[agent]
        self.board[row][column - 1] = mark
        done = f"{agent} dropped {mark} into column {column}."
        if winner(self.board, CONNECT) == mark:
            other = next(a for a in self.possible_agents if a != agent)
            return Turn(
                feedback=f"You dropped {mark} into column {column} and connected four: you win!",
                news=f"{done} {agent} connected four and wins.",
                rewards={agent: 1.0, other: -1.0},
                game_over=True,
                winners=(agent,),
                reason="win",
            )
        if is_full(self.board):
            return Turn(
                feedback=f"You dropped {mark} into column {column}. The grid is full: draw.",
                news=f"{done} The grid is full: draw.",
                game_over=True,
                reason="draw",
            )
        return Turn(feedback=f"You dropped {mark} into column {column}.", news=done)

    def scripted_move(self, agent: str) -> str:
        """Win if a column wins now, else block the opponent's win, else a random column."""
        mark = MARKS[agent]
        other = "O" if mark == "X" else "X"
        for target in (mark, other):
            for col in open_columns(self.board):
                row = drop_row(self.board, col)
                assert row is not None  # open_columns only lists columns with room
                self.board[row][col] = target
                wins = winner(self.board, CONNECT) == target
                self.board[row][col] = "."
                if wins:
                    return boxed(str(col + 1))
        return self.sample_random_action(agent)

    def draw(self) -> Any:
        """The grid with column numbers on top: X red, O yellow."""
        from gem_gymnasium.rendering import grid_image

        colors = {"X": "red", "O": "yellow"}
        header = [(str(c + 1), "background") for c in range(self.cols)]
        rows = [[("", colors.get(cell, "empty")) for cell in row] for row in self.board]
        return grid_image([header, *rows], caption=self.frame_caption())

    def render_text(self) -> str:
        status = "game over" if self.game_over else f"{self.agent_selection} to move"
        return f"ConnectFour, turn {self.turn} ({status})\n{render_grid(self.board)}"


def env(**kwargs: Any) -> wrappers.OrderEnforcingWrapper:
    """ConnectFour with PettingZoo's order-enforcing wrapper (reset before step, ...)."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))
