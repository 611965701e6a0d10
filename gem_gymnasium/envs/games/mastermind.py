"""Mastermind: deduce a secret code from black and white peg feedback."""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable, Sequence
from typing import Any

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.parsing import parse_ints

#: (code_length, num_numbers, max_turns) drawn from at every reset by the Random preset.
RANDOM_PRESETS: tuple[tuple[int, int, int], ...] = ((2, 4, 10), (4, 6, 20), (4, 8, 30))

_DIGIT_RUN = re.compile(r"[1-9]+")

Code = tuple[int, ...]


def score_guess(secret: Sequence[int], guess: Sequence[int]) -> tuple[int, int]:
    """Black pegs (right digit, right place) and white pegs (right digit, wrong place).

    >>> score_guess((1, 2, 3, 4), (1, 3, 2, 6))
    (1, 2)
    >>> score_guess((1, 1, 2, 2), (1, 2, 1, 1))  # repeated digits are matched at most once
    (1, 2)
    """
    black = sum(s == g for s, g in zip(secret, guess, strict=True))
    common = sum((Counter(secret) & Counter(guess)).values())
    return black, common - black


def parse_code(content: str, code_length: int, num_numbers: int) -> Code | None:
    """The guess in ``content``: numbers separated by spaces or commas, else ``None``.

    A single run of digits such as ``"3142"`` is read digit by digit when it has exactly
    ``code_length`` digits and every allowed number is a single digit.

    >>> parse_code("3 1 4 2", 4, 6), parse_code("3,1,4,2", 4, 6), parse_code("3142", 4, 6)
    ((3, 1, 4, 2), (3, 1, 4, 2), (3, 1, 4, 2))
    >>> parse_code("three", 4, 6) is None
    True
    """
    text = content.strip()
    if num_numbers <= 9 and len(text) == code_length > 1 and _DIGIT_RUN.fullmatch(text):
        return tuple(int(ch) for ch in text)
    values = parse_ints(text)
    return None if values is None else tuple(values)


def format_code(code: Iterable[int]) -> str:
    """``(3, 1, 4, 2)`` -> ``"3 1 4 2"``, the form the agent types."""
    return " ".join(str(d) for d in code)


class Mastermind(TextEnv[Code]):
    r"""Guess a secret code of ``code_length`` numbers from ``1..num_numbers``.

    ## Description
    The environment draws a secret code. After every guess it answers with *black pegs* (numbers
    that are right and in the right place) and *white pegs* (numbers in the code but in the wrong
    place; each secret position is matched at most once). By default the secret has no repeated
    numbers, but guesses may repeat numbers. Keeping only the codes consistent with all the
    feedback so far and guessing one of them wins every episode of the presets well within the
    turn limit.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must hold the guess as numbers separated by spaces (or commas), e.g. ``\boxed{3 1 4 2}``. When
    every number is one digit, ``\boxed{3142}`` means the same. A guess of the wrong length, with a
    number outside ``1..num_numbers``, or one already made is invalid (the turn is used).

    ## Observation Space
    Text. At reset: the rules (code length, range, whether repeats are possible, turn limit).
    After a step: the feedback on the guess, every valid guess so far with its pegs, the best
    black-peg count and the turns left.

    ## Starting State
    The secret is drawn from ``self.np_random``. With ``randomize=True`` (the ``Random`` preset)
    ``(code_length, num_numbers, max_turns)`` is re-drawn at every reset from ``(2, 4, 10)``,
    ``(4, 6, 20)`` and ``(4, 8, 30)``.

    ## Rewards
    * each time the best black-peg count so far rises, the rise divided by ``code_length`` (so a
      solved code totals 1.0 over the episode);
    * 0.0 for any other guess, valid or invalid;
    * -0.1 for a format error (no list of numbers in a ``\boxed{}``).

    ## Episode End
    Termination: the code is guessed, a format error (unless ``end_on_format_error=False``) or the
    turn limit (no extra reward). Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/Mastermind-v0", code_length=4, num_numbers=6, max_turns=20,
                   duplicate_numbers=False, randomize=False, format_error_reward=-0.1,
                   end_on_format_error=True, answer_format=None, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``guess(code)``.
    ``duplicate_numbers=True`` lets the secret repeat numbers. Presets:
    ``gem/Mastermind-Easy-v0`` (2 numbers of 1..6, 10 turns), ``-Hard-v0`` (4 of 1..8, 30 turns),
    ``-Random-v0`` (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale.
    """

    move_tools = (
        MoveTool(
            "guess",
            "Guess the whole secret code.",
            (Param("code", "integers", "The code's numbers, in order."),),
        ),
    )

    def __init__(
        self,
        code_length: int = 4,
        num_numbers: int = 6,
        max_turns: int = 20,
        *,
        duplicate_numbers: bool = False,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        if code_length < 1 or num_numbers < 1:
            raise ValueError(
                f"Mastermind: code_length and num_numbers must be >= 1, "
                f"got {code_length} and {num_numbers}"
            )
        if not duplicate_numbers and code_length > num_numbers:
            raise ValueError(
                f"Mastermind: a code of {code_length} distinct numbers needs num_numbers >= "
                f"{code_length}, got {num_numbers} (or pass duplicate_numbers=True)"
            )
        self.code_length = code_length
        self.num_numbers = num_numbers
        self.duplicate_numbers = bool(duplicate_numbers)
        self.randomize = randomize
        self.secret: Code = ()
        self.history: list[tuple[Code, int, int]] = []  # (guess, black, white)
        self.best_black = 0

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        if self.randomize:
            preset = RANDOM_PRESETS[int(rng.integers(len(RANDOM_PRESETS)))]
            self.code_length, self.num_numbers, self.max_turns = preset
        if self.duplicate_numbers:
            digits = rng.integers(1, self.num_numbers + 1, size=self.code_length)
        else:
            # permutation() is several times faster than choice(replace=False) for small ranges.
            digits = rng.permutation(self.num_numbers)[: self.code_length] + 1
        self.secret = tuple(int(d) for d in digits)
        self.history = []
        self.best_black = 0

    def rules(self) -> str:
        repeats = "may repeat" if self.duplicate_numbers else "are all different"
        example = format_code(i % self.num_numbers + 1 for i in range(self.code_length))
        return (
            f"You are playing Mastermind. I have picked a secret code of {self.code_length} "
            f"numbers, each from 1 to {self.num_numbers}; the numbers in the code {repeats}. "
            f"You have {self.max_turns} guesses to find it.\n"
            "After each guess I give black and white pegs: a black peg for every number that is "
            "right and in the right place, a white peg for every number that is in the code but "
            "in the wrong place.\n"
            f"Write each guess as numbers separated by spaces, e.g. \\boxed{{{example}}}. "
            "Repeating an earlier guess, a wrong length or a number out of range wastes the turn."
        )

    def describe_state(self) -> str:
        if not self.history:
            return f"No guesses yet. Guesses left: {self.max_turns - self.turn}."
        lines = ["Your guesses (black pegs, white pegs):"]
        lines += [
            f"  {i}. {format_code(g)} -> {b} black, {w} white"
            for i, (g, b, w) in enumerate(self.history, 1)
        ]
        if self.done:
            lines.append(f"The secret code was {format_code(self.secret)}.")
        else:
            lines.append(
                f"Best so far: {self.best_black} of {self.code_length} in the right place. "
                f"Guesses left: {self.max_turns - self.turn}."
            )
        return "\n".join(lines)

    def action_prompt(self) -> str:
        return (
            f"Enter your guess: {self.code_length} numbers from 1 to {self.num_numbers} "
            r"separated by spaces, inside \boxed{...}."
        )

    def parse_move(self, content: str) -> Code | None:
        return parse_code(content, self.code_length, self.num_numbers)

    def play(self, guess: Code) -> Outcome:
        if len(guess) != self.code_length:
            return Outcome(
                f"Invalid guess: it has {len(guess)} numbers but the code has {self.code_length}.",
                valid=False,
            )
        if any(not 1 <= d <= self.num_numbers for d in guess):
            return Outcome(
                f"Invalid guess: every number must be between 1 and {self.num_numbers}.",
                valid=False,
            )
        if any(guess == g for g, _, _ in self.history):
            return Outcome(f"Invalid guess: you already guessed {format_code(guess)}.", valid=False)
        black, white = score_guess(self.secret, guess)
        self.history.append((guess, black, white))
        reward = 0.0
        if black > self.best_black:
            reward = (black - self.best_black) / self.code_length
            self.best_black = black
        if black == self.code_length:
            return Outcome(
                f"Correct! {format_code(guess)} is the secret code.", reward=reward, won=True
            )
        return Outcome(
            f"Your guess {format_code(guess)} gets {black} black and {white} white pegs.",
            reward=reward,
        )

    def sample_random_action(self) -> str:
        rng = self.action_space.np_random
        guessed = {g for g, _, _ in self.history}
        guess: Code = ()
        # Rejection sampling: presets allow far fewer turns than codes, so repeats are rare; if
        # every try repeats, the guess is still well-formed (and merely invalid).
        for _ in range(32):
            if self.duplicate_numbers:
                digits = rng.integers(1, self.num_numbers + 1, size=self.code_length)
            else:
                digits = rng.permutation(self.num_numbers)[: self.code_length] + 1
            guess = tuple(int(d) for d in digits)
            if guess not in guessed:
                break
        return f"\\boxed{{{format_code(guess)}}}"

    def draw(self) -> Any:
        """One row per guess (the last ten): the code, then a black cell per black peg and a
        white cell per white one; the secret in green once the game is over."""
        from gem_gymnasium.rendering import grid_image

        n, shown = self.code_length, min(self.max_turns, 10)
        rows = []
        for guess, black, white in self.history[-shown:]:
            pegs = [("", "wall")] * black + [("", "empty")] * white
            pegs += [("", "hidden")] * (n - black - white)
            rows.append([(str(d), "given") for d in guess] + [("", "background")] + pegs)
        if self.done:
            rows.append([(str(d), "green") for d in self.secret])
        elif not rows:
            rows.append([("?", "hidden")] * n)
        return grid_image(
            rows, caption=self.frame_caption(), cell_size=28, shape=(shown + 1, 2 * n + 1)
        )
