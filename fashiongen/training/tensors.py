"""The one place where torch tensors meet image arrays (the numpy side is fashiongen.images).

Two value ranges: images as networks read and write them are float (B, 3, H, W) in [0, 1]
("unit") or in [-1, 1] ("signed", the GAN's range). Back to uint8 always rounds half up, the
same rule as :func:`fashiongen.images.from_float`.
"""

from __future__ import annotations

import numpy as np
import torch


def to_unit(images: np.ndarray | torch.Tensor, device: torch.device | str | None = None) -> torch.Tensor:
    """(B, H, W, 3) uint8 -> (B, 3, H, W) float32 in [0, 1]."""
    if isinstance(images, torch.Tensor):
        tensor = images
    else:
        array = np.ascontiguousarray(images)
        tensor = torch.from_numpy(array if array.flags.writeable else array.copy())
    return tensor.to(device).permute(0, 3, 1, 2).float() / 255.0


def to_signed(images: np.ndarray | torch.Tensor, device: torch.device | str | None = None) -> torch.Tensor:
    """(B, H, W, 3) uint8 -> (B, 3, H, W) float32 in [-1, 1]."""
    return to_unit(images, device) * 2.0 - 1.0


def unit_to_uint8(images: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) float in [0, 1] (clipped) -> (B, H, W, 3) uint8, rounded half up."""
    return (images.detach().clamp(0, 1) * 255.0 + 0.5).floor().byte().permute(0, 2, 3, 1).cpu().numpy()


def signed_to_uint8(images: torch.Tensor) -> np.ndarray:
    """(B, 3, H, W) float in [-1, 1] (clipped) -> (B, H, W, 3) uint8, rounded half up."""
    return unit_to_uint8((images + 1.0) * 0.5)
