"""The English word lists shared by the word games, loaded lazily from ``gem_gymnasium/data``.

``words.txt`` holds the puzzle words (secrets, hidden words), most frequent first; its first
:data:`COMMON_COUNT` lines are the *common* words and the rest the *rarer* ones.
``dictionary.txt`` holds every word accepted as a real guess. ``data/WORDS.md`` says where both
come from and how to rebuild them. Each list is read once per process and shared by every env, so
envs keep no word list in their own (snapshotted, pickled) state.
"""

from __future__ import annotations

import functools
from importlib.resources import files
from typing import TYPE_CHECKING, Literal

if TYPE_CHECKING:
    import numpy as np

__all__ = [
    "COMMON_COUNT",
    "MAX_WORD_LENGTH",
    "MIN_WORD_LENGTH",
    "Pool",
    "check_word_length",
    "dictionary",
    "is_word",
    "parse_word",
    "puzzle_words",
    "random_word",
    "words_of_length",
]

#: How many of the most frequent puzzle words count as "common".
COMMON_COUNT = 4000
MIN_WORD_LENGTH = 3
MAX_WORD_LENGTH = 8

Pool = Literal["common", "rarer", "all"]


def _read_lines(name: str) -> tuple[str, ...]:
    text = files("gem_gymnasium").joinpath("data", name).read_text(encoding="utf-8")
    return tuple(line.strip() for line in text.splitlines() if line.strip())


@functools.cache
def puzzle_words(pool: Pool = "all") -> tuple[str, ...]:
    """Puzzle words (lowercase, most frequent first) of one pool."""
    words = _read_lines("words.txt")
    if pool == "common":
        return words[:COMMON_COUNT]
    if pool == "rarer":
        return words[COMMON_COUNT:]
    if pool == "all":
        return words
    raise ValueError(f"pool must be 'common', 'rarer' or 'all', got {pool!r}")


@functools.cache
def words_of_length(length: int, pool: Pool = "common") -> tuple[str, ...]:
    """Puzzle words of exactly ``length`` letters from ``pool``, in frequency order."""
    return tuple(word for word in puzzle_words(pool) if len(word) == length)


@functools.cache
def dictionary() -> frozenset[str]:
    """Every lowercase word accepted as a real English word (a superset of the puzzle words)."""
    return frozenset(_read_lines("dictionary.txt")) | frozenset(puzzle_words("all"))


def is_word(word: str) -> bool:
    """Whether ``word`` (any case) is in the dictionary."""
    return word.lower() in dictionary()


def check_word_length(game: str, word_length: object) -> int:
    """``word_length``, checked: a ``ValueError`` that names ``game`` unless the lists hold
    words of that length."""
    if not isinstance(word_length, int) or not MIN_WORD_LENGTH <= word_length <= MAX_WORD_LENGTH:
        raise ValueError(
            f"{game}: word_length must be an int in {MIN_WORD_LENGTH}..{MAX_WORD_LENGTH}, "
            f"got {word_length!r}"
        )
    return word_length


def random_word(rng: np.random.Generator, length: int) -> str:
    """A common puzzle word of ``length`` letters, uppercase, drawn with one call on ``rng``."""
    pool = words_of_length(length)
    return pool[int(rng.integers(len(pool)))].upper()


def parse_word(content: str) -> str | None:
    """``content`` as an uppercase word (whitespace dropped), or ``None`` unless it is all
    ASCII letters."""
    word = "".join(content.split())
    if not word or not word.isascii() or not word.isalpha():
        return None
    return word.upper()
