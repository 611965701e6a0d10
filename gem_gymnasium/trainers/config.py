"""The PPO trainer's configuration: one dataclass, one line of help per field.

Kept free of torch so that ``gem-gym train --help`` is instant. Names follow GEM's OAT recipe
(``--rollout_batch_size``, ``--num_ppo_epochs``, ...) so its command lines work unchanged; the CLI
accepts every field as ``--field_name`` and ``--field-name``.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass, field
from typing import Any

__all__ = [
    "CPU_DEFAULTS",
    "ENV_BOUND_DEFAULTS",
    "TINY_MODEL_DEFAULTS",
    "Config",
    "config_fields",
    "default_profiles",
]


def _arg(default: Any, help: str, **metadata: Any) -> Any:
    return field(default=default, metadata={"help": help, **metadata})


@dataclass
class Config:
    """Everything one training run needs; see ``docs/training.md`` for the recipe."""

    # --- bookkeeping -------------------------------------------------------------------------
    env_id: str = _arg("game:GuessTheNumber-v0", "environment id (gem/... or a GEM id)")
    wrappers: str = _arg("concat", "comma-separated wrapper stack (e.g. concat, concat_chat)")
    prompt_template: str = _arg("qwen3_game", "prompt template around the observation")
    apply_chat_template: bool = _arg(False, "also render the prompt with the tokenizer's template")
    num_envs: int = _arg(2, "sub-environments per rank (the generation batch of one turn)")
    pretrain: str = _arg("", "model to train: hub id or local path; empty = the tiny local model")
    output_dir: str = _arg("runs", "where runs are written (<output_dir>/<run_name>)")
    run_name: str = _arg("", "run folder name; empty = <env>-<time>")
    seed: int = _arg(42, "random seed")
    rnd_seed: bool = _arg(False, "draw the seed at random (it is recorded in config.json)")
    debug: bool = _arg(False, "verbose logging")
    gpus: int = _arg(1, "GPUs to train on (>1 relaunches itself with torchrun; ignored on CPU)")
    engine: str = _arg("auto", "rollout engine: hf, vllm or auto (vllm when installed + CUDA)")
    use_wb: bool = _arg(False, "also log to Weights & Biases")
    wb_project: str = _arg("gem", "W&B project")
    wb_run_name: str = _arg("", "W&B run name (default: run_name)")
    save_steps: int = _arg(-1, "checkpoint every N iterations (-1: only at the end)")
    max_save_num: int = _arg(5, "checkpoints kept (oldest deleted first)")
    resume: str = _arg("", "checkpoint folder to continue from, or 'auto' for the run's latest")
    eval_steps: int = _arg(-1, "evaluate every N iterations (-1: never during training)")
    eval_episodes: int = _arg(16, "episodes per evaluation (held-out seeds 0..N-1)")
    eval_env_id: str = _arg("", "environment to evaluate on (empty: env_id)")
    log_episodes: int = _arg(
        -1,
        "every N iterations write sample episodes to <run>/episodes/ for gem-gym view (-1: never)",
    )
    max_train: int = _arg(65000, "stop after this many training samples (turns)")
    num_iterations: int = _arg(0, "stop after this many iterations (0: from max_train)")

    # --- algorithm ---------------------------------------------------------------------------
    advantage: str = _arg("rebn", "advantage estimator: rebn, grpo or gae")
    gamma: float = _arg(1.0, "discount factor over turns")
    gae_lambda: float = _arg(0.95, "GAE lambda over turns (advantage=gae)")
    norm_return: bool = _arg(True, "normalise returns/advantages by batch mean and std")
    num_samples: int = _arg(1, "episodes per start state (GRPO group size; grpo needs 2+)")
    grpo_std_norm: bool = _arg(
        False, "grpo: also divide by the group's return std (GRPO; default: Dr. GRPO, no std)"
    )
    rollout_batch_size: int = _arg(128, "training samples (turns) per iteration, all ranks")
    rollout_batch_size_per_device: int = _arg(0, "samples per rank (0: rollout_batch_size/world)")
    pi_buffer_maxlen_per_device: int = _arg(0, "accepted for OAT; equals the per-rank rollout")
    train_batch_size: int = _arg(128, "samples per optimizer step, all ranks")
    train_batch_size_per_device: int = _arg(1, "samples per micro-batch (when no token budget)")
    micro_batch_tokens: int = _arg(0, "token budget per micro-batch (0: count samples instead)")
    num_ppo_epochs: int = _arg(1, "passes over each iteration's samples")
    learning_rate: float = _arg(1e-6, "AdamW learning rate")
    lr_scheduler: str = _arg("constant", "learning-rate schedule: constant, cosine or linear")
    lr_warmup_ratio: float = _arg(0.0, "fraction of optimizer steps spent warming up")
    weight_decay: float = _arg(0.0, "AdamW weight decay")
    max_norm: float = _arg(1.0, "gradient clipping norm")
    clip_range: float = _arg(0.2, "PPO ratio clip")
    target_kl: float = _arg(0.0, "stop an iteration's epochs once approx. KL passes this (0: off)")
    tis_cap: float = _arg(2.0, "cap of the truncated importance weight (rollout vs learner)")
    length_norm_constant: int = _arg(0, "token-loss divisor (0: generate_max_length)")
    beta: float = _arg(0.0, "k3 KL coefficient to the frozen initial policy (0: no reference)")
    vf_coef: float = _arg(0.5, "value-loss coefficient (advantage=gae)")

    # --- generation --------------------------------------------------------------------------
    max_model_len: int = _arg(12800, "prompt tokens above this are not generated (invalid turn)")
    generate_max_length: int = _arg(4096, "response token limit (cut = invalid turn)")
    generate_batch_size: int = _arg(64, "prompts per generate call of the HF engine")
    temperature: float = _arg(1.0, "sampling temperature")
    top_p: float = _arg(1.0, "nucleus sampling")
    top_k: int = _arg(-1, "top-k sampling (-1: off)")
    eval_temperature: float = _arg(0.6, "evaluation temperature")
    eval_top_p: float = _arg(0.95, "evaluation nucleus sampling")
    eval_generate_max_length: int = _arg(4096, "evaluation response token limit")

    # --- efficiency --------------------------------------------------------------------------
    cpu_threads: int = _arg(
        0, "torch threads on CPU (0: torch's default; tiny models: 1 is fastest)"
    )
    gradient_checkpointing: bool = _arg(False, "recompute activations in backward")
    bf16: bool = _arg(True, "bfloat16 weights on CUDA (CPU always uses float32)")
    enable_prefix_caching: bool = _arg(False, "vLLM prefix caching")
    collocate: bool = _arg(True, "vLLM shares the learner's GPU (the only mode)")
    vllm_sleep: bool = _arg(False, "vLLM sleeps (frees memory) while the learner updates")
    vllm_gpu_ratio: float = _arg(0.45, "GPU memory fraction for vLLM")
    vllm_check_tolerance: float = _arg(0.05, "max mean |logprob diff| vLLM vs learner after sync")

    @property
    def loss_divisor(self) -> int:
        """The constant that token losses are summed and divided by (Dr. GRPO)."""
        return self.length_norm_constant or self.generate_max_length

    def __post_init__(self) -> None:
        if self.advantage == "grpo" and self.num_samples < 2:
            raise ValueError(
                "--advantage grpo compares episodes that start from the same state: it needs "
                f"--num_samples 2 or more (got {self.num_samples}); with one episode per group "
                "every advantage is 0"
            )

    def to_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


#: Sizes for a machine without CUDA, whatever the model: GEM's recipe sizes (128-turn batches of
#: 4096-token responses, 65k samples) would take days there. Flags given on the command line win.
CPU_DEFAULTS: dict[str, Any] = {
    "num_envs": 8,
    "rollout_batch_size": 32,
    "train_batch_size": 32,
    "train_batch_size_per_device": 4,
    "max_train": 1280,  # 40 iterations of 32 turns
    "max_model_len": 4096,
    "generate_max_length": 512,
    "eval_generate_max_length": 512,
}

#: The recipe for a run without ``--pretrain``: the tiny local model on GuessTheNumber-Easy,
#: sized for two CPU cores (docs/training.md shows what it reaches). It trains on the WinOnly
#: variant, where only a win pays (GEM's partial credit on the last turn rewards a policy that
#: ignores every hint), and is evaluated on the standard game with seeds never trained on. A
#: value head that reads the state (GAE) gives each turn its own baseline, and the KL anchor to
#: the warm start keeps the answer format and enough exploration to leave a merely good
#: strategy for binary search. Flags given on the command line win.
TINY_MODEL_DEFAULTS: dict[str, Any] = {
    "env_id": "gem/GuessTheNumber-Easy-WinOnly-v0",
    "eval_env_id": "gem/GuessTheNumber-Easy-v0",
    "wrappers": "",
    "prompt_template": "no",
    "advantage": "gae",
    "gamma": 0.9,
    "beta": 0.1,
    "num_envs": 64,
    "rollout_batch_size": 256,
    "train_batch_size": 64,
    "train_batch_size_per_device": 64,
    "num_ppo_epochs": 2,
    "learning_rate": 1e-3,
    "max_train": 102_400,  # 400 iterations of 256 turns
    "max_model_len": 1024,
    "generate_max_length": 16,
    "generate_batch_size": 64,
    "eval_generate_max_length": 16,
    "eval_steps": 20,
    "eval_episodes": 256,
    # A 0.1M-parameter model's ops are too small to split: a second thread only waits (and on a
    # busy machine it made iterations four times slower).
    "cpu_threads": 1,
}

#: Defaults that describe the default env: they do not apply when ``--env_id`` is given.
ENV_BOUND_DEFAULTS = frozenset({"eval_env_id"})


def default_profiles(*, pretrain: bool, cuda: bool) -> list[tuple[str, dict[str, Any]]]:
    """The named default sets that apply to a run, in order (later ones win): CPU sizes without
    CUDA, then the tiny model's recipe without ``--pretrain``. GEM's recipe (the dataclass
    defaults) stands for a real model on a GPU."""
    profiles = []
    if not cuda:
        profiles.append(("CPU (no CUDA device)", CPU_DEFAULTS))
    if not pretrain:
        profiles.append(("tiny local model", TINY_MODEL_DEFAULTS))
    return profiles


def config_fields() -> list[dataclasses.Field]:
    """The fields of :class:`Config` in declaration order."""
    return list(dataclasses.fields(Config))
