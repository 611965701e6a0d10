"""The vLLM engine: collocated with the learner on the same GPU(s), weights pushed after updates.

* One vLLM instance per rank (``external_launcher`` under ``torchrun``), in-process, sharing the
  GPU with the learner (``--vllm_gpu_ratio`` of its memory).
* ``--vllm_sleep``: vLLM frees its KV cache and offloads weights while the learner updates and
  wakes up for the next rollout (or weight load).
* After every update :meth:`VLLMEngine.load_weights` gathers the learner's full weights (FSDP
  collective), renames them to the LM's own names and loads them into vLLM's model.
* Self-check: after the first sync (and every ``check_every`` syncs) the log-probs vLLM reports
  for a short sampled continuation are compared with the learner's on the same tokens. A mean
  gap above ``--vllm_check_tolerance`` is logged; one above 1 nat means the weights did not
  arrive (wrong names, stale model) and raises.
* Log-probs are vLLM's *processed* log-probs (after temperature), the distribution the learner
  recomputes; with top-p/top-k the sampler's truncation is not part of the learner's ratio.

vLLM is imported when the engine is made, never at module import, so everything here except
the class itself runs on machines without it (and is tested there).
"""

from __future__ import annotations

import gc
import logging
import os
from collections.abc import Sequence
from typing import Any

import torch
from torch import nn

from gem_gymnasium.extras import require
from gem_gymnasium.trainers.engines.base import Generation, SamplingParams
from gem_gymnasium.trainers.modeling import pack, policy_weights, sequence_logprobs

__all__ = ["VLLMEngine", "logprob_agreement", "sampling_kwargs"]

log = logging.getLogger("gem_gymnasium.trainers")

#: Mean |logprob gap| (nats) beyond which a weight sync is considered broken, not just noisy.
BROKEN_SYNC = 1.0


def sampling_kwargs(sampling: SamplingParams, *, seed: int | None = None) -> dict[str, Any]:
    """Keyword arguments of ``vllm.SamplingParams`` for one response per prompt with the
    log-prob of each sampled token (``logprobs=0``: the sampled token only)."""
    greedy = sampling.temperature <= 0
    kwargs: dict[str, Any] = {
        "n": 1,
        "max_tokens": sampling.max_new_tokens,
        "temperature": 0.0 if greedy else sampling.temperature,
        "top_p": 1.0 if greedy else sampling.top_p,
        "top_k": 0 if greedy or sampling.top_k <= 0 else sampling.top_k,  # 0 disables
        "logprobs": 0,
        "skip_special_tokens": True,
    }
    if seed is not None:
        kwargs["seed"] = seed
    return kwargs


def logprob_agreement(
    engine_logprobs: Sequence[float], learner_logprobs: Sequence[float]
) -> dict[str, float]:
    """How far the engine's per-token log-probs are from the learner's on the same tokens.

    Returns ``mean_abs`` and ``max_abs`` (nats), and ``ratio_mean``: the mean of
    ``exp(learner - engine)``, the importance weight PPO would apply (1 when they agree).
    """
    a = torch.as_tensor(list(engine_logprobs), dtype=torch.float64)
    b = torch.as_tensor(list(learner_logprobs), dtype=torch.float64)
    if a.shape != b.shape:
        raise ValueError(f"log-prob sequences differ in length: {a.shape[0]} vs {b.shape[0]}")
    if a.numel() == 0:
        return {"mean_abs": 0.0, "max_abs": 0.0, "ratio_mean": 1.0}
    gap = (a - b).abs()
    return {
        "mean_abs": float(gap.mean()),
        "max_abs": float(gap.max()),
        "ratio_mean": float(torch.exp(b - a).mean()),
    }


def _generation(output: Any) -> Generation:
    """A :class:`Generation` from a ``vllm.RequestOutput``."""
    completion = output.outputs[0]
    ids = list(completion.token_ids)
    logprobs = [float(completion.logprobs[t][token].logprob) for t, token in enumerate(ids)]
    return Generation(ids, logprobs, completion.text, completion.finish_reason == "length")


class VLLMEngine:
    """Generate with vLLM next to the learner.

    Args:
        policy: The learner's LM (its ``name_or_path`` is what vLLM loads first).
        tokenizer: The learner's tokenizer (vLLM loads its own copy from the same path).
        config: The run's config (``vllm_gpu_ratio``, ``max_model_len``,
            ``enable_prefix_caching``, ``vllm_sleep``, ``seed``, ``temperature``,
            ``vllm_check_tolerance``, ``bf16``).
        share_weights: Ignored: vLLM always holds its own copy of the weights.
        check_every: Run the log-prob self-check every this many weight loads (first one
            always).
    """

    def __init__(
        self,
        policy: nn.Module,
        tokenizer: Any,
        config: Any,
        *,
        share_weights: bool = True,
        check_every: int = 50,
    ) -> None:
        del share_weights
        # In-process engine, so that weights can be loaded into its model directly.
        os.environ.setdefault("VLLM_ENABLE_V1_MULTIPROCESSING", "0")
        vllm = self._vllm = require("vllm", "the vllm engine (which also needs a CUDA GPU)")
        self.tokenizer = tokenizer
        self.sleep_between = bool(config.vllm_sleep)
        self.temperature = float(config.temperature)
        self.tolerance = float(config.vllm_check_tolerance)
        self.check_every = max(1, check_every)
        self.loads = 0
        self.last_check: dict[str, float] | None = None
        self._probe: list[int] | None = None
        self._asleep = False
        rank = int(os.environ.get("RANK", "0"))
        self.seed = int(config.seed) + rank
        options: dict[str, Any] = dict(
            model=policy.name_or_path,
            gpu_memory_utilization=config.vllm_gpu_ratio,
            max_model_len=config.max_model_len,
            enable_prefix_caching=bool(config.enable_prefix_caching),
            enable_sleep_mode=self.sleep_between,
            dtype="bfloat16" if config.bf16 else "float32",
            seed=self.seed,
        )
        if int(os.environ.get("WORLD_SIZE", "1")) > 1:
            options["distributed_executor_backend"] = "external_launcher"
        try:
            self.llm = vllm.LLM(**options, logprobs_mode="processed_logprobs")
        except TypeError:  # vLLM < 0.10: log-probs are of the raw logits
            self.llm = vllm.LLM(**options)

    # --- the Engine interface ------------------------------------------------------------------

    def generate(
        self, prompts: Sequence[Sequence[int]], sampling: SamplingParams
    ) -> list[Generation]:
        if not prompts:
            return []
        self._wake()
        if self._probe is None:
            self._probe = list(prompts[0])
        params = self._vllm.SamplingParams(**sampling_kwargs(sampling))
        outputs = self.llm.generate(
            [{"prompt_token_ids": list(p)} for p in prompts], params, use_tqdm=False
        )
        if self.sleep_between:
            self.llm.sleep(level=1)
            self._asleep = True
        return [_generation(o) for o in outputs]

    def load_weights(self, policy: nn.Module) -> None:
        weights = policy_weights(policy)  # a collective under FSDP: every rank is here
        self._wake()
        items = list(weights.items())
        if hasattr(self.llm, "apply_model"):
            self.llm.apply_model(lambda model: model.load_weights(items))
        else:
            executor = self.llm.llm_engine.model_executor
            executor.driver_worker.model_runner.model.load_weights(items)
        if hasattr(self.llm, "reset_prefix_cache"):
            self.llm.reset_prefix_cache()  # cached KV came from the old weights
        self.loads += 1
        if self._probe is not None and (self.loads - 1) % self.check_every == 0:
            self.last_check = self.self_check(policy)

    def close(self) -> None:
        if getattr(self, "llm", None) is not None:
            self.llm = None
            gc.collect()
            if torch.cuda.is_available():
                torch.cuda.empty_cache()

    # --- the self-check --------------------------------------------------------------------------

    @torch.no_grad()
    def self_check(self, policy: nn.Module, max_new_tokens: int = 32) -> dict[str, float]:
        """Sample a short continuation of the probe prompt with vLLM and compare its log-probs
        with the learner's; logs the result, raises if the sync is clearly broken."""
        sampling = SamplingParams(max_new_tokens, self.temperature)
        params = self._vllm.SamplingParams(**sampling_kwargs(sampling, seed=self.seed))
        output = self.llm.generate([{"prompt_token_ids": self._probe}], params, use_tqdm=False)[0]
        gen = _generation(output)
        device = next(policy.parameters()).device
        packed = pack([self._probe], [gen.response_ids], self.tokenizer.pad_token_id).to(device)
        logits, _ = policy(packed.input_ids, packed.attention_mask)
        learner, _ = sequence_logprobs(logits, packed.input_ids, self.temperature)
        learner = learner[0][packed.response_mask[0].bool()].tolist()
        result = logprob_agreement(gen.logprobs, learner)
        if result["mean_abs"] > BROKEN_SYNC:
            raise RuntimeError(
                f"vLLM weight sync failed the self-check: mean |logprob gap| "
                f"{result['mean_abs']:.3f} nats (max {result['max_abs']:.3f})"
            )
        level = logging.WARNING if result["mean_abs"] > self.tolerance else logging.INFO
        log.log(level, "vLLM self-check after weight load %d: %s", self.loads, result)
        return result

    def _wake(self) -> None:
        if self._asleep:
            self.llm.wake_up()
            self._asleep = False
