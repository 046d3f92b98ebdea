"""The learned garment segmenter: an ImageNet VGG16 encoder with a small U-Net decoder.

(B, 3, H, W) RGB in [0, 1] -> (B, 1, H, W) garment logits, H and W multiples of 2^(last_block - 1).
GrabCut separates colours; it cannot tell a bed sheet, a sheet of paper or a floor from cloth of
the same colour. The encoder's ImageNet features can, once its deeper blocks are fine-tuned on
hand-checked garment masks of real photos (:mod:`fashiongen.training.train_segmenter`). The
shallow blocks stay frozen: a few hundred labelled photos cannot teach edges and colours better
than ImageNet did, and freezing them halves the cost of a step.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from fashiongen.training.vgg import TAPS, VGG16Features

TAP_CHANNELS = {"relu1_2": 64, "relu2_2": 128, "relu3_3": 256, "relu4_3": 512, "relu5_3": 512}


@dataclass(frozen=True)
class SegmenterConfig:
    last_block: int = 5                     # deepest VGG16 block used (4 or 5); the decoder starts there
    tune_from: int = 4                      # VGG16 blocks from this one on are fine-tuned, earlier ones frozen
    widths: tuple[int, ...] = (128, 96, 64, 32)  # decoder channels: the top, then one per skip level (deep to shallow)
    finest_tap: str = "relu2_2"             # shallowest skip connection: the logits are at its resolution, then upsampled

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this (one 2x pooling before each block after the first)."""
        return 2 ** (self.last_block - 1)


def _conv_bn_relu(in_channels: int, out_channels: int) -> nn.Sequential:
    return nn.Sequential(nn.Conv2d(in_channels, out_channels, 3, padding=1, bias=False),
                         nn.BatchNorm2d(out_channels), nn.ReLU(inplace=True))


class GarmentSegmenter(nn.Module):
    """VGG16 blocks 1..``last_block`` (ImageNet weights) + a U-Net decoder over their ReLU taps.

    Args:
        vgg: a :class:`VGG16Features` built at least to ``relu{last_block}_3``; blocks from
            ``tune_from`` on are made trainable here, the others stay frozen.
        config: the architecture; stored in every checkpoint so the model rebuilds from it.
    """

    def __init__(self, vgg: VGG16Features, config: SegmenterConfig = SegmenterConfig()):
        super().__init__()
        if not 2 <= config.last_block <= len(vgg.blocks):
            raise ValueError(f"last_block must be 2..{len(vgg.blocks)} for this VGG16, got {config.last_block}")
        if len(config.widths) != config.last_block - TAPS.index(config.finest_tap):
            raise ValueError(f"widths needs one entry for the top and one per skip level down to {config.finest_tap}, "
                             f"got {config.widths}")
        self.config = config
        self.vgg = vgg
        self.vgg.requires_grad_(False)
        for block in vgg.blocks[config.tune_from - 1:config.last_block]:
            block.requires_grad_(True)
        deepest = TAPS[config.last_block - 1]
        self.skips = list(TAPS[TAPS.index(config.finest_tap):config.last_block - 1])[::-1]  # deep -> shallow
        self.top = _conv_bn_relu(TAP_CHANNELS[deepest], config.widths[0])
        # Named d{block} as in the first trained checkpoints (d4 reads relu4_3, d3 relu3_3, d2 relu2_2).
        self.decoders = nn.ModuleDict()
        previous = config.widths[0]
        for tap, width in zip(self.skips, config.widths[1:]):
            self.decoders[f"d{tap[4]}"] = nn.Sequential(_conv_bn_relu(previous + TAP_CHANNELS[tap], width),
                                                        _conv_bn_relu(width, width))
            previous = width
        self.out = nn.Conv2d(previous, 1, 1)

    @property
    def multiple(self) -> int:
        """Input sides must be multiples of this."""
        return self.config.multiple

    def trainable_parameters(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(fine-tuned encoder parameters, decoder parameters): they learn at different rates."""
        encoder = [p for p in self.vgg.parameters() if p.requires_grad]
        decoder = [p for name, p in self.named_parameters() if not name.startswith("vgg.")]
        return encoder, decoder

    def training_loss(self, image: torch.Tensor, truth: torch.Tensor, loss) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, H, W) views and (B, 1, H, W) truth -> (logits, ``loss(logits, truth)``); U^2-Netp's
        adds its side outputs, so the trainer asks the network."""
        logits = self(image)
        return logits, loss(logits, truth)

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, 1, H, W) logits (sigmoid gives the garment probability)."""
        x = self.vgg.normalize(image)
        taps = {}
        for index in range(self.config.last_block):
            if index:
                x = F.max_pool2d(x, 2)
            if index + 1 == self.config.tune_from:
                x = x.detach()  # nothing below a fine-tuned block needs a gradient
            x = self.vgg.blocks[index](x)
            taps[TAPS[index]] = x
        y = self.top(x)
        for tap in self.skips:
            skip = taps[tap]
            y = F.interpolate(y, size=skip.shape[2:], mode="bilinear", align_corners=False)
            y = self.decoders[f"d{tap[4]}"](torch.cat([y, skip], dim=1))
        return F.interpolate(self.out(y), size=image.shape[2:], mode="bilinear", align_corners=False)


def build_segmenter(config: SegmenterConfig = SegmenterConfig()) -> tuple[GarmentSegmenter, str]:
    """A segmenter with ImageNet VGG16 weights -> (model, weight source named for run configs)."""
    from fashiongen.training.vgg import load_vgg16

    vgg, source = load_vgg16(TAPS[config.last_block - 1])
    return GarmentSegmenter(vgg, config), source
