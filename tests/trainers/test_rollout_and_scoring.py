"""The rollout finishes what it starts; old log-probs and values are read the right way."""

from __future__ import annotations

from dataclasses import replace

import gymnasium as gym
import numpy as np
import pytest
import torch

from gem_gymnasium.trainers.config import Config
from gem_gymnasium.trainers.distributed import Dist
from gem_gymnasium.trainers.engines.base import Generation
from gem_gymnasium.trainers.envs import make_envs, make_prompt_fn
from gem_gymnasium.trainers.modeling import Agent, pack, state_values
from gem_gymnasium.trainers.ppo import (
    HELD_OUT_SEEDS,
    Turn,
    _score_turns,
    collect_episodes,
    training_seed,
)


class CyclingEngine:
    """Answers ``\\boxed{k}`` with k = 1, 2, 3, ... in call order: episodes of varying length."""

    def __init__(self, tokenizer):
        self.tokenizer, self.count = tokenizer, 0

    def generate(self, prompts, sampling):
        out = []
        for _ in prompts:
            self.count += 1
            text = f"\\boxed{{{self.count % 10 + 1}}}"
            ids = self.tokenizer(text).input_ids
            out.append(Generation(ids, [-1.0] * len(ids), text, False))
        return out


class CountingResets(gym.Wrapper):
    resets = 0

    def reset(self, **kwargs):
        CountingResets.resets += 1
        return super().reset(**kwargs)


@pytest.fixture
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def test_every_started_episode_is_finished_and_returned(tokenizer):
    # Episodes of 1 to 4 turns; a turn budget that ends mid-episode for most envs. Dropping
    # the episodes still running there would bias success towards short episodes.
    envs = [CountingResets(e) for e in make_envs("gem/GuessTheNumber-Easy-v0", 5)]
    CountingResets.resets = 0
    episodes, _ = collect_episodes(
        envs,
        CyclingEngine(tokenizer),
        tokenizer,
        make_prompt_fn("no"),
        None,
        min_turns=23,
        max_model_len=10_000,
        seed=7,
    )
    assert len(episodes) == CountingResets.resets
    assert sum(len(ep.turns) for ep in episodes) >= 23
    for ep in episodes:  # each one played to its end: a win or the turn limit
        assert ep.success or len(ep.turns) == 4
    assert {len(ep.turns) for ep in episodes} != {4}


def test_training_seeds_never_reach_the_held_out_range():
    assert training_seed(0, 0) >= HELD_OUT_SEEDS
    starts = [training_seed(s, b) for s in range(3) for b in range(100)]
    assert len(set(starts)) == len(starts)
    assert min(np.diff(sorted(starts))) >= 2**20  # room for every group of a rollout


def _lm(dropout: float = 0.0, layers: int = 1):
    from transformers import Qwen2Config, Qwen2ForCausalLM

    config = Qwen2Config(
        vocab_size=32,
        hidden_size=16,
        intermediate_size=32,
        num_hidden_layers=layers,
        num_attention_heads=2,
        num_key_value_heads=1,
        attention_dropout=dropout,
        pad_token_id=0,
    )
    torch.manual_seed(0)
    return Qwen2ForCausalLM(config)


class _Pad:
    pad_token_id = 0


def test_old_logprobs_are_the_policy_not_a_dropout_sample():
    agent = Agent(_lm(dropout=0.5))
    agent.train()
    turns = [Turn([1, 2, 3, 4, 5, 6], [7, 8, 9], []) for _ in range(4)]
    cfg = Config(train_batch_size_per_device=4)
    first, _ = _score_turns(agent, turns, _Pad(), cfg, Dist())
    second, _ = _score_turns(agent, turns, _Pad(), cfg, Dist())
    assert agent.training  # restored
    np.testing.assert_allclose(first, second)  # no dropout noise
    agent.eval()
    with torch.no_grad():
        packed = pack([t.prompt_ids for t in turns], [t.response_ids for t in turns], 0)
        logits, _ = agent(packed.input_ids, packed.attention_mask)
        expected = torch.log_softmax(logits[0, 5:8], -1).gather(-1, torch.tensor([[7], [8], [9]]))
    np.testing.assert_allclose(first[0], expected[:, 0].numpy(), rtol=1e-5, atol=1e-6)


def test_value_reads_the_state_not_the_template_suffix():
    # Attention carries nothing here (output projections zeroed), so the last prompt token's
    # hidden state is the same for both states: only a value read over the prompt can tell
    # them apart. The states differ in their first token, as a game's do before its fixed
    # instructions.
    lm = _lm()
    for layer in lm.model.layers:
        torch.nn.init.zeros_(layer.self_attn.o_proj.weight)
    lm.requires_grad_(False)
    agent = Agent(lm, value_head=True)
    prompts = [[1, 5, 6, 7], [2, 5, 6, 7]] * 8
    targets = torch.tensor([1.0, 0.0] * 8)
    packed = pack(prompts, [[] for _ in prompts], 0)
    optimizer = torch.optim.Adam(agent.value_head.parameters(), lr=0.05)
    for _ in range(300):
        _, values = agent(packed.input_ids, packed.attention_mask)
        loss = ((state_values(values, packed) - targets) ** 2).mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() < 0.01  # reading the last prompt token would be stuck at 0.25
    cfg = replace(Config(), train_batch_size_per_device=16)
    _, scored = _score_turns(agent, [Turn(p, [], []) for p in prompts], _Pad(), cfg, Dist())
    np.testing.assert_allclose(scored, targets.numpy(), atol=0.15)


class CharByCharEngine(CyclingEngine):
    """Samples its answer one character per token: ids that re-tokenizing the text would merge."""

    def generate(self, prompts, sampling):
        out = []
        for gen in super().generate(prompts, sampling):
            ids = [
                *self.tokenizer.convert_tokens_to_ids(list(gen.text)),
                self.tokenizer.eos_token_id,
            ]
            out.append(Generation(ids, [-1.0] * len(ids), gen.text, False))
        return out


def test_chat_rollout_extends_the_sampled_ids_instead_of_re_tokenizing(tokenizer):
    envs = make_envs("gem/GuessTheNumber-Easy-v0", 3, "concat_chat", tokenizer)
    engine = CharByCharEngine(tokenizer)
    assert engine.generate([[1]], None)[0].response_ids[:-1] != tokenizer("\\boxed{2}").input_ids
    episodes, _ = collect_episodes(
        envs, engine, tokenizer, make_prompt_fn("no"), None, min_turns=12, max_model_len=10_000
    )
    multi_turn = [ep for ep in episodes if len(ep.turns) > 1]
    assert multi_turn
    for ep in multi_turn:
        for before, after in zip(ep.turns, ep.turns[1:], strict=False):
            # The next prompt starts with exactly the ids the policy saw and sampled.
            grown = [*before.prompt_ids, *before.response_ids]
            assert after.prompt_ids[: len(grown)] == grown
