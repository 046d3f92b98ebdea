"""The small garment segmenter: a U-Net that maps a photo to a garment probability map.

(B, 3, H, W) RGB in [0, 1] -> (B, 1, H, W) garment probability in [0, 1], H and W multiples of
``SegmenterConfig.multiple`` (the app feeds a SEGMENTER_SIDE square, see
:mod:`fashiongen.garment_mask`). Small on purpose: about 0.3 M weights, milliseconds per photo
on one CPU core.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn


@dataclass(frozen=True)
class SegmenterConfig:
    widths: tuple[int, ...] = (16, 32, 48, 64, 96)  # channels per level, full resolution first

    @property
    def multiple(self) -> int:
        return 2 ** (len(self.widths) - 1)


def _double_conv(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
                         nn.ReLU(inplace=True),
                         nn.Conv2d(out_channels, out_channels, 3, padding=1, bias=False), nn.BatchNorm2d(out_channels),
                         nn.ReLU(inplace=True))


class GarmentSegmenter(nn.Module):
    """U-Net: max-pool encoder, bilinear-upsampling decoder with skip connections."""

    def __init__(self, config: SegmenterConfig = SegmenterConfig()):
        super().__init__()
        widths = config.widths
        self.down = nn.ModuleList(_double_conv(3 if i == 0 else widths[i - 1], widths[i]) for i in range(len(widths)))
        self.up = nn.ModuleList(_double_conv(widths[i + 1] + widths[i], widths[i]) for i in range(len(widths) - 1))
        self.head = nn.Conv2d(widths[0], 1, 1)

    def logits(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, 1, H, W) logits."""
        h = (image - 0.5) / 0.25
        skips = []
        for index, block in enumerate(self.down):
            h = block(h if index == 0 else F.max_pool2d(h, 2))
            skips.append(h)
        for index in reversed(range(len(self.up))):
            h = F.interpolate(h, size=skips[index].shape[2:], mode="bilinear", align_corners=False)
            h = self.up[index](torch.cat([h, skips[index]], dim=1))
        return self.head(h)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) in [0, 1] -> (B, 1, H, W) garment probability in [0, 1]."""
        return torch.sigmoid(self.logits(image))
