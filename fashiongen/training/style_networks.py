"""Feed-forward arbitrary style transfer networks.

``AdaINNet`` (main, shipped): frozen VGG16 encoder up to relu3_3, AdaIN, trained decoder (Huang &
Belongie 2017); strength blends AdaIN's target features with the content's own.

``StyleTransferNet`` (the "cin" preset): a light image transformer whose conditional instance norms take
their scale and shift from a style code; the code is predicted from the mean and standard
deviation of frozen VGG16 features of the style image (Ghiasi et al. 2017, with VGG16 as the
style encoder). Strength works in feature space: at every conditional norm the features'
own statistics are blended with the style's, so strength 0 is the content's reconstruction.

Both take content (B, 3, H, W) and style (B, 3, h, w) RGB in [0, 1] and a strength (B,)
in [0, 1], and return (B, 3, H, W) in [0, 1]. H and W need not be multiples of anything:
inputs are reflect-padded to a multiple of 8 inside and cropped back.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
import torch.nn.functional as F
from torch import nn

from fashiongen.restyle import STYLE_SIDE
from fashiongen.training.vgg import VGG16Features


@dataclass(frozen=True)
class StyleNetConfig:
    arch: str = "adain"          # "adain" (main, shipped) or "cin" (conditional-norm variant, a preset)
    width: int = 16              # transformer channels at full resolution (x2 per downsampling)
    residual_blocks: int = 4     # residual blocks at 1/8 resolution (cin only)
    style_taps: tuple[str, ...] = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")  # VGG taps the code is read from
    code_dim: int = 128          # style code size
    style_size: int = STYLE_SIDE  # long side the serving side resizes the style image to


def _pad_to_multiple(x: torch.Tensor, multiple: int) -> tuple[torch.Tensor, int, int]:
    """Reflect-pad H and W up to a multiple; branch-free so the exported graph stays dynamic.
    Needs H, W >= multiple (the serving side guarantees at least 16 px)."""
    height, width = x.shape[-2:]
    pad_h, pad_w = (multiple - height % multiple) % multiple, (multiple - width % multiple) % multiple
    return F.pad(x, (0, pad_w, 0, pad_h), mode="reflect"), height, width


def mean_std(features: torch.Tensor, eps: float = 1e-5) -> tuple[torch.Tensor, torch.Tensor]:
    """(B, C, H, W) -> per-channel mean and std, each (B, C)."""
    flat = features.flatten(2)
    return flat.mean(2), (flat.var(2, unbiased=False) + eps).sqrt()


class StyleConditionedNorm(nn.Module):
    """Instance norm whose scale/shift come from the style code, blended with the input's own
    statistics by ``strength``: strength 0 returns the input unchanged."""

    def __init__(self, channels: int, code_dim: int):
        super().__init__()
        self.scale = nn.Linear(code_dim, channels)
        self.shift = nn.Linear(code_dim, channels)
        # Start near the identity (scale 1, shift 0) but not at it, so the style code gets
        # gradients from the first step.
        nn.init.normal_(self.scale.weight, 0.0, 0.02)
        nn.init.ones_(self.scale.bias)
        nn.init.normal_(self.shift.weight, 0.0, 0.02)
        nn.init.zeros_(self.shift.bias)

    def forward(self, x: torch.Tensor, code: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        mean, std = mean_std(x)
        normalized = (x - mean[..., None, None]) / std[..., None, None]
        s = strength.view(-1, 1)
        scale = s * self.scale(code) + (1 - s) * std
        shift = s * self.shift(code) + (1 - s) * mean
        return normalized * scale[..., None, None] + shift[..., None, None]


class ConvNormAct(nn.Module):
    def __init__(self, in_channels: int, out_channels: int, kernel: int, code_dim: int, stride: int = 1,
                 upsample: bool = False, act: bool = True):
        super().__init__()
        self.upsample = upsample
        self.conv = nn.Conv2d(in_channels, out_channels, kernel, stride, padding=kernel // 2, padding_mode="reflect")
        self.norm = StyleConditionedNorm(out_channels, code_dim)
        self.act = act

    def forward(self, x, code, strength):
        if self.upsample:
            x = F.interpolate(x, scale_factor=2.0, mode="nearest")
        x = self.norm(self.conv(x), code, strength)
        return F.relu(x) if self.act else x


class ResidualBlock(nn.Module):
    def __init__(self, channels: int, code_dim: int):
        super().__init__()
        self.first = ConvNormAct(channels, channels, 3, code_dim)
        self.second = ConvNormAct(channels, channels, 3, code_dim, act=False)

    def forward(self, x, code, strength):
        return x + self.second(self.first(x, code, strength), code, strength)


class StyleTransferNet(nn.Module):
    """Conditional-norm variant (the "cin" preset). ``vgg`` is the frozen shared VGG16 (kept as a submodule so export is one file)."""

    def __init__(self, config: StyleNetConfig, vgg: VGG16Features):
        super().__init__()
        self.config = config
        self.vgg = vgg
        channels = {"relu1_2": 64, "relu2_2": 128, "relu3_3": 256, "relu4_3": 512, "relu5_3": 512}
        stats_dim = 2 * sum(channels[tap] for tap in config.style_taps)
        # LayerNorm first: raw VGG statistics share a large common profile across styles, and
        # only what sets one style apart from another should drive the code.
        self.predictor = nn.Sequential(nn.LayerNorm(stats_dim), nn.Linear(stats_dim, 512), nn.ReLU(),
                                       nn.Linear(512, config.code_dim))
        w, d = config.width, config.code_dim
        # Full resolution -> 1/8 with channels w, 2w, 4w, 8w; the heavy lifting happens at 1/8,
        # which keeps a 512 px image under a second on two CPU cores.
        self.down = nn.ModuleList([ConvNormAct(3, w, 9, d), ConvNormAct(w, 2 * w, 3, d, stride=2),
                                   ConvNormAct(2 * w, 4 * w, 3, d, stride=2), ConvNormAct(4 * w, 8 * w, 3, d, stride=2)])
        self.residual = nn.ModuleList(ResidualBlock(8 * w, d) for _ in range(config.residual_blocks))
        self.up = nn.ModuleList([ConvNormAct(8 * w, 4 * w, 3, d, upsample=True), ConvNormAct(4 * w, 2 * w, 3, d, upsample=True),
                                 ConvNormAct(2 * w, w, 3, d, upsample=True)])
        self.out = nn.Conv2d(w, 3, 9, padding=4, padding_mode="reflect")

    def style_code(self, style: torch.Tensor) -> torch.Tensor:
        """(B, 3, h, w) in [0, 1] at any size -> (B, code_dim). Callers resize the style to
        ``config.style_size`` on its long side first (the serving wrapper does, with Lanczos)."""
        return self.code_from_features(self.vgg(style))

    def code_from_features(self, features: dict[str, torch.Tensor]) -> torch.Tensor:
        """VGG16 taps of the style image -> (B, code_dim). Training reuses the loss's VGG pass."""
        stats = [torch.cat(mean_std(features[tap]), 1) for tap in self.config.style_taps]
        return self.predictor(torch.log1p(torch.cat(stats, 1)))

    def forward(self, content: torch.Tensor, style: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        code = self.style_code(style)
        return self.transform(content, code, strength)

    def training_forward(self, content: torch.Tensor, style_features: dict[str, torch.Tensor],
                         content_features: dict[str, torch.Tensor], strength: torch.Tensor):
        """One training step's forward from precomputed VGG taps of the style and content crops.

        Returns (output (B, 3, H, W) in [0, 1], the VGG taps the content loss compares it with).
        """
        return self.transform(content, self.code_from_features(style_features), strength), content_features

    def transform(self, content: torch.Tensor, code: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        x, height, width = _pad_to_multiple(content, 8)
        x = x * 2 - 1
        for layer in self.down:
            x = layer(x, code, strength)
        for block in self.residual:
            x = block(x, code, strength)
        for layer in self.up:
            x = layer(x, code, strength)
        return torch.sigmoid(self.out(x))[..., :height, :width]


def adain(content: torch.Tensor, style: torch.Tensor) -> torch.Tensor:
    """Give content features (B, C, H, W) the channel mean/std of style features (B, C, h, w)."""
    c_mean, c_std = mean_std(content)
    s_mean, s_std = mean_std(style)
    return (content - c_mean[..., None, None]) / c_std[..., None, None] * s_std[..., None, None] + s_mean[..., None, None]


class AdaINNet(nn.Module):
    """Frozen VGG16 encoder to relu3_3, AdaIN, trained mirrored decoder (Huang & Belongie 2017).

    relu3_3 rather than the paper's relu4_1 keeps a 512 px garment within the CPU latency budget
    and keeps more of the garment's structure; the losses still look up to relu4_3.
    """

    def __init__(self, config: StyleNetConfig, vgg: VGG16Features):
        super().__init__()
        self.config = config
        self.vgg = vgg
        def conv(i, o):
            return [nn.Conv2d(i, o, 3, padding=1, padding_mode="reflect"), nn.ReLU()]
        # Caffe-preprocessed VGG (0-255 input) gives features about 58x larger than torchvision's
        # normalised input does; rescale so the decoder starts in a sane range (no saturated sigmoid).
        self.input_scale = 1.0 / 58.0 if vgg.preprocessing == "caffe" else 1.0
        self.decoder = nn.Sequential(*conv(256, 256), *conv(256, 128), nn.Upsample(scale_factor=2.0, mode="nearest"),
                                     *conv(128, 128), *conv(128, 64), nn.Upsample(scale_factor=2.0, mode="nearest"),
                                     *conv(64, 64), nn.Conv2d(64, 3, 3, padding=1, padding_mode="reflect"))

    def target(self, content_features: torch.Tensor, style_features: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        """Feature-space strength: blend AdaIN(content, style) with the content's own relu3_3 features."""
        s = strength.view(-1, 1, 1, 1)
        return s * adain(content_features, style_features) + (1 - s) * content_features

    def decode(self, features: torch.Tensor) -> torch.Tensor:
        """(B, 256, H/4, W/4) relu3_3-like features -> (B, 3, H, W) in [0, 1]."""
        return torch.sigmoid(self.decoder(features * self.input_scale))

    def training_forward(self, content: torch.Tensor, style_features: dict[str, torch.Tensor],
                         content_features: dict[str, torch.Tensor], strength: torch.Tensor):
        """As :meth:`StyleTransferNet.training_forward`. The decoder should reproduce the blended
        target features, not the content's own, so the content loss compares with the target."""
        del content  # the decoder works from the (precomputed) features alone
        target = self.target(content_features["relu3_3"], style_features["relu3_3"], strength)
        return self.decode(target), {"relu3_3": target}

    def forward(self, content: torch.Tensor, style: torch.Tensor, strength: torch.Tensor) -> torch.Tensor:
        x, height, width = _pad_to_multiple(content, 4)
        target = self.target(self.vgg(x)["relu3_3"], self.vgg(style)["relu3_3"], strength)
        return self.decode(target)[..., :height, :width]


class PatchCritic(nn.Module):
    """Small spectral-norm PatchGAN critic: (B, 3, H, W) in [0, 1] -> (B, 1, H/8, W/8) logits."""

    def __init__(self, width: int = 32):
        super().__init__()
        sn = nn.utils.spectral_norm
        self.net = nn.Sequential(sn(nn.Conv2d(3, width, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 sn(nn.Conv2d(width, 2 * width, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 sn(nn.Conv2d(2 * width, 4 * width, 4, 2, 1)), nn.LeakyReLU(0.2),
                                 sn(nn.Conv2d(4 * width, 1, 3, 1, 1)))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x * 2 - 1)


def build_style_net(config: StyleNetConfig, vgg: VGG16Features) -> nn.Module:
    return {"cin": StyleTransferNet, "adain": AdaINNet}[config.arch](config, vgg)
