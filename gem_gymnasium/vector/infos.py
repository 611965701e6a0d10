"""Batching per-env ``info`` dicts into Gymnasium's vector-info layout, in one pass per key.

Gymnasium's vector envs return one dict whose values are arrays over the sub-envs, each key ``k``
paired with a boolean mask ``_k`` saying which sub-envs reported it (see
:meth:`gymnasium.vector.VectorEnv._add_info`). ``VectorEnv._add_info`` builds that layout one
sub-env and one key at a time, which costs more than a text game's whole ``step``;
:func:`batch_infos` gathers the values per key first and fills each array once, with the same
result: the array type comes from the first value seen, ``final_obs`` and unknown objects go in
object arrays, dict values are batched recursively.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from functools import lru_cache
from operator import itemgetter
from typing import Any

import numpy as np

__all__ = ["batch_infos"]

_SCALARS = (int, float, bool)


def batch_infos(entries: Iterable[tuple[int, dict[str, Any]]], num_envs: int) -> dict[str, Any]:
    """Batch ``(sub-env index, info)`` pairs into Gymnasium's vector-info dict.

    Args:
        entries: One pair per sub-env that reported an info, in sub-env order.
        num_envs: Length of every array in the result.

    Returns:
        ``{key: array, "_" + key: mask, ...}`` in the order keys were first seen, equal to what
        ``VectorEnv._add_info`` accumulates for the same infos.
    """
    entries = list(entries)
    if not entries:
        return {}
    indices, infos = zip(*entries, strict=True)
    return _batch_infos(indices, infos, num_envs)


class _Rows:
    """The sub-envs that reported one group of values: where those go, and the mask that says so.

    Computed once per set of sub-envs and shared by every key they all report.
    """

    __slots__ = ("indices", "mask", "num_envs", "where")

    def __init__(self, indices: Sequence[int], num_envs: int) -> None:
        self.indices = indices  # ascending
        self.num_envs = num_envs
        self.where: np.ndarray | None  # None: every sub-env, so indices is exactly 0..n-1
        if len(indices) == num_envs:
            self.where = None
            self.mask = _all_true(num_envs)
        else:
            self.where = np.array(indices, dtype=np.intp)
            self.mask = np.zeros(num_envs, dtype=np.bool_)
            self.mask[self.where] = True


@lru_cache(maxsize=64)
def _all_true(num_envs: int) -> np.ndarray:
    # Copying a ready mask is several times cheaper than np.ones; read-only as it is shared.
    mask = np.ones(num_envs, dtype=np.bool_)
    mask.flags.writeable = False
    return mask


def _batch_infos(
    indices: Sequence[int],
    infos: Sequence[dict[str, Any]],
    num_envs: int,
    rows: _Rows | None = None,
) -> dict[str, Any]:
    """:func:`batch_infos` of ``zip(indices, infos)``; ``indices`` ascend (``rows`` is theirs)."""
    if not infos:
        return {}
    if rows is None:
        rows = _Rows(indices, num_envs)
    first = infos[0]
    # Sub-envs of one env type report the same keys: then every key is one column over the same
    # rows, read with itemgetter (a C loop). If every info has all of the first's keys (no
    # KeyError), none has more keys when the sizes add up: the key sets are equal.
    if sum(map(len, infos)) == len(first) * len(infos):
        try:
            batched: dict[str, Any] = {}
            for key, value in first.items():
                batched[key] = _array(key, value, map(itemgetter(key), infos), rows)
                batched[f"_{key}"] = rows.mask.copy()  # every mask its own array, as in Gymnasium
            return batched
        except KeyError:
            pass
    columns: dict[str, tuple[list[int], list[Any]]] = {}
    for index, info in zip(indices, infos, strict=True):
        for key, value in info.items():
            column = columns.get(key)
            if column is None:
                columns[key] = ([index], [value])
            else:
                column[0].append(index)
                column[1].append(value)
    batched = {}
    for key, (key_indices, values) in columns.items():
        # A key that every info reports has the rows of them all (a subset as long is the whole).
        key_rows = rows if len(key_indices) == len(indices) else _Rows(key_indices, num_envs)
        batched[key] = _array(key, values[0], values, key_rows)
        batched[f"_{key}"] = key_rows.mask.copy()
    return batched


def _batch_columns(
    indices: Sequence[int], columns: Iterable[tuple[str, Sequence[Any]]], num_envs: int
) -> dict[str, Any]:
    """Each ``(key, values)`` column, all over the same ascending ``indices``, batched."""
    rows = _Rows(indices, num_envs)
    batched: dict[str, Any] = {}
    for key, values in columns:
        batched[key] = _array(key, values[0], values, rows)
        batched[f"_{key}"] = rows.mask.copy()
    return batched


def _array(key: str, first: Any, values: Iterable[Any], rows: _Rows) -> Any:
    """One key's batched array (a dict for dict values); ``first`` is its lowest sub-env's value,
    which types the array as in Gymnasium."""
    if key == "final_obs":
        return _object_array(values, rows)
    if isinstance(first, dict):
        return _batch_infos(rows.indices, list(values), rows.num_envs, rows)
    kind = type(first)
    if kind in _SCALARS or isinstance(first, np.number):
        # fromiter converts value by value exactly as Gymnasium's `array[index] = value` does
        # (np.array of a list would reject, say, a list value in a bool column). Its arguments
        # are positional: numpy parses fromiter's keywords slowly (a tenth of a column).
        if rows.where is None:
            return np.fromiter(values, kind, rows.num_envs)
        array = np.zeros(rows.num_envs, dtype=kind)
        array[rows.where] = np.fromiter(values, kind, len(rows.indices))
        return array
    if isinstance(first, np.ndarray):
        array = np.zeros((rows.num_envs, *first.shape), dtype=first.dtype)
        for index, value in zip(rows.indices, values, strict=True):
            array[index] = value
        return array
    return _object_array(values, rows)


def _object_array(values: Iterable[Any], rows: _Rows) -> np.ndarray:
    # fromiter stores each value as one object: np.array would unpack list or tuple values.
    objects = np.fromiter(values, object, len(rows.indices))
    if rows.where is None:
        return objects
    array = np.empty(rows.num_envs, dtype=object)  # filled with None
    array[rows.where] = objects
    return array
