r"""Stable-Baselines3 adapters: ``Discrete`` actions and numeric observations for text envs.

SB3 cannot consume text spaces, so these Gymnasium wrappers translate:

* :class:`DiscreteActions`: action ``i`` of ``Discrete(n)`` is the ``i``-th string of a fixed
  list, given explicitly (``[r"\boxed{1}", ..., r"\boxed{10}"]``) or taken from the env's own
  enumeration (``env.unwrapped.all_actions()``, which the multi-agent views provide). Its
  ``action_masks()`` marks the actions in ``env.unwrapped.legal_actions()`` (all of them when
  the env cannot say), which is what sb3-contrib's ``MaskablePPO`` asks for.
* :class:`HashedNgramObservation`: the observation text as a bag of hashed word n-grams.
* :class:`TokenIdObservation`: the observation text as token ids from a tokenizer.

:func:`make_sb3_env` builds the usual stack from an id; it is a module-level function so that
``make_vec_env(..., vec_env_cls=SubprocVecEnv)`` can pickle it under any start method.

The n-gram mapping is documented and deterministic (the same text gives the same vector in any
process, whatever ``PYTHONHASHSEED``): the text is lower-cased and split into tokens, each a run
of letters, a run of digits, or one other non-space character; every n-gram of ``1..ngram``
consecutive tokens, joined by single spaces, is hashed with BLAKE2b (8-byte digest, read
big-endian) and taken modulo ``n_features``; feature ``j`` is 1.0 if any n-gram falls in bucket
``j``, else 0.0. So ``"The secret is between 1 and 4."`` sets the buckets of ``"between"``,
``"between 1"``, ``"and 4"``, ``"4 ."``, ...: bigrams keep which number bounds which side.
"""

from __future__ import annotations

import functools
import hashlib
import re
from collections.abc import Callable, Sequence
from typing import Any

import gymnasium as gym
import numpy as np

__all__ = [
    "DiscreteActions",
    "HashedNgramObservation",
    "TokenIdObservation",
    "hashed_ngrams",
    "make_sb3_env",
    "tokenize",
]

_TOKEN = re.compile(r"[a-z]+|[0-9]+|[^\sa-z0-9]")


def tokenize(text: str) -> list[str]:
    """Lower-cased tokens: runs of letters, runs of digits, single other characters."""
    return _TOKEN.findall(text.lower())


@functools.lru_cache(maxsize=1 << 16)
def _bucket(gram: str, n_features: int) -> int:
    digest = hashlib.blake2b(gram.encode("utf-8", "surrogatepass"), digest_size=8).digest()
    return int.from_bytes(digest, "big") % n_features


def hashed_ngrams(text: str, n_features: int = 512, ngram: int = 2) -> np.ndarray:
    """The binary bag of hashed 1..``ngram``-grams of ``text`` (see the module docstring)."""
    features = np.zeros(n_features, dtype=np.float32)
    tokens = tokenize(text)
    for n in range(1, ngram + 1):
        for i in range(len(tokens) - n + 1):
            features[_bucket(" ".join(tokens[i : i + n]), n_features)] = 1.0
    return features


class DiscreteActions(gym.ActionWrapper):
    r"""Maps ``Discrete(n)`` actions to ``n`` fixed action strings.

    Args:
        env: A text env.
        actions: The strings, in action order; by default ``env.unwrapped.all_actions()``.

    Example:
        >>> import gymnasium as gym, gem_gymnasium
        >>> env = DiscreteActions(gym.make("gem/GuessTheNumber-Easy-v0"),
        ...                       [f"\\boxed{{{n}}}" for n in range(1, 11)])
        >>> env.action_space, env.action(2)
        (Discrete(10), '\\boxed{3}')
    """

    def __init__(self, env: gym.Env, actions: Sequence[str] | None = None) -> None:
        super().__init__(env)
        if actions is None:
            enumerate_actions = getattr(env.unwrapped, "all_actions", None)
            if enumerate_actions is None:
                raise ValueError(
                    f"{env.unwrapped} has no all_actions(); pass actions=[...] explicitly"
                )
            actions = enumerate_actions()
        actions = list(actions)
        if not actions or not all(isinstance(a, str) for a in actions):
            raise ValueError("DiscreteActions needs a non-empty list of action strings")
        if len(set(actions)) != len(actions):
            raise ValueError("DiscreteActions: the action strings must be distinct")
        self.actions = actions
        self._index = {a: i for i, a in enumerate(actions)}
        self.action_space = gym.spaces.Discrete(len(actions))

    def action(self, action: Any) -> str:
        index = int(action)
        if not 0 <= index < len(self.actions):
            raise ValueError(f"action {index} is outside Discrete({len(self.actions)})")
        return self.actions[index]

    def action_masks(self) -> np.ndarray:
        """Which actions are legal now (``MaskablePPO`` calls this); all when unknown."""
        legal = getattr(self.env.unwrapped, "legal_actions", None)
        if legal is None:
            return np.ones(len(self.actions), dtype=bool)
        mask = np.zeros(len(self.actions), dtype=bool)
        for action in legal():
            index = self._index.get(action)
            if index is not None:
                mask[index] = True
        if not mask.any():  # the episode is over, or nothing legal is listed: allow all
            mask[:] = True
        return mask


class HashedNgramObservation(gym.ObservationWrapper):
    """Text observations -> ``Box(0, 1, (n_features,), float32)`` bags of hashed n-grams.

    Args:
        env: A text env.
        n_features: Number of hash buckets (the vector's size).
        ngram: Largest n-gram length (1 = words only, 2 = words and word pairs, ...).
    """

    def __init__(self, env: gym.Env, n_features: int = 512, ngram: int = 2) -> None:
        super().__init__(env)
        if not isinstance(n_features, int) or n_features < 1:
            raise ValueError(f"n_features must be a positive int, got {n_features!r}")
        if not isinstance(ngram, int) or ngram < 1:
            raise ValueError(f"ngram must be a positive int, got {ngram!r}")
        self.n_features = n_features
        self.ngram = ngram
        self.observation_space = gym.spaces.Box(0.0, 1.0, (n_features,), dtype=np.float32)

    def observation(self, observation: str) -> np.ndarray:
        return hashed_ngrams(observation, self.n_features, self.ngram)


class TokenIdObservation(gym.ObservationWrapper):
    """Text observations -> the last ``max_tokens`` token ids, left-padded with ``pad_id``.

    Args:
        env: A text env.
        tokenizer: Anything with ``encode(text) -> list[int]`` (a Hugging Face tokenizer, a
            ``tokenizers.Tokenizer`` whose ``encode`` returns an ``Encoding`` with ``.ids``).
        max_tokens: The vector's length; longer texts keep their end (the latest news).
        vocab_size: Token id bound; by default ``len(tokenizer)`` or ``get_vocab_size()``.
        pad_id: The padding id (0 by default).
    """

    def __init__(
        self,
        env: gym.Env,
        tokenizer: Any,
        max_tokens: int = 256,
        *,
        vocab_size: int | None = None,
        pad_id: int = 0,
    ) -> None:
        super().__init__(env)
        if vocab_size is None:
            size = getattr(tokenizer, "get_vocab_size", None)
            vocab_size = size() if callable(size) else len(tokenizer)
        self.tokenizer = tokenizer
        self.max_tokens = max_tokens
        self.pad_id = pad_id
        self.observation_space = gym.spaces.Box(0, vocab_size - 1, (max_tokens,), dtype=np.int64)

    def observation(self, observation: str) -> np.ndarray:
        encoded = self.tokenizer.encode(observation)
        ids = list(getattr(encoded, "ids", encoded))[-self.max_tokens :]
        out = np.full(self.max_tokens, self.pad_id, dtype=np.int64)
        if ids:
            out[-len(ids) :] = ids
        return out


def make_sb3_env(
    env_id: str,
    *,
    actions: Sequence[str] | None = None,
    n_features: int = 512,
    ngram: int = 2,
    env_kwargs: dict[str, Any] | None = None,
    wrap: Callable[[gym.Env], gym.Env] | None = None,
) -> gym.Env:
    """``gymnasium.make(env_id)`` with :class:`DiscreteActions` and
    :class:`HashedNgramObservation` (``wrap`` may add wrappers in between, e.g. a history)."""
    import gem_gymnasium

    env = gem_gymnasium.make(env_id, **(env_kwargs or {}))
    if wrap is not None:
        env = wrap(env)
    env = HashedNgramObservation(env, n_features=n_features, ngram=ngram)
    # Outermost, so that env.action_masks() is found without searching the wrapper stack.
    return DiscreteActions(env, actions)
