r"""# Kuhn Poker

| | |
|---|---|
| Creation | `from gem_gymnasium.envs.multiagent import kuhn_poker; env = kuhn_poker.env()` |
| Actions | Free text (`TextSpace`); the last `\boxed{...}` is `check`, `bet`, `call` or `fold` |
| Parallel API | No (turn-based) |
| Agents | `['player_0', 'player_1']` (`player_0` acts first) |
| Observation space | `TextSpace(max_length=65536)` per agent |
| Action space | `TextSpace(max_length=65536)` per agent |
| Single-agent ids | `gem/KuhnPoker-vsRandom-v0`, `gem/KuhnPoker-vsScripted-v0` |

The smallest poker with hidden information (Kuhn, 1950). The deck holds a Jack, a Queen and a
King; each player antes 1 chip and is dealt one card, the third stays hidden. `player_0` checks
or bets 1 chip. After a check, `player_1` checks (showdown for the pot of 2) or bets; facing a
bet, a player calls (showdown for the pot of 4) or folds (the other takes the pot). At the
showdown the higher card wins. One hand per episode.

## Observation
Text. Each agent sees ONLY its own card (never the opponent's), the betting so far and the pot;
the agent to act also sees its legal moves. After a showdown both cards are revealed to both.

## Legal moves
`info["legal_moves"]`: `["\\boxed{check}", "\\boxed{bet}"]` when no bet is pending,
`["\\boxed{call}", "\\boxed{fold}"]` when facing one (also `env.unwrapped.legal_actions()`).
`info["action_mask"]` is an int8 array over `env.unwrapped.all_actions()` (check, bet, call,
fold, in that order): 1 where the move is legal for the agent now (all 0 off turn).

## Action
One word in the last box (case-insensitive; `pass` means check, `raise` means bet). A known word
that is not legal now (`call` with no bet to call) is an invalid move, and no known word is a
format error (-0.1); either way the turn is used like a timed-out player in a card room: the
player checks if it can, otherwise folds.

## Rewards
Chips won or lost, zero-sum: +1/-1 after a fold or a checked-down showdown, +2/-2 after a called
bet. Format errors add -0.1 to the offender. `info["success"]` is true for the player who won
the pot.

## Arguments
```python
kuhn_poker.env(format_error_reward=-0.1, end_on_format_error=False, render_mode=None)
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

__all__ = ["CARDS", "env", "raw_env"]

CARDS = ("J", "Q", "K")
CARD_NAMES = {"J": "Jack", "Q": "Queen", "K": "King"}
# Accepted words -> the move they mean.
_SYNONYMS = {
    "check": "check",
    "pass": "check",
    "bet": "bet",
    "raise": "bet",
    "call": "call",
    "fold": "fold",
}


def legal_words(history: list[str]) -> list[str]:
    """The moves allowed after the betting ``history`` (empty when the hand is over)."""
    if history in ([], ["check"]):
        return ["check", "bet"]
    if history in (["bet"], ["check", "bet"]):
        return ["call", "fold"]
    return []


def hand_result(history: list[str], cards: dict[str, str]) -> tuple[str, int, str] | None:
    """``(winner, chips won, how)`` once the hand is over, else ``None``.

    ``history`` alternates from ``player_0``; a fold gives the pot to the other player.
    """
    players = ("player_0", "player_1")
    if history == ["check", "check"]:
        stake = 1
    elif history in (["bet", "call"], ["check", "bet", "call"]):
        stake = 2
    elif history in (["bet", "fold"], ["check", "bet", "fold"]):
        folder = players[(len(history) - 1) % 2]
        return players[1 - players.index(folder)], 1, "fold"
    else:
        return None
    best = max(players, key=lambda p: CARDS.index(cards[p]))
    return best, stake, "showdown"


class raw_env(TextAECEnv[str]):
    """Kuhn Poker as a bare PettingZoo ``AECEnv``; see the module docstring."""

    #: The move as a function tool (``answer_format="tool_call"`` in the one-seat view).
    move_tools = (
        MoveTool(
            "act",
            "Check, bet, call or fold.",
            (Param("action", "choice", "Your action.", ("check", "bet", "call", "fold")),),
        ),
    )

    metadata = {**TextAECEnv.metadata, "name": "kuhn_poker_v0"}  # noqa: RUF012

    def __init__(self, **kwargs: Any) -> None:
        # Every action (even a bad one) advances the hand, which never lasts more than 3 moves.
        super().__init__(max_turns=3, **kwargs)
        self.cards = {"player_0": "J", "player_1": "Q"}
        self.history: list[str] = []

    def _new_game(self, options: dict[str, Any] | None) -> None:
        deck = [CARDS[i] for i in self.np_random.permutation(len(CARDS))]
        self.cards = {"player_0": deck[0], "player_1": deck[1]}
        self.history = []

    def rules(self, agent: str) -> str:
        first = "You act first." if agent == "player_0" else "Your opponent acts first."
        return (
            f"You are playing Kuhn Poker as {agent}. The deck has three cards: Jack < Queen < "
            "King. Each player antes 1 chip and gets one card; the third card is not used. On "
            "your turn, with no bet pending you may \\boxed{check} or \\boxed{bet} (1 chip); "
            "facing a bet you may \\boxed{call} (1 chip) or \\boxed{fold}. If both check, or a "
            "bet is called, the higher card wins the pot. A missing or illegal move checks if "
            f"possible, otherwise folds. {first}"
        )

    def describe_state(self, agent: str) -> str:
        card = self.cards[agent]
        lines = [f"Your card: {CARD_NAMES[card]} ({card})."]
        if self.history:
            moves = ", ".join(
                f"{self.possible_agents[i % 2]} {word}" for i, word in enumerate(self.history)
            )
            lines.append(f"Betting so far: {moves}.")
        else:
            lines.append("No one has acted yet.")
        pot = 2 + self.history.count("bet") + self.history.count("call")
        lines.append(f"Pot: {pot} chips.")
        if self.game_over and hand_result(self.history, self.cards) is not None:
            winner, chips, how = hand_result(self.history, self.cards)  # type: ignore[misc]
            if how == "showdown":
                shown = ", ".join(f"{a} had {CARD_NAMES[c]}" for a, c in self.cards.items())
                lines.append(f"Showdown: {shown}.")
            lines.append(f"{winner} wins {chips} chip{'s' if chips > 1 else ''}.")
        return "\n".join(lines)

    def legal_moves(self, agent: str) -> list[str]:
        return legal_words(self.history)

    def action_prompt(self, agent: str) -> str:
        options = " or ".join(boxed(w) for w in self.legal_moves(agent))
        return f"It is your turn ({agent}). Enter {options}."

    def all_moves(self) -> list[str]:
        return ["check", "bet", "call", "fold"]

    def parse_move(self, content: str) -> str | None:
        return _SYNONYMS.get(content.strip().lower())

    def play(self, agent: str, word: str, message: str) -> Turn:
        if word not in legal_words(self.history):
            return self.invalid_move(agent, f"Invalid move: you cannot {word} now.")
        return self._act(agent, word, feedback="")

    def lose_turn(self, agent: str, why: str) -> Turn:
        word = "check" if "check" in legal_words(self.history) else "fold"
        return self._act(agent, word, feedback=f"{why} You {word} instead.")

    def scripted_move(self, agent: str) -> str:
        """A simple value strategy: bet or call with the King, fold the Jack to a bet,
        check otherwise, and call with the Queen."""
        card, legal = self.cards[agent], legal_words(self.history)
        if "bet" in legal:
            return boxed("bet" if card == "K" else "check")
        return boxed("fold" if card == "J" else "call")

    def _act(self, agent: str, word: str, feedback: str) -> Turn:
        self.history.append(word)
        told = feedback or f"You {word}."
        news = f"{agent} {'checks' if word == 'check' else word + 's'}."
        result = hand_result(self.history, self.cards)
        if result is None:
            return Turn(feedback=told, news=news)
        winner, chips, how = result
        loser = next(a for a in self.possible_agents if a != winner)
        return Turn(
            feedback=told,
            news=news,
            rewards={winner: float(chips), loser: -float(chips)},
            game_over=True,
            winners=(winner,),
            reason=how,
        )

    def render_text(self) -> str:
        cards = ", ".join(f"{a}: {c}" for a, c in self.cards.items())
        history = " ".join(self.history) or "-"
        return f"KuhnPoker cards ({cards}); betting: {history}"


def env(**kwargs: Any) -> wrappers.OrderEnforcingWrapper:
    """Kuhn Poker with PettingZoo's order-enforcing wrapper (reset before step, ...)."""
    return wrappers.OrderEnforcingWrapper(raw_env(**kwargs))
