"""Data-parallel plumbing: ``torchrun`` process groups, FSDP sharding, small all-reduces.

A single process (no ``WORLD_SIZE`` in the environment) is world size 1 and every helper here
is the identity, so the PPO loop reads the same either way.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.distributed as dist
from torch import nn

__all__ = ["Dist", "init_distributed", "shard"]


@dataclass(frozen=True)
class Dist:
    """This process's place in the run."""

    rank: int = 0
    world_size: int = 1
    local_rank: int = 0
    device: torch.device = field(default_factory=lambda: torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1

    def all_reduce_sum(self, x: np.ndarray) -> np.ndarray:
        """Element-wise sum of a small float vector over ranks."""
        if not self.enabled:
            return np.asarray(x, dtype=np.float64)
        t = torch.as_tensor(np.asarray(x, dtype=np.float64), device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.SUM)
        return t.cpu().numpy()

    def all_reduce_max(self, value: int) -> int:
        """The largest ``value`` over ranks (e.g. micro-batch counts that must match)."""
        if not self.enabled:
            return value
        t = torch.tensor([value], dtype=torch.int64, device=self.device)
        dist.all_reduce(t, op=dist.ReduceOp.MAX)
        return int(t.item())

    def barrier(self) -> None:
        if self.enabled:
            dist.barrier()

    def close(self) -> None:
        if self.enabled and dist.is_initialized():
            dist.destroy_process_group()


def init_distributed() -> Dist:
    """Join the ``torchrun`` process group if there is one (NCCL on CUDA, gloo on CPU)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    if torch.cuda.is_available():
        torch.cuda.set_device(local_rank)
        device = torch.device("cuda", local_rank)
    else:
        device = torch.device("cpu")
    if world_size == 1:
        return Dist(device=device)
    if not dist.is_initialized():
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo")
    return Dist(dist.get_rank(), world_size, local_rank, device)


def shard(agent: nn.Module, ctx: Dist) -> nn.Module:
    """Shard ``agent`` with FSDP2 (``fully_shard``): each decoder layer, then the whole model.

    Gradients are reduced (averaged) across ranks in backward. No-op in a single process.
    """
    if not ctx.enabled:
        return agent
    from torch.distributed.device_mesh import init_device_mesh
    from torch.distributed.fsdp import fully_shard

    mesh = init_device_mesh(ctx.device.type, (ctx.world_size,))
    layers = getattr(getattr(agent.lm, "model", None), "layers", None)
    for layer in layers if layers is not None else []:
        fully_shard(layer, mesh=mesh)
    fully_shard(agent, mesh=mesh)
    return agent
