"""Rollout engines behind one interface (:class:`~.base.Engine`), picked once by name.

* ``hf``: generation in-process with Hugging Face ``generate`` and the learner's own weights
  (nothing to copy in a single process); runs anywhere, CPU included.
* ``vllm``: a collocated vLLM engine (CUDA); weights are pushed after each update and checked
  against the learner's log-probs.

Engines are imported only when made, so neither vLLM nor torch loads before it is needed.
"""

from __future__ import annotations

import importlib
import importlib.util
from typing import TYPE_CHECKING, Any

from gem_gymnasium.trainers.engines.base import Engine, Generation, SamplingParams

if TYPE_CHECKING:
    from gem_gymnasium.trainers.config import Config

__all__ = ["ENGINES", "Engine", "Generation", "SamplingParams", "make_engine", "resolve_engine"]

#: Engine name -> ``"module:Class"``; each class takes ``(policy, tokenizer, config, **options)``.
ENGINES: dict[str, str] = {
    "hf": "gem_gymnasium.trainers.engines.hf:HFEngine",
    "vllm": "gem_gymnasium.trainers.engines.vllm:VLLMEngine",
}


def resolve_engine(name: str) -> str:
    """``auto`` -> ``vllm`` when vLLM is installed and CUDA is available, else ``hf``."""
    if name == "auto":
        if importlib.util.find_spec("vllm") is None:
            return "hf"
        import torch

        return "vllm" if torch.cuda.is_available() else "hf"
    if name not in ENGINES:
        raise ValueError(f"unknown engine {name!r}; choose one of {[*ENGINES, 'auto']}")
    return name


def make_engine(name: str, policy: Any, tokenizer: Any, config: Config, **options: Any) -> Engine:
    """Build the engine called ``name`` (``auto`` allowed) for ``policy``."""
    module, cls = ENGINES[resolve_engine(name)].split(":")
    return getattr(importlib.import_module(module), cls)(policy, tokenizer, config, **options)
