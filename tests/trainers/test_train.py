"""End-to-end training on CPU with the tiny model: games, math, groups, value head, resume."""

from __future__ import annotations

import json
from dataclasses import replace

import pytest

from gem_gymnasium.trainers.config import Config
from gem_gymnasium.trainers.engines.base import Generation
from gem_gymnasium.trainers.envs import make_envs, make_prompt_fn
from gem_gymnasium.trainers.ppo import collect_episodes, train
from gem_gymnasium.trainers.prompts import INVALID_ACTION
from gem_gymnasium.trainers.tracking import read_metrics

TIMING_KEYS = {
    "charts/rollout_time",
    "charts/update_time",
    "charts/SPS",
    "charts/generate_tokens_per_second",
}


def small(tiny_model, tmp_path, **overrides) -> Config:
    base = Config(
        env_id="game:GuessTheNumber-v0-easy",
        wrappers="concat",
        pretrain=tiny_model,
        output_dir=str(tmp_path),
        run_name="run",
        num_envs=4,
        rollout_batch_size=8,
        train_batch_size=4,
        train_batch_size_per_device=2,
        num_iterations=1,
        learning_rate=1e-3,
        generate_max_length=12,
        num_ppo_epochs=2,
    )
    return replace(base, **overrides)


def test_train_iteration_on_guess_the_number(tiny_model, tmp_path):
    result = train(small(tiny_model, tmp_path))
    run = tmp_path / "run"
    [row] = read_metrics(run / "metrics.jsonl")
    for key in (
        "charts/episodic_return",
        "charts/success_rate",
        "charts/episodic_length",
        "charts/format_error_rate",
        "charts/response_length",
        "charts/learning_rate",
        "charts/SPS",
        "losses/policy_loss",
        "losses/clipfrac",
        "losses/approx_kl",
        "losses/entropy",
        "losses/grad_norm",
    ):
        assert key in row, key
    assert row["charts/global_step"] == 8
    assert 0.0 <= row["charts/success_rate"] <= 1.0
    assert (run / "learning_curve.png").stat().st_size > 1000
    assert (run / "tb").is_dir()
    assert json.loads((run / "config.json").read_text())["env_id"] == "game:GuessTheNumber-v0-easy"
    checkpoint = result["checkpoint"]
    assert checkpoint == run / "checkpoints" / "iter_000001"
    from transformers import AutoModelForCausalLM, AutoTokenizer

    AutoModelForCausalLM.from_pretrained(checkpoint)
    AutoTokenizer.from_pretrained(checkpoint)


def test_train_iteration_on_math_with_grpo_groups(tiny_model, tmp_path):
    cfg = small(
        tiny_model,
        tmp_path,
        env_id="gem/Math-v0",
        wrappers="",
        prompt_template="qwen3_general",
        advantage="grpo",
        num_samples=2,
        rollout_batch_size=4,
        num_envs=2,
    )
    train(cfg)
    [row] = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert row["charts/episodic_length"] == 1.0  # single-turn task
    assert row["charts/num_episodes"] >= 4


class ScriptedEngine:
    """Answers every prompt with the same token ids (cut off when ``truncate``)."""

    def __init__(self, tokenizer, text: str, truncate: bool = False):
        self.ids = tokenizer(text).input_ids
        self.text, self.truncate = text, truncate
        self.calls = []

    def generate(self, prompts, sampling):
        self.calls.append(len(prompts))
        return [
            Generation(list(self.ids), [-1.0] * len(self.ids), self.text, self.truncate)
            for _ in prompts
        ]

    def load_weights(self, policy):
        pass

    def close(self):
        pass


@pytest.fixture
def tokenizer(tiny_model):
    from transformers import AutoTokenizer

    return AutoTokenizer.from_pretrained(tiny_model)


def test_groups_start_from_one_state(tokenizer):
    # Math problems show in the first prompt: a group shares one, groups differ.
    envs = make_envs("gem/Math-v0", 3)
    engine = ScriptedEngine(tokenizer, "\\boxed{1}")
    prompt_fn = make_prompt_fn("no")
    episodes, _ = collect_episodes(
        envs,
        engine,
        tokenizer,
        prompt_fn,
        None,
        min_turns=9,
        max_model_len=10_000,
        group_size=3,
        seed=5,
    )
    by_group = {}
    for ep in episodes:
        by_group.setdefault(ep.group, []).append(ep)
    assert by_group and all(len(eps) == 3 for eps in by_group.values())
    for eps in by_group.values():  # same start state and same answers: identical episodes
        assert len({tuple(ep.turns[0].prompt_ids) for ep in eps}) == 1
        assert len({ep.total_reward for ep in eps}) == 1
    first_prompts = {tuple(eps[0].turns[0].prompt_ids) for eps in by_group.values()}
    assert len(first_prompts) > 1  # different groups, different problems (almost surely)


def test_cut_off_and_overlong_turns_are_invalid_actions(tokenizer):
    envs = make_envs("game:GuessTheNumber-v0", 2)
    prompt_fn = make_prompt_fn("no")
    cut = ScriptedEngine(tokenizer, "\\boxed{1}", truncate=True)
    episodes, _ = collect_episodes(
        envs, cut, tokenizer, prompt_fn, None, min_turns=2, max_model_len=10_000, seed=0
    )
    turns = [t for ep in episodes for t in ep.turns]
    assert turns and all(t.invalid and t.format_error for t in turns)
    assert all(t.reward == pytest.approx(-0.1) for t in turns)  # the env's format penalty
    # Prompts over max_model_len are never generated, and there is nothing to train on.
    engine = ScriptedEngine(tokenizer, "\\boxed{1}")
    with pytest.raises(RuntimeError, match="max_model_len"):
        collect_episodes(envs, engine, tokenizer, prompt_fn, None, min_turns=1, max_model_len=3)
    assert engine.calls and set(engine.calls) == {0}
    assert INVALID_ACTION.count("boxed") == 0


def test_resume_gives_identical_next_iteration(tiny_model, tmp_path):
    # GAE (value head) and a KL reference, so every piece of state takes part.
    cfg = small(
        tiny_model,
        tmp_path,
        advantage="gae",
        beta=0.05,
        num_iterations=2,
        save_steps=1,
        max_save_num=5,
        lr_scheduler="cosine",
        lr_warmup_ratio=0.25,
    )
    train(cfg)
    full = read_metrics(tmp_path / "run" / "metrics.jsonl")
    assert [r["iteration"] for r in full] == [1, 2]
    first = tmp_path / "run" / "checkpoints" / "iter_000001"
    assert (first / "value_head.pt").exists() and (first / "rng_rank0.pt").exists()
    train(replace(cfg, run_name="resumed", resume=str(first)))
    [resumed] = read_metrics(tmp_path / "resumed" / "metrics.jsonl")
    assert resumed["iteration"] == 2
    for key, value in full[1].items():
        if key not in TIMING_KEYS:
            assert resumed[key] == pytest.approx(value, rel=1e-6, abs=1e-9, nan_ok=True), key
    # 'auto' finds the newest checkpoint of the run: nothing left to do.
    out = train(replace(cfg, resume="auto"))
    assert out["checkpoint"] is None
    assert [r["iteration"] for r in read_metrics(tmp_path / "run" / "metrics.jsonl")] == [1, 2]
