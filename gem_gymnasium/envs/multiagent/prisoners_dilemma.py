r"""# Iterated Prisoner's Dilemma with messages

| | |
|---|---|
| Creation | `from gem_gymnasium.envs.multiagent import prisoners_dilemma` then `prisoners_dilemma.parallel_env()` (native) or `prisoners_dilemma.env()` (AEC) |
| Actions | Free text (`TextSpace`): `<message>...</message>` (optional) and `\boxed{C}` or `\boxed{D}` |
| Parallel API | Yes (simultaneous moves; `raw_env` is the `ParallelEnv`) |
| Agents | `['player_0', 'player_1']` |
| Observation space | `TextSpace(max_length=65536)` per agent |
| Action space | `TextSpace(max_length=65536)` per agent |
| Single-agent ids | `gem/PrisonersDilemma-vsRandom-v0`, `gem/PrisonersDilemma-vsTitForTat-v0` |

Two players play `max_cycles` rounds of the Prisoner's Dilemma. Each round both choose at the
same time to cooperate (C) or defect (D), and may send a free-text message that the other player
reads in the next round's observation (cheap talk: nothing binds them to it).

## Observation
Text. At reset: the rules, the payoff table and the number of rounds. After each round: both
moves, both payoffs, the other player's message, the scores and the round number, then the
prompt.

## Legal moves
Both agents move every round: `info["legal_moves"]` is `["\\boxed{C}", "\\boxed{D}"]`
(`cooperate` and `defect` are accepted too), also `env.legal_actions(agent)`, and
`info["action_mask"]` is `[1, 1]` over `env.all_actions()` (C, D; `[0, 0]` once finished).

## Action
The last `\boxed{}` holds the move; the last `<message>...</message>` (at most 500 characters,
longer ones are cut) is the message. Anything else in the text is private (reasoning). No move
in a box is a format error: the player gets -0.1 instead of a payoff that round and the other
player gets nothing either (a missing move cannot be exploited). A missing entry in the actions
dict counts as a format error.

## Rewards
Per round, the classic payoffs (configurable with `payoffs`): both C -> 3 each; both D -> 1 each;
D against C -> 5 for the defector and 0 for the cooperator. At the end `info["success"]` is true
for every player whose total is at least the other's.

## Episode End
Termination after `max_cycles` rounds (a rule the players are told). Truncation: never.

## Arguments
```python
prisoners_dilemma.parallel_env(max_cycles=10, payoffs=None, format_error_reward=-0.1,
                               end_on_format_error=False, render_mode=None)
```
`payoffs` maps `(my move, their move)` to my payoff, e.g. `{("C", "C"): 3, ("C", "D"): 0, ...}`.
With `end_on_format_error=True` a format error ends the game after the round.

## Version History
* v0: Initial version.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, ClassVar

from gymnasium.utils import seeding

from gem_gymnasium.extras import optional_imports

with optional_imports("multi-agent games"):
    from pettingzoo import ParallelEnv
    from pettingzoo.utils.conversions import parallel_to_aec

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import check_render_mode
from gem_gymnasium.envs.multiagent.base import TextSpaces, boxed, compose, extract_message
from gem_gymnasium.envs.multiagent.masks import make_mask
from gem_gymnasium.parsing import last_boxed
from gem_gymnasium.spaces import DEFAULT_MAX_LENGTH

__all__ = ["DEFAULT_PAYOFFS", "env", "parallel_env", "raw_env"]

DEFAULT_PAYOFFS: dict[tuple[str, str], float] = {
    ("C", "C"): 3.0,
    ("C", "D"): 0.0,
    ("D", "C"): 5.0,
    ("D", "D"): 1.0,
}
_WORDS = {"c": "C", "cooperate": "C", "d": "D", "defect": "D"}


def parse_choice(content: str) -> str | None:
    """``"C"``/``"cooperate"`` -> ``"C"``, ``"D"``/``"defect"`` -> ``"D"``, else ``None``."""
    return _WORDS.get(content.strip().lower())


class raw_env(TextSpaces, ParallelEnv):
    """The iterated Prisoner's Dilemma as a native PettingZoo ``ParallelEnv``."""

    #: The move as a function tool (``answer_format="tool_call"`` in the one-seat view).
    move_tools = (
        MoveTool(
            "choose",
            "Cooperate (C) or defect (D) this round.",
            (Param("move", "choice", "C to cooperate, D to defect.", ("C", "D")),),
        ),
    )
    #: Players may talk: ``<message>`` tags, or the ``say`` tool in the one-seat view.
    has_messages = True

    metadata: ClassVar[dict[str, Any]] = {
        "render_modes": ["ansi", "human", "rgb_array"],
        "name": "prisoners_dilemma_v0",
        "is_parallelizable": True,
        "render_fps": 1,
    }

    def __init__(
        self,
        max_cycles: int = 10,
        payoffs: Mapping[tuple[str, str], float] | None = None,
        *,
        format_error_reward: float = -0.1,
        end_on_format_error: bool = False,
        max_length: int = DEFAULT_MAX_LENGTH,
        render_mode: str | None = None,
    ) -> None:
        if not isinstance(max_cycles, int) or isinstance(max_cycles, bool) or max_cycles < 1:
            raise ValueError(
                f"PrisonersDilemma: max_cycles must be an int >= 1, got {max_cycles!r}"
            )
        check_render_mode("PrisonersDilemma", render_mode, self.metadata["render_modes"])
        payoffs = dict(DEFAULT_PAYOFFS if payoffs is None else payoffs)
        if set(payoffs) != set(DEFAULT_PAYOFFS):
            raise ValueError(
                f"PrisonersDilemma: payoffs needs exactly the keys {sorted(DEFAULT_PAYOFFS)}"
            )
        self.payoffs = {key: float(value) for key, value in payoffs.items()}
        self.max_cycles = max_cycles
        self.format_error_reward = float(format_error_reward)
        self.end_on_format_error = bool(end_on_format_error)
        self.render_mode = render_mode
        self.possible_agents = ["player_0", "player_1"]
        self._init_text_spaces(max_length)
        self.agents: list[str] = []
        self.round = 0
        self.rounds = max_cycles
        self.history: list[dict[str, str | None]] = []  # per round: agent -> "C", "D" or None
        self.messages: dict[str, str] = {}
        self.scores: dict[str, float] = {}

    # --- the PettingZoo API ---------------------------------------------------------------------

    def reset(
        self, seed: int | None = None, options: dict[str, Any] | None = None
    ) -> tuple[dict[str, str], dict[str, dict[str, Any]]]:
        if seed is not None:
            self._np_random, _ = seeding.np_random(seed)
        self.agents = list(self.possible_agents)
        self.rounds = self.max_cycles  # read here: PettingZoo's tests set max_cycles after init
        self.round = 0
        self.history = []
        self.messages = dict.fromkeys(self.agents, "")
        self.scores = dict.fromkeys(self.agents, 0.0)
        self.last_flags = {a: (True, False) for a in self.agents}
        observations = {a: compose(self._rules(a), self._prompt(a)) for a in self.agents}
        return observations, self._infos(finished=False)

    def step(
        self, actions: dict[str, str]
    ) -> tuple[
        dict[str, str],
        dict[str, float],
        dict[str, bool],
        dict[str, bool],
        dict[str, dict[str, Any]],
    ]:
        if not self.agents:
            raise RuntimeError("PrisonersDilemma: the game has ended; call reset() before step()")
        for agent, action in actions.items():
            if agent in self.agents and not isinstance(action, str):
                raise TypeError(
                    f"PrisonersDilemma takes str actions (LLM text), got "
                    f"{type(action).__name__} for {agent}: {action!r:.80}"
                )
        self.round += 1
        moves: dict[str, str | None] = {}
        for agent in self.agents:
            action = actions.get(agent, "")
            answer = last_boxed(action)
            moves[agent] = None if answer is None else parse_choice(answer)
            self.messages[agent] = extract_message(action)
        self.history.append(moves)

        rewards: dict[str, float] = {}
        for agent in self.agents:
            other = self._other(agent)
            mine, theirs = moves[agent], moves[other]
            if mine is None:
                rewards[agent] = self.format_error_reward
            elif theirs is None:
                rewards[agent] = 0.0
            else:
                rewards[agent] = self.payoffs[(mine, theirs)]
            self.scores[agent] += rewards[agent]
        self.last_flags = {a: (moves[a] is not None, moves[a] is None) for a in self.agents}

        format_stop = self.end_on_format_error and any(m is None for m in moves.values())
        finished = self.round >= self.rounds or format_stop
        observations = {a: self._observe(a, finished) for a in self.agents}
        infos = self._infos(finished=finished, reason="format_error" if format_stop else None)
        terminations = dict.fromkeys(self.agents, finished)
        truncations = dict.fromkeys(self.agents, False)
        if finished:
            self.agents = []
        if self.render_mode == "human":
            self.render()
        return observations, rewards, terminations, truncations, infos

    def render(self) -> Any:
        if self.render_mode is None:
            return None
        if self.render_mode == "rgb_array":
            from gem_gymnasium import rendering

            title = f"prisoners_dilemma_v0  round {self.round}/{self.rounds}"
            return rendering.to_array(rendering.text_card(self.render_text(), title=title))
        text = self.render_text()
        if self.render_mode == "human":
            print(text)
            return None
        return text

    def render_text(self) -> str:
        """The rounds played and the scores (an observer's view)."""
        lines = [f"PrisonersDilemma round {self.round}/{self.rounds}"]
        for i, moves in enumerate(self.history, 1):
            shown = ", ".join(f"{a}: {m or 'format error'}" for a, m in moves.items())
            lines.append(f"  round {i}: {shown}")
        lines.append("Scores: " + ", ".join(f"{a} {s:g}" for a, s in self.scores.items()))
        return "\n".join(lines)

    def close(self) -> None:
        """Nothing to release; safe to call more than once."""

    # --- helpers for agents and opponents -------------------------------------------------------

    def legal_actions(self, agent: str) -> list[str]:
        r"""``["\boxed{C}", "\boxed{D}"]`` while ``agent`` is playing, else ``[]``."""
        return [boxed("C"), boxed("D")] if agent in self.agents else []

    def all_actions(self) -> list[str]:
        r"""``["\boxed{C}", "\boxed{D}"]``: the fixed action list (the order of ``action_mask``)."""
        return [boxed("C"), boxed("D")]

    def sample_random_action(self, agent: str) -> str:
        """C or D at random, from the agent's action space RNG."""
        return boxed("CD"[int(self.action_space(agent).np_random.integers(2))])

    def scripted_move(self, agent: str) -> str:
        """Tit for tat: cooperate first, then copy the other player's previous move."""
        if not self.history:
            return boxed("C")
        return boxed(self.history[-1][self._other(agent)] or "C")

    # --- text -----------------------------------------------------------------------------------

    def _other(self, agent: str) -> str:
        return self.possible_agents[1 - self.possible_agents.index(agent)]

    def _rules(self, agent: str) -> str:
        p = self.payoffs
        return (
            f"You are {agent} in an iterated Prisoner's Dilemma against {self._other(agent)}, "
            f"{self.rounds} rounds. Each round both players secretly choose to cooperate (C) or "
            f"defect (D). Payoffs per round: both C -> {p[('C', 'C')]:g} each; both D -> "
            f"{p[('D', 'D')]:g} each; if you defect while they cooperate you get "
            f"{p[('D', 'C')]:g} and they get {p[('C', 'D')]:g} (and the reverse). You may send "
            "the other player a message with <message>...</message>; they read it next round. "
            "A round without a valid \\boxed{C} or \\boxed{D} pays you "
            f"{self.format_error_reward:g} and the other player nothing."
        )

    def _prompt(self, agent: str) -> str:
        return (
            f"Round {self.round + 1} of {self.rounds}. Enter \\boxed{{C}} to cooperate or "
            "\\boxed{D} to defect (optionally with a <message>...</message>)."
        )

    def _observe(self, agent: str, finished: bool) -> str:
        other = self._other(agent)
        moves = self.history[-1]
        shown = {a: moves[a] or "no valid move" for a in moves}
        lines = [
            f"Round {self.round}: you played {shown[agent]}, {other} played {shown[other]}.",
            f"Scores: you {self.scores[agent]:g}, {other} {self.scores[other]:g}.",
        ]
        if self.messages[other]:
            lines.append(f"Message from {other}: {self.messages[other]}")
        ending = "The game is over." if finished else self._prompt(agent)
        return compose("\n".join(lines), ending)

    def _infos(self, *, finished: bool, reason: str | None = None) -> dict[str, dict[str, Any]]:
        infos = {}
        for agent in self.agents:
            valid, format_error = self.last_flags[agent]
            info: dict[str, Any] = {
                "turn": self.round,
                "max_turns": self.rounds,
                "valid_action": valid,
                "format_error": format_error,
                "to_move": not finished,
                "legal_moves": [] if finished else self.legal_actions(agent),
                "action_mask": make_mask(
                    self.all_actions(), [] if finished else self.all_actions(), self
                ),
            }
            if finished:
                best = max(self.scores.values())
                info["success"] = self.scores[agent] >= best
                info["reason"] = reason or "rounds_done"
            infos[agent] = info
        return infos


#: The native parallel environment (PettingZoo's name for its factory).
parallel_env = raw_env


def env(**kwargs: Any):
    """The AEC version (players act one after the other; moves are revealed together)."""
    return parallel_to_aec(raw_env(**kwargs))
