"""GuessTheNumber: find a secret integer from higher/lower hints."""

from __future__ import annotations

import math
from typing import Any

from gem_gymnasium.core import Outcome, TextEnv, randint
from gem_gymnasium.parsing import parse_int


class GuessTheNumber(TextEnv[int]):
    r"""Guess a secret integer in ``[min_number, max_number]`` within ``max_turns`` guesses.

    ## Description
    The environment draws a secret integer uniformly from ``[min_number, max_number]``. After each
    wrong guess it says whether the secret is higher or lower. Binary search wins every episode of
    the default presets.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must hold one integer, e.g. ``"Halfway is 10, so \boxed{10}"``. A guess of 0 is a number like
    any other.

    ## Observation Space
    Text. At reset: the rules (range and turn limit). After a step: the feedback on the guess, the
    history of guesses with their hints, the range still possible and the turns left.

    ## Starting State
    The secret is drawn from ``self.np_random``. With ``randomize=True`` (the ``Random`` preset) the
    range is re-drawn at every reset: ``min_number`` in 1..10, ``max_number`` in
    ``min_number+5 .. min_number+50`` and ``max_turns = ceil(sqrt(max - min)) + 1``.

    ## Rewards
    * 1.0 for the correct guess;
    * 0.0 for a wrong, out-of-range or repeated guess (the last two are invalid: the turn is used);
    * -0.1 for a format error (no integer in a ``\boxed{}``);
    * on the turn that exhausts ``max_turns`` without success:
      ``1 - |last guess - secret| / (max_number - min_number)``, or 0 if that last guess was invalid.

    ## Episode End
    Termination: the correct guess, a format error (unless ``end_on_format_error=False``) or the
    turn limit. Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/GuessTheNumber-v0", min_number=1, max_number=20, max_turns=10,
                   randomize=False, format_error_reward=-0.1, end_on_format_error=True,
                   render_mode=None)
    ```
    Presets: ``gem/GuessTheNumber-Easy-v0`` (1..10, 4 turns), ``-Hard-v0`` (1..50, 7 turns),
    ``-Random-v0`` (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale; a guess of 0 parses.
    """

    def __init__(
        self,
        min_number: int = 1,
        max_number: int = 20,
        max_turns: int = 10,
        *,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if min_number >= max_number:
            raise ValueError(
                f"GuessTheNumber: min_number must be below max_number, got {min_number}..{max_number}"
            )
        self.min_number = min_number
        self.max_number = max_number
        self.randomize = randomize
        self.secret = min_number
        self.guessed: set[int] = set()
        self.history = ""  # "5 (too low), 12 (too high)"
        self.low, self.high = min_number, max_number  # where the secret can still be
        self.last_guess: int | None = None
        self.last_valid_turn = 0

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        if self.randomize:
            self.min_number = randint(rng, 1, 10)
            self.max_number = randint(rng, self.min_number + 5, self.min_number + 50)
            self.max_turns = math.ceil(math.sqrt(self.max_number - self.min_number)) + 1
        self.secret = randint(rng, self.min_number, self.max_number)
        self.guessed = set()
        self.history = ""
        self.low, self.high = self.min_number, self.max_number
        self.last_guess = None
        self.last_valid_turn = 0

    def rules(self) -> str:
        return (
            f"You are playing Guess The Number. I have picked a secret integer between "
            f"{self.min_number} and {self.max_number} (inclusive). You have {self.max_turns} "
            "guesses. After each wrong guess I will tell you whether the secret is higher or lower."
        )

    def describe_state(self) -> str:
        if not self.history:
            return ""
        if self.done:
            return f"Guesses: {self.history}."
        return (
            f"Guesses so far: {self.history}.\n"
            f"The secret is between {self.low} and {self.high}. "
            f"Guesses left: {self.max_turns - self.turn}."
        )

    def action_prompt(self) -> str:
        return r"Enter your guess as \boxed{N}, for example \boxed{7}."

    parse_move = staticmethod(parse_int)

    def play(self, guess: int) -> Outcome:
        if not self.min_number <= guess <= self.max_number:
            return Outcome(
                f"Invalid guess: {guess} is outside {self.min_number}..{self.max_number}.",
                valid=False,
            )
        if guess in self.guessed:
            return Outcome(f"Invalid guess: you already guessed {guess}.", valid=False)
        self.guessed.add(guess)
        self.last_guess, self.last_valid_turn = guess, self.turn
        if guess == self.secret:
            hint, feedback = "correct", f"Correct! The secret was {guess}."
        elif guess < self.secret:
            self.low = max(self.low, guess + 1)
            hint, feedback = "too low", f"Your guess {guess} is too low: the secret is higher."
        else:
            self.high = min(self.high, guess - 1)
            hint, feedback = "too high", f"Your guess {guess} is too high: the secret is lower."
        entry = f"{guess} ({hint})"
        self.history = f"{self.history}, {entry}" if self.history else entry
        if hint == "correct":
            return Outcome(feedback, 1.0, won=True)
        return Outcome(feedback)

    def turn_limit_reward(self) -> float:
        if self.last_valid_turn != self.turn or self.last_guess is None:
            return 0.0
        return 1.0 - abs(self.last_guess - self.secret) / (self.max_number - self.min_number)

    def sample_random_action(self) -> str:
        choices = [n for n in range(self.min_number, self.max_number + 1) if n not in self.guessed]
        guess = int(self.action_space.np_random.choice(choices)) if choices else self.min_number
        return f"\\boxed{{{guess}}}"
