"""Wordle: guess a hidden English word from per-letter G/Y/X feedback."""

from __future__ import annotations

from collections import Counter
from typing import Any

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.envs.games.word_data import (
    check_word_length,
    is_word,
    parse_word,
    random_word,
)

GREEN, YELLOW, GREY = "G", "Y", "X"

#: Example guesses shown in the prompt, one real word per length.
EXAMPLE_WORDS = {3: "SUN", 4: "LAMP", 5: "CRANE", 6: "GARDEN", 7: "KITCHEN", 8: "ELEPHANT"}

#: ``(word_length, max_turns)`` of the Random preset: lengths 3..5 with five turns per letter.
RANDOM_CHOICES = ((3, 15), (4, 20), (5, 25))


def score_guess(guess: str, secret: str) -> str:
    """Per-letter feedback for ``guess`` against ``secret`` (same length, same case).

    ``G``: right letter in the right place. ``Y``: the letter occurs elsewhere in the secret.
    ``X``: it does not, or every copy of it in the secret is already accounted for: greens claim
    their copies first, then yellows are given left to right while copies remain. So with secret
    ``ABBEY``, ``BOBBY`` scores ``YXGXG``: the third B is green, the first B takes the secret's
    only other B, and the fourth B finds none left.
    """
    feedback = [GREY] * len(guess)
    unmatched = Counter(s for g, s in zip(guess, secret, strict=True) if g != s)
    for i, (g, s) in enumerate(zip(guess, secret, strict=True)):
        if g == s:
            feedback[i] = GREEN
        elif unmatched[g] > 0:
            feedback[i] = YELLOW
            unmatched[g] -= 1
    return "".join(feedback)


def is_consistent(word: str, guess: str, feedback: str) -> bool:
    """Whether ``word`` could be the secret given that ``guess`` scored ``feedback``."""
    return score_guess(guess, word) == feedback


def spaced(text: str) -> str:
    """``"CRANE"`` -> ``"C R A N E"``: letters and feedback line up in a fixed-width column."""
    return " ".join(text)


def shorten(text: str, limit: int = 24) -> str:
    """Echo at most ``limit`` characters of what the agent wrote."""
    return text if len(text) <= limit else text[:limit] + "..."


class Wordle(TextEnv[str]):
    r"""Guess a hidden English word of ``word_length`` letters within ``max_turns`` guesses.

    ## Description
    The secret is a common English word. After each guess every letter is marked ``G`` (right
    letter, right place), ``Y`` (in the word, elsewhere) or ``X`` (not in the word). Repeated
    letters are scored like the original game: greens take their copies of a letter first, then
    yellows go left to right while the secret has unclaimed copies, and any further copy is ``X``.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must hold one word of letters (any case, spaces between letters are ignored), e.g.
    ``"Try the common letters: \boxed{CRANE}"``. Anything else in the box is a format error. A
    word of the wrong length, a repeated guess or (with ``only_real_words=True``) a word that is
    not in the dictionary is invalid: the turn is used and the observation says why.

    ## Observation Space
    Text. At reset: the rules and the empty pattern. After a step: the feedback on the guess,
    every guess so far with its feedback, the letters known so far, the letters known to be absent
    and the guesses left.

    ## Starting State
    The secret is drawn from ``self.np_random`` among the common words of the chosen length
    (``data/words.txt``). With ``randomize=True`` (the ``Random`` preset) the length is re-drawn
    at every reset from 3..5, with ``max_turns = 5 * word_length``.

    ## Rewards
    * ``0.5 / word_length`` for each position that turns green for the first time;
    * ``+0.5`` for guessing the word, so a won episode totals 1.0;
    * 0.0 for a guess without new greens and for an invalid guess;
    * -0.1 for a format error (no word in a ``\boxed{}``).

    ## Episode End
    Termination: the secret is guessed, a format error (unless ``end_on_format_error=False``) or
    the turn limit (no extra reward). Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/Wordle-v0", word_length=5, max_turns=20, only_real_words=True,
                   randomize=False, format_error_reward=-0.1, end_on_format_error=True,
                   answer_format=None, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``guess(word)``.
    ``word_length`` may be 3..8. Presets: ``gem/Wordle-Easy-v0`` (3 letters, 15 turns),
    ``-Hard-v0`` (5 letters, 25 turns), ``-Random-v0`` (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale; ``only_real_words`` is enforced and the feedback is
      printed letter by letter.
    """

    move_tools = (
        MoveTool(
            "guess", "Guess a word.", (Param("word", "string", "A word of the secret's length."),)
        ),
    )

    def __init__(
        self,
        word_length: int = 5,
        max_turns: int = 20,
        *,
        only_real_words: bool = True,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        self.word_length = check_word_length("Wordle", word_length)
        self.only_real_words = bool(only_real_words)
        self.randomize = bool(randomize)
        self.secret = ""
        self.guesses: list[tuple[str, str]] = []  # (guess, feedback), valid guesses only
        self.greens: list[bool] = []  # positions that have been green at least once

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        if self.randomize:
            choice = RANDOM_CHOICES[int(rng.integers(len(RANDOM_CHOICES)))]
            self.word_length, self.max_turns = choice
        self.secret = random_word(rng, self.word_length)
        self.guesses = []
        self.greens = [False] * self.word_length

    def rules(self) -> str:
        real = " It must be a real English word." if self.only_real_words else ""
        return (
            f"You are playing Wordle. Guess the secret {self.word_length}-letter English word "
            f"within {self.max_turns} guesses. Each guess must have {self.word_length} letters "
            f"and must not repeat an earlier guess.{real}\n"
            "After each guess every letter is marked:\n"
            "  G = right letter in the right place\n"
            "  Y = the letter is in the word but in another place\n"
            "  X = the letter is not in the word (or the word has no more copies of it)"
        )

    def describe_state(self) -> str:
        n = self.word_length
        lines = []
        if self.guesses:
            lines.append("Your guesses (letters, then feedback):")
            width = len(str(len(self.guesses)))
            for i, (guess, feedback) in enumerate(self.guesses, 1):
                lines.append(f"  {i:>{width}}. {spaced(guess)}   {spaced(feedback)}")
        known = ["_"] * n
        for guess, feedback in self.guesses:
            for i, (letter, mark) in enumerate(zip(guess, feedback, strict=True)):
                if mark == GREEN:
                    known[i] = letter
        lines.append(f"Known letters: {spaced(''.join(known))}")
        absent = self._absent_letters()
        if absent:
            lines.append(f"Letters not in the word: {', '.join(absent)}")
        if not self.done:
            lines.append(f"Guesses left: {self.max_turns - self.turn}")
        return "\n".join(lines)

    def action_prompt(self) -> str:
        example = EXAMPLE_WORDS[self.word_length]
        return f"Enter a {self.word_length}-letter word as \\boxed{{WORD}}, for example \\boxed{{{example}}}."

    def parse_move(self, content: str) -> str | None:
        return parse_word(content)

    def play(self, guess: str) -> Outcome:
        if len(guess) != self.word_length:
            return Outcome(
                f"Invalid guess: {shorten(guess)} has {len(guess)} letters, "
                f"but the secret has {self.word_length}.",
                valid=False,
            )
        if any(guess == g for g, _ in self.guesses):
            return Outcome(f"Invalid guess: you already guessed {guess}.", valid=False)
        if self.only_real_words and not is_word(guess):
            return Outcome(
                f"Invalid guess: {guess} is not in the word list; guess a real English word.",
                valid=False,
            )
        feedback = score_guess(guess, self.secret)
        self.guesses.append((guess, feedback))
        new_greens = 0
        for i, mark in enumerate(feedback):
            if mark == GREEN and not self.greens[i]:
                self.greens[i] = True
                new_greens += 1
        reward = 0.5 * new_greens / self.word_length
        if guess == self.secret:
            return Outcome(
                f"{spaced(guess)}\n{spaced(feedback)}\nCorrect! The word is {self.secret}.",
                reward=reward + 0.5,
                won=True,
            )
        return Outcome(f"Feedback on {guess}:\n{spaced(guess)}\n{spaced(feedback)}", reward=reward)

    def sample_random_action(self) -> str:
        guessed = {g for g, _ in self.guesses}
        rng = self.action_space.np_random
        for _ in range(8):  # nearly always the first draw: at most max_turns words are guessed
            word = random_word(rng, self.word_length)
            if word not in guessed:
                break
        return f"\\boxed{{{word}}}"

    def _absent_letters(self) -> list[str]:
        """Letters marked X that never scored G or Y in any guess."""
        present = {
            g for guess, fb in self.guesses for g, m in zip(guess, fb, strict=True) if m != GREY
        }
        grey = {
            g for guess, fb in self.guesses for g, m in zip(guess, fb, strict=True) if m == GREY
        }
        return sorted(grey - present)

    def draw(self) -> Any:
        """The guesses (the last eight) as tiles coloured by their feedback, then an empty row."""
        from gem_gymnasium.rendering import grid_image

        colors = {GREEN: "green", YELLOW: "yellow", GREY: "gray"}
        rows = [
            [
                (letter, colors.get(mark, "gray"))
                for letter, mark in zip(guess, feedback, strict=True)
            ]
            for guess, feedback in self.guesses
        ]
        if not self.done:
            rows.append([("", "empty")] * self.word_length)
        shown = min(self.max_turns, 8)
        return grid_image(
            rows[-shown:], caption=self.frame_caption(), shape=(shown, self.word_length)
        )
