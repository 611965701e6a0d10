"""A tiny local model for CPU runs and tests: no download, built in seconds.

* Tokenizer: byte-level BPE trained with ``tokenizers`` on the environment's own text (any text
  still encodes, via the 256 byte symbols), with ChatML special tokens and a chat template.
* Model: a real ``transformers`` Qwen2 architecture (2 layers, hidden 64 by default), randomly
  initialised from a seed.
* Warm start (optional): a few hundred supervised steps on well-formed random moves of the
  environment (``sample_random_action``), so the policy answers in the task's format and ends
  its response; RL then has rewards to tell good moves from bad. A random-initialised model only
  produces format errors, whose rewards are all equal.

:func:`default_model` caches the result under ``$XDG_CACHE_HOME/gem_gymnasium`` so that
``gem-gym train`` without ``--pretrain`` trains this model.
"""

from __future__ import annotations

import hashlib
import os
import random
import shutil
from collections.abc import Iterable
from pathlib import Path
from typing import Any

__all__ = [
    "CHAT_TEMPLATE",
    "build_model",
    "build_tiny_model",
    "build_tokenizer",
    "collect_examples",
    "default_model",
    "warm_start",
]

#: Bumped whenever the recipe below changes what gets built (it is part of the cache key).
TINY_VERSION = 2

PAD, IM_START, IM_END = "<|endoftext|>", "<|im_start|>", "<|im_end|>"

CHAT_TEMPLATE = (
    "{% for message in messages %}"
    "<|im_start|>{{ message['role'] }}\n{{ message['content'] }}<|im_end|>\n"
    "{% endfor %}"
    "{% if add_generation_prompt %}<|im_start|>assistant\n{% endif %}"
)


def collect_examples(
    env_id: str,
    *,
    wrappers: str = "",
    template: str = "no",
    tokenizer: Any = None,
    apply_chat_template: bool = False,
    episodes: int = 64,
    seed: int = 0,
) -> list[tuple[str, str]]:
    """``(prompt, action)`` pairs from episodes played with the env's own random moves."""
    from gem_gymnasium.trainers.envs import make_env, make_prompt_fn

    env = make_env(env_id, wrappers, tokenizer)
    prompt_fn = make_prompt_fn(template, tokenizer, apply_chat_template)
    examples: list[tuple[str, str]] = []
    try:
        env.action_space.seed(seed)
        for episode in range(episodes):
            observation, _ = env.reset(seed=seed + episode)
            done = False
            while not done:
                action = env.unwrapped.sample_random_action()
                examples.append((prompt_fn(observation), action))
                observation, _, terminated, truncated, _ = env.step(action)
                done = terminated or truncated
    finally:
        env.close()
    return examples


def build_tokenizer(texts: Iterable[str], *, vocab_size: int = 384) -> Any:
    """A byte-level BPE tokenizer trained on ``texts``, as a ``PreTrainedTokenizerFast``."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import PreTrainedTokenizerFast

    tokenizer = Tokenizer(models.BPE())
    tokenizer.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        special_tokens=[PAD, IM_START, IM_END],
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        show_progress=False,
    )
    tokenizer.train_from_iterator(texts, trainer=trainer)
    fast = PreTrainedTokenizerFast(
        tokenizer_object=tokenizer, eos_token=IM_END, pad_token=PAD, unk_token=None
    )
    fast.chat_template = CHAT_TEMPLATE
    return fast


def build_model(
    tokenizer: Any,
    *,
    hidden_size: int = 64,
    num_layers: int = 2,
    num_heads: int = 4,
    max_positions: int = 16384,
    seed: int = 0,
) -> Any:
    """A randomly initialised Qwen2 causal LM sized for ``tokenizer``."""
    import torch
    from transformers import GenerationConfig, Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=len(tokenizer),
        hidden_size=hidden_size,
        intermediate_size=hidden_size * 2,
        num_hidden_layers=num_layers,
        num_attention_heads=num_heads,
        num_key_value_heads=max(1, num_heads // 2),
        max_position_embeddings=max_positions,
        tie_word_embeddings=True,
        bos_token_id=tokenizer.pad_token_id,
        eos_token_id=tokenizer.eos_token_id,
        pad_token_id=tokenizer.pad_token_id,
    )
    with torch.random.fork_rng():
        torch.manual_seed(seed)
        model = Qwen2ForCausalLM(config)
    model.generation_config = GenerationConfig(
        eos_token_id=tokenizer.eos_token_id, pad_token_id=tokenizer.pad_token_id
    )
    return model


def warm_start(
    model: Any,
    tokenizer: Any,
    examples: list[tuple[str, str]],
    *,
    steps: int = 200,
    batch_size: int = 16,
    learning_rate: float = 3e-3,
    max_prompt_tokens: int = 128,
    seed: int = 0,
) -> list[float]:
    """Supervised steps on ``prompt -> action + EOS`` (loss on the response only); the losses.

    Prompts keep their last ``max_prompt_tokens`` tokens: the format is answered after the
    prompt's end, and long histories (``concat`` wrappers) would make the build minutes long.
    """
    import torch

    from gem_gymnasium.trainers.modeling import pack

    rng = random.Random(seed)
    encoded = [
        (
            tokenizer(p).input_ids[-max_prompt_tokens:],
            [*tokenizer(a).input_ids, tokenizer.eos_token_id],
        )
        for p, a in examples
    ]
    optimizer = torch.optim.AdamW(model.parameters(), lr=learning_rate)
    model.train()
    losses = []
    for _ in range(steps):
        batch = rng.sample(encoded, min(batch_size, len(encoded)))
        packed = pack([p for p, _ in batch], [r for _, r in batch], tokenizer.pad_token_id)
        logits = model(input_ids=packed.input_ids, attention_mask=packed.attention_mask).logits
        token_loss = torch.nn.functional.cross_entropy(
            logits[:, :-1].flatten(0, 1), packed.input_ids[:, 1:].flatten(), reduction="none"
        )
        mask = packed.response_mask.flatten()
        loss = (token_loss * mask).sum() / mask.sum()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        losses.append(loss.item())
    model.eval()
    return losses


def build_tiny_model(
    path: str | os.PathLike[str],
    env_ids: Iterable[str] = ("game:GuessTheNumber-v0",),
    *,
    wrappers: str = "",
    template: str = "no",
    apply_chat_template: bool = False,
    warm_start_steps: int = 200,
    episodes: int = 48,
    hidden_size: int = 64,
    num_layers: int = 2,
    vocab_size: int = 384,
    seed: int = 0,
) -> Path:
    """Build tokenizer + model for ``env_ids`` and save them as a Hugging Face folder at ``path``."""
    import torch

    env_ids = list(env_ids)
    threads = torch.get_num_threads()
    # Its ops are too small to split: a second thread only waits (four times slower when busy).
    torch.set_num_threads(1)
    try:
        with torch.random.fork_rng():
            torch.manual_seed(seed)
            raw = [
                ex
                for env_id in env_ids
                for ex in collect_examples(env_id, template=template, episodes=episodes, seed=seed)
            ]
            tokenizer = build_tokenizer(
                [text for pair in raw for text in pair] + [CHAT_TEMPLATE], vocab_size=vocab_size
            )
            model = build_model(
                tokenizer, hidden_size=hidden_size, num_layers=num_layers, seed=seed
            )
            if warm_start_steps > 0:
                examples = [
                    ex
                    for env_id in env_ids
                    for ex in collect_examples(
                        env_id,
                        wrappers=wrappers,
                        template=template,
                        tokenizer=tokenizer,
                        apply_chat_template=apply_chat_template,
                        episodes=episodes,
                        seed=seed + 1,
                    )
                ]
                warm_start(model, tokenizer, examples, steps=warm_start_steps, seed=seed)
    finally:
        torch.set_num_threads(threads)
    path = Path(path)
    path.mkdir(parents=True, exist_ok=True)
    tokenizer.save_pretrained(path)
    model.save_pretrained(path)
    return path


def default_model(
    env_id: str, *, wrappers: str = "", template: str = "no", apply_chat_template: bool = False
) -> Path:
    """The cached tiny model for this env and prompt pipeline, built on first use.

    The cache is keyed by the resolved id, so every spelling of one env (``game:...-easy``,
    ``gem/...-Easy-v0``) shares one model.
    """
    import logging
    import time

    from gem_gymnasium.registration import resolve_id

    resolved = resolve_id(env_id)
    key = f"{TINY_VERSION}|{resolved}|{wrappers}|{template}|{apply_chat_template}"
    digest = hashlib.sha1(key.encode()).hexdigest()[:12]
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "gem_gymnasium"
    path = cache / f"tiny-qwen2-{digest}"
    if not (path / "config.json").exists():
        log = logging.getLogger("gem_gymnasium.trainers")
        log.info("building the tiny local model for %s (once; cached in %s) ...", resolved, path)
        start = time.perf_counter()
        tmp = path.with_name(f"{path.name}.tmp{os.getpid()}")
        build_tiny_model(
            tmp,
            [resolved],
            wrappers=wrappers,
            template=template,
            apply_chat_template=apply_chat_template,
        )
        if path.exists():  # another process finished first
            shutil.rmtree(tmp, ignore_errors=True)
        else:
            os.replace(tmp, path)
        log.info("built the tiny local model in %.0f s", time.perf_counter() - start)
    return path
