r"""A user-defined environment, following the recipe in the README.

1. Subclass :class:`gem_gymnasium.TextEnv` and implement its hooks.
2. Register it under your own namespace with :func:`gem_gymnasium.register`.
3. Check it: ``gem-gym check --import examples.custom_env mylab/ReverseWord-v0``.

Run this file to play one episode with a scripted policy.
"""

from __future__ import annotations

from typing import Any

import gem_gymnasium
from gem_gymnasium import Outcome, TextEnv

WORDS = ("gymnasium", "reward", "policy", "episode", "agent", "token")


class ReverseWord(TextEnv[str]):
    r"""Spell a word backwards.

    ## Description
    The environment shows a word; the agent answers with the word reversed in ``\boxed{}``.
    Each wrong answer reveals one more letter of the reversed word as a hint.

    ## Action Space
    Text; the last ``\boxed{...}`` holds the answer (letters only, case-insensitive).

    ## Observation Space
    Text: the word, the hint revealed so far and the turns left.

    ## Rewards
    1.0 for the right answer; 0.0 for a wrong one; -0.1 for a format error.

    ## Episode End
    The right answer, a format error, or ``max_turns`` answers.

    ## Arguments
    ``gem_gymnasium.make("mylab/ReverseWord-v0", max_turns=3)``
    """

    def __init__(self, max_turns: int = 3, **kwargs: Any) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        self.word = ""

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        self.word = WORDS[int(self.np_random.integers(len(WORDS)))]

    def rules(self) -> str:
        return f"Spell the word backwards. You have {self.max_turns} tries."

    def describe_state(self) -> str:
        hint = self.word[::-1][: self.turn]
        return f"Word: {self.word}" + (f"\nIt starts with: {hint}" if hint else "")

    def action_prompt(self) -> str:
        return r"Answer as \boxed{drow}."

    def parse_move(self, content: str) -> str | None:
        answer = content.strip().lower()
        return answer if answer.isalpha() else None

    def play(self, move: str) -> Outcome | str:
        if move == self.word[::-1]:
            return Outcome("Correct!", reward=1.0, won=True)
        return f"{move!r} is not {self.word!r} backwards."  # an ordinary move: just the feedback

    def sample_random_action(self) -> str:
        letters = list(self.word)
        self.action_space.np_random.shuffle(letters)
        return f"\\boxed{{{''.join(letters)}}}"


gem_gymnasium.register(
    "mylab/ReverseWord-v0",
    entry_point=f"{__name__}:ReverseWord",
    summary="Spell a word backwards (example of a user env).",
)

if __name__ == "__main__":
    env = gem_gymnasium.make("mylab/ReverseWord-v0")
    observation, info = env.reset(seed=0)
    print(observation)
    word = env.unwrapped.word
    observation, reward, terminated, truncated, info = env.step(f"\\boxed{{{word[::-1]}}}")
    print(observation, reward, info)
