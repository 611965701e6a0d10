"""The text space for LLM observations and actions.

Gymnasium's :class:`~gymnasium.spaces.Text` only holds strings built from a fixed charset and, by
default, rejects the empty string, newlines and spaces. An LLM reads and writes arbitrary unicode,
so :class:`TextSpace` accepts *any* ``str`` up to ``max_length`` characters.

Importing this module also teaches Gymnasium's ``flatten``, ``batch_space``,
``batch_differing_spaces`` (``observation_mode="different"``) and vector shared-memory helpers
about the space; a batch of text spaces is a :class:`TextBatchSpace`, a ``Tuple`` that also holds
the live :class:`SharedTextBatch` that ``AsyncVectorEnv(shared_memory=True, copy=False)`` returns. Gymnasium 1.4 decodes a ``Text`` shared-memory buffer once, when
:class:`~gymnasium.vector.AsyncVectorEnv` is built, so every later ``reset``/``step`` returns the
same stale strings. Here the buffer is read through :class:`SharedTextBatch`, a live view that is
decoded on access and snapshotted by ``deepcopy`` (which ``AsyncVectorEnv(copy=True)`` calls).
"""

from __future__ import annotations

import multiprocessing as mp
import string
from collections.abc import Iterator, Sequence
from copy import deepcopy
from types import ModuleType
from typing import Any

import numpy as np
from gymnasium.spaces import Box, Text, Tuple
from gymnasium.spaces.utils import flatdim, flatten, flatten_space, unflatten
from gymnasium.vector.utils import (
    batch_differing_spaces,
    batch_space,
    create_shared_memory,
    read_from_shared_memory,
    write_to_shared_memory,
)

__all__ = [
    "DEFAULT_MAX_LENGTH",
    "SharedTextBatch",
    "TextBatchSpace",
    "TextSpace",
    "decode_text",
    "encode_text",
]

#: Default bound on observation and action length, in characters (about 16k LLM tokens).
DEFAULT_MAX_LENGTH = 65_536

# Characters used by ``sample()``: printable ASCII without the control whitespace (\t\n\r\x0b\x0c).
_SAMPLE_CHARSET = string.ascii_letters + string.digits + string.punctuation + " "
_SAMPLE_MAX_LENGTH = 32
# UTF-32 code points; "surrogatepass" keeps lone surrogates (legal in a Python str) round-tripping.
_CODEC = ("utf-32-le", "surrogatepass")
_PAD = -1  # flattened padding: not a code point, so trailing "\x00" characters survive


class TextSpace(Text):
    r"""Any Python ``str`` of ``min_length`` to ``max_length`` characters.

    Unlike :class:`~gymnasium.spaces.Text` there is no charset restriction on membership: unicode,
    newlines, control characters and (by default) the empty string are all contained. The charset is
    kept only for :meth:`sample`, which returns short printable ASCII strings.

    Example:
        >>> space = TextSpace(100)
        >>> space.contains("I think \\boxed{10}\n😀")
        True
        >>> space.contains("x" * 101), space.contains(b"bytes")
        (False, False)
        >>> space
        TextSpace(max_length=100)
    """

    def __init__(
        self,
        max_length: int = DEFAULT_MAX_LENGTH,
        *,
        min_length: int = 0,
        seed: int | np.random.Generator | None = None,
    ) -> None:
        """Create a text space.

        Args:
            max_length: Maximum length in characters (inclusive).
            min_length: Minimum length in characters (inclusive), 0 by default.
            seed: Seed for :meth:`sample`.
        """
        super().__init__(max_length, min_length=min_length, charset=_SAMPLE_CHARSET, seed=seed)
        # One str per element, like a 0-d object array: containers that size a buffer from
        # ``shape`` and ``dtype`` (SB3's DummyVecEnv) then hold whole strings, where Text's
        # shape None stops them and its dtype '<U0' would cut every string to nothing.
        self._shape = ()
        self.dtype = np.dtype(object)

    def sample(self, mask: Any = None, probability: Any = None) -> str:
        """A random printable string of at most 32 characters (or as ``Text.sample`` with a mask).

        A mask that lists actions (a multi-agent game's ``info["action_mask"]``, which has a
        ``legal_actions()`` method) gives one of its legal actions, as ``Discrete.sample(mask)``
        would; with none legal, a random string.
        """
        if probability is None and callable(getattr(mask, "legal_actions", None)):
            legal = mask.legal_actions()
            if legal:
                return str(legal[int(self.np_random.integers(len(legal)))])
            mask = None
        if mask is None and probability is None:
            upper = max(self.min_length, min(self.max_length, _SAMPLE_MAX_LENGTH))
            length = int(self.np_random.integers(self.min_length, upper + 1))
            return super().sample(mask=(length, None))
        return super().sample(mask=mask, probability=probability)

    def contains(self, x: Any) -> bool:
        """Whether ``x`` is a ``str`` whose length is within the bounds, whatever its characters."""
        return isinstance(x, str) and self.min_length <= len(x) <= self.max_length

    def __repr__(self) -> str:
        """A short representation naming the bounds (not the 95-character sampling charset)."""
        if self.min_length:
            return f"TextSpace(max_length={self.max_length}, min_length={self.min_length})"
        return f"TextSpace(max_length={self.max_length})"

    def __eq__(self, other: object) -> bool:
        """Spaces are equal when their bounds are."""
        return (
            isinstance(other, TextSpace)
            and self.max_length == other.max_length
            and self.min_length == other.min_length
        )

    __hash__ = None  # mutable like every gymnasium space (its RNG), so unhashable

    def __reduce__(self) -> tuple[Any, ...]:
        # Rebuild from the bounds plus RNG state: cheaper than pickling the charset tables.
        return (_rebuild_space, (self.max_length, self.min_length, self._np_random))


def _rebuild_space(max_length: int, min_length: int, rng: np.random.Generator | None) -> TextSpace:
    space = TextSpace(max_length, min_length=min_length)
    space._np_random = rng
    return space


def encode_text(space: TextSpace, text: str) -> np.ndarray:
    """Code points of ``text`` as int32, with a clear error when it does not fit the space."""
    if not isinstance(text, str):
        raise TypeError(f"{space!r} holds str, got {type(text).__name__}")
    if len(text) > space.max_length:
        raise ValueError(
            f"a string of {len(text)} characters does not fit {space!r}; "
            "raise the env's max_length or shorten the text"
        )
    return np.frombuffer(text.encode(*_CODEC), dtype=np.int32)


def decode_text(codes: np.ndarray) -> str:
    """Inverse of :func:`encode_text`."""
    return np.ascontiguousarray(codes, dtype=np.int32).tobytes().decode(*_CODEC)


# --- flattening: fixed-size code-point vectors padded with -1 --------------------------------


@flatdim.register(TextSpace)
def _flatdim_text_space(space: TextSpace) -> int:
    return space.max_length


@flatten_space.register(TextSpace)
def _flatten_text_space(space: TextSpace) -> Box:
    return Box(low=_PAD, high=0x10FFFF, shape=(space.max_length,), dtype=np.int32)


@flatten.register(TextSpace)
def _flatten_text(space: TextSpace, x: str) -> np.ndarray:
    out = np.full(space.max_length, _PAD, dtype=np.int32)
    codes = encode_text(space, x)
    out[: codes.size] = codes
    return out


@unflatten.register(TextSpace)
def _unflatten_text(space: TextSpace, x: np.ndarray) -> str:
    codes = np.asarray(x, dtype=np.int32)
    return decode_text(codes[codes != _PAD])


# --- vector shared memory: one row per sub-env, [length, code points...] ---------------------


class SharedTextBatch(Sequence[str]):
    """A live, read-only view of ``n`` strings stored in a shared-memory buffer.

    :class:`~gymnasium.vector.AsyncVectorEnv` keeps the object returned by
    ``read_from_shared_memory`` and hands it out after every ``reset``/``step``; decoding on access
    makes that object always show the workers' latest writes. ``copy.deepcopy`` (used when
    ``copy=True``, the default) returns a plain ``tuple`` snapshot.
    """

    def __init__(self, buffer: Any, n: int, max_length: int) -> None:
        self._rows = np.frombuffer(buffer.get_obj(), dtype=np.int32).reshape(n, max_length + 1)

    def __len__(self) -> int:
        return self._rows.shape[0]

    def __getitem__(self, index: Any) -> Any:
        if isinstance(index, slice):
            return tuple(self._decode(i) for i in range(len(self))[index])
        return self._decode(range(len(self))[index])

    def _decode(self, i: int) -> str:
        row = self._rows[i]
        return decode_text(row[1 : 1 + row[0]])

    def __iter__(self) -> Iterator[str]:
        return (self._decode(i) for i in range(len(self)))

    def __eq__(self, other: object) -> bool:
        if isinstance(other, Sequence) and not isinstance(other, str):
            return tuple(self) == tuple(other)
        return NotImplemented

    __hash__ = None

    def __deepcopy__(self, memo: dict[int, Any]) -> tuple[str, ...]:
        return tuple(self)

    def __repr__(self) -> str:
        return f"SharedTextBatch({tuple(self)!r})"


class TextBatchSpace(Tuple):
    """The batch of ``n`` text spaces (``batch_space(TextSpace(...), n)``): a ``Tuple`` of them.

    Membership also accepts a :class:`SharedTextBatch`, the live view of a shared-memory buffer
    that ``AsyncVectorEnv(shared_memory=True, copy=False)`` returns as its observations.
    """

    def contains(self, x: Any) -> bool:
        """Like ``Tuple.contains``, with a :class:`SharedTextBatch` read as the tuple it shows."""
        if isinstance(x, SharedTextBatch):
            x = tuple(x)
        return super().contains(x)


@batch_space.register(TextSpace)
def _batch_text_space(space: TextSpace, n: int = 1) -> TextBatchSpace:
    # As Gymnasium batches a Text space: independent copies, each seeded from the space's RNG.
    batched = TextBatchSpace(
        tuple(deepcopy(space) for _ in range(n)), seed=deepcopy(space.np_random)
    )
    batched.seed(list(map(int, deepcopy(space.np_random).integers(0, int(1e8), n))))
    return batched


@batch_differing_spaces.register(TextSpace)
def _batch_differing_text_spaces(spaces: Sequence[TextSpace]) -> TextBatchSpace:
    # Gymnasium looks the exact type up, so its Text case does not reach the subclass.
    return TextBatchSpace([deepcopy(space) for space in spaces], seed=deepcopy(spaces[0].np_random))


@create_shared_memory.register(TextSpace)
def _create_text_shared_memory(space: TextSpace, n: int = 1, ctx: ModuleType = mp) -> Any:
    return ctx.Array(np.dtype(np.int32).char, n * (space.max_length + 1))


@read_from_shared_memory.register(TextSpace)
def _read_text_shared_memory(space: TextSpace, shared_memory: Any, n: int = 1) -> SharedTextBatch:
    return SharedTextBatch(shared_memory, n, space.max_length)


@write_to_shared_memory.register(TextSpace)
def _write_text_shared_memory(space: TextSpace, index: int, value: str, shared_memory: Any) -> None:
    codes = encode_text(space, value)
    width = space.max_length + 1
    row = np.frombuffer(shared_memory.get_obj(), dtype=np.int32)[
        index * width : (index + 1) * width
    ]
    row[0] = codes.size
    row[1 : 1 + codes.size] = codes
