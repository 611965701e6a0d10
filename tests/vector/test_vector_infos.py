"""``batch_infos`` builds exactly what Gymnasium's ``VectorEnv._add_info`` builds."""

from __future__ import annotations

import numpy as np
import pytest
from gymnasium.vector import SyncVectorEnv
from hypothesis import given, settings
from hypothesis import strategies as st

from gem_gymnasium.vector import batch_infos

scalars = st.one_of(
    st.integers(-(2**40), 2**40),
    st.floats(allow_nan=False),
    st.booleans(),
    st.text(max_size=5),
    st.none(),
    st.lists(st.integers(0, 3), max_size=3),
    st.sampled_from([np.float32(1.5), np.int16(-3), np.zeros(2, dtype=np.int8)]),
)
# Keys are typed (each key always gets one kind of value), as in real infos.
KEY_TYPES = {"turn": st.integers(0, 9), "ok": st.booleans(), "why": st.text(max_size=3)}
info_values = st.fixed_dictionaries({}, optional={k: v for k, v in KEY_TYPES.items()})
infos = st.fixed_dictionaries(
    {},
    optional={
        **KEY_TYPES,
        "score": st.floats(-1, 1),
        "final_obs": st.text(max_size=4),
        "final_info": info_values,
        "blob": st.lists(st.integers(0, 3), max_size=3),
    },
)


class _Adder:
    """Just enough of a VectorEnv to run Gymnasium's own ``_add_info``."""

    _add_info = SyncVectorEnv._add_info

    def __init__(self, num_envs: int) -> None:
        self.num_envs = num_envs


def _gymnasium(entries: list[tuple[int, dict]], n: int) -> dict:
    adder, out = _Adder(n), {}
    for index, info in entries:
        out = adder._add_info(out, info, index)
    return out


def _assert_identical(got: dict, expected: dict) -> None:
    assert list(got) == list(expected)  # same keys in the same order
    for key, value in expected.items():
        if isinstance(value, dict):
            _assert_identical(got[key], value)
        else:
            assert got[key].dtype == value.dtype and got[key].shape == value.shape, key
            if value.dtype != object:  # None stored in a float array is nan on both sides
                assert np.array_equal(got[key], value, equal_nan=value.dtype.kind in "fc"), key
                continue
            for a, b in zip(got[key], value, strict=True):
                assert np.array_equal(a, b) if isinstance(a, np.ndarray) else a == b, key


@settings(max_examples=60, deadline=None)
@given(st.lists(st.one_of(st.none(), infos), min_size=1, max_size=6))
def test_matches_gymnasium_add_info(per_env: list[dict | None]) -> None:
    entries = [(i, info) for i, info in enumerate(per_env) if info]
    _assert_identical(batch_infos(entries, len(per_env)), _gymnasium(entries, len(per_env)))


# Every sub-env reports the same keys (in any order): the path real env types take.
SAME_KEYS = {
    "turn": st.integers(-(2**40), 2**40),
    "ok": st.booleans(),
    "score": st.floats(allow_nan=False),
    "why": st.text(max_size=3),
    "final_obs": st.text(max_size=4),
    "final_info": st.fixed_dictionaries({"turn": st.integers(0, 9), "won": st.booleans()}),
    "grid": st.just(np.arange(3, dtype=np.int16)),
    "blob": st.lists(st.integers(0, 3), max_size=3),
    "np": st.sampled_from([np.float32(1.5), np.int64(-3)]),
}


@st.composite
def same_key_infos(draw: st.DrawFn) -> tuple[list[tuple[int, dict]], int]:
    n = draw(st.integers(1, 6))
    keys = draw(st.lists(st.sampled_from(sorted(SAME_KEYS)), min_size=1, unique=True))
    reporting = draw(st.one_of(st.just(list(range(n))), st.sets(st.integers(0, n - 1))))
    entries = []
    for index in sorted(reporting):
        order = draw(st.permutations(keys))  # each sub-env may insert its keys in its own order
        entries.append((index, {key: draw(SAME_KEYS[key]) for key in order}))
    return entries, n


@settings(max_examples=80, deadline=None)
@given(same_key_infos())
def test_same_keys_match_gymnasium(case: tuple[list[tuple[int, dict]], int]) -> None:
    entries, n = case
    _assert_identical(batch_infos(entries, n), _gymnasium(entries, n))


# Any mix of value types under one key: the first value types the array, the others are cast
# as Gymnasium's `array[index] = value` casts them, or fail as it fails.
mixed = st.one_of(
    st.integers(-(2**70), 2**70),
    st.floats(allow_nan=False),
    st.booleans(),
    st.sampled_from([np.float32(2.5), np.int16(-3), np.bool_(True), "5", "x", None]),
    st.lists(st.integers(0, 3), max_size=2),
)


@pytest.mark.filterwarnings("ignore:overflow encountered:RuntimeWarning")
@settings(max_examples=150, deadline=None)
@given(st.lists(mixed, min_size=1, max_size=5), st.booleans())
def test_mixed_value_types_match_gymnasium(values: list, partial: bool) -> None:
    n = len(values) + partial  # partial: the last sub-env reports nothing
    entries = [(i, {"k": value, "same": i}) for i, value in enumerate(values)]
    try:
        expected = _gymnasium(entries, n)
    except (TypeError, ValueError, OverflowError):
        with pytest.raises((TypeError, ValueError, OverflowError)):
            batch_infos(entries, n)
        return
    _assert_identical(batch_infos(entries, n), expected)


def test_fast_path_same_keys_every_env() -> None:
    entries = [(i, {"turn": i, "ok": i % 2 == 0, "why": f"r{i}"}) for i in range(5)]
    got = batch_infos(entries, 5)
    _assert_identical(got, _gymnasium(entries, 5))
    assert got["turn"].tolist() == [0, 1, 2, 3, 4] and got["_why"].all()


def test_masks_are_independent_arrays() -> None:
    got = batch_infos([(1, {"a": 1, "b": 2})], 3)
    got["_a"][0] = True
    assert got["_b"].tolist() == [False, True, False]
    # Complete masks are copies of one cached all-True mask: writable, and never that mask.
    complete = [(i, {"a": i, "b": {"c": i}}) for i in range(3)]
    got = batch_infos(complete, 3)
    for mask in (got["_a"], got["_b"], got["b"]["_c"]):
        mask[0] = False
    again = batch_infos(complete, 3)
    assert again["_a"].all() and again["_b"].all() and again["b"]["_c"].all()


def test_no_infos() -> None:
    assert batch_infos([], 4) == {}
