r"""# Negotiation (split a pool of items)

| | |
|---|---|
| Creation | `from gem_gymnasium.envs.multiagent import negotiation; env = negotiation.env()` |
| Actions | Free text (`TextSpace`): `<message>...</message>` (optional) and `\boxed{propose 2 0 1}`, `\boxed{accept}` or `\boxed{reject}` |
| Parallel API | No (alternating offers) |
| Agents | `['player_0', 'player_1']` (`player_0` moves first) |
| Observation space | `TextSpace(max_length=65536)` per agent |
| Action space | `TextSpace(max_length=65536)` per agent |
| Single-agent ids | `gem/Negotiation-vsRandom-v0`, `gem/Negotiation-vsScripted-v0` |

Two players split a pool of books, hats and balls (1 to 3 of each, drawn at reset among the
pools that integer values can make worth exactly `total_value`). Each player
has private values per item, drawn so that the whole pool is worth `total_value` (10) to each of
them; neither sees the other's values. Players alternate: propose a split, accept the other's
standing proposal, or reject it, and may talk in free text.

## Observation
Text. The rules with the pool and the agent's OWN values (never the other's); then the other
player's last move and message, the standing proposal as seen by the agent (what each side gets
and what it is worth to the agent) and the moves left; the prompt for the agent to move.

## Legal moves
`info["legal_moves"]` lists every proposal (`\boxed{propose b h l}` for each split) and, when a
proposal of the other player stands, `\boxed{accept}` and `\boxed{reject}`. `info["action_mask"]`
is an int8 array over `env.unwrapped.all_actions()` (every `propose b h l` of the largest pool,
in lexicographic order, then accept, then reject): 1 where legal for the agent now.

## Action
The last box: `propose B H L` (or just `B H L`): the numbers of books, hats and balls the PROPOSER
keeps, the rest going to the other player; `accept`; `reject`. The last `<message>...</message>`
(at most 500 characters) is shown to the other player. A proposal of the wrong length or beyond
the pool, or accepting/rejecting when no proposal stands, is an invalid move (the turn is lost).
Anything else in the box is a format error (-0.1, the turn is lost).

## Rewards
On acceptance both players get the value of their share divided by `total_value` (so in 0..1,
GEM's scale; not zero-sum: a good deal can pay both well). No deal within `max_turns` moves of
both players together: 0 each. Format errors add -0.1. `info["success"]` is true for both
players when a deal is made.

## Arguments
```python
negotiation.env(max_turns=10, total_value=10, max_count=3, format_error_reward=-0.1,
                end_on_format_error=False, render_mode=None)
```

## Version History
* v0: Initial version.
"""

from __future__ import annotations

import itertools
from typing import Any

from gem_gymnasium.extras import optional_imports

with optional_imports("multi-agent games"):
    from pettingzoo.utils import wrappers

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.envs.multiagent.base import TextAECEnv, Turn, boxed, compose
from gem_gymnasium.parsing import parse_ints

__all__ = ["ITEMS", "env", "raw_env", "valuations"]

ITEMS = ("books", "hats", "balls")
Move = tuple[str, tuple[int, ...]]  # ("propose", counts) | ("accept", ()) | ("reject", ())


def valuations(counts: tuple[int, ...], total: int) -> list[tuple[int, ...]]:
    """Every vector of non-negative integer item values worth exactly ``total`` for ``counts``."""
    ranges = [range(total // c + 1) for c in counts]
    return [
        v
        for v in itertools.product(*ranges)
        if sum(c * x for c, x in zip(counts, v, strict=True)) == total
    ]


def worth(share: tuple[int, ...], values: tuple[int, ...]) -> int:
    """Value of a share of the pool under ``values``."""
    return sum(n * v for n, v in zip(share, values, strict=True))


def describe_share(share: tuple[int, ...]) -> str:
    """``(2, 0, 1)`` -> ``"2 books, 0 hats, 1 balls"``."""
    return ", ".join(f"{n} {item}" for n, item in zip(share, ITEMS, strict=True))


class raw_env(TextAECEnv[Move]):
    """The negotiation game as a bare PettingZoo ``AECEnv``; see the module docstring."""

    #: The moves as function tools (``answer_format="tool_call"`` in the one-seat view).
    move_tools = (
        MoveTool(
            "propose",
            "Propose a split: how many of each item you keep.",
            (Param("counts", "integers", "Your share of each item, in the listed order."),),
            "propose {counts}",
        ),
        MoveTool("accept", "Accept the other player's proposal.", (), "accept"),
        MoveTool("reject", "Reject the other player's proposal.", (), "reject"),
    )
    #: Players may talk: ``<message>`` tags, or the ``say`` tool in the one-seat view.
    has_messages = True

    metadata = {**TextAECEnv.metadata, "name": "negotiation_v0"}  # noqa: RUF012

    def __init__(
        self, max_turns: int = 10, total_value: int = 10, max_count: int = 3, **kwargs: Any
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if not isinstance(total_value, int) or total_value < 1:
            raise ValueError(f"Negotiation: total_value must be an int >= 1, got {total_value!r}")
        if not isinstance(max_count, int) or not 1 <= max_count <= 5:
            raise ValueError(f"Negotiation: max_count must be an int in 1..5, got {max_count!r}")
        self.total_value = total_value
        self.max_count = max_count
        # Pools (counts per item) for which values worth exactly total_value exist.
        self._pools = [
            counts
            for counts in itertools.product(range(1, max_count + 1), repeat=len(ITEMS))
            if valuations(counts, total_value)
        ]
        if not self._pools:
            raise ValueError(
                f"Negotiation: no pool with max_count={max_count} can be worth {total_value}"
            )
        self.counts: tuple[int, ...] = (1,) * len(ITEMS)
        self.values: dict[str, tuple[int, ...]] = {}
        self.proposal: tuple[str, tuple[int, ...]] | None = None  # (proposer, proposer's share)

    def _new_game(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        self.counts = self._pools[int(rng.integers(len(self._pools)))]
        choices = valuations(self.counts, self.total_value)
        self.values = {a: choices[int(rng.integers(len(choices)))] for a in self.possible_agents}
        self.proposal = None

    def rules(self, agent: str) -> str:
        values = ", ".join(
            f"{item}: {v} each" for item, v in zip(ITEMS, self.values[agent], strict=True)
        )
        first = "You move first." if agent == self.possible_agents[0] else "The other moves first."
        return (
            f"You are {agent} in a negotiation. Pool: {describe_share(self.counts)}. Your private "
            f"values: {values} (the whole pool is worth {self.total_value} to you); the other "
            "player has their own values, which you do not know. Take turns: "
            "\\boxed{propose B H L} offers that you keep B books, H hats and L balls and the "
            "other player gets the rest; \\boxed{accept} accepts their standing proposal; "
            "\\boxed{reject} rejects it. Add a free-text <message>...</message> to talk. On a "
            "deal each player scores the value of their share divided by "
            f"{self.total_value}; with no deal after {self.max_turns} moves both score 0. {first}"
        )

    def describe_state(self, agent: str) -> str:
        lines = [f"Pool: {describe_share(self.counts)}."]
        if self.proposal is not None:
            proposer, share = self.proposal
            rest = tuple(c - n for c, n in zip(self.counts, share, strict=True))
            mine, theirs = (share, rest) if proposer == agent else (rest, share)
            who = "Your" if proposer == agent else f"{proposer}'s"
            lines.append(
                f"{who} standing proposal: you get {describe_share(mine)} (worth "
                f"{worth(mine, self.values[agent])} to you); the other gets "
                f"{describe_share(theirs)}."
            )
        else:
            lines.append("No proposal stands.")
        if not self.game_over:
            lines.append(f"Moves left: {self.max_turns - self.turn}.")
        return "\n".join(lines)

    def all_moves(self) -> list[str]:
        """Every proposal for the largest pool, then accept and reject."""
        largest = range(self.max_count + 1)
        shares = itertools.product(largest, repeat=len(ITEMS))
        return ["propose " + " ".join(map(str, share)) for share in shares] + ["accept", "reject"]

    def legal_moves(self, agent: str) -> list[str]:
        moves = [
            "propose " + " ".join(map(str, share))
            for share in itertools.product(*(range(c + 1) for c in self.counts))
        ]
        if self.proposal is not None and self.proposal[0] != agent:
            moves += ["accept", "reject"]
        return moves

    def action_prompt(self, agent: str) -> str:
        can_accept = self.proposal is not None and self.proposal[0] != agent
        options = "\\boxed{propose B H L}" + (
            ", \\boxed{accept} or \\boxed{reject}" if can_accept else ""
        )
        return f"It is your turn ({agent}). Enter {options}."

    def parse_move(self, content: str) -> Move | None:
        words = content.strip().lower()
        if words in ("accept", "reject"):
            return words, ()
        if words.startswith("propose"):
            words = words[len("propose") :]
        numbers = parse_ints(words)
        return None if numbers is None else ("propose", tuple(numbers))

    def play(self, agent: str, move: Move, message: str) -> Turn:
        kind, share = move
        said = f'\n{agent} says: "{message}"' if message else ""
        standing = self.proposal is not None and self.proposal[0] != agent
        if kind in ("accept", "reject") and not standing:
            turn = self.invalid_move(agent, f"Invalid move: there is no proposal to {kind}.")
        elif kind == "propose" and (
            len(share) != len(ITEMS)
            or any(not 0 <= n <= c for n, c in zip(share, self.counts, strict=True))
        ):
            turn = self.invalid_move(
                agent,
                f"Invalid proposal: give {len(ITEMS)} numbers within the pool "
                f"({' '.join(map(str, self.counts))}).",
            )
        else:
            return self._apply(agent, kind, share, said)
        turn.news += said
        return turn

    def scripted_move(self, agent: str) -> str:
        """Accept any standing offer worth at least half; otherwise propose the split worth at
        least 60% to itself that leaves the other player the most items."""
        if self.proposal is not None and self.proposal[0] != agent:
            share = self.proposal[1]
            mine = tuple(c - n for c, n in zip(self.counts, share, strict=True))
            if 2 * worth(mine, self.values[agent]) >= self.total_value:
                return boxed("accept")
        shares = itertools.product(*(range(c + 1) for c in self.counts))
        good = [s for s in shares if 10 * worth(s, self.values[agent]) >= 6 * self.total_value]
        best = min(good, key=lambda s: (sum(s), s))  # keep as few items as possible
        return boxed("propose " + " ".join(map(str, best)))

    def _apply(self, agent: str, kind: str, share: tuple[int, ...], said: str) -> Turn:
        if kind == "propose":
            self.proposal = (agent, share)
            rest = tuple(c - n for c, n in zip(self.counts, share, strict=True))
            return Turn(
                feedback=f"You proposed to keep {describe_share(share)}.",
                news=f"{agent} proposes to keep {describe_share(share)}; you would get "
                f"{describe_share(rest)}.{said}",
            )
        if kind == "reject":
            self.proposal = None
            return Turn(feedback="You rejected the proposal.", news=f"{agent} rejects.{said}")
        proposer, share = self.proposal  # type: ignore[misc]
        rest = tuple(c - n for c, n in zip(self.counts, share, strict=True))
        shares = {proposer: share, agent: rest}
        rewards = {a: worth(s, self.values[a]) / self.total_value for a, s in shares.items()}
        summary = compose(*(f"{a} gets {describe_share(s)}." for a, s in shares.items()))
        return Turn(
            feedback=f"You accepted. Deal! {summary}",
            news=f"{agent} accepts. Deal! {summary}{said}",
            rewards=rewards,
            game_over=True,
            winners=tuple(self.possible_agents),
            reason="deal",
        )

    def render_text(self) -> str:
        values = "; ".join(f"{a} values {v}" for a, v in self.values.items())
        standing = (
            "none" if self.proposal is None else f"{self.proposal[0]} keeps {self.proposal[1]}"
        )
        return f"Negotiation pool {self.counts}; {values}; proposal: {standing}; turn {self.turn}"


def env(**kwargs: Any) -> wrappers.OrderEnforcingWrapper:
    """The negotiation game with PettingZoo's order-enforcing wrapper."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))
