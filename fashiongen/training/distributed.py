"""Data-parallel training under ``torchrun`` (NCCL on GPUs, gloo on CPUs), and nothing when run alone.

    torchrun --nproc_per_node 8 -m fashiongen.training.train_gan --out runs/gan-8gpu --device cuda

Every rank builds the same model from the same seed; DistributedDataParallel averages gradients
so the replicas stay identical. Each rank draws its share of the global batch from its own shard
of the data (every world_size-th photo), so the global batch and the loss curve match a single
process. Only rank 0 writes the run folder. Checkpoints hold the unwrapped models, so a run can
resume with a different number of processes.
"""

from __future__ import annotations

import os
from dataclasses import dataclass

import torch
import torch.distributed as dist
from torch.nn.parallel import DistributedDataParallel

from fashiongen.training.runs import pick_device


@dataclass(frozen=True)
class Ranks:
    rank: int = 0          # this process
    world_size: int = 1    # processes in the job
    local_rank: int = 0    # this process on its machine (its GPU)

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def distributed(self) -> bool:
        return self.world_size > 1


def init(device_name: str) -> tuple[Ranks, torch.device]:
    """Join the torchrun job if there is one; returns this process's ranks and device."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size == 1:
        return Ranks(), pick_device(device_name)
    want_cuda = device_name in ("auto", "cuda") and torch.cuda.is_available()
    local_rank = int(os.environ.get("LOCAL_RANK", "0"))
    dist.init_process_group("nccl" if want_cuda else "gloo")
    device = torch.device("cuda", local_rank) if want_cuda else torch.device("cpu")
    if want_cuda:
        torch.cuda.set_device(device)
    return Ranks(dist.get_rank(), world_size, local_rank), device


def wrap(module: torch.nn.Module, ranks: Ranks, device: torch.device) -> torch.nn.Module:
    """DDP around ``module`` when distributed (buffers such as BatchNorm and spectral-norm
    vectors follow rank 0), else the module itself."""
    if not ranks.distributed:
        return module
    return DistributedDataParallel(module, device_ids=[device.index] if device.type == "cuda" else None,
                                   broadcast_buffers=True)


def replica_spread(modules: list[torch.nn.Module], ranks: Ranks) -> float:
    """Largest difference between the ranks' parameter checksums (0.0 when the replicas agree)."""
    if not ranks.distributed:
        return 0.0
    total = sum(float(p.detach().double().sum()) for module in modules for p in module.parameters())
    local = torch.tensor([total], dtype=torch.float64)
    gathered = [torch.zeros_like(local) for _ in range(ranks.world_size)]
    dist.all_gather(gathered, local)
    values = [float(value) for value in gathered]
    return max(values) - min(values)


def finish(ranks: Ranks) -> None:
    if ranks.distributed:
        dist.barrier()
        dist.destroy_process_group()
