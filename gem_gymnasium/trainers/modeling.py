"""The learner's model: a causal LM with an optional turn-level value head, and log-prob helpers.

Samples are packed right-padded (``prompt + response``); ``logits[:, t]`` scores token ``t + 1``,
so response log-probs live at target positions ``len(prompt) - 1 ... len(sample) - 2``. The
value of a turn is the value head averaged over the prompt's tokens (:func:`state_values`): the
last prompt token is the same template text in every state, and a small model's hidden state
there barely depends on the state, while the average reads the state's own tokens directly.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from gem_gymnasium.extras import optional_imports

with optional_imports("the PPO trainer", "train"):
    import torch
    import torch.nn.functional as F
from torch import nn

__all__ = [
    "Agent",
    "Packed",
    "lm_state",
    "lm_weight_name",
    "load_lm",
    "pack",
    "policy_weights",
    "sequence_logprobs",
    "state_values",
]


class Agent(nn.Module):
    """A causal LM plus, for GAE, a linear value head on the final hidden state.

    One module so that FSDP shards, and checkpoints save, both parts together.
    """

    def __init__(self, lm: nn.Module, *, value_head: bool = False) -> None:
        super().__init__()
        self.lm = lm
        self.value_head: nn.Linear | None = None
        if value_head:
            self.value_head = nn.Linear(lm.config.hidden_size, 1, dtype=torch.float32)
            nn.init.zeros_(self.value_head.weight)  # start at V = 0: no early critic noise
            nn.init.zeros_(self.value_head.bias)

    def forward(
        self, input_ids: torch.Tensor, attention_mask: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor | None]:
        """Logits ``[B, T, V]`` and values ``[B, T]`` (``None`` without a value head)."""
        out = self.lm(
            input_ids=input_ids,
            attention_mask=attention_mask,
            output_hidden_states=self.value_head is not None,
            use_cache=False,
        )
        values = None
        if self.value_head is not None:
            hidden = out.hidden_states[-1].to(self.value_head.weight.dtype)
            values = self.value_head(hidden).squeeze(-1)
        return out.logits, values


def load_lm(path: str, *, dtype: torch.dtype, device: torch.device) -> nn.Module:
    """A causal LM from a hub id or local folder, in ``dtype`` on ``device``."""
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(path, dtype=dtype)
    return model.to(device)


@dataclass
class Packed:
    """A right-padded micro-batch of ``prompt + response`` samples.

    Attributes:
        input_ids: ``[B, T]`` token ids (padding is ``pad_id``).
        attention_mask: ``[B, T]`` 1 for real tokens.
        response_mask: ``[B, T - 1]`` 1 at target positions that score a response token.
        prompt_mask: ``[B, T]`` 1 at the prompt's tokens (the state a turn's value is read from).
    """

    input_ids: torch.Tensor
    attention_mask: torch.Tensor
    response_mask: torch.Tensor
    prompt_mask: torch.Tensor

    def to(self, device: torch.device) -> Packed:
        return Packed(*(t.to(device) for t in vars(self).values()))


def pack(
    prompts: Sequence[Sequence[int]], responses: Sequence[Sequence[int]], pad_id: int
) -> Packed:
    """Pack samples right-padded to the longest one."""
    lengths = [len(p) + len(r) for p, r in zip(prompts, responses, strict=False)]
    width = max(lengths)
    input_ids = torch.full((len(lengths), width), pad_id, dtype=torch.long)
    attention_mask = torch.zeros((len(lengths), width), dtype=torch.long)
    response_mask = torch.zeros((len(lengths), width - 1), dtype=torch.float32)
    prompt_mask = torch.zeros((len(lengths), width), dtype=torch.float32)
    for i, (prompt, response) in enumerate(zip(prompts, responses, strict=False)):
        input_ids[i, : lengths[i]] = torch.tensor([*prompt, *response], dtype=torch.long)
        attention_mask[i, : lengths[i]] = 1
        response_mask[i, len(prompt) - 1 : lengths[i] - 1] = 1.0
        prompt_mask[i, : len(prompt)] = 1.0
    return Packed(input_ids, attention_mask, response_mask, prompt_mask)


def state_values(values: torch.Tensor, packed: Packed) -> torch.Tensor:
    """``V(s)`` per sample ``[B]``: the per-position values ``[B, T]`` averaged over its prompt."""
    mask = packed.prompt_mask.to(values.dtype)
    return (values * mask).sum(-1) / mask.sum(-1).clamp(min=1)


def sequence_logprobs(
    logits: torch.Tensor, input_ids: torch.Tensor, temperature: float = 1.0
) -> tuple[torch.Tensor, torch.Tensor]:
    """Per-target log-probs ``[B, T - 1]`` of ``input_ids[:, 1:]`` and the policy's entropy there.

    Logits are divided by ``temperature`` (if positive) so the result matches what the sampler
    drew from. Computed in float32.
    """
    logits = logits[:, :-1].float()
    if temperature > 0:
        logits = logits / temperature
    log_probs = F.log_softmax(logits, dim=-1)
    targets = input_ids[:, 1:].unsqueeze(-1)
    token_logprobs = log_probs.gather(-1, targets).squeeze(-1)
    with torch.no_grad():
        entropy = -(log_probs.exp() * log_probs).sum(-1)
    return token_logprobs, entropy


#: Prefixes that wrappers add to parameter names (FSDP1, activation checkpointing, torch.compile).
_WRAPPER_PREFIXES = ("_fsdp_wrapped_module.", "_checkpoint_wrapped_module.", "_orig_mod.")


def lm_weight_name(name: str) -> str | None:
    """The causal LM's own name for an :class:`Agent` state-dict key; ``None`` for the value head.

    >>> lm_weight_name("lm._orig_mod.model.layers.0._checkpoint_wrapped_module.mlp.up_proj.weight")
    'model.layers.0.mlp.up_proj.weight'
    """
    for prefix in _WRAPPER_PREFIXES:
        name = name.replace(prefix, "")
    if name.startswith("value_head."):
        return None
    return name.removeprefix("lm.")


def policy_weights(policy: nn.Module) -> dict[str, torch.Tensor]:
    """The full (unsharded) weights of the policy's LM under its own names.

    A collective when ``policy`` is sharded with FSDP: every rank must call it.
    """
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_model_state_dict

    state = get_model_state_dict(policy, options=StateDictOptions(full_state_dict=True))
    return lm_state(state)


def lm_state(state: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    """An :class:`Agent` state dict restricted to the LM, under the LM's own names."""
    weights = {}
    for key, value in state.items():
        name = lm_weight_name(key)
        if name is not None:
            weights[name] = value.full_tensor() if hasattr(value, "full_tensor") else value
    return weights
