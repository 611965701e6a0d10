"""Checkpoints are written atomically, checked before use, and never run code when loaded."""

from __future__ import annotations

import json
import pickle
import re
import shutil
from dataclasses import replace
from pathlib import Path

import pytest
import torch

from gem_gymnasium.trainers import checkpoint as checkpoint_module
from gem_gymnasium.trainers.checkpoint import (
    CheckpointError,
    check_checkpoint,
    latest_checkpoint,
    load_checkpoint,
)
from gem_gymnasium.trainers.config import Config
from gem_gymnasium.trainers.ppo import train
from gem_gymnasium.trainers.tracking import read_metrics

TIMING_KEYS = {
    "charts/rollout_time",
    "charts/update_time",
    "charts/SPS",
    "charts/generate_tokens_per_second",
}


def config(tiny_model: str, output_dir: Path, **overrides) -> Config:
    base = Config(
        env_id="game:GuessTheNumber-v0-easy",
        wrappers="concat",
        pretrain=tiny_model,
        output_dir=str(output_dir),
        run_name="run",
        num_envs=4,
        rollout_batch_size=8,
        train_batch_size=4,
        train_batch_size_per_device=2,
        num_iterations=2,
        save_steps=1,
        max_save_num=5,
        learning_rate=1e-3,
        generate_max_length=12,
        num_ppo_epochs=1,
    )
    return replace(base, **overrides)


@pytest.fixture(scope="module")
def finished_run(tiny_model, tmp_path_factory) -> Path:
    """A two-iteration run with a checkpoint after each iteration (built once)."""
    output = tmp_path_factory.mktemp("checkpoints")
    train(config(tiny_model, output))
    return output / "run"


@pytest.fixture
def run(finished_run, tmp_path) -> Path:
    copy = tmp_path / "run"
    shutil.copytree(finished_run, copy)
    return copy


def _checkpoint(run: Path, iteration: int) -> Path:
    return run / "checkpoints" / f"iter_{iteration:06d}"


def _trainer_objects(tiny_model: str):
    from transformers import AutoModelForCausalLM

    class Agent(torch.nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.lm = AutoModelForCausalLM.from_pretrained(tiny_model)
            self.value_head = None

    agent = Agent()
    optimizer = torch.optim.AdamW(agent.parameters())
    scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda step: 1.0)
    return agent, optimizer, scheduler


class _SingleRank:
    rank, world_size, is_main = 0, 1, True

    def barrier(self) -> None:
        pass


def test_a_checkpoint_gets_a_completion_marker_and_no_partial_folder_remains(run) -> None:
    for iteration in (1, 2):
        assert check_checkpoint(_checkpoint(run, iteration)) == iteration
    assert not list((run / "checkpoints").glob(".*"))


def test_a_save_killed_midway_leaves_no_checkpoint_and_resume_uses_the_previous(
    run, tiny_model, monkeypatch
) -> None:
    agent, optimizer, scheduler = _trainer_objects(tiny_model)
    from transformers import AutoTokenizer

    def killed() -> dict:
        raise KeyboardInterrupt  # the process dies between trainer_state.pt and the RNG files

    monkeypatch.setattr(checkpoint_module, "_rng_state", killed)
    with pytest.raises(KeyboardInterrupt):
        checkpoint_module.save_checkpoint(
            _checkpoint(run, 3),
            agent=agent,
            tokenizer=AutoTokenizer.from_pretrained(tiny_model),
            optimizer=optimizer,
            scheduler=scheduler,
            iteration=3,
            ctx=_SingleRank(),
        )
    assert not _checkpoint(run, 3).exists()
    assert latest_checkpoint(run) == _checkpoint(run, 2)


@pytest.mark.parametrize("damage", ["no marker", "no rng", "truncated"])
def test_a_damaged_checkpoint_is_named_and_skipped(run, damage) -> None:
    newest = _checkpoint(run, 2)
    if damage == "no marker":
        (newest / checkpoint_module.MARKER).unlink()
    elif damage == "no rng":
        (newest / "rng_rank0.pt").unlink()
    else:
        state = newest / "trainer_state.pt"
        state.write_bytes(state.read_bytes()[:100])
    with pytest.raises(CheckpointError, match=re.escape(str(newest))):
        check_checkpoint(newest)
    with pytest.warns(RuntimeWarning, match=f"skipping checkpoint {re.escape(str(newest))}"):
        assert latest_checkpoint(run) == _checkpoint(run, 1)


def test_loading_never_runs_code_from_a_crafted_checkpoint(run, tiny_model, tmp_path) -> None:
    proof = tmp_path / "pwned"

    class Exploit:
        def __reduce__(self):
            return (Path.touch, (proof,))

    target = _checkpoint(run, 2)
    for name in ("trainer_state.pt", "rng_rank0.pt"):
        crafted = target / name
        crafted.write_bytes(pickle.dumps({"iteration": Exploit()}, protocol=2))
        # The attacker controls the whole folder, marker included.
        marker = json.loads((target / checkpoint_module.MARKER).read_text())
        marker["files"][name] = crafted.stat().st_size
        (target / checkpoint_module.MARKER).write_text(json.dumps(marker))
    agent, optimizer, scheduler = _trainer_objects(tiny_model)
    with pytest.raises(
        CheckpointError, match=re.escape(f"{target}: trainer_state.pt cannot be loaded")
    ):
        load_checkpoint(
            target, agent=agent, optimizer=optimizer, scheduler=scheduler, ctx=_SingleRank()
        )
    with pytest.raises(CheckpointError, match=r"rng_rank0\.pt cannot be loaded"):
        checkpoint_module._load(target, "rng_rank0.pt")
    assert not proof.exists()


def test_auto_resume_after_a_damaged_newest_checkpoint_continues_identically(
    run, tiny_model, finished_run
) -> None:
    """The newest checkpoint lost its RNG state: resume from the one before, same results."""
    (_checkpoint(run, 2) / "rng_rank0.pt").unlink()
    with pytest.warns(RuntimeWarning, match=r"rng_rank0\.pt is missing"):
        train(config(tiny_model, run.parent, resume="auto"))
    resumed = read_metrics(run / "metrics.jsonl")
    full = read_metrics(finished_run / "metrics.jsonl")
    assert [r["iteration"] for r in resumed] == [1, 2]
    for key, value in full[1].items():
        if key not in TIMING_KEYS:
            assert resumed[1][key] == pytest.approx(value, rel=1e-6, abs=1e-9, nan_ok=True), key
    assert check_checkpoint(_checkpoint(run, 2)) == 2
