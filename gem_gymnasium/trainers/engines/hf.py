"""The in-process Hugging Face engine: batched ``generate`` with a KV cache.

In a single process it generates with the learner's own module, so a weight update is visible at
once and :meth:`HFEngine.load_weights` has nothing to do. Under FSDP the learner is sharded, and
ranks would have to run the same number of forward passes in lockstep; there the engine keeps a
full replica and copies the gathered weights into it after each update.
"""

from __future__ import annotations

import copy
from collections.abc import Sequence
from typing import Any

import torch
import torch.nn.functional as F
from torch import nn

from gem_gymnasium.trainers.engines.base import Generation, SamplingParams
from gem_gymnasium.trainers.modeling import policy_weights

__all__ = ["HFEngine"]


class HFEngine:
    """Generate with a Hugging Face causal LM.

    Args:
        policy: The causal LM (not the value-head wrapper) to generate with.
        tokenizer: Its tokenizer (padding and EOS ids, decoding).
        config: The run's :class:`~gem_gymnasium.trainers.config.Config`
            (``generate_batch_size``).
        share_weights: Generate with ``policy`` itself; ``False`` keeps a private copy (needed
            when the learner gets sharded), refreshed by :meth:`load_weights`.
    """

    def __init__(
        self, policy: nn.Module, tokenizer: Any, config: Any, *, share_weights: bool = True
    ) -> None:
        self.model = policy if share_weights else copy.deepcopy(policy)
        if not share_weights:
            self.model.requires_grad_(False)
        self.tokenizer = tokenizer
        self.batch_size = max(1, int(config.generate_batch_size))
        eos = self.model.generation_config.eos_token_id
        eos = [] if eos is None else [eos] if isinstance(eos, int) else list(eos)
        if tokenizer.eos_token_id is not None:
            eos.append(tokenizer.eos_token_id)
        self.eos_ids = sorted(set(eos))
        self.pad_id = tokenizer.pad_token_id if tokenizer.pad_token_id is not None else eos[0]

    def generate(
        self, prompts: Sequence[Sequence[int]], sampling: SamplingParams
    ) -> list[Generation]:
        # Similar lengths together: less padding per batch.
        order = sorted(range(len(prompts)), key=lambda i: len(prompts[i]))
        results: list[Generation | None] = [None] * len(prompts)
        was_training = self.model.training
        self.model.eval()  # also turns gradient checkpointing off, so the KV cache is used
        try:
            for start in range(0, len(order), self.batch_size):
                chunk = order[start : start + self.batch_size]
                for i, gen in zip(
                    chunk, self._generate_batch([prompts[i] for i in chunk], sampling), strict=False
                ):
                    results[i] = gen
        finally:
            self.model.train(was_training)
        return results  # type: ignore[return-value]

    @torch.no_grad()
    def _generate_batch(
        self, prompts: list[Sequence[int]], sampling: SamplingParams
    ) -> list[Generation]:
        from transformers import GenerationConfig

        device = next(self.model.parameters()).device
        width = max(len(p) for p in prompts)
        input_ids = torch.full((len(prompts), width), self.pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(prompts), width), dtype=torch.long)
        for row, prompt in enumerate(prompts):  # left padding: every prompt ends at `width`
            input_ids[row, width - len(prompt) :] = torch.tensor(list(prompt), dtype=torch.long)
            attention_mask[row, width - len(prompt) :] = 1
        greedy = sampling.temperature <= 0
        gen_config = GenerationConfig(
            max_new_tokens=sampling.max_new_tokens,
            do_sample=not greedy,
            temperature=None if greedy else sampling.temperature,
            top_p=None if greedy else sampling.top_p,
            top_k=None if greedy or sampling.top_k <= 0 else sampling.top_k,
            eos_token_id=self.eos_ids,
            pad_token_id=self.pad_id,
            # In the config, not as generate() keywords: mixing the two is deprecated.
            output_logits=True,
            return_dict_in_generate=True,
        )
        out = self.model.generate(
            input_ids=input_ids.to(device),
            attention_mask=attention_mask.to(device),
            generation_config=gen_config,
        )
        new_tokens = out.sequences[:, width:]
        # Raw logits per step -> log-probs of the tempered distribution the tokens came from.
        logprobs = torch.stack(
            [
                F.log_softmax(
                    step.float() / (1.0 if greedy else sampling.temperature), dim=-1
                ).gather(-1, new_tokens[:, t : t + 1])[:, 0]
                for t, step in enumerate(out.logits)
            ],
            dim=1,
        ).cpu()
        new_tokens = new_tokens.cpu()
        is_eos = torch.isin(new_tokens, torch.tensor(self.eos_ids, dtype=torch.long))
        generations = []
        for row in range(len(prompts)):
            eos_at = torch.nonzero(is_eos[row])
            end = int(eos_at[0]) + 1 if len(eos_at) else new_tokens.shape[1]
            ids = new_tokens[row, :end].tolist()
            generations.append(
                Generation(
                    response_ids=ids,
                    logprobs=logprobs[row, :end].tolist(),
                    text=self.tokenizer.decode(ids, skip_special_tokens=True),
                    truncated=not len(eos_at),
                )
            )
        return generations

    def load_weights(self, policy: nn.Module) -> None:
        if getattr(policy, "lm", policy) is self.model:
            return  # generating with the learner's own module: already up to date
        self.model.load_state_dict(policy_weights(policy), strict=True)

    def close(self) -> None:
        self.model = None  # type: ignore[assignment]
