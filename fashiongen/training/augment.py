"""Differentiable augmentation (DiffAugment, Zhao et al. 2020) as pure functions.

Applied to both real and generated batches before the discriminator, so D cannot overfit
the few thousand photos while G never learns to produce augmented images.
All functions take and return (B, 3, H, W) tensors in [-1, 1]. Translation and cutout fill
with ``fill`` (1.0 = white, the prepared photos' background), so an augmented real photo
never shows a grey frame the generator could be asked to imitate.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F


def color(x: torch.Tensor, fill: float = 1.0) -> torch.Tensor:
    del fill  # every pixel is jittered; the argument only keeps one signature for all policies
    x = x + (torch.rand(x.size(0), 1, 1, 1, device=x.device) - 0.5)  # brightness
    mean = x.mean(dim=1, keepdim=True)
    x = (x - mean) * (torch.rand(x.size(0), 1, 1, 1, device=x.device) * 2) + mean  # saturation
    mean = x.mean(dim=(1, 2, 3), keepdim=True)
    return (x - mean) * (torch.rand(x.size(0), 1, 1, 1, device=x.device) + 0.5) + mean  # contrast


def translation(x: torch.Tensor, ratio: float = 0.125, fill: float = 1.0) -> torch.Tensor:
    batch, _, height, width = x.shape
    shift_y = torch.randint(-int(height * ratio + 0.5), int(height * ratio + 0.5) + 1, (batch, 1, 1), device=x.device)
    shift_x = torch.randint(-int(width * ratio + 0.5), int(width * ratio + 0.5) + 1, (batch, 1, 1), device=x.device)
    grid_b, grid_y, grid_x = torch.meshgrid(torch.arange(batch, device=x.device), torch.arange(height, device=x.device),
                                            torch.arange(width, device=x.device), indexing="ij")
    grid_y = torch.clamp(grid_y + shift_y + 1, 0, height + 1)
    grid_x = torch.clamp(grid_x + shift_x + 1, 0, width + 1)
    padded = F.pad(x, [1, 1, 1, 1, 0, 0, 0, 0], value=fill)
    return padded.permute(0, 2, 3, 1).contiguous()[grid_b, grid_y, grid_x].permute(0, 3, 1, 2)


def cutout(x: torch.Tensor, ratio: float = 0.5, fill: float = 1.0) -> torch.Tensor:
    batch, _, height, width = x.shape
    cut_h, cut_w = int(height * ratio + 0.5), int(width * ratio + 0.5)
    offset_y = torch.randint(0, height + (1 - cut_h % 2), (batch, 1, 1), device=x.device)
    offset_x = torch.randint(0, width + (1 - cut_w % 2), (batch, 1, 1), device=x.device)
    grid_b, grid_y, grid_x = torch.meshgrid(torch.arange(batch, device=x.device), torch.arange(cut_h, device=x.device),
                                            torch.arange(cut_w, device=x.device), indexing="ij")
    grid_y = torch.clamp(grid_y + offset_y - cut_h // 2, 0, height - 1)
    grid_x = torch.clamp(grid_x + offset_x - cut_w // 2, 0, width - 1)
    mask = torch.ones(batch, height, width, dtype=x.dtype, device=x.device)
    mask[grid_b, grid_y, grid_x] = 0
    mask = mask.unsqueeze(1)
    return x * mask + fill * (1 - mask)


POLICIES = {"color": color, "translation": translation, "cutout": cutout}


def diff_augment(x: torch.Tensor, policy: str, fill: float = 1.0) -> torch.Tensor:
    """Apply the comma-separated ``policy`` (e.g. "color,translation,cutout"); "" is the identity."""
    for name in filter(None, policy.split(",")):
        x = POLICIES[name](x, fill=fill)
    return x
