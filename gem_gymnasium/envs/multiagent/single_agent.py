r"""A multi-agent game seen from one seat: a Gymnasium env whose opponents are policies.

``gymnasium.make("gem/TicTacToe-vsRandom-v0")`` is :class:`SingleAgentEnv` with
``game="TicTacToe", opponent="random"``: the agent plays ``player_0`` and, after each of its
moves, the other seats move until it is the agent's turn again.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any, ClassVar

from gem_gymnasium.actions import MoveTool, Param, ToolCallError, move_text, parse_tool_calls
from gem_gymnasium.core import TextEnv
from gem_gymnasium.envs.multiagent import load_game
from gem_gymnasium.envs.multiagent.base import compose, extract_message
from gem_gymnasium.envs.multiagent.policies import Policy
from gem_gymnasium.extras import optional_imports
from gem_gymnasium.parsing import last_boxed
from gem_gymnasium.spaces import DEFAULT_MAX_LENGTH

__all__ = ["BUILTIN_OPPONENTS", "SingleAgentEnv"]

#: Opponents given by name: ``"random"`` (a uniformly random legal move) and ``"scripted"``
#: (each game's simple built-in strategy, e.g. win-or-block for TicTacToe, tit for tat).
BUILTIN_OPPONENTS = ("random", "scripted")

#: The message tool of games with a message channel: a turn may call it besides its move.
SAY = MoveTool(
    "say",
    "Send a message to the other players with this turn's move.",
    (Param("text", "string", "The message."),),
)

_MAX_OPPONENT_STEPS = 100_000  # a bound on opponent moves between two agent moves


class SingleAgentEnv(TextEnv[str]):
    r"""One seat of a multi-agent text game, the other seats played by opponent policies.

    ## Description
    Wraps a game of :mod:`gem_gymnasium.envs.multiagent` (TicTacToe, ConnectFour, KuhnPoker,
    PrisonersDilemma, Negotiation). The agent plays seat ``seat``; every other seat is played
    by its opponent policy, and the agent only ever sees its own seat's observations (hidden
    information stays hidden).

    ## Action Space
    Free text, as in the game: the last ``\boxed{...}`` is the move (and ``<message>`` tags,
    where the game has a message channel, talk to the other players). ``answer_format`` reads
    the move from another format instead, ``"tool_call"`` against the game's move tools
    (TicTacToe ``mark(cell)``, ConnectFour ``drop(column)``, KuhnPoker ``act(action)``,
    PrisonersDilemma ``choose(move)``, Negotiation ``propose(counts)``/``accept()``/``reject()``);
    ``info["legal_moves"]`` is then written in that format. Games with a message channel add a
    ``say(text)`` tool: a turn may then hold two calls, the move and a message.

    ## Observation Space
    Text: the seat's observation in the game (rules at the start, then what the other players
    did, the state the seat can see, and the prompt).

    ## Starting State
    The game is reset with a seed drawn from ``self.np_random``, and each seat's action space
    (which the built-in opponents draw from) is seeded from it too, so the same seed gives the
    same episode for the same actions. Opponents that move before the agent have moved.

    ## Rewards
    The seat's rewards in the game, summed over the agent's move and the opponents' replies
    (TicTacToe/ConnectFour: +1 win, -1 loss, 0 draw; KuhnPoker: chips; PrisonersDilemma: the
    round's payoff; Negotiation: share value / total value). A format error pays -0.1 and, as in
    the game, loses the turn (a pass; check-or-fold in poker), so it is never better than a
    legal move.

    ## Episode End
    Termination: the game is over. With ``end_on_format_error=True`` a format error also ends
    the episode (reward: -0.1 plus whatever the lost turn cost at once). That is off by default,
    unlike the single-agent games: ending early would let an agent about to lose escape its
    loss for -0.1, a reward hack. Truncation: never by the environment itself.

    ## Information
    ``turn`` (the agent's moves), ``max_turns`` (the most the agent can make), ``valid_action``,
    ``format_error``, ``legal_moves`` (the agent's legal actions now); at the end ``success``
    (won / won the pot / not out-scored / deal made) and ``reason``.

    ## Arguments
    ```python
    gymnasium.make("gem/TicTacToe-vsRandom-v0", game="TicTacToe", opponent="random", seat=0,
                   game_kwargs=None, format_error_reward=-0.1, end_on_format_error=False,
                   answer_format=None, render_mode=None)
    ```
    ``opponent`` is ``"random"``, ``"scripted"``, a policy ``f(observation, info) -> str`` (for
    example an LLM client), or a mapping from seat name to one of these. ``game_kwargs`` go to
    the game's constructor (``{"rows": 5}``). Policies must be picklable for vector envs that
    use processes.

    ## Version History
    * v0: Initial version.
    """

    static_attributes: ClassVar[frozenset[str]] = TextEnv.static_attributes | {
        "move_tools",
        "game_name",
        "opponents",
        "seat",
        "parallel",
    }

    def __init__(
        self,
        game: str = "TicTacToe",
        opponent: str | Policy | Mapping[str, str | Policy] = "random",
        seat: int = 0,
        *,
        game_kwargs: Mapping[str, Any] | None = None,
        format_error_reward: float = -0.1,
        end_on_format_error: bool = False,
        max_length: int = DEFAULT_MAX_LENGTH,
        render_mode: str | None = None,
        answer_format: str | tuple[str, str] | None = None,
        action_format: str | tuple[str, str] | None = None,
    ) -> None:
        with optional_imports("multi-agent games"):
            from pettingzoo import ParallelEnv
            from pettingzoo.utils.conversions import parallel_to_aec_wrapper

        module = load_game(game)
        raw = module.raw_env(
            **dict(game_kwargs or {}),
            format_error_reward=format_error_reward,
            end_on_format_error=False,  # the view ends the episode itself when asked to
            max_length=max_length,
        )
        self.parallel = isinstance(raw, ParallelEnv)
        # The AEC layer itself (no order-enforcing wrapper), so rewards can be read directly.
        self.game = parallel_to_aec_wrapper(raw) if self.parallel else raw
        agents = list(raw.possible_agents)
        if not isinstance(seat, int) or not 0 <= seat < len(agents):
            raise ValueError(f"SingleAgentEnv: seat must be 0..{len(agents) - 1}, got {seat!r}")
        self.game_name = game
        self.seat = agents[seat]
        self.opponents = self._resolve_opponents(opponent, [a for a in agents if a != self.seat])
        self.move_tools = self.declared_tools(game)
        # The most moves the agent can make: rounds, or its share of the game's turn limit.
        max_turns = raw.max_cycles if self.parallel else math.ceil(raw.max_turns / len(agents))
        super().__init__(
            max_turns=max_turns,
            format_error_reward=format_error_reward,
            end_on_format_error=end_on_format_error,
            max_length=max_length,
            render_mode=render_mode,
            answer_format=answer_format,
            action_format=action_format,
        )

    @classmethod
    def declared_tools(cls, game: str = "TicTacToe", **kwargs: Any) -> tuple[MoveTool, ...]:
        """The game's move tools, plus ``say(text)`` where the game has a message channel."""
        raw_env = load_game(game).raw_env
        return (*raw_env.move_tools, *((SAY,) if raw_env.has_messages else ()))

    @staticmethod
    def _resolve_opponents(
        opponent: str | Policy | Mapping[str, str | Policy], others: list[str]
    ) -> dict[str, str | Policy]:
        chosen = (
            dict(opponent) if isinstance(opponent, Mapping) else dict.fromkeys(others, opponent)
        )
        if set(chosen) != set(others):
            raise ValueError(
                f"SingleAgentEnv: opponents needed for exactly {others}, got {sorted(chosen)}"
            )
        for agent, policy in chosen.items():
            if isinstance(policy, str) and policy not in BUILTIN_OPPONENTS:
                raise ValueError(
                    f"SingleAgentEnv: unknown opponent {policy!r} for {agent}; use one of "
                    f"{BUILTIN_OPPONENTS} or a callable policy(observation, info) -> str"
                )
            if not isinstance(policy, str) and not callable(policy):
                raise TypeError(
                    f"SingleAgentEnv: opponent for {agent} must be callable, got {policy!r}"
                )
        return chosen

    # --- TextEnv hooks ----------------------------------------------------------------------------

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        self.game.reset(seed=int(rng.integers(2**31)), options=options)
        for agent in self.game.possible_agents:
            self.game.action_space(agent).seed(int(rng.integers(2**31)))
        self._play_opponents()

    def rules(self) -> str:
        return self.game.observe(self.seat)

    def sample_random_action(self) -> str:
        moves = self.legal_actions()
        if not moves:
            return "\\boxed{pass}"
        return moves[int(self.action_space.np_random.integers(len(moves)))]

    def reset(
        self, *, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[str, dict[str, Any]]:
        """Reset the game and let the seats before the agent's move."""
        observation, info = super().reset(seed=seed, options=options)
        info["legal_moves"] = self._legal_moves_info()
        return observation, info

    def all_actions(self) -> list[str]:
        r"""Every action that can ever be legal for the agent (a fixed list, for ``Discrete``)."""
        return list(self.game.unwrapped.all_actions())

    def legal_actions(self) -> list[str]:
        r"""The agent's legal moves now, as ``\boxed{}`` actions."""
        if self.done:
            return []
        return list(self.game.unwrapped.legal_actions(self.seat))

    # --- the Gymnasium API ------------------------------------------------------------------------

    def step(self, action: str) -> tuple[str, float, bool, bool, dict[str, Any]]:
        self._check_step(action)
        self.turn += 1
        boxed_format = self.reply_format.kind == "boxed"
        self.game.step(action if boxed_format else self._as_game_action(action))
        format_error = self._seat_flags()[1]
        if format_error and self.end_on_format_error:
            reward = float(self.game._cumulative_rewards.get(self.seat, 0.0))
            self.done = True
            observation = compose(self.reply_format_error(), "Game over (format error).")
            info = self._step_info(valid=False, format_error=True)
            info.update(success=False, reason="format_error")
            return self.present(observation), reward, True, False, info
        self._play_opponents()
        reward = float(self.game._cumulative_rewards.get(self.seat, 0.0))
        valid, format_error = self._seat_flags()
        terminated = self._seat_done()
        self.done = terminated
        info = self._step_info(valid=valid, format_error=format_error)
        if terminated:
            final = self.game.infos.get(self.seat, {})
            info["success"] = bool(final.get("success", False))
            info["reason"] = str(final.get("reason", "game_over"))
        observation = self.game.observe(self.seat)
        if not boxed_format:
            # The game's own feedback on the lost turn is gone once the opponents have moved.
            if format_error:
                observation = compose(self.reply_format_error(), observation)
            observation = self.present(observation)
        return observation, reward, terminated, False, info

    def _as_game_action(self, action: str | Mapping[str, Any]) -> str:
        r"""The action in the game's own form: the move as ``\boxed{}``, messages kept."""
        text = action if isinstance(action, str) else str(action.get("content") or "")
        message = extract_message(text)
        if self.reply_format.kind == "tool_call":
            move, said = self._move_and_message(action)
            message = said if said is not None else message
        else:
            move = self.extract_answer(action)
        kept = f"<message>{message}</message>" if message else ""
        if move is None or "{" in move or "}" in move:  # braces would change the boxed move
            return kept  # no move: the game's format error
        return f"{kept}\\boxed{{{move}}}"

    def tool_instructions(self) -> str:
        if SAY not in self.move_tools:
            return super().tool_instructions()
        moves = ", ".join(t.signature() for t in self.move_tools if t is not SAY)
        return f"Act by calling one move tool per turn: {moves}; add say(text) to send a message."

    def _move_and_message(self, action: str | Mapping[str, Any]) -> tuple[str | None, str | None]:
        """The move text and the ``say`` message of a tool-call action (several calls allowed:
        one move and at most one message); on a problem the move is ``None`` and
        ``_format_error_detail`` says why."""
        try:
            calls = parse_tool_calls(action)
            says = [c for c in calls if c.name == SAY.name and SAY in self.move_tools]
            moves = [c for c in calls if c not in says]
            if len(says) > 1:
                raise ToolCallError(f"{len(says)} say calls; send at most one message per turn")
            message = move_text(says[0], self.move_tools) if says else None
            texts = [move_text(call, self.move_tools) for call in moves]  # unknown tools first
            if len(texts) != 1:
                names = ", ".join(t.signature() for t in self.move_tools if t is not SAY)
                raise ToolCallError(f"{len(texts)} move calls; make exactly one of {names}")
            move = texts[0]
        except ToolCallError as error:
            self._format_error_detail = str(error)
            return None, None
        self._format_error_detail = f"the call to {moves[0].name} is not a move of this game"
        return move, message

    def render_text(self) -> str:
        if self._never_reset():
            return f"{self.game_name} ({self.seat})"
        return self.game.observe(self.seat)

    def draw(self) -> Any:
        """The game's own picture where it draws one (boards); else ``None``, a text card."""
        draw = getattr(self.game.unwrapped, "draw", None)
        return draw() if draw is not None else None

    # --- helpers ----------------------------------------------------------------------------------

    def _seat_done(self) -> bool:
        return bool(self.game.terminations.get(self.seat) or self.game.truncations.get(self.seat))

    def _seat_flags(self) -> tuple[bool, bool]:
        info = self.game.infos.get(self.seat, {})
        return bool(info.get("valid_action", True)), bool(info.get("format_error", False))

    def _step_info(self, *, valid: bool, format_error: bool) -> dict[str, Any]:
        return {
            "turn": self.turn,
            "max_turns": self.max_turns,
            "valid_action": valid,
            "format_error": format_error,
            "legal_moves": self._legal_moves_info(),
        }

    def _legal_moves_info(self) -> list[str]:
        """The legal moves, written in the answer format in force."""
        moves = self.legal_actions()
        if self.reply_format.kind == "boxed":
            return moves
        return [self.reply_format.render(last_boxed(m) or "", self.move_tools) for m in moves]

    def _play_opponents(self) -> None:
        """Let the other seats move until it is the agent's turn or the game is over."""
        game = self.game
        for _ in range(_MAX_OPPONENT_STEPS):
            if self._seat_done() or game.agent_selection == self.seat:
                return
            agent = game.agent_selection
            if game.terminations[agent] or game.truncations[agent]:
                game.step(None)
                continue
            game.step(self._opponent_action(agent))
        raise RuntimeError(f"SingleAgentEnv: opponents made {_MAX_OPPONENT_STEPS} moves in a row")

    def _opponent_action(self, agent: str) -> str:
        policy = self.opponents[agent]
        if policy == "random":
            return self.game.unwrapped.sample_random_action(agent)
        if policy == "scripted":
            return self.game.unwrapped.scripted_move(agent)
        return policy(self.game.observe(agent), dict(self.game.infos[agent]))  # type: ignore[operator]
