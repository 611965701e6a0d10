"""GuessTheNumber: find a secret integer from higher/lower hints."""

from __future__ import annotations

import functools
import math
from typing import Any

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.parsing import parse_int


# The texts are cached: formatting three ints costs more than the lookup, and a reset or step
# of this game is so cheap that it shows (docs/benchmarks.md).
@functools.lru_cache(maxsize=1024)
def _rules(min_number: int, max_number: int, max_turns: int) -> str:
    return (
        f"You are playing Guess The Number. I have picked a secret integer between "
        f"{min_number} and {max_number} (inclusive). You have {max_turns} guesses. "
        "After each wrong guess I will tell you whether the secret is higher or lower."
    )


@functools.lru_cache(maxsize=4096)
def _state(low: int, high: int, guesses_left: int) -> str:
    return f"The secret is between {low} and {high}. Guesses left: {guesses_left}."


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
    Text. At reset: the rules (range and turn limit). After a step: the feedback on the guess
    (higher or lower), the range where the secret can still be and the guesses left.

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
      With ``partial_credit=False`` (the ``WinOnly`` presets) that turn pays 0 like any other
      miss, so only a win pays. GEM's partial credit is a shortcut for RL: a policy that ignores
      every hint and spends its last guess near the middle earns most of a win's return.

    ## Episode End
    Termination: the correct guess, a format error (unless ``end_on_format_error=False``) or the
    turn limit. Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/GuessTheNumber-v0", min_number=1, max_number=20, max_turns=10,
                   randomize=False, partial_credit=True, format_error_reward=-0.1,
                   end_on_format_error=True, answer_format=None, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``guess(number)``.
    Presets: ``gem/GuessTheNumber-Easy-v0`` (1..10, 4 turns), ``-Hard-v0`` (1..50, 7 turns),
    ``-Random-v0`` (``randomize=True``); ``-WinOnly-v0``, ``-Easy-WinOnly-v0`` and
    ``-Hard-WinOnly-v0`` are the same games with ``partial_credit=False``.

    ## Version History
    * v0: Initial version, GEM's reward scale; a guess of 0 parses. Before the first release the
      observation dropped its list of past guesses (the possible range says all of it).
      ``partial_credit`` and the ``WinOnly`` presets are new ids; the others are unchanged.
    """

    move_tools = (
        MoveTool("guess", "Guess the secret number.", (Param("number", "integer", "Your guess."),)),
    )

    def __init__(
        self,
        min_number: int = 1,
        max_number: int = 20,
        max_turns: int = 10,
        *,
        randomize: bool = False,
        partial_credit: bool = True,
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
        self.partial_credit = partial_credit
        self.secret = min_number
        self.guessed: set[int] = set()
        self.low, self.high = min_number, max_number  # where the secret can still be
        self.last_guess: int | None = None
        self.last_valid_turn = 0

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        if self.randomize:
            self.min_number = self.randint(1, 10)
            self.max_number = self.randint(self.min_number + 5, self.min_number + 50)
            self.max_turns = math.ceil(math.sqrt(self.max_number - self.min_number)) + 1
        self.secret = self.randint(self.min_number, self.max_number)
        self.guessed = set()
        self.low, self.high = self.min_number, self.max_number
        self.last_guess = None
        self.last_valid_turn = 0

    def rules(self) -> str:
        return _rules(self.min_number, self.max_number, self.max_turns)

    def describe_state(self) -> str:
        if self.turn == 0 or self.done:  # the rules give the range; nothing is left to play
            return ""
        return _state(self.low, self.high, self.max_turns - self.turn)

    def action_prompt(self) -> str:
        return r"Enter your guess as \boxed{N}, for example \boxed{7}."

    parse_move = staticmethod(parse_int)

    def play(self, guess: int) -> Outcome | str:
        if not self.min_number <= guess <= self.max_number:
            return Outcome(
                f"Invalid guess: {guess} is outside {self.min_number}..{self.max_number}.",
                valid=False,
            )
        if guess in self.guessed:
            return Outcome(f"Invalid guess: you already guessed {guess}.", valid=False)
        self.guessed.add(guess)
        self.last_guess, self.last_valid_turn = guess, self.turn
        if guess < self.secret:
            if guess >= self.low:
                self.low = guess + 1
            return f"Your guess {guess} is too low: the secret is higher."
        if guess > self.secret:
            if guess <= self.high:
                self.high = guess - 1
            return f"Your guess {guess} is too high: the secret is lower."
        return Outcome(f"Correct! The secret was {guess}.", reward=1.0, won=True)

    def turn_limit_reward(self) -> float:
        if not self.partial_credit:
            return 0.0
        if self.last_valid_turn != self.turn or self.last_guess is None:
            return 0.0  # this turn's guess was invalid or a format error
        return 1.0 - abs(self.last_guess - self.secret) / (self.max_number - self.min_number)

    def sample_random_action(self) -> str:
        choices = [n for n in range(self.min_number, self.max_number + 1) if n not in self.guessed]
        guess = int(self.action_space.np_random.choice(choices)) if choices else self.min_number
        return f"\\boxed{{{guess}}}"

    def draw(self) -> Any:
        """The numbers still possible, the guesses, and the secret once the game is over."""
        from gem_gymnasium.rendering import grid_image

        numbers = list(range(self.min_number, self.max_number + 1))
        cells = []
        for n in numbers:
            if self.done and n == self.secret:
                color = "green"
            elif n == self.last_guess:
                color = "blue"
            elif n in self.guessed:
                color = "gray"
            else:
                color = "empty" if self.low <= n <= self.high else "hidden"
            cells.append((str(n), color))
        rows = [cells[i : i + 10] for i in range(0, len(cells), 10)]
        return grid_image(rows, caption=self.frame_caption(), cell_size=32)
