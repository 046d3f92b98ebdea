"""Class-conditional garment generators and discriminators.

Two architectures, chosen by ``GANConfig.arch``:
- "projection" (main): residual generator with class-conditional BatchNorm, spectral-norm
  residual discriminator with a projection head (Miyato & Koyama 2018), trained with hinge loss.
- "dcgan" (the design documents' baseline): noise -> dense 7x7x256 -> transposed convs,
  conditioned by concatenating a class embedding to the noise and a class map to D's input.
Both generators map (z, classes) -> (B, 3, R, R) in [-1, 1], where ``classes`` is (B,) int64
class ids, or (B, K) float class weights: a mix of classes (one-hot rows give exactly the ids).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn
from torch.nn.utils import spectral_norm


@dataclass(frozen=True)
class GANConfig:
    num_classes: int            # number of garment classes
    arch: str = "projection"    # "projection" (main) or "dcgan" (baseline)
    z_dim: int = 128            # noise dimension
    resolution: int = 64        # output side in pixels (power of two, >= 16)
    g_width: int = 256          # generator channels at the lowest resolution
    g_min_width: int = 16       # generator channels never fall below this at the highest resolutions
    d_width: int = 32           # discriminator channels at full resolution
    d_grown: int = 0            # resolution doublings grown in front of a trained discriminator (training/grow.py)
    aux_classifier: bool = False  # projection D also predicts the class (auxiliary classifier head)
    upsample: str = "nearest"   # projection G's upsampling: "nearest" or "bilinear" (smoother; against hatching)

    def __post_init__(self):
        if self.upsample not in ("nearest", "bilinear"):
            raise ValueError(f"upsample must be 'nearest' or 'bilinear', got {self.upsample!r}")


def _levels(resolution: int) -> int:
    levels = resolution.bit_length() - 3  # 4x4 -> R: log2(R) - 2 doublings
    if resolution != 4 * 2 ** levels or resolution < 16:
        raise ValueError(f"resolution must be a power of two >= 16, got {resolution}")
    return levels


def class_lookup(embedding: nn.Embedding, classes: torch.Tensor) -> torch.Tensor:
    """(B,) int64 class ids -> their embedding rows; (B, K) float class weights -> the weighted mix."""
    if classes.is_floating_point():
        return classes @ embedding.weight
    return embedding(classes)


def discriminator_widths(config: GANConfig) -> list[int]:
    """Channels of the projection discriminator's input and of each block's output, full resolution first.

    ``d_width`` doubling per block; a discriminator grown ``d_grown`` times keeps its trained blocks'
    widths, so the blocks grown in front of them run at half, a quarter, ... of ``d_width``.
    """
    levels = _levels(config.resolution)
    return [3] + [max((config.d_width << i) >> config.d_grown, 8) for i in range(levels)]


def generator_widths(config: GANConfig) -> list[int]:
    """Channels of the projection generator at 4x4, 8x8, ..., R x R: halving from ``g_width``, floored."""
    return [max(config.g_width >> i, config.g_min_width) for i in range(_levels(config.resolution) + 1)]


class ConditionalBatchNorm(nn.Module):
    """BatchNorm whose scale and shift are looked up per class."""

    def __init__(self, channels: int, num_classes: int):
        super().__init__()
        self.norm = nn.BatchNorm2d(channels, affine=False)
        self.gain = nn.Embedding(num_classes, channels)
        self.bias = nn.Embedding(num_classes, channels)
        nn.init.ones_(self.gain.weight)
        nn.init.zeros_(self.bias.weight)

    def forward(self, x: torch.Tensor, class_id: torch.Tensor) -> torch.Tensor:
        gain, bias = class_lookup(self.gain, class_id), class_lookup(self.bias, class_id)
        return self.norm(x) * gain[:, :, None, None] + bias[:, :, None, None]


class GeneratorBlock(nn.Module):
    """CBN-ReLU-up-conv-CBN-ReLU-conv with an upsampled 1x1 skip: (B, Cin, H, W) -> (B, Cout, 2H, 2W)."""

    def __init__(self, in_channels: int, out_channels: int, num_classes: int, upsample: str = "nearest"):
        super().__init__()
        self.upsample = upsample  # no weights depend on it, so a run can switch mode and resume
        self.norm1 = ConditionalBatchNorm(in_channels, num_classes)
        self.conv1 = nn.Conv2d(in_channels, out_channels, 3, padding=1)
        self.norm2 = ConditionalBatchNorm(out_channels, num_classes)
        self.conv2 = nn.Conv2d(out_channels, out_channels, 3, padding=1)
        self.skip = nn.Conv2d(in_channels, out_channels, 1)

    def forward(self, x: torch.Tensor, class_id: torch.Tensor) -> torch.Tensor:
        h = self._up(F.relu(self.norm1(x, class_id)))
        h = self.conv2(F.relu(self.norm2(self.conv1(h), class_id)))
        return h + self.skip(self._up(x))

    def _up(self, x: torch.Tensor) -> torch.Tensor:
        if self.upsample == "bilinear":
            return F.interpolate(x, scale_factor=2.0, mode="bilinear", align_corners=False)
        return F.interpolate(x, scale_factor=2.0, mode="nearest")


class ProjectionGenerator(nn.Module):
    """(z (B, z_dim), class_id (B,)) -> (B, 3, R, R) in [-1, 1]."""

    def __init__(self, config: GANConfig):
        super().__init__()
        levels = _levels(config.resolution)
        widths = generator_widths(config)
        self.width = widths[0]
        self.linear = nn.Linear(config.z_dim, 4 * 4 * widths[0])
        self.blocks = nn.ModuleList(GeneratorBlock(widths[i], widths[i + 1], config.num_classes, config.upsample)
                                    for i in range(levels))
        self.out_norm = nn.BatchNorm2d(widths[-1])
        self.out_conv = nn.Conv2d(widths[-1], 3, 3, padding=1)

    def forward(self, z: torch.Tensor, class_id: torch.Tensor) -> torch.Tensor:
        h = self.linear(z).view(z.shape[0], self.width, 4, 4)
        for block in self.blocks:
            h = block(h, class_id)
        return torch.tanh(self.out_conv(F.relu(self.out_norm(h))))


class DiscriminatorBlock(nn.Module):
    """Spectral-norm residual downsampling block: (B, Cin, H, W) -> (B, Cout, H/2, W/2)."""

    def __init__(self, in_channels: int, out_channels: int, first: bool):
        super().__init__()
        # No ReLU before the first conv: the input is the image itself, or in a grown discriminator
        # the new front block's output, whose first three channels start as the image downsampled.
        self.first = first
        self.conv1 = spectral_norm(nn.Conv2d(in_channels, out_channels, 3, padding=1))
        self.conv2 = spectral_norm(nn.Conv2d(out_channels, out_channels, 3, padding=1))
        self.skip = spectral_norm(nn.Conv2d(in_channels, out_channels, 1))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        h = x if self.first else F.relu(x)
        h = F.avg_pool2d(self.conv2(F.relu(self.conv1(h))), 2)
        return h + self.skip(F.avg_pool2d(x, 2))


class ProjectionDiscriminator(nn.Module):
    """(image (B, 3, R, R) in [-1, 1], class_id (B,)) -> logits (B,)."""

    def __init__(self, config: GANConfig):
        super().__init__()
        levels = _levels(config.resolution)
        widths = discriminator_widths(config)
        self.blocks = nn.Sequential(*(DiscriminatorBlock(widths[i], widths[i + 1], i <= config.d_grown)
                                      for i in range(levels)))
        self.linear = spectral_norm(nn.Linear(widths[-1], 1))
        self.embed = spectral_norm(nn.Embedding(config.num_classes, widths[-1]))
        # The auxiliary head gives G a direct "look like class c" signal on top of the
        # projection term, which on few thousand photos is slow to separate classes.
        self.classifier = nn.Linear(widths[-1], config.num_classes) if config.aux_classifier else None

    def forward_with_classes(self, image: torch.Tensor, class_id: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor | None]:
        """-> (real/fake logits (B,), class logits (B, num_classes) or None without the auxiliary head)."""
        h = F.relu(self.blocks(image)).sum(dim=(2, 3))  # (B, C)
        logits = self.linear(h).squeeze(1) + (self.embed(class_id) * h).sum(1)
        return logits, (self.classifier(h) if self.classifier is not None else None)

    def forward(self, image: torch.Tensor, class_id: torch.Tensor, with_classes: bool = False):
        """-> logits (B,), or (logits, class logits or None) with ``with_classes``."""
        logits, class_logits = self.forward_with_classes(image, class_id)
        return (logits, class_logits) if with_classes else logits


class DCGANGenerator(nn.Module):
    """The design documents' DCGAN: noise -> dense 7x7x256 -> transposed convs -> (B, 3, R, R) in [-1, 1]."""

    def __init__(self, config: GANConfig):
        super().__init__()
        levels = _levels(config.resolution) - 1  # 8x8 -> R
        self.embed = nn.Embedding(config.num_classes, 32)
        self.dense = nn.Sequential(nn.Linear(config.z_dim + 32, 7 * 7 * 256, bias=False),
                                   nn.BatchNorm1d(7 * 7 * 256), nn.LeakyReLU(0.2))
        layers = [nn.ConvTranspose2d(256, 128, 2, 1, 0, bias=False), nn.BatchNorm2d(128), nn.LeakyReLU(0.2)]  # 7 -> 8
        channels = 128
        for index in range(levels):
            last = index == levels - 1
            out = 3 if last else max(channels // 2, 32)
            layers.append(nn.ConvTranspose2d(channels, out, 4, 2, 1, bias=last))
            if not last:
                layers += [nn.BatchNorm2d(out), nn.LeakyReLU(0.2)]
            channels = out
        self.convs = nn.Sequential(*layers)

    def forward(self, z: torch.Tensor, class_id: torch.Tensor) -> torch.Tensor:
        h = self.dense(torch.cat([z, class_lookup(self.embed, class_id)], dim=1)).view(z.shape[0], 256, 7, 7)
        return torch.tanh(self.convs(h))


class DCGANDiscriminator(nn.Module):
    """Strided 5x5 convs with LeakyReLU and dropout; the class enters as a 4th input channel."""

    def __init__(self, config: GANConfig):
        super().__init__()
        self.resolution = config.resolution
        self.class_map = nn.Embedding(config.num_classes, config.resolution * config.resolution)
        layers, channels, size = [], 4, config.resolution
        for out in (64, 128, 256):
            layers += [nn.Conv2d(channels, out, 5, 2, 2), nn.LeakyReLU(0.2), nn.Dropout(0.3)]
            channels, size = out, size // 2
        self.convs = nn.Sequential(*layers)
        self.linear = nn.Linear(channels * size * size, 1)

    def forward(self, image: torch.Tensor, class_id: torch.Tensor, with_classes: bool = False):
        """-> logits (B,), or (logits, None) with ``with_classes`` (no auxiliary head)."""
        label = self.class_map(class_id).view(-1, 1, self.resolution, self.resolution)
        logits = self.linear(self.convs(torch.cat([image, label], 1)).flatten(1)).squeeze(1)
        return (logits, None) if with_classes else logits


def build_generator(config: GANConfig) -> nn.Module:
    return {"projection": ProjectionGenerator, "dcgan": DCGANGenerator}[config.arch](config)


def build_discriminator(config: GANConfig) -> nn.Module:
    return {"projection": ProjectionDiscriminator, "dcgan": DCGANDiscriminator}[config.arch](config)


@torch.no_grad()
def recompute_batchnorm_stats(generator: nn.Module, config: GANConfig, batches: int = 32, batch_size: int = 64,
                              seed: int = 0) -> None:
    """'Standing statistics': re-estimate BatchNorm running stats of (an EMA copy of) G.

    The EMA generator's weights never ran forward during training, so its running means are
    stale; averaging over fresh class-balanced batches makes eval-mode (and ONNX) output match
    the training-mode quality.
    """
    generator_cpu = torch.Generator().manual_seed(seed)
    norms = [m for m in generator.modules() if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    for norm in norms:
        norm.reset_running_stats()
        norm.momentum = None  # cumulative moving average over the batches below
    generator.train()
    device = next(generator.parameters()).device
    for _ in range(batches):
        z = torch.randn(batch_size, config.z_dim, generator=generator_cpu).to(device)
        class_id = torch.randint(0, config.num_classes, (batch_size,), generator=generator_cpu).to(device)
        generator(z, class_id)
    for norm in norms:
        norm.momentum = 0.1
    generator.eval()
