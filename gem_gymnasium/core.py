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
    parse_move(content)           the move text -> a move, or None for a format error
    play(move) -> Outcome | str   apply a legal or illegal move (a str: an ordinary move's feedback)
    turn_limit_reward() -> float  paid once when max_turns runs out
    sample_random_action() -> str a well-formed random action (in the default answer format)

How the move text is read is the env's answer format (:mod:`gem_gymnasium.actions`):
``answer_format="boxed"`` (the default), ``"answer_tags"``, ``"code_block"``, ``"tool_call"``
(against the class's :attr:`~TextEnv.move_tools`) or a pair of delimiters. Rules, prompts and
feedback are written for ``\boxed{}``; under another format their examples are shown in it.
"""

from __future__ import annotations

import copy
import functools
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar, Generic, TypeVar

import gymnasium as gym
import numpy as np
from gymnasium.error import ResetNeeded
from gymnasium.utils import seeding

from gem_gymnasium.actions import (
    AnswerFormat,
    MoveTool,
    Param,
    ToolCallError,
    move_text,
    parse_tool_calls,
    require_schema_validator,
)
from gem_gymnasium.parsing import last_boxed
from gem_gymnasium.spaces import DEFAULT_MAX_LENGTH, TextSpace

__all__ = [
    "EnvState",
    "Outcome",
    "TextEnv",
    "UnsupportedRenderMode",
    "check_render_mode",
    "seed_random_moves",
]

MoveT = TypeVar("MoveT")

_UNIFORM_BLOCK = 64  # uniforms drawn per Generator call by TextEnv.randint


#: Offset between an episode's seed and the seed of its random moves (see :func:`seed_random_moves`).
RANDOM_MOVES_SEED_OFFSET = 2**33


def seed_random_moves(env: gym.Env, seed: int) -> None:
    """Seed the random moves (``sample_random_action``, ``action_space.sample``) of the episode
    reset with ``seed``, apart from the env's own draws: with the same seed the two generators
    would draw the same numbers, and a random guess would often be the secret."""
    env.action_space.seed(RANDOM_MOVES_SEED_OFFSET + seed)


class UnsupportedRenderMode(ValueError, TypeError):
    """A ``render_mode`` the env does not offer.

    A ``ValueError`` (a bad value) that is also a ``TypeError``, because Stable-Baselines3's
    ``make_vec_env`` asks every env for ``render_mode="rgb_array"`` and retries without it only
    on a ``TypeError``.
    """


def check_render_mode(owner: str, render_mode: str | None, render_modes: list[str]) -> None:
    """Raise :class:`UnsupportedRenderMode` unless ``render_mode`` is ``None`` or offered."""
    if render_mode is not None and render_mode not in render_modes:
        raise UnsupportedRenderMode(
            f"{owner}: render_mode must be one of {render_modes} or None, got {render_mode!r}"
        )


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
        answer_format: Where the move sits in the reply: ``"boxed"``, ``"answer_tags"``,
            ``"code_block"``, ``"tool_call"`` or ``(opening, closing)`` delimiters; ``None``
            is the family's :attr:`default_answer_format`.
        action_format: Another name for ``answer_format`` (give one of them).
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
            "answer_format",
            "reply_format",
            "extract_answer",
            "_format_error_detail",
            "_rewrites_examples",
        }
    )

    #: The moves as function tools (what ``answer_format="tool_call"`` calls), in the order the
    #: prompt lists them; :func:`~gem_gymnasium.actions.tools_for` reads them without an
    #: instance. Games declare their own; the default takes the move text whole.
    move_tools: ClassVar[tuple[MoveTool, ...]] = (
        MoveTool("answer", "Give your answer or move.", (Param("text", "string", "The answer."),)),
    )
    #: The family's answer format when ``answer_format`` is not given.
    default_answer_format: ClassVar[str] = "boxed"

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
        answer_format: str | tuple[str, str] | None = None,
        action_format: str | tuple[str, str] | None = None,
    ) -> None:
        if not isinstance(max_turns, int) or isinstance(max_turns, bool):
            raise TypeError(f"{type(self).__name__}: max_turns must be an int, got {max_turns!r}")
        if max_turns < 1:
            raise ValueError(f"{type(self).__name__}: max_turns must be >= 1, got {max_turns}")
        check_render_mode(type(self).__name__, render_mode, self.metadata["render_modes"])
        self.max_turns = max_turns
        self.format_error_reward = float(format_error_reward)
        self.end_on_format_error = bool(end_on_format_error)
        self.render_mode = render_mode
        self.observation_space = TextSpace(max_length)
        self.action_space = TextSpace(max_length)
        self.turn = 0
        self.done = True
        self._uniforms: list[float] = []  # TextEnv.randint's pending draws, last one first
        self._set_answer_format(answer_format, action_format)

    def _set_answer_format(
        self,
        answer_format: str | tuple[str, str] | None,
        action_format: str | tuple[str, str] | None,
    ) -> None:
        name = type(self).__name__
        both = answer_format is not None and action_format is not None
        if both and AnswerFormat.of(answer_format) != AnswerFormat.of(action_format):
            raise ValueError(f"{name}: answer_format and action_format disagree; give one")
        chosen = answer_format if answer_format is not None else action_format
        try:
            fmt = AnswerFormat.of(self.default_answer_format if chosen is None else chosen)
        except ValueError as error:
            raise ValueError(f"{name}: {error}") from None
        if fmt.kind == "tool_call":
            if not self.move_tools:
                raise ValueError(f"{name}: answer_format='tool_call' needs move tools; it has none")
            require_schema_validator()
        self.reply_format = fmt
        self._rewrites_examples = fmt.kind != "boxed"  # one flag on the hot path
        #: The answer format in force, as given to ``make`` (``"boxed"``, ``("<m>", "</m>")``).
        self.answer_format = fmt.spec
        self._format_error_detail = ""  # why the last tool call was not a move
        # The default boxed format keeps the class-level last_boxed (the hot path).
        if fmt.kind == "tool_call":
            self.extract_answer = self._tool_call_move
        elif fmt.kind != "boxed":
            self.extract_answer = fmt.extract

    @classmethod
    def declared_tools(cls, **kwargs: Any) -> tuple[MoveTool, ...]:
        """The move tools an env made with ``kwargs`` has (the class's own by default)."""
        return cls.move_tools

    def tool_schemas(self) -> list[dict[str, Any]]:
        """This env's move tools in OpenAI's format (for ``apply_chat_template(tools=...)``)."""
        return [tool.schema() for tool in self.move_tools]

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
        """A well-formed random action for the current state (it parses; legal where cheap).

        Subclasses write it in :attr:`default_answer_format`; the callers get it in the answer
        format in force (``__init_subclass__`` wraps every override with the translation).
        """
        raise NotImplementedError

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        sampler = cls.__dict__.get("sample_random_action")
        if sampler is not None and not hasattr(sampler, "__in_answer_format__"):

            @functools.wraps(sampler)
            def sample_random_action(self: TextEnv) -> str:
                return self._in_answer_format(sampler(self))

            sample_random_action.__in_answer_format__ = True  # type: ignore[attr-defined]
            cls.sample_random_action = sample_random_action  # type: ignore[method-assign]

    def _in_answer_format(self, reply: str) -> str:
        """A reply written in :attr:`default_answer_format`, in the format in force."""
        fmt = self.reply_format
        if fmt.kind == self.default_answer_format:
            return reply
        content = AnswerFormat.of(self.default_answer_format).extract(reply)
        return fmt.render("" if content is None else content, self.move_tools)

    #: The move text of an action (``action -> str | None``): the last ``\boxed{}`` by default;
    #: ``__init__`` replaces it per instance for the other answer formats.
    extract_answer = staticmethod(last_boxed)

    def _tool_call_move(self, action: str | Mapping[str, Any]) -> str | None:
        """The move text of the one tool call in ``action``; ``None`` (and why) if unusable."""
        try:
            calls = parse_tool_calls(action)
            if len(calls) > 1:
                raise ToolCallError(
                    f"{len(calls)} tool calls in one reply; this game takes one move per turn"
                )
            text = move_text(calls[0], self.move_tools)
            # Read only if the game cannot parse the text (a format error after all).
            self._format_error_detail = (
                f"the call to {calls[0].name} is not a move of this game ({text[:80]!r})"
            )
            return text
        except ToolCallError as error:
            self._format_error_detail = str(error)
            return None

    def tool_instructions(self) -> str:
        """The sentence that tells a tool-calling agent how to act (shown at reset and with
        every tool-call format error)."""
        return self.reply_format.describe(self.move_tools)

    def present(self, text: str) -> str:
        r"""Text written for ``\boxed{}`` answers, with its examples in the format in force."""
        return self.reply_format.rewrite_examples(text, self.move_tools)

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
        if self._rewrites_examples:
            observation = self._present_rules(observation)
        info = {"turn": 0, "max_turns": self.max_turns, "valid_action": True, "format_error": False}
        return observation, info

    def _present_rules(self, observation: str) -> str:
        observation = self.present(observation)
        if self.reply_format.kind == "tool_call":
            observation = f"{observation}\n\n{self.tool_instructions()}"
        return observation

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        """Play one turn; see the module docstring for rewards and termination."""
        # The hot path of every rollout: one branch guards both misuse checks, and the common
        # turn (an ordinary move, ``play`` returned its feedback as a str, turns left) skips the
        # Outcome object and the ending logic.
        if self.done or type(action) is not str:
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
        if self._rewrites_examples:
            observation = self.present(observation)
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
        """Raise for a non-``str`` action (or message dict) or a step after the episode ended."""
        self.check_action(action)
        if self.done:
            # reset() sets turn 0 and done False, so done at turn 0 means no episode yet.
            what = "no episode has started" if self.turn == 0 else "the episode has ended"
            raise ResetNeeded(f"{type(self).__name__}: {what}; call reset() before step()")

    def _format_error_outcome(self) -> Outcome:
        return Outcome(
            feedback=self.reply_format_error(),
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
        """Raise ``TypeError`` for anything but a ``str`` (every ``str`` is a legal action).

        Under ``answer_format="tool_call"`` an OpenAI-style assistant message (a mapping) is an
        action too.
        """
        if isinstance(action, str):
            return
        if isinstance(action, Mapping) and self.reply_format.kind == "tool_call":
            return
        accepted = "str actions (LLM text)"
        if self.reply_format.kind == "tool_call":
            accepted = "str actions (LLM text) or assistant message dicts"
        raise TypeError(
            f"{type(self).__name__} takes {accepted}, got {type(action).__name__}: {action!r:.80}"
        )

    def reply_format_error(self) -> str:
        """The feedback for a format error: what was wrong with a tool call, else
        :meth:`format_error_message` (whose examples :meth:`present` shows in the format)."""
        if self.reply_format.kind != "tool_call":
            return self.format_error_message()
        detail = self._format_error_detail or "no tool call found"
        return f"Format error: {detail}. {self.tool_instructions()}"

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
