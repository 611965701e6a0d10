"""The shipped word lists: shape, size, pools, and lazy loading without a download."""

from __future__ import annotations

from importlib.resources import files

import numpy as np
import pytest

from gem_gymnasium.envs.games import word_data


def test_files_are_small_and_shipped():
    data = files("gem_gymnasium").joinpath("data")
    total = sum(data.joinpath(name).stat().st_size for name in ("words.txt", "dictionary.txt"))
    assert total < 1_000_000


def test_puzzle_words_are_plain_lowercase_and_unique():
    words = word_data.puzzle_words()
    assert len(words) == len(set(words)) >= 5000
    for word in words:
        assert word.isascii() and word.isalpha() and word.islower()
        assert word_data.MIN_WORD_LENGTH <= len(word) <= word_data.MAX_WORD_LENGTH


def test_common_and_rarer_pools_split_the_list():
    common, rarer = word_data.puzzle_words("common"), word_data.puzzle_words("rarer")
    assert len(common) == word_data.COMMON_COUNT
    assert not set(common) & set(rarer)
    assert (*common, *rarer) == word_data.puzzle_words("all")
    assert {"water", "house", "music"} <= set(common)


def test_dictionary_accepts_puzzle_words_and_inflections():
    assert set(word_data.puzzle_words()) <= word_data.dictionary()
    for word in ["CRANE", "slate", "tries", "Cities", "walked"]:
        assert word_data.is_word(word)
    for word in ["xqzvk", "aaaaa", ""]:
        assert not word_data.is_word(word)


def test_lists_are_loaded_once():
    assert word_data.dictionary() is word_data.dictionary()
    assert word_data.words_of_length(5) is word_data.words_of_length(5)


def test_unknown_pool_is_rejected():
    with pytest.raises(ValueError, match="pool"):
        word_data.puzzle_words("huge")  # type: ignore[arg-type]


@pytest.mark.parametrize("length", [word_data.MIN_WORD_LENGTH, 5, word_data.MAX_WORD_LENGTH])
def test_check_word_length_accepts_the_lengths_the_lists_hold(length):
    assert word_data.check_word_length("Wordle", length) == length
    assert word_data.words_of_length(length)


@pytest.mark.parametrize("length", [2, 9, 0, -5, 5.0, "5", None])
def test_check_word_length_names_the_game(length):
    with pytest.raises(ValueError, match=r"^Hangman: word_length must be an int in 3\.\.8"):
        word_data.check_word_length("Hangman", length)


def test_random_word_is_a_seeded_uppercase_common_word():
    draws = [word_data.random_word(np.random.default_rng(4), 6) for _ in range(2)]
    assert draws[0] == draws[1] and draws[0].isupper() and len(draws[0]) == 6
    assert draws[0].lower() in word_data.words_of_length(6)
    rng = np.random.default_rng(0)
    assert len({word_data.random_word(rng, 5) for _ in range(50)}) > 40


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        ("crane", "CRANE"),
        (" c r a n e\n", "CRANE"),
        ("a", "A"),
        ("", None),
        ("   ", None),
        ("cr4ne", None),
        ("café", None),
        ("crane!", None),
        ("ｃｒａｎｅ", None),
    ],
)
def test_parse_word(content, expected):
    assert word_data.parse_word(content) == expected
