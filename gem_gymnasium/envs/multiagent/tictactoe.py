r"""# TicTacToe

| | |
|---|---|
| Creation | `from gem_gymnasium.envs.multiagent import tictactoe; env = tictactoe.env()` |
| Actions | Free text (`TextSpace`); the last `\boxed{N}` is the move, N a cell 1-9 |
| Parallel API | No (turn-based) |
| Agents | `['player_0', 'player_1']` (`player_0` plays X and moves first) |
| Observation space | `TextSpace(max_length=65536)` per agent |
| Action space | `TextSpace(max_length=65536)` per agent |
| Single-agent ids | `gem/TicTacToe-vsRandom-v0`, `gem/TicTacToe-vsScripted-v0` |

Two players take turns placing their mark on a 3x3 grid; three in a row (horizontal, vertical or
diagonal) wins.

## Observation
Text. Until an agent has moved, its observation starts with the rules and its mark. Then: what
happened on the last turn, the board with the empty cells numbered, and (for the agent to move)
the prompt. Both agents see the whole board (perfect information).

## Legal moves
`info["action_mask"]` is an int8 array over `env.unwrapped.all_actions()` (cells 1-9, in order): 1
where that action is legal for the agent now (all 0 when it is not its turn), as PettingZoo's
classic games give it; indexed with an action text it reads that text's last box (see
`gem_gymnasium.envs.multiagent.masks`). `info["legal_moves"]` lists the legal actions of the agent to
move, e.g. `["\\boxed{1}", "\\boxed{5}"]`, and `env.unwrapped.legal_actions()` returns the same.

## Action
`\boxed{5}` places the mover's mark on cell 5 (cells are numbered 1-9 row by row). A taken or
out-of-range cell is an invalid move: reward 0 and the turn passes to the other player. No integer
in a box is a format error: -0.1 and the turn passes (or the game ends, with
`end_on_format_error=True`).

## Rewards
Zero-sum: +1 for the winner, -1 for the loser, 0 each for a draw (a full board or the turn limit
of `max_turns` moves of both players together). Format errors add -0.1 to the offender.

## Arguments
```python
tictactoe.env(max_turns=20, format_error_reward=-0.1, end_on_format_error=False,
              render_mode=None)
```

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
    EMPTY,
    empty_board,
    is_full,
    winner,
    winning_cells,
)
from gem_gymnasium.parsing import parse_int

__all__ = ["env", "raw_env"]

MARKS = {"player_0": "X", "player_1": "O"}


def render_board(board: list[list[str]]) -> str:
    """The 3x3 board with marks, empty cells shown by their number."""
    lines = []
    for r, row in enumerate(board):
        cells = [cell if cell != EMPTY else str(3 * r + c + 1) for c, cell in enumerate(row)]
        lines.append(" " + " | ".join(cells))
    return "\n---+---+---\n".join(lines)


class raw_env(TextAECEnv[int]):
    """TicTacToe as a bare PettingZoo ``AECEnv``; see the module docstring."""

    #: The move as a function tool (``answer_format="tool_call"`` in the one-seat view).
    move_tools = (
        MoveTool("mark", "Put your mark in a cell.", (Param("cell", "integer", "Cell 1-9."),)),
    )

    metadata = {**TextAECEnv.metadata, "name": "tictactoe_v0"}  # noqa: RUF012

    def __init__(self, max_turns: int = 20, **kwargs: Any) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        self.board = empty_board(3, 3)

    def _new_game(self, options: dict[str, Any] | None) -> None:
        self.board = empty_board(3, 3)

    def rules(self, agent: str) -> str:
        return (
            f"You are playing TicTacToe as {agent} with mark {MARKS[agent]}; X moves first. "
            "Players take turns placing their mark on an empty cell of the 3x3 grid; the first "
            "to get three in a row (horizontally, vertically or diagonally) wins. Cells are "
            f"numbered 1-9 row by row. The game ends in a draw after {self.max_turns} moves. "
            "A taken cell or a missing \\boxed{} answer loses your turn."
        )

    def describe_state(self, agent: str) -> str:
        return f"Board (you are {MARKS[agent]}):\n{render_board(self.board)}"

    def legal_moves(self, agent: str) -> list[str]:
        return [str(3 * r + c + 1) for r in range(3) for c in range(3) if self.board[r][c] == EMPTY]

    def all_moves(self) -> list[str]:
        return [str(cell) for cell in range(1, 10)]

    def parse_move(self, content: str) -> int | None:
        return parse_int(content)

    def play(self, agent: str, cell: int, message: str) -> Turn:
        if not 1 <= cell <= 9 or self.board[(cell - 1) // 3][(cell - 1) % 3] != EMPTY:
            why = f"Invalid move: cell {cell} is {'taken' if 1 <= cell <= 9 else 'not 1-9'}."
            return self.invalid_move(agent, why)
        mark = MARKS[agent]
        self.board[(cell - 1) // 3][(cell - 1) % 3] = mark
        done = f"{agent} placed {mark} on cell {cell}."
        if winner(self.board, 3) == mark:
            other = next(a for a in self.possible_agents if a != agent)
            return Turn(
                feedback=f"You placed {mark} on cell {cell} and won!",
                news=f"{done} {agent} wins.",
                rewards={agent: 1.0, other: -1.0},
                game_over=True,
                winners=(agent,),
                reason="win",
            )
        if is_full(self.board):
            return Turn(
                feedback=f"You placed {mark} on cell {cell}. The board is full: draw.",
                news=f"{done} The board is full: draw.",
                game_over=True,
                reason="draw",
            )
        return Turn(feedback=f"You placed {mark} on cell {cell}.", news=done)

    def scripted_move(self, agent: str) -> str:
        """Win if possible, else block the opponent, else the centre, else a random cell."""
        mark = MARKS[agent]
        other = "O" if mark == "X" else "X"
        for target in (mark, other):
            cells = winning_cells(self.board, target, 3)
            if cells:
                r, c = cells[0]
                return boxed(str(3 * r + c + 1))
        if self.board[1][1] == EMPTY:
            return boxed("5")
        return self.sample_random_action(agent)

    def draw(self) -> Any:
        """The board: X red, O blue, empty cells with their number."""
        from gem_gymnasium.rendering import grid_image

        colors = {"X": "red", "O": "blue"}
        rows = [
            [
                (cell, colors[cell]) if cell in colors else (str(3 * r + c + 1), "empty")
                for c, cell in enumerate(row)
            ]
            for r, row in enumerate(self.board)
        ]
        return grid_image(rows, caption=self.frame_caption(), cell_size=56)

    def render_text(self) -> str:
        status = "game over" if self.game_over else f"{self.agent_selection} to move"
        return f"TicTacToe, turn {self.turn} ({status})\n{render_board(self.board)}"


def env(**kwargs: Any) -> wrappers.OrderEnforcingWrapper:
    """TicTacToe with PettingZoo's order-enforcing wrapper (reset before step, ...)."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))
