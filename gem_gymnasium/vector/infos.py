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
    return _batch_infos([index for index, _ in entries], [info for _, info in entries], num_envs)


def _batch_infos(
    indices: Sequence[int], infos: Sequence[dict[str, Any]], num_envs: int
) -> dict[str, Any]:
    """:func:`batch_infos` of ``zip(indices, infos)``; ``indices`` ascend."""
    if not infos:
        return {}
    # Sub-envs of one env type report the same keys: then every key is one column over the same
    # indices, read with itemgetter (a C loop). Equal sizes plus no KeyError mean equal key sets.
    if len(set(map(len, infos))) == 1:
        try:
            return _batch_columns(
                [(key, indices, _column(key, infos)) for key in infos[0]], num_envs
            )
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
    return _batch_columns([(key, *column) for key, column in columns.items()], num_envs)


def _column(key: str, infos: list[dict[str, Any]]) -> list[Any]:
    return list(map(itemgetter(key), infos))


def _batch_columns(
    columns: list[tuple[str, Sequence[int], list[Any]]], num_envs: int
) -> dict[str, Any]:
    """Each ``(key, ascending indices, values)`` as Gymnasium's typed array plus its mask."""
    batched: dict[str, Any] = {}
    shared_indices: Sequence[int] | None = None  # the columns of one key set share their indices
    for key, indices, values in columns:
        if indices is not shared_indices:
            shared_indices, complete = indices, len(indices) == num_envs  # then exactly 0..n-1
            where = slice(None) if complete else np.array(indices, dtype=np.intp)
            mask = np.zeros(num_envs, dtype=np.bool_)
            mask[where] = True
        first = values[0]  # Gymnasium types the array by the lowest sub-env's value
        if key == "final_obs":
            array: Any = _object_array(num_envs, indices, values)
        elif isinstance(first, dict):
            array = _batch_infos(indices, values, num_envs)
        elif type(first) in _SCALARS or isinstance(first, np.number):
            if complete:
                array = np.array(values, dtype=type(first))
            else:
                array = np.zeros(num_envs, dtype=type(first))
                array[where] = values
        elif isinstance(first, np.ndarray):
            array = np.zeros((num_envs, *first.shape), dtype=first.dtype)
            for index, value in zip(indices, values, strict=True):
                array[index] = value
        else:
            array = _object_array(num_envs, indices, values)
        batched[key] = array
        batched[f"_{key}"] = mask.copy()  # every mask its own array, as in Gymnasium
    return batched


def _object_array(num_envs: int, indices: Sequence[int], values: list[Any]) -> np.ndarray:
    # Element by element: a slice assignment would try to broadcast list or tuple values.
    array = np.empty(num_envs, dtype=object)  # filled with None
    for index, value in zip(indices, values, strict=True):
        array[index] = value
    return array
