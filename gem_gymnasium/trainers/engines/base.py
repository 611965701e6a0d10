"""The rollout-engine interface: what the PPO loop needs from whatever generates text.

An engine turns a batch of prompts (token ids) into sampled responses with the log-probability
of every sampled token, loads the policy's current weights after each update, and closes. The
loop holds one engine and never asks which kind it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    import torch

__all__ = ["Engine", "Generation", "SamplingParams"]


@dataclass(frozen=True)
class SamplingParams:
    """How to sample one response per prompt.

    Attributes:
        max_new_tokens: Response token limit; a response that reaches it is ``truncated``.
        temperature: Softmax temperature (0 = greedy). Log-probs are those of the tempered
            distribution, the one the learner recomputes.
        top_p: Nucleus sampling (1 = off).
        top_k: Top-k sampling (-1 = off).
    """

    max_new_tokens: int
    temperature: float = 1.0
    top_p: float = 1.0
    top_k: int = -1


@dataclass
class Generation:
    """One sampled response.

    Attributes:
        response_ids: Sampled token ids, ending with EOS unless truncated.
        logprobs: Log-probability of each sampled token under the rollout policy.
        text: The decoded response (special tokens removed).
        truncated: The response hit ``max_new_tokens`` without EOS.
    """

    response_ids: list[int]
    logprobs: list[float]
    text: str
    truncated: bool


@runtime_checkable
class Engine(Protocol):
    """Generates responses for the PPO loop; see :mod:`gem_gymnasium.trainers.engines`."""

    def generate(
        self, prompts: Sequence[Sequence[int]], sampling: SamplingParams
    ) -> list[Generation]:
        """One :class:`Generation` per prompt, in order."""
        ...

    def load_weights(self, policy: torch.nn.Module) -> None:
        """Make the next ``generate`` use ``policy``'s current weights (a collective under FSDP:
        every rank calls it)."""
        ...

    def close(self) -> None:
        """Release memory and processes; safe to call more than once."""
        ...
