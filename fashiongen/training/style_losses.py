"""Perceptual losses for style transfer, as pure functions of VGG16 feature dicts."""

from __future__ import annotations

import torch
import torch.nn.functional as F

from fashiongen.training.style_networks import mean_std
from fashiongen.training.vgg import gram_matrix


def content_loss(output: dict, content: dict, tap: str) -> torch.Tensor:
    return F.mse_loss(output[tap], content[tap])


def gram_style_loss(output: dict, style_grams: dict, taps: tuple[str, ...]) -> torch.Tensor:
    """Relative Gram distance, the same quantity the benchmark reports (so the loss is scale-free per tap)."""
    total = 0.0
    for tap in taps:
        difference = (gram_matrix(output[tap]) - style_grams[tap]).flatten(1).norm(dim=1)
        total = total + (difference / (style_grams[tap].flatten(1).norm(dim=1) + 1e-8)).mean()
    return total / len(taps)


def mean_std_style_loss(output: dict, style: dict, taps: tuple[str, ...]) -> torch.Tensor:
    """AdaIN's style loss on channel means and stds, relative per tap so no layer dominates by scale."""
    total = 0.0
    for tap in taps:
        out_mean, out_std = mean_std(output[tap])
        style_mean, style_std = mean_std(style[tap])
        total = total + ((out_mean - style_mean).norm(dim=1) / (style_mean.norm(dim=1) + 1e-8)).mean() \
            + ((out_std - style_std).norm(dim=1) / (style_std.norm(dim=1) + 1e-8)).mean()
    return total / len(taps)


def total_variation(image: torch.Tensor) -> torch.Tensor:
    return (image[..., 1:, :] - image[..., :-1, :]).abs().mean() + (image[..., :, 1:] - image[..., :, :-1]).abs().mean()
