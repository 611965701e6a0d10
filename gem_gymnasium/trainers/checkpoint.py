"""Checkpoints: the policy in Hugging Face format plus everything needed to continue exactly.

A checkpoint folder ``<run>/checkpoints/iter_000012`` holds the model and tokenizer (loadable
with ``from_pretrained`` or ``gem-gym eval --model``), ``value_head.pt`` when there is one,
``trainer_state.pt`` (optimizer, LR schedule, iteration) and ``rng_rank<r>.pt`` per rank.
Optimizer state is saved unsharded and keyed by parameter name, so a run may resume on a
different number of ranks.
"""

from __future__ import annotations

import random
import re
import shutil
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from gem_gymnasium.trainers.distributed import Dist
from gem_gymnasium.trainers.modeling import lm_state

__all__ = ["latest_checkpoint", "load_checkpoint", "rotate_checkpoints", "save_checkpoint"]

_PATTERN = re.compile(r"iter_(\d+)$")


def _rng_state() -> dict[str, Any]:
    state = {
        "python": random.getstate(),
        "numpy": np.random.get_state(),
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    np.random.set_state(state["numpy"])
    torch.set_rng_state(state["torch"])
    if "cuda" in state and torch.cuda.is_available():
        torch.cuda.set_rng_state(state["cuda"])


def save_checkpoint(
    path: Path,
    *,
    agent: nn.Module,
    tokenizer: Any,
    optimizer: torch.optim.Optimizer,
    scheduler: Any,
    iteration: int,
    ctx: Dist,
) -> Path:
    """Write a checkpoint (a collective under FSDP: every rank calls it)."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, get_state_dict

    path = Path(path)
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    model_state, optim_state = get_state_dict(agent, optimizer, options=options)
    if ctx.is_main:
        path.mkdir(parents=True, exist_ok=True)
        lm = agent.lm
        lm.save_pretrained(path, state_dict=lm_state(model_state))
        tokenizer.save_pretrained(path)
        head = {k: v for k, v in model_state.items() if k.startswith("value_head.")}
        if head:
            torch.save(head, path / "value_head.pt")
        torch.save(
            {"optimizer": optim_state, "scheduler": scheduler.state_dict(), "iteration": iteration},
            path / "trainer_state.pt",
        )
    ctx.barrier()  # the folder exists before other ranks write into it
    torch.save(_rng_state(), path / f"rng_rank{ctx.rank}.pt")
    ctx.barrier()
    return path


def load_value_head(path: Path, agent: nn.Module) -> None:
    """Load ``value_head.pt`` into an unsharded agent (before FSDP wraps it)."""
    file = Path(path) / "value_head.pt"
    if agent.value_head is not None and file.exists():
        state = torch.load(file, map_location="cpu", weights_only=True)
        agent.load_state_dict(state, strict=False)


def load_checkpoint(
    path: Path, *, agent: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, ctx: Dist
) -> int:
    """Restore optimizer, schedule and RNG (the weights were loaded with the model); the number
    of iterations already done."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

    path = Path(path)
    state = torch.load(path / "trainer_state.pt", map_location="cpu", weights_only=False)
    set_optimizer_state_dict(
        agent,
        optimizer,
        optim_state_dict=state["optimizer"],
        options=StateDictOptions(full_state_dict=True),
    )
    scheduler.load_state_dict(state["scheduler"])
    rng_file = path / f"rng_rank{ctx.rank}.pt"
    if rng_file.exists():
        _set_rng_state(torch.load(rng_file, map_location="cpu", weights_only=False))
    return int(state["iteration"])


def _checkpoints(run_dir: Path) -> list[Path]:
    folder = Path(run_dir) / "checkpoints"
    found = [p for p in folder.glob("iter_*") if _PATTERN.search(p.name)] if folder.exists() else []
    return sorted(found, key=lambda p: int(_PATTERN.search(p.name).group(1)))


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run, if any."""
    done = [p for p in _checkpoints(run_dir) if (p / "trainer_state.pt").exists()]
    return done[-1] if done else None


def rotate_checkpoints(run_dir: Path, keep: int) -> None:
    """Delete all but the ``keep`` newest checkpoints."""
    found = _checkpoints(run_dir)
    for old in found[: max(0, len(found) - max(1, keep))]:
        shutil.rmtree(old, ignore_errors=True)
