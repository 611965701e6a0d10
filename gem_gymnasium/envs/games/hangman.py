"""Hangman: guess a hidden word one letter at a time, or all at once."""

from __future__ import annotations

import string
from typing import Any

from gem_gymnasium.actions import MoveTool, Param
from gem_gymnasium.core import Outcome, TextEnv
from gem_gymnasium.envs.games.word_data import check_word_length, parse_word, random_word

#: Two example words per length for the prompt (the second is used when the first is the secret).
EXAMPLE_WORDS = {
    3: ("SUN", "CUP"),
    4: ("LAMP", "BIRD"),
    5: ("HOUSE", "PLANT"),
    6: ("GARDEN", "PENCIL"),
    7: ("KITCHEN", "BLANKET"),
    8: ("ELEPHANT", "MOUNTAIN"),
}

#: ``(word_length, max_turns)`` candidates of the Random preset.
RANDOM_CHOICES = ((3, 10), (5, 15), (7, 20))


def pattern(secret: str, revealed: list[bool]) -> str:
    """The board: revealed letters, ``_`` for hidden ones, separated by spaces."""
    return " ".join(c if shown else "_" for c, shown in zip(secret, revealed, strict=True))


def reveal(secret: str, revealed: list[bool], letter: str) -> int:
    """Reveal every copy of ``letter`` in place; return how many were hidden before."""
    count = 0
    for i, c in enumerate(secret):
        if c == letter and not revealed[i]:
            revealed[i] = True
            count += 1
    return count


def shorten(text: str, limit: int = 24) -> str:
    """Echo at most ``limit`` characters of what the agent wrote."""
    return text if len(text) <= limit else text[:limit] + "..."


class Hangman(TextEnv[str]):
    r"""Guess a hidden English word of ``word_length`` letters within ``max_turns`` turns.

    ## Description
    The board shows one ``_`` per letter of a secret common English word. Each turn the agent
    guesses one letter, which reveals every copy of it, or the whole word. There are no lives:
    only the turn limit ends a game that is not won. Revealing the last hidden letter wins, just
    like guessing the word.

    ## Action Space
    Free text (:class:`~gem_gymnasium.spaces.TextSpace`). Only the last ``\boxed{...}`` counts and
    must hold letters only (any case; spaces are ignored): one letter such as ``\boxed{E}``, or a
    word of ``word_length`` letters such as ``\boxed{HOUSE}``. Anything else in the box is a format
    error. A letter guessed before, a word of another length, or a word already tried is invalid:
    the turn is used and the observation says why.

    ## Observation Space
    Text. At reset: the rules and the board. After a step: the feedback on the guess, the board,
    the letters guessed (and which were wrong), the words tried and the turns left.

    ## Starting State
    The secret is drawn from ``self.np_random`` among the common words of the chosen length
    (``data/words.txt``). With ``randomize=True`` (the ``Random`` preset) ``(word_length,
    max_turns)`` is re-drawn at every reset from (3, 10), (5, 15) and (7, 20).

    ## Rewards
    * a correct letter pays ``0.5 * copies revealed / word_length``, plus 0.5 if it reveals the
      last hidden letter (a win);
    * the right whole word pays ``0.5 * letters still hidden / word_length + 0.5`` (a win);
    * so a won episode totals 1.0;
    * 0.0 for a wrong letter, a wrong word and an invalid guess;
    * -0.1 for a format error (no letters in a ``\boxed{}``).

    ## Episode End
    Termination: a win, a format error (unless ``end_on_format_error=False``) or the turn limit (no
    extra reward). Truncation: never by the environment itself.

    ## Information
    ``turn``, ``max_turns``, ``valid_action``, ``format_error``; at the end ``success`` and ``reason``
    (``"won"``, ``"format_error"`` or ``"turn_limit"``).

    ## Arguments
    ```python
    gymnasium.make("gem/Hangman-v0", word_length=5, max_turns=20, randomize=False,
                   answer_format=None,
                   format_error_reward=-0.1, end_on_format_error=True, render_mode=None)
    ```
    ``answer_format``: where the move goes (:mod:`~gem_gymnasium.actions`); ``None`` is
    ``"boxed"``; ``"tool_call"`` takes calls of ``guess(letters)``.
    ``word_length`` may be 3..8. Presets: ``gem/Hangman-Easy-v0`` (3 letters, 10 turns),
    ``-Hard-v0`` (7 letters, 20 turns), ``-Random-v0`` (``randomize=True``).

    ## Version History
    * v0: Initial version, GEM's reward scale; revealing the last letter wins and the prompt's
      examples match the actions they describe.
    """

    move_tools = (
        MoveTool(
            "guess",
            "Guess one letter, or the whole word.",
            (Param("letters", "string", "One letter, or a word of the secret's length."),),
        ),
    )

    def __init__(
        self,
        word_length: int = 5,
        max_turns: int = 20,
        *,
        randomize: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(max_turns=max_turns, **kwargs)
        self.word_length = check_word_length("Hangman", word_length)
        self.randomize = bool(randomize)
        self.secret = ""
        self.revealed: list[bool] = []
        self.guessed_letters: list[str] = []  # in the order guessed
        self.wrong_words: list[str] = []

    def _new_episode(self, options: dict[str, Any] | None) -> None:
        rng = self.np_random
        if self.randomize:
            choice = RANDOM_CHOICES[int(rng.integers(len(RANDOM_CHOICES)))]
            self.word_length, self.max_turns = choice
        self.secret = random_word(rng, self.word_length)
        self.revealed = [False] * self.word_length
        self.guessed_letters = []
        self.wrong_words = []

    def example_word(self) -> str:
        """A word of the secret's length for the prompt, never the secret itself."""
        first, second = EXAMPLE_WORDS[self.word_length]
        return second if first == self.secret else first

    def rules(self) -> str:
        return (
            f"You are playing Hangman. Find the secret {self.word_length}-letter English word "
            f"within {self.max_turns} turns. Each hidden letter is shown as '_'.\n"
            "Each turn, guess either one letter, for example \\boxed{E}, which reveals every copy "
            f"of it, or the whole {self.word_length}-letter word, for example "
            f"\\boxed{{{self.example_word()}}}. Revealing every letter or naming the word wins. "
            "Do not repeat a letter or a word you already tried."
        )

    def describe_state(self) -> str:
        lines = [f"Word: {pattern(self.secret, self.revealed)}  ({self.word_length} letters)"]
        if self.guessed_letters:
            wrong = [c for c in self.guessed_letters if c not in self.secret]
            lines.append(
                f"Letters guessed: {', '.join(self.guessed_letters)}"
                f" (not in the word: {', '.join(wrong) if wrong else 'none'})"
            )
        if self.wrong_words:
            lines.append(f"Wrong words: {', '.join(self.wrong_words)}")
        if not self.done:
            lines.append(f"Turns left: {self.max_turns - self.turn}")
        return "\n".join(lines)

    def action_prompt(self) -> str:
        return f"Enter one letter as \\boxed{{E}} or the whole word as \\boxed{{{self.example_word()}}}."

    def parse_move(self, content: str) -> str | None:
        return parse_word(content)

    def play(self, guess: str) -> Outcome | str:
        if len(guess) == 1:
            return self._guess_letter(guess)
        if len(guess) != self.word_length:
            return Outcome(
                f"Invalid guess: {shorten(guess)} has {len(guess)} letters, but the secret has "
                f"{self.word_length}. Guess one letter or a {self.word_length}-letter word.",
                valid=False,
            )
        if guess == self.secret:
            return self._win(f"Correct! The word is {self.secret}.")
        if guess in self.wrong_words:
            return Outcome(f"Invalid guess: you already tried {guess}.", valid=False)
        self.wrong_words.append(guess)
        return f"{guess} is not the word."

    def _guess_letter(self, letter: str) -> Outcome | str:
        if letter in self.guessed_letters:
            return Outcome(f"Invalid guess: you already guessed the letter {letter}.", valid=False)
        self.guessed_letters.append(letter)
        count = reveal(self.secret, self.revealed, letter)
        if count == 0:
            return f"There is no {letter} in the word."
        reward = 0.5 * count / self.word_length
        copies = "one copy" if count == 1 else f"{count} copies"
        if all(self.revealed):
            outcome = self._win(f"Yes, {copies} of {letter}. You revealed the word {self.secret}!")
            outcome.reward += reward
            return outcome
        return Outcome(f"Yes, the word has {copies} of {letter}.", reward=reward)

    def _win(self, feedback: str) -> Outcome:
        hidden = self.revealed.count(False)
        self.revealed = [True] * self.word_length
        return Outcome(feedback, reward=0.5 * hidden / self.word_length + 0.5, won=True)

    def sample_random_action(self) -> str:
        rng = self.action_space.np_random
        letters = [c for c in string.ascii_uppercase if c not in self.guessed_letters]
        if letters and rng.random() < 0.8:
            return f"\\boxed{{{letters[int(rng.integers(len(letters)))]}}}"
        for _ in range(8):  # a repeat needs eight unlucky draws from hundreds of words
            word = random_word(rng, self.word_length)
            if word not in self.wrong_words:
                break
        return f"\\boxed{{{word}}}"

    def draw(self) -> Any:
        """The word with hidden letters blank, then the guessed letters (green: in the word)."""
        from gem_gymnasium.rendering import grid_image

        word = [
            (letter if shown else "", "empty" if shown else "hidden")
            for letter, shown in zip(self.secret, self.revealed, strict=True)
        ]
        letters = [(c, "green" if c in self.secret else "gray") for c in self.guessed_letters]
        rows = [word] + [letters[i : i + 13] for i in range(0, len(letters), 13)]
        return grid_image(rows, caption=self.frame_caption(), shape=(3, max(13, self.word_length)))
