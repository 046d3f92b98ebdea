"""The learned garment prior: frozen ImageNet VGG16 features and a small trained head.

(B, 3, H, W) RGB in [0, 1] -> (B, 1, H, W) garment probability in [0, 1], H and W multiples of
16. GrabCut separates colours; it cannot tell a bed sheet or a rug from cloth of the same colour.
VGG16's deep features can (they were trained on ImageNet's objects and textures), so the head
reads relu3_3, relu4_3 and relu5_3 and predicts, at a quarter of the input resolution, where the
garment is; :mod:`fashiongen.garment_mask` then lets GrabCut draw the exact edge inside that prior.
Only the head (about 0.3 M weights) is trained: a frozen backbone cannot learn the pasting
artefacts of the training composites, only what a garment looks like.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from fashiongen.training.vgg import VGG16Features

FEATURE_TAPS = ("relu3_3", "relu4_3", "relu5_3")
FEATURE_CHANNELS = {"relu3_3": 256, "relu4_3": 512, "relu5_3": 512}


@dataclass(frozen=True)
class SegmenterConfig:
    width: int = 96          # channels of the head
    multiple: int = 16       # input sides must be multiples of this (relu5_3 is at 1/16)


class SegmenterHead(nn.Module):
    """{tap: features} -> (B, 1, H/4, W/4) logits: the deeper taps upsampled to relu3_3's grid."""

    def __init__(self, config: SegmenterConfig = SegmenterConfig()):
        super().__init__()
        width = config.width
        self.reduce = nn.ModuleDict({tap: nn.Conv2d(FEATURE_CHANNELS[tap], width, 1) for tap in FEATURE_TAPS})
        self.context = nn.Sequential(
            nn.ReLU(), nn.Conv2d(width, width, 3, padding=1), nn.BatchNorm2d(width), nn.ReLU(),
            nn.Conv2d(width, width, 3, padding=2, dilation=2), nn.BatchNorm2d(width), nn.ReLU())
        self.out = nn.Conv2d(width, 1, 1)

    def forward(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        size = features["relu3_3"].shape[2:]
        total = sum(F.interpolate(self.reduce[tap](features[tap]), size=size, mode="bilinear", align_corners=False)
                    if tap != "relu3_3" else self.reduce[tap](features[tap]) for tap in FEATURE_TAPS)
        return self.out(self.context(total))


class GarmentSegmenter(nn.Module):
    """Frozen VGG16 (to relu5_3) + :class:`SegmenterHead`; what is exported to ONNX."""

    def __init__(self, vgg: VGG16Features, head: SegmenterHead):
        super().__init__()
        self.vgg, self.head = vgg, head

    def logits(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, 1, H, W) logits (the head's quarter grid, upsampled)."""
        small = self.head(self.vgg(image))
        return F.interpolate(small, size=image.shape[2:], mode="bilinear", align_corners=False)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, 1, H, W) garment probability in [0, 1]."""
        return torch.sigmoid(self.logits(image))
