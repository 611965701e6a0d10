"""Checkpoints: the policy in Hugging Face format plus everything needed to continue exactly.

A checkpoint folder ``<run>/checkpoints/iter_000012`` holds the model and tokenizer (loadable
with ``from_pretrained`` or ``gem-gym eval --model``), ``value_head.pt`` when there is one,
``trainer_state.pt`` (optimizer, LR schedule, iteration) and ``rng_rank<r>.pt`` per rank.
Optimizer state is saved unsharded and keyed by parameter name, so a run may resume on a
different number of ranks.

Checkpoints are safe to resume from:

* *atomic*: each is written into a hidden ``.iter_000012.partial`` folder, which gets a
  completion marker (``checkpoint.json``: the iteration and every file's size) and is renamed
  into place only when every rank has written its part; a run killed mid-save leaves no
  ``iter_*`` folder that looks complete;
* *checked*: a checkpoint without its marker, or whose files are missing or truncated, is named
  in a :class:`CheckpointError`; ``latest_checkpoint`` skips it with a warning and resumes from
  the newest complete one;
* *inert*: every ``.pt`` file is read with ``torch.load(weights_only=True)``, so a crafted file
  cannot run code on ``--resume``.
"""

from __future__ import annotations

import json
import os
import random
import re
import shutil
import warnings
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from gem_gymnasium.trainers.distributed import Dist
from gem_gymnasium.trainers.modeling import lm_state

__all__ = [
    "CheckpointError",
    "check_checkpoint",
    "latest_checkpoint",
    "load_checkpoint",
    "rotate_checkpoints",
    "save_checkpoint",
]

_PATTERN = re.compile(r"iter_(\d+)$")
#: Written last, after every rank's files: a checkpoint without it is incomplete.
MARKER = "checkpoint.json"


class CheckpointError(RuntimeError):
    """A checkpoint folder that cannot be resumed from (incomplete, damaged or unreadable)."""

    def __init__(self, path: Path, problem: str) -> None:
        super().__init__(f"checkpoint {path}: {problem}")
        self.path = Path(path)


def _rng_state() -> dict[str, Any]:
    """Every generator's state, in types ``torch.load(weights_only=True)`` accepts."""
    numpy_state = np.random.get_state(legacy=False)
    state = {
        "python": random.getstate(),
        "numpy": {
            **numpy_state,
            "state": {
                "key": torch.from_numpy(numpy_state["state"]["key"].astype(np.int64)),
                "pos": numpy_state["state"]["pos"],
            },
        },
        "torch": torch.get_rng_state(),
    }
    if torch.cuda.is_available():
        state["cuda"] = torch.cuda.get_rng_state()
    return state


def _set_rng_state(state: dict[str, Any]) -> None:
    random.setstate(state["python"])
    numpy_state = dict(state["numpy"])
    key = numpy_state["state"]["key"].numpy().astype(np.uint32)
    numpy_state["state"] = {"key": key, "pos": numpy_state["state"]["pos"]}
    np.random.set_state(numpy_state)
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
    partial = path.with_name(f".{path.name}.partial")
    options = StateDictOptions(full_state_dict=True, cpu_offload=True)
    model_state, optim_state = get_state_dict(agent, optimizer, options=options)
    if ctx.is_main:
        shutil.rmtree(partial, ignore_errors=True)  # left by a run killed while saving
        partial.mkdir(parents=True)
        lm = agent.lm
        lm.save_pretrained(partial, state_dict=lm_state(model_state))
        tokenizer.save_pretrained(partial)
        head = {k: v for k, v in model_state.items() if k.startswith("value_head.")}
        if head:
            torch.save(head, partial / "value_head.pt")
        torch.save(
            {"optimizer": optim_state, "scheduler": scheduler.state_dict(), "iteration": iteration},
            partial / "trainer_state.pt",
        )
    ctx.barrier()  # the folder exists before other ranks write into it
    torch.save(_rng_state(), partial / f"rng_rank{ctx.rank}.pt")
    ctx.barrier()
    if ctx.is_main:
        _write_marker(partial, iteration)
        if path.exists():  # an older save of the same iteration
            shutil.rmtree(path)
        os.replace(partial, path)
    ctx.barrier()  # no rank goes on before the checkpoint is in place
    return path


def _write_marker(folder: Path, iteration: int) -> None:
    sizes = {
        str(file.relative_to(folder)): file.stat().st_size
        for file in sorted(folder.rglob("*"))
        if file.is_file()
    }
    marker = folder / MARKER
    marker.write_text(json.dumps({"iteration": iteration, "files": sizes}, indent=1))
    with open(marker, "rb") as handle:  # on disk before the rename publishes the folder
        os.fsync(handle.fileno())


def check_checkpoint(path: Path) -> int:
    """The iteration a checkpoint folder holds, if it is complete; else :class:`CheckpointError`.

    Complete means: its marker is there and every file it lists has the recorded size (a
    truncated or missing file is caught without reading the weights).
    """
    path = Path(path)
    if not path.is_dir():
        raise CheckpointError(path, "not a folder")
    try:
        marker = json.loads((path / MARKER).read_text())
        iteration, files = int(marker["iteration"]), dict(marker["files"])
    except FileNotFoundError:
        raise CheckpointError(path, f"incomplete (no {MARKER}: it was not fully written)") from None
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise CheckpointError(path, f"its {MARKER} is damaged ({exc})") from None
    for name, size in files.items():
        file = path / name
        if not file.is_file():
            raise CheckpointError(path, f"{name} is missing")
        if file.stat().st_size != size:
            raise CheckpointError(
                path, f"{name} is damaged ({file.stat().st_size} bytes, {size} were written)"
            )
    return iteration


def _load(path: Path, name: str) -> Any:
    """``torch.load`` of a checkpoint file, tensors and plain containers only."""
    try:
        return torch.load(path / name, map_location="cpu", weights_only=True)
    except Exception as exc:
        raise CheckpointError(
            path, f"{name} cannot be loaded ({type(exc).__name__}: {exc})"
        ) from exc


def load_value_head(path: Path, agent: nn.Module) -> None:
    """Load ``value_head.pt`` into an unsharded agent (before FSDP wraps it)."""
    path = Path(path)
    if agent.value_head is not None and (path / "value_head.pt").exists():
        agent.load_state_dict(_load(path, "value_head.pt"), strict=False)


def load_checkpoint(
    path: Path, *, agent: nn.Module, optimizer: torch.optim.Optimizer, scheduler: Any, ctx: Dist
) -> int:
    """Restore optimizer, schedule and RNG (the weights were loaded with the model); the number
    of iterations already done."""
    from torch.distributed.checkpoint.state_dict import StateDictOptions, set_optimizer_state_dict

    path = Path(path)
    check_checkpoint(path)
    state = _load(path, "trainer_state.pt")
    set_optimizer_state_dict(
        agent,
        optimizer,
        optim_state_dict=state["optimizer"],
        options=StateDictOptions(full_state_dict=True),
    )
    scheduler.load_state_dict(state["scheduler"])
    rng_file = f"rng_rank{ctx.rank}.pt"
    if (path / rng_file).exists():  # absent when resuming on more ranks than were saved
        _set_rng_state(_load(path, rng_file))
    return int(state["iteration"])


def _checkpoints(run_dir: Path) -> list[Path]:
    folder = Path(run_dir) / "checkpoints"
    found = [p for p in folder.glob("iter_*") if _PATTERN.search(p.name)] if folder.exists() else []
    return sorted(found, key=lambda p: int(_PATTERN.search(p.name).group(1)))


def latest_checkpoint(run_dir: Path) -> Path | None:
    """The newest complete checkpoint of a run, if any; incomplete or damaged ones are skipped
    with a warning that names them."""
    for candidate in reversed(_checkpoints(run_dir)):
        try:
            check_checkpoint(candidate)
        except CheckpointError as exc:
            warnings.warn(f"skipping {exc}", RuntimeWarning, stacklevel=2)
            continue
        return candidate
    return None


def rotate_checkpoints(run_dir: Path, keep: int) -> None:
    """Delete all but the ``keep`` newest checkpoints, and folders of interrupted saves."""
    found = _checkpoints(run_dir)
    for old in found[: max(0, len(found) - max(1, keep))]:
        shutil.rmtree(old, ignore_errors=True)
    for partial in (Path(run_dir) / "checkpoints").glob(".iter_*.partial"):
        shutil.rmtree(partial, ignore_errors=True)
