r"""``TextAECEnv``: the PettingZoo ``AECEnv`` base class of the turn-based text games.

It plays the role that :class:`~gem_gymnasium.core.TextEnv` plays for single-agent games and keeps
the same conventions, adapted to several seats:

* the action is free text; only its last ``\boxed{...}`` is the move, and an optional
  ``<message>...</message>`` is a free-text message to the other players (games that have a
  message channel show it to them);
* no parsable box is a *format error*: the mover is paid ``format_error_reward`` (-0.1) and loses
  its turn (or, with ``end_on_format_error=True``, the game ends with no winner);
* a parsable but illegal move is *invalid*: reward 0 and the turn is used (each game says what a
  lost turn means: a pass in the board games, check-or-fold in poker);
* ``max_turns`` bounds the moves of all players together; reaching it ends the game as a draw
  (``terminated=True``, reason ``"turn_limit"``);
* ``info`` always holds ``turn``, ``max_turns``, ``valid_action`` and ``format_error`` (about the
  agent's own latest move),
  ``legal_moves`` (the moves the agent could enter now, as ``\boxed{..}`` strings; empty when it
  is not that agent's turn), ``action_mask`` (an int8 array over ``all_actions()``, 1 where that
  action is legal now; see :mod:`~gem_gymnasium.envs.multiagent.masks`) and ``to_move``; at the
  end ``success`` and ``reason``.

Hooks, in the order a game calls them::

    _new_game(options)                 deal / set up from self.np_random
    rules(agent) -> str                shown in an agent's observations until it has moved
    describe_state(agent) -> str       what ``agent`` can see (never another agent's secrets)
    legal_moves(agent) -> list[str]    the moves ``agent`` may make now, as box contents
    all_moves() -> list[str]           every move that can ever be legal (fixed action lists)
    parse_move(content) -> move|None   the boxed content -> a move, or None for a format error
    play(agent, move, message) -> Turn apply a parsed move (legal or not)
    lose_turn(agent, why) -> Turn      what a format error or an invalid move does to the game
    scripted_move(agent) -> str        a simple built-in policy's action (for opponents)

PettingZoo is imported here, so this module (like every game module) is only imported when a
multi-agent environment is made.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, ClassVar, Generic, TypeVar

import numpy as np
from gymnasium.utils import seeding

from gem_gymnasium.extras import optional_imports

with optional_imports("multi-agent games"):
    from pettingzoo import AECEnv

from gem_gymnasium.actions import MoveTool
from gem_gymnasium.core import check_render_mode
from gem_gymnasium.envs.multiagent.masks import ActionMask, make_mask
from gem_gymnasium.parsing import last_boxed, last_tagged
from gem_gymnasium.spaces import DEFAULT_MAX_LENGTH, TextSpace

__all__ = ["MAX_MESSAGE_LENGTH", "TextAECEnv", "Turn", "boxed", "compose", "extract_message"]

MoveT = TypeVar("MoveT")

#: Messages longer than this many characters are cut (an agent may write megabytes).
MAX_MESSAGE_LENGTH = 500


def boxed(content: str) -> str:
    r"""``"5"`` -> ``"\boxed{5}"``: the action string for a move."""
    return f"\\boxed{{{content}}}"


def compose(*parts: str) -> str:
    """Join the non-empty parts of an observation with blank lines."""
    return "\n\n".join(part.strip("\n") for part in parts if part)


def extract_message(action: str, max_length: int = MAX_MESSAGE_LENGTH) -> str:
    """The content of the last ``<message>...</message>`` of an action, cut to ``max_length``."""
    message = last_tagged(action, "message") or ""
    if len(message) > max_length:
        message = message[:max_length] + " [...]"
    return message


@dataclass
class Turn:
    """What one move did.

    Attributes:
        feedback: What the mover is told ("You placed X on 5.").
        news: What every other player is told ("player_0 placed X on 5.").
        valid: ``False`` for a well-formed but illegal move.
        rewards: Rewards paid now, per agent (missing agents get 0).
        game_over: The move ended the game.
        winners: The agents that won (empty for a draw or no deal); sets ``info["success"]``.
        reason: Why the game ended ("win", "draw", "showdown", "fold", "deal", ...).
        next_agent: Who moves next; ``None`` means the next seat in order.
    """

    feedback: str
    news: str = ""
    valid: bool = True
    rewards: dict[str, float] = field(default_factory=dict)
    game_over: bool = False
    winners: tuple[str, ...] = ()
    reason: str | None = None
    next_agent: str | None = None


class TextSpaces:
    """Per-agent text spaces and the game's generator, shared by the AEC and Parallel games."""

    possible_agents: list[str]

    def _init_text_spaces(self, max_length: int) -> None:
        # One space object per agent, created once: PettingZoo's tests seed them in place.
        self._observation_spaces = {a: TextSpace(max_length) for a in self.possible_agents}
        self._action_spaces = {a: TextSpace(max_length) for a in self.possible_agents}
        self._np_random: np.random.Generator | None = None

    @property
    def np_random(self) -> np.random.Generator:
        """The game's random generator (seeded by ``reset(seed=...)``)."""
        if self._np_random is None:
            self._np_random, _ = seeding.np_random()
        return self._np_random

    def observation_space(self, agent: str) -> TextSpace:
        return self._observation_spaces[agent]

    def action_space(self, agent: str) -> TextSpace:
        return self._action_spaces[agent]


class TextAECEnv(TextSpaces, AECEnv, Generic[MoveT]):
    """Base class of turn-based multi-agent text games; see the module docstring for the hooks.

    Args:
        max_turns: Moves of all players together before the game ends as a draw.
        format_error_reward: Reward for an action with no parsable ``\\boxed{}`` move.
        end_on_format_error: End the game (no winner) on a format error instead of only
            losing the turn.
        max_length: Bound of every agent's observation and action :class:`TextSpace`.
        render_mode: ``None``, ``"ansi"`` (``render()`` returns the full state), ``"human"`` or
            ``"rgb_array"`` (an image of it, see :meth:`draw`).
    """

    #: The move tools of the game (``answer_format="tool_call"`` in the one-seat view).
    move_tools: ClassVar[tuple[MoveTool, ...]] = ()
    #: Whether the other players see a mover's ``<message>`` (the one-seat view adds ``say``).
    has_messages: ClassVar[bool] = False

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["ansi", "human", "rgb_array"],
        "name": "text_game_v0",
        "is_parallelizable": False,
        "render_fps": 1,
    }
    #: Seats, in playing order.
    possible_agents: list[str] = ["player_0", "player_1"]  # noqa: RUF012 (PettingZoo's API)

    def __init__(
        self,
        *,
        max_turns: int,
        format_error_reward: float = -0.1,
        end_on_format_error: bool = False,
        max_length: int = DEFAULT_MAX_LENGTH,
        render_mode: str | None = None,
    ) -> None:
        super().__init__()
        name = type(self).__name__
        if not isinstance(max_turns, int) or isinstance(max_turns, bool) or max_turns < 1:
            raise ValueError(f"{name}: max_turns must be an int >= 1, got {max_turns!r}")
        check_render_mode(name, render_mode, self.metadata["render_modes"])
        self.possible_agents = list(type(self).possible_agents)
        self.max_turns = max_turns
        self.format_error_reward = float(format_error_reward)
        self.end_on_format_error = bool(end_on_format_error)
        self.render_mode = render_mode
        self._init_text_spaces(max_length)
        self.agents: list[str] = []
        self.turn = 0
        self.game_over = True

    # --- hooks for subclasses -------------------------------------------------------------------

    def _new_game(self, options: dict[str, Any] | None) -> None:
        """Set up a game from ``self.np_random``."""
        raise NotImplementedError

    def rules(self, agent: str) -> str:
        """The rules as ``agent`` is told them (its seat, its private values, ...)."""
        raise NotImplementedError

    def describe_state(self, agent: str) -> str:
        """What ``agent`` sees of the state now."""
        raise NotImplementedError

    def legal_moves(self, agent: str) -> list[str]:
        """The box contents ``agent`` may enter now (empty when it is not its turn)."""
        raise NotImplementedError

    def all_moves(self) -> list[str]:
        """Every box content that can ever be legal in this game (a fixed action list)."""
        raise NotImplementedError

    def parse_move(self, content: str) -> MoveT | None:
        """The content of the last box -> a move; ``None`` is a format error."""
        raise NotImplementedError

    def play(self, agent: str, move: MoveT, message: str) -> Turn:
        """Apply ``agent``'s parsed move."""
        raise NotImplementedError

    def lose_turn(self, agent: str, why: str) -> Turn:
        """A format error or an invalid move: by default the turn passes to the next seat."""
        return Turn(feedback=f"{why} You lose your turn.", news=f"{agent} lost its turn.")

    def invalid_move(self, agent: str, why: str) -> Turn:
        """A parsed but illegal move: what :meth:`lose_turn` does, flagged as invalid."""
        turn = self.lose_turn(agent, why)
        turn.valid = False
        return turn

    def scripted_move(self, agent: str) -> str:
        """The action of a simple built-in strategy for ``agent`` (a baseline opponent)."""
        return self.sample_random_action(agent)

    def action_prompt(self, agent: str) -> str:
        """The line telling ``agent`` what to enter."""
        examples = self.legal_moves(agent)
        example = f" for example {boxed(examples[0])}" if examples else ""
        return f"It is your turn ({agent}). Enter your move as \\boxed{{...}},{example}."

    def render_text(self) -> str:
        """The full state for ``render()`` (an observer's view: private values included)."""
        return "\n\n".join(f"[{a}]\n{self.describe_state(a)}" for a in self.possible_agents)

    # --- the PettingZoo API ---------------------------------------------------------------------

    def reset(self, seed: int | None = None, options: dict[str, Any] | None = None) -> None:
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        self.agents = list(self.possible_agents)
        self.rewards = dict.fromkeys(self.agents, 0.0)
        self._cumulative_rewards = dict.fromkeys(self.agents, 0.0)
        self.terminations = dict.fromkeys(self.agents, False)
        self.truncations = dict.fromkeys(self.agents, False)
        self.turn = 0
        self.game_over = False
        self.moved: set[str] = set()
        self.feedback = dict.fromkeys(self.agents, "")
        self.last_move = {a: (True, False) for a in self.agents}  # (valid, format_error)
        self.ending: dict[str, Any] = {}
        self.agent_selection = self.agents[0]
        self._new_game(options)
        self._update_infos()

    def observe(self, agent: str) -> str:
        """``agent``'s view: the rules until it has moved, the news, the state, the prompt."""
        if not self.agents and not self.game_over:
            return ""
        to_move = not self.game_over and agent == self.agent_selection
        return compose(
            "" if agent in self.moved else self.rules(agent),
            self.feedback.get(agent, ""),
            self.describe_state(agent),
            self.action_prompt(agent) if to_move else "",
        )

    def step(self, action: str | None) -> None:
        agent = self.agent_selection
        if self.terminations[agent] or self.truncations[agent]:
            self._was_dead_step(action)
            return
        self.check_action(action)
        self._cumulative_rewards[agent] = 0.0
        self._clear_rewards()
        self.turn += 1
        self.moved.add(agent)

        answer = last_boxed(action)
        move = None if answer is None else self.parse_move(answer)
        if move is None:
            why = "Format error: no valid move found in \\boxed{...}."
            if self.end_on_format_error:
                turn = Turn(
                    feedback=f"{why} The game is over.",
                    news=f"{agent} made a format error; the game is over.",
                    game_over=True,
                    reason="format_error",
                )
            else:
                turn = self.lose_turn(agent, why)
            turn.valid = False
            turn.rewards[agent] = turn.rewards.get(agent, 0.0) + self.format_error_reward
        else:
            turn = self.play(agent, move, extract_message(action))
        # Each agent's flags describe its own latest move.
        self.last_move[agent] = (turn.valid, move is None)

        if not turn.game_over and self.turn >= self.max_turns:
            turn.game_over, turn.reason = True, "turn_limit"
            turn.news = compose(turn.news, "The turn limit is reached: the game is a draw.")
            turn.feedback = compose(turn.feedback, "The turn limit is reached: the game is a draw.")
        for other in self.agents:
            self.feedback[other] = turn.feedback if other == agent else turn.news
        for target, reward in turn.rewards.items():
            self.rewards[target] += float(reward)

        if turn.game_over:
            self.game_over = True
            self.ending = {"winners": turn.winners, "reason": turn.reason or "game_over"}
            self.terminations = dict.fromkeys(self.agents, True)
            order = self.possible_agents
            self.agent_selection = order[(order.index(agent) + 1) % len(order)]
        else:
            self.agent_selection = turn.next_agent or self._next_seat(agent)
        self._accumulate_rewards()
        self._update_infos()
        if self.render_mode == "human":
            self.render()

    def render(self) -> str | np.ndarray | None:
        if self.render_mode is None:
            return None
        started = bool(self.agents or self.game_over)
        if self.render_mode == "rgb_array":
            return self.render_image(started)
        text = self.render_text() if started else type(self).__name__
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def render_image(self, started: bool = True) -> np.ndarray:
        """The ``"rgb_array"`` frame: the game's :meth:`draw`, else a text card of the state."""
        from gem_gymnasium import rendering

        image = self.draw() if started else None
        if image is None:
            text = self.render_text() if started else type(self).__name__
            image = rendering.text_card(text, title=self.frame_caption())
        return rendering.to_array(image)

    def draw(self) -> Any:
        """A game's picture of its state (a Pillow image); ``None`` shows a text card."""
        return None

    def frame_caption(self) -> str:
        """The status line under a frame: the game, the turn and who moves."""
        status = "game over" if self.game_over else f"{self.agent_selection} to move"
        return f"{self.metadata['name']}  turn {self.turn}/{self.max_turns}  ({status})"

    def close(self) -> None:
        """Nothing to release; safe to call more than once."""

    # --- helpers --------------------------------------------------------------------------------

    def legal_actions(self, agent: str | None = None) -> list[str]:
        r"""The legal moves of ``agent`` (default: the agent to move) as ``\boxed{}`` actions."""
        agent = self.agent_selection if agent is None else agent
        if self.game_over or agent != self.agent_selection:
            return []
        return [boxed(m) for m in self.legal_moves(agent)]

    def all_actions(self) -> list[str]:
        r"""Every action that can ever be legal, as ``\boxed{}`` strings (for ``Discrete`` maps)."""
        return [boxed(m) for m in self.all_moves()]

    def action_mask(self, agent: str | None = None) -> ActionMask:
        """1 for each action of :meth:`all_actions` that ``agent`` may take now, else 0."""
        return make_mask(self.all_actions(), self.legal_actions(agent), self)

    def sample_random_action(self, agent: str | None = None) -> str:
        """A uniformly random legal action, drawn from the agent's action space RNG."""
        agent = self.agent_selection if agent is None else agent
        moves = self.legal_actions(agent)
        if not moves:
            return boxed("pass")
        return moves[int(self.action_space(agent).np_random.integers(len(moves)))]

    def check_action(self, action: object) -> None:
        """Raise ``TypeError`` for anything but a ``str`` (every ``str`` is a legal action)."""
        if not isinstance(action, str):
            raise TypeError(
                f"{type(self).__name__} takes str actions (LLM text), got "
                f"{type(action).__name__}: {action!r:.80}"
            )

    def _next_seat(self, agent: str) -> str:
        order = self.possible_agents
        return order[(order.index(agent) + 1) % len(order)]

    def _update_infos(self) -> None:
        # Fresh dicts every call: nothing is shared between steps or agents.
        self.infos = {}
        for agent in self.agents:
            valid, format_error = self.last_move.get(agent, (True, False))
            info: dict[str, Any] = {
                "turn": self.turn,
                "max_turns": self.max_turns,
                "valid_action": valid,
                "format_error": format_error,
                "to_move": not self.game_over and agent == self.agent_selection,
                "legal_moves": self.legal_actions(agent),
                "action_mask": self.action_mask(agent),
            }
            if self.game_over:
                info["success"] = agent in self.ending["winners"]
                info["reason"] = self.ending["reason"]
            self.infos[agent] = info
