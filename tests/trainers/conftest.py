"""Fixtures for the trainer tests: one tiny local model, built once per session."""

from __future__ import annotations

import pytest

torch = pytest.importorskip("torch")
pytest.importorskip("transformers")


@pytest.fixture(scope="session", autouse=True)
def _one_thread():
    torch.set_num_threads(1)


@pytest.fixture(scope="session")
def tiny_model(tmp_path_factory: pytest.TempPathFactory) -> str:
    """A 2-layer Qwen2 with a locally trained BPE tokenizer, briefly warm-started on
    GuessTheNumber's format (``concat`` wrapper, ``qwen3_game`` template)."""
    from gem_gymnasium.trainers.tiny import build_tiny_model

    path = tmp_path_factory.mktemp("tiny") / "model"
    build_tiny_model(
        path,
        ["game:GuessTheNumber-v0-easy"],
        wrappers="concat",
        template="qwen3_game",
        warm_start_steps=20,
        episodes=6,
        hidden_size=32,
        vocab_size=320,
    )
    return str(path)
