"""``make_vec`` hands wrapper options (a tokenizer for ``concat_chat``) to the wrappers."""

from __future__ import annotations

import pytest

import gem_gymnasium

pytest.importorskip("transformers")


@pytest.mark.parametrize("vectorization_mode", ["sync", "thread", "async"])
def test_concat_chat_gets_its_tokenizer(tokenizer, vectorization_mode: str) -> None:
    vec = gem_gymnasium.make_vec(
        "gem/GuessTheNumber-v0",
        2,
        vectorization_mode=vectorization_mode,
        wrappers="concat_chat",
        wrapper_kwargs={"tokenizer": tokenizer, "system_prompt": "Be brief."},
        seed=0,
    )
    try:
        obs, _ = vec.reset()
        assert all(o.startswith("<|system|>Be brief.<|end|><|user|>") for o in obs)
        assert all(o.endswith("<|assistant|>") for o in obs)
        obs, *_ = vec.step(("\\boxed{5}", "\\boxed{6}"))
        assert "<|assistant|>\\boxed{5}<|end|>" in obs[0]
    finally:
        vec.close()


def test_a_wrapper_option_as_a_vector_argument_points_to_wrapper_kwargs(tokenizer) -> None:
    with pytest.raises(TypeError, match=r"\['tokenizer'\] are wrapper options.*wrapper_kwargs="):
        gem_gymnasium.make_vec(
            "gem/GuessTheNumber-v0", 2, wrappers="concat_chat", tokenizer=tokenizer
        )


def test_thread_mode_still_takes_its_own_timeout() -> None:
    vec = gem_gymnasium.make_vec("gem/GuessTheNumber-v0", 2, vectorization_mode="thread", timeout=5)
    assert vec.timeout == 5
    vec.close()


def test_wrapper_kwargs_need_named_wrappers() -> None:
    with pytest.raises(ValueError, match=r"functools\.partial"):
        gem_gymnasium.make_vec(
            "gem/GuessTheNumber-v0",
            1,
            wrappers=[lambda env: env],
            wrapper_kwargs={"max_history": 2},
        )
