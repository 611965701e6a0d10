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

from collections.abc import Iterable
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
    # Sub-envs of one env type report the same keys: group them by key set, then transpose each
    # group with itemgetter/zip (C loops) instead of a dict lookup per value in Python.
    entries = list(entries)
    if not entries:
        return {}
    infos = [info for _, info in entries]
    first_keys = infos[0].keys()
    groups: dict[tuple[str, ...], tuple[list[int], list[dict[str, Any]]]]
    if all(map(first_keys.__eq__, map(dict.keys, infos))):  # the usual case: one group
        groups = {tuple(first_keys): ([index for index, _ in entries], infos)}
    else:
        groups = {}
        for index, info in entries:
            group = groups.setdefault(tuple(info), ([], []))
            group[0].append(index)
            group[1].append(info)
    columns: dict[str, tuple[list[int], list[Any]]] = {}
    for keys, (indices, group_infos) in groups.items():
        if not keys:  # empty infos (possible when nested) add no column
            continue
        if len(keys) == 1:
            transposed: Any = [[info[keys[0]] for info in group_infos]]
        else:
            transposed = zip(*map(itemgetter(*keys), group_infos), strict=True)
        for key, values in zip(keys, transposed, strict=True):
            column = columns.get(key)
            if column is None:
                columns[key] = (indices.copy(), list(values))
            else:
                column[0].extend(indices)
                column[1].extend(values)

    batched: dict[str, Any] = {}
    in_order = len(groups) == 1  # then every column's indices ascend
    masks: dict[tuple[int, ...], np.ndarray] = {}
    for key, (indices, values) in columns.items():
        # Gymnasium types each array by the value of the lowest sub-env index reporting the key.
        first = values[0] if in_order else values[indices.index(min(indices))]
        complete = in_order and len(indices) == num_envs  # indices are exactly 0..n-1
        if key == "final_obs":
            array: Any = _object_array(num_envs, indices, values)
        elif isinstance(first, dict):
            array = batch_infos(zip(indices, values, strict=True), num_envs)
        elif type(first) in _SCALARS or isinstance(first, np.number):
            if complete:
                array = np.array(values, dtype=type(first))
            else:
                array = np.zeros(num_envs, dtype=type(first))
                array[indices] = values
        elif isinstance(first, np.ndarray):
            array = np.zeros((num_envs, *first.shape), dtype=first.dtype)
            for index, value in zip(indices, values, strict=True):
                array[index] = value
        else:
            array = _object_array(num_envs, indices, values)
        batched[key] = array
        batched[f"_{key}"] = _mask(masks, indices, num_envs)
    return batched


def _mask(cache: dict[tuple[int, ...], np.ndarray], indices: list[int], n: int) -> np.ndarray:
    """A fresh bool array, True at ``indices`` (built once per index set, then copied)."""
    key = tuple(indices)
    mask = cache.get(key)
    if mask is None:
        if len(indices) == n:
            mask = np.ones(n, dtype=np.bool_)
        else:
            mask = np.zeros(n, dtype=np.bool_)
            mask[indices] = True
        cache[key] = mask
        return mask
    return mask.copy()


def _object_array(num_envs: int, indices: list[int], values: list[Any]) -> np.ndarray:
    # Element by element: a slice assignment would try to broadcast list or tuple values.
    array = np.full(num_envs, None, dtype=object)
    for index, value in zip(indices, values, strict=True):
        array[index] = value
    return array
