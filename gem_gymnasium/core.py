r"""``TextEnv``: the ``gymnasium.Env[str, str]`` base class of every game and task.

A subclass describes one game through a handful of hooks; the base class owns the conventions
that every environment shares (see the environment catalogue):

* the action is free text and only its last ``\boxed{...}`` counts;
* no parsable box is a *format error*: reward ``format_error_reward`` (-0.1) and, by default,
  the end of the episode;
* a parsable but illegal move is *invalid*: reward 0, the turn is used, the observation says why;
* reaching ``max_turns`` ends the episode with ``terminated=True`` and pays the game's
  turn-limit reward; ``truncated`` is left to outside limits such as ``TimeLimit``;
* ``info`` always holds ``turn``, ``max_turns``, ``valid_action`` and ``format_error``, and at the
  end of an episode ``success`` and ``reason``.

Hooks, in the order an episode calls them::

    _new_episode(options)         draw a fresh episode from self.np_random
    rules() -> str                the task description shown at reset
    describe_state() -> str       the current board / state, shown after every turn
    action_prompt() -> str        what to enter next
    parse_move(content)           the boxed content -> a move, or None for a format error
    play(move) -> Outcome | str   apply a legal or illegal move (a str: an ordinary move's feedback)
    turn_limit_reward() -> float  paid once when max_turns runs out
    sample_random_action() -> str a well-formed random action
"""

from __future__ import annotations

import copy
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import gymnasium as gym
import numpy as np
from gymnasium.error import ResetNeeded
from gymnasium.utils import seeding

from gem_gymnasium.parsing import last_boxed
from gem_gymnasium.spaces import DEFAULT_MAX_LENGTH, TextSpace

__all__ = ["EnvState", "Outcome", "TextEnv"]

MoveT = TypeVar("MoveT")

_UNIFORM_BLOCK = 64  # uniforms drawn per Generator call by TextEnv.randint


@dataclass(slots=True)
class Outcome:
    """What one parsed move did.

    Attributes:
        feedback: One or two sentences for the agent ("Too low.", "That cell is taken.").
        reward: Reward for this move (shaped games pay partial rewards here).
        valid: ``False`` for a well-formed but illegal move (the turn is still used).
        won: The move finished the game successfully (``bool``).
        lost: The move finished the game unsuccessfully (a mine, no legal move left).
        reason: Why the episode ended, when it did (defaults to "won" / "lost").
    """

    feedback: str
    reward: float = 0.0
    valid: bool = True
    won: bool = False
    lost: bool = False
    reason: str | None = None


@dataclass(frozen=True)
class EnvState:
    """A snapshot from :meth:`TextEnv.get_state`: episode variables and the RNG's state."""

    variables: dict[str, Any]
    rng_state: dict[str, Any] | None


class TextEnv(gym.Env[str, str], Generic[MoveT]):
    """Base class of turn-based text environments; see the module docstring for the hooks.

    Args:
        max_turns: Turns per episode; reaching it ends the episode (``terminated=True``).
        format_error_reward: Reward for an action with no parsable ``\\boxed{}`` answer.
        end_on_format_error: Whether a format error ends the episode.
        max_length: Bound of the observation and action :class:`TextSpace`, in characters.
        render_mode: ``None``, ``"ansi"`` (``render()`` returns the state text), ``"human"``
            (``render()`` prints it) or ``"rgb_array"`` (an image of the state, see :meth:`draw`).
    """

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["ansi", "human", "rgb_array"],
        "render_fps": 4,
    }

    #: Attributes that are configuration or shared resources, not episode state: snapshots skip
    #: them. Subclasses add their own (datasets, word lists, process pools).
    static_attributes: ClassVar[frozenset[str]] = frozenset(
        {
            "observation_space",
            "action_space",
            "spec",
            "render_mode",
            "_np_random",
            "_np_random_seed",
            "format_error_reward",
            "end_on_format_error",
        }
    )

    # --- set by __init__ ---------------------------------------------------------------------
    max_turns: int
    format_error_reward: float
    end_on_format_error: bool
    # --- episode state ------------------------------------------------------------------------
    turn: int
    """Turns taken in the current episode."""
    done: bool
    """Whether the current episode has ended (step() then needs reset())."""

    def __init__(
        self,
        *,
        max_turns: int,
        format_error_reward: float = -0.1,
        end_on_format_error: bool = True,
        max_length: int = DEFAULT_MAX_LENGTH,
        render_mode: str | None = None,
    ) -> None:
        if not isinstance(max_turns, int) or isinstance(max_turns, bool):
            raise TypeError(f"{type(self).__name__}: max_turns must be an int, got {max_turns!r}")
        if max_turns < 1:
            raise ValueError(f"{type(self).__name__}: max_turns must be >= 1, got {max_turns}")
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(
                f"{type(self).__name__}: render_mode must be one of "
                f"{self.metadata['render_modes']} or None, got {render_mode!r}"
            )
        self.max_turns = max_turns
        self.format_error_reward = float(format_error_reward)
        self.end_on_format_error = bool(end_on_format_error)
        self.render_mode = render_mode
        self.observation_space = TextSpace(max_length)
        self.action_space = TextSpace(max_length)
        self.turn = 0
        self.done = True
        self._uniforms: list[float] = []  # TextEnv.randint's pending draws, last one first

    # --- hooks for subclasses -------------------------------------------------------------------

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        """Draw the episode's hidden state from ``self.np_random``."""
        raise NotImplementedError

    def rules(self) -> str:
        """The task description shown at reset (may depend on the episode's parameters)."""
        raise NotImplementedError

    def describe_state(self) -> str:
        """The current state as the agent sees it; empty for stateless tasks."""
        return ""

    def action_prompt(self) -> str:
        """A line telling the agent what to enter next."""
        return ""

    def parse_move(self, content: str) -> MoveT | None:
        r"""Turn the content of the last ``\boxed{}`` into a move; ``None`` is a format error."""
        raise NotImplementedError

    def play(self, move: MoveT) -> Outcome | str:
        """Apply a parsed move and say what happened.

        Return the feedback text alone for an ordinary move (valid, no reward, the game goes
        on); an :class:`Outcome` for anything else.
        """
        raise NotImplementedError

    def turn_limit_reward(self) -> float:
        """Reward added on the turn that exhausts ``max_turns`` without a win or loss."""
        return 0.0

    def sample_random_action(self) -> str:
        """A well-formed random action for the current state (it parses; legal where cheap)."""
        raise NotImplementedError

    #: The part of the action that counts (``action -> str | None``): the last ``\boxed{}``
    #: by default; tasks that answer in ``<answer>`` tags override it with a method.
    extract_answer = staticmethod(last_boxed)

    # --- randomness -----------------------------------------------------------------------------

    def randint(self, low: int, high: int) -> int:
        """A uniform integer in ``[low, high]`` from :attr:`np_random`, cheaply.

        ``Generator.integers`` and even ``Generator.random()`` cost about half a microsecond per
        call in argument handling, a large part of a text game's reset. So uniforms are drawn in
        blocks of 64 and handed out in the order single ``random()`` calls would give them. A
        reseed or a new :attr:`np_random` drops the block; snapshots carry it. The float draw's
        bias, at most ``(high - low + 1) / 2**53``, is far below anything measurable.
        """
        uniforms = self._uniforms
        if not uniforms:
            uniforms = self._uniforms = self.np_random.random(_UNIFORM_BLOCK)[::-1].tolist()
        return low + int(uniforms.pop() * (high - low + 1))

    def _set_np_random(self, value: np.random.Generator) -> None:
        gym.Env.np_random.fset(self, value)
        self._uniforms = []

    np_random = property(gym.Env.np_random.fget, _set_np_random, doc=gym.Env.np_random.__doc__)

    # --- the Gymnasium API -------------------------------------------------------------------------

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Start an episode; the observation is the rules followed by the initial state."""
        if seed is not None:
            # Gymnasium's Env.reset only (re)seeds np_random, so it is called only with a seed:
            # the call costs a tenth of a whole reset of a simple game.
            super().reset(seed=seed)
            self._uniforms = []
        self.turn = 0
        self.done = False
        self._new_episode(options)
        rules, state, prompt = self.rules(), self.describe_state(), self.action_prompt()
        if rules and prompt and not state:  # the usual case (the rules describe the start)
            observation = f"{rules}\n\n{prompt}"
        else:
            observation = "\n\n".join(filter(None, (rules, state, prompt)))
        info = {"turn": 0, "max_turns": self.max_turns, "valid_action": True, "format_error": False}
        return observation, info

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Play one turn; see the module docstring for rewards and termination."""
        # The hot path of every rollout: one branch guards both misuse checks, and the common
        # turn (an ordinary move, ``play`` returned its feedback as a str, turns left) skips the
        # Outcome object and the ending logic.
        if self.done or not isinstance(action, str):
            self._check_step(action)
        self.turn = turn = self.turn + 1
        answer = self.extract_answer(action)
        move = None if answer is None else self.parse_move(answer)
        outcome = self._format_error_outcome() if move is None else self.play(move)

        if type(outcome) is str and turn < self.max_turns:
            feedback, reward, valid, terminated = outcome, 0.0, True, False
            tail = self.action_prompt()
        else:
            if type(outcome) is str:  # an ordinary move on the last turn
                outcome = Outcome(outcome)
            feedback, reward, valid = outcome.feedback, float(outcome.reward), outcome.valid
            terminated = bool(outcome.won or outcome.lost)
            if terminated:
                reason = outcome.reason or ("won" if outcome.won else "lost")
            elif turn >= self.max_turns:
                reward += float(self.turn_limit_reward())
                terminated, reason = True, "turn_limit"
            if terminated:
                self.done = True
                tail = "You won!" if outcome.won else f"Game over ({reason.replace('_', ' ')})."
            else:
                tail = self.action_prompt()

        state = self.describe_state()
        observation = f"{feedback}\n\n{state}\n\n{tail}" if state else f"{feedback}\n\n{tail}"
        info = {
            "turn": turn,
            "max_turns": self.max_turns,
            "valid_action": valid,
            "format_error": move is None,
        }
        if terminated:
            info["success"] = bool(outcome.won)
            info["reason"] = reason
        # The turn limit is a rule of the game, so it terminates; truncation comes from wrappers.
        return observation, reward, terminated, False, info

    def _check_step(self, action: object) -> None:
        """Raise for a non-``str`` action or a step after the episode ended."""
        self.check_action(action)
        if self.done:
            # reset() sets turn 0 and done False, so done at turn 0 means no episode yet.
            what = "no episode has started" if self.turn == 0 else "the episode has ended"
            raise ResetNeeded(f"{type(self).__name__}: {what}; call reset() before step()")

    def _format_error_outcome(self) -> Outcome:
        return Outcome(
            feedback=self.format_error_message(),
            reward=self.format_error_reward,
            valid=False,
            lost=self.end_on_format_error,
            reason="format_error",
        )

    def render(self) -> str | np.ndarray | None:
        """``"ansi"``: the state text; ``"human"``: print it; ``"rgb_array"``: an RGB ``uint8``
        image of the state; ``None``: nothing."""
        if self.render_mode is None:
            return None
        if self.render_mode == "rgb_array":
            return self.render_image()
        text = self.render_text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def render_text(self) -> str:
        """The text that :meth:`render` shows; the agent's view of the state by default."""
        state = self.describe_state() if not self._never_reset() else ""
        return state or f"{type(self).__name__} (turn {self.turn}/{self.max_turns})"

    def render_image(self) -> np.ndarray:
        """The ``"rgb_array"`` frame: the game's :meth:`draw`, else a text card of the state."""
        from gem_gymnasium import rendering

        image = None if self._never_reset() else self.draw()
        if image is None:
            image = rendering.text_card(self.render_text(), title=self.frame_caption())
        return rendering.to_array(image)

    def frame_caption(self) -> str:
        """The status line under a frame: the env and the turn."""
        return f"{type(self).__name__}  turn {self.turn}/{self.max_turns}"

    def draw(self) -> Any:
        """A game's picture of its state (a Pillow image from :mod:`gem_gymnasium.rendering`);
        ``None`` shows :meth:`render_text` on a text card. Called only after a reset."""
        return None

    def close(self) -> None:
        """Release resources; safe to call more than once."""

    # --- helpers ---------------------------------------------------------------------------------

    def check_action(self, action: object) -> None:
        """Raise ``TypeError`` for anything but a ``str`` (every ``str`` is a legal action)."""
        if not isinstance(action, str):
            raise TypeError(
                f"{type(self).__name__} takes str actions (LLM text), got {type(action).__name__}: "
                f"{action!r:.80}"
            )

    def format_error_message(self) -> str:
        r"""Feedback for an action without a usable ``\boxed{}`` answer."""
        return (
            "Format error: no valid answer found. Put your move inside \\boxed{...} "
            "as described in the rules."
        )

    def _never_reset(self) -> bool:
        return self._np_random is None

    # --- snapshots -------------------------------------------------------------------------------

    def get_state(self) -> EnvState:
        """A snapshot of the episode (including the RNG) that :meth:`set_state` restores.

        Cheap for games (a deep copy of a few small attributes); configuration and shared
        resources listed in :attr:`static_attributes` are not copied.
        """
        variables = {
            key: value for key, value in vars(self).items() if key not in self.static_attributes
        }
        rng_state = None if self._np_random is None else self._np_random.bit_generator.state
        return EnvState(copy.deepcopy(variables), copy.deepcopy(rng_state))

    def set_state(self, state: EnvState) -> None:
        """Restore a snapshot taken by :meth:`get_state` on an env of the same configuration."""
        if not isinstance(state, EnvState):
            raise TypeError(f"set_state expects an EnvState, got {type(state).__name__}")
        vars(self).update(copy.deepcopy(state.variables))
        if state.rng_state is None:
            self._np_random = None
        else:
            if self._np_random is None:
                self._np_random, _ = seeding.np_random()
            self._np_random.bit_generator.state = copy.deepcopy(state.rng_state)
