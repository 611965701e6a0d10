"""Engines: the HF engine against the learner's log-probs; the vLLM engine's CPU-side logic."""

from __future__ import annotations

import importlib.util

import pytest
import torch

from gem_gymnasium.trainers.config import Config
from gem_gymnasium.trainers.engines import ENGINES, Engine, SamplingParams, make_engine
from gem_gymnasium.trainers.engines.vllm import logprob_agreement, sampling_kwargs
from gem_gymnasium.trainers.modeling import Agent, lm_weight_name, pack, sequence_logprobs

HAS_VLLM = importlib.util.find_spec("vllm") is not None


@pytest.fixture
def lm_and_tokenizer(tiny_model):
    from transformers import AutoModelForCausalLM, AutoTokenizer

    return AutoModelForCausalLM.from_pretrained(tiny_model), AutoTokenizer.from_pretrained(
        tiny_model
    )


def test_hf_engine_logprobs_match_the_learner(lm_and_tokenizer):
    lm, tok = lm_and_tokenizer
    engine = make_engine("hf", lm, tok, Config(generate_batch_size=2))
    assert isinstance(engine, Engine)
    prompts = [tok("Guess a number between 1 and 10.").input_ids, tok("Too low.").input_ids, [5]]
    torch.manual_seed(0)
    gens = engine.generate(prompts, SamplingParams(max_new_tokens=8, temperature=0.7))
    assert len(gens) == 3
    packed = pack(prompts, [g.response_ids for g in gens], tok.pad_token_id)
    with torch.no_grad():
        logits = lm(input_ids=packed.input_ids, attention_mask=packed.attention_mask).logits
    learner, _ = sequence_logprobs(logits, packed.input_ids, temperature=0.7)
    for row, gen in enumerate(gens):
        assert len(gen.logprobs) == len(gen.response_ids) >= 1
        ends_with_eos = gen.response_ids[-1] == tok.eos_token_id
        assert gen.truncated == (not ends_with_eos)
        assert gen.truncated or len(gen.response_ids) <= 8
        mine = learner[row][packed.response_mask[row].bool()]
        torch.testing.assert_close(mine, torch.tensor(gen.logprobs), atol=1e-4, rtol=0)
        assert tok.eos_token not in gen.text


def test_hf_engine_replica_follows_load_weights(lm_and_tokenizer):
    lm, tok = lm_and_tokenizer
    agent = Agent(lm, value_head=True)
    engine = make_engine("hf", agent.lm, tok, Config(), share_weights=False)
    assert engine.model is not lm
    with torch.no_grad():
        lm.model.embed_tokens.weight.add_(1.0)
    assert not torch.equal(engine.model.model.embed_tokens.weight, lm.model.embed_tokens.weight)
    engine.load_weights(agent)  # the value head is not part of the LM and is skipped
    assert torch.equal(engine.model.model.embed_tokens.weight, lm.model.embed_tokens.weight)
    engine.close()


def test_engine_table_and_errors():
    assert set(ENGINES) == {"hf", "vllm"}
    with pytest.raises(ValueError, match="hf"):
        make_engine("tgi", None, None, Config())


def test_weight_names_map_to_the_lm():
    assert lm_weight_name("lm.model.norm.weight") == "model.norm.weight"
    assert lm_weight_name("value_head.weight") is None
    wrapped = "lm._orig_mod.model.layers.3._fsdp_wrapped_module._checkpoint_wrapped_module.mlp.w"
    assert lm_weight_name(wrapped) == "model.layers.3.mlp.w"


def test_vllm_sampling_params_building():
    kw = sampling_kwargs(SamplingParams(max_new_tokens=64, temperature=0.6, top_p=0.95))
    assert kw == {
        "n": 1,
        "max_tokens": 64,
        "temperature": 0.6,
        "top_p": 0.95,
        "top_k": 0,
        "logprobs": 0,
        "skip_special_tokens": True,
    }
    greedy = sampling_kwargs(SamplingParams(8, temperature=0.0, top_p=0.5, top_k=5), seed=3)
    assert greedy["temperature"] == 0.0 and greedy["top_p"] == 1.0 and greedy["top_k"] == 0
    assert greedy["seed"] == 3
    assert sampling_kwargs(SamplingParams(8, top_k=20))["top_k"] == 20


def test_vllm_self_check_math():
    same = logprob_agreement([-0.5, -1.0], [-0.5, -1.0])
    assert same == {"mean_abs": 0.0, "max_abs": 0.0, "ratio_mean": 1.0}
    off = logprob_agreement([-1.0, -2.0], [-1.5, -2.0])
    assert off["mean_abs"] == pytest.approx(0.25)
    assert off["max_abs"] == pytest.approx(0.5)
    assert off["ratio_mean"] == pytest.approx((torch.exp(torch.tensor(-0.5)).item() + 1) / 2)
    with pytest.raises(ValueError, match="length"):
        logprob_agreement([-1.0], [])


@pytest.mark.skipif(HAS_VLLM, reason="vLLM is installed here")
def test_vllm_engine_without_vllm_names_the_extra(lm_and_tokenizer):
    lm, tok = lm_and_tokenizer
    with pytest.raises(ImportError, match=r"pip install -e '\.\[vllm\]'"):
        make_engine("vllm", lm, tok, Config())
    from gem_gymnasium.trainers.engines import resolve_engine

    assert resolve_engine("auto") == "hf"
