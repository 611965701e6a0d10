"""The shipped word lists: shape, size, pools, and lazy loading without a download."""

from __future__ import annotations

from importlib.resources import files

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
