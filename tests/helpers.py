"""Helpers shared by several test modules (tests never import from each other)."""

from __future__ import annotations

import struct
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SHARED_DATA = ROOT.parent / "shared" / "data"


def bomb_png(width: int = 20000, height: int = 20000) -> bytes:
    """A tiny PNG whose header declares width x height pixels."""
    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    pixels = zlib.compress(b"\x00" * 64)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")


def tiny_style_net(arch: str = "adain"):
    """A style network over a randomly initialised VGG16 (no weights needed): the shipped AdaIN
    architecture, or a tiny conditional-norm variant."""
    import torch

    from fashiongen.training.style_networks import StyleNetConfig, build_style_net
    from fashiongen.training.vgg import VGG16Features

    torch.manual_seed(0)
    if arch == "adain":
        return build_style_net(StyleNetConfig(arch="adain", style_size=32), VGG16Features("relu3_3")).eval()
    config = StyleNetConfig(arch="cin", width=4, residual_blocks=1, code_dim=8, style_taps=("relu1_2", "relu2_2"),
                            style_size=32)
    return build_style_net(config, VGG16Features("relu2_2")).eval()


def class_folder_dataset(root: Path, per_class: int = 6) -> Path:
    """A class-per-folder dataset of drawn garments: Dress and Hat, ``per_class`` each."""
    from PIL import Image

    from fashiongen.devtools import draw_garment

    for label in ("Dress", "Hat"):
        (root / label).mkdir(parents=True)
        for index in range(per_class):
            Image.fromarray(draw_garment(48, 64, seed=index + (100 if label == "Hat" else 0))).save(
                root / label / f"{index}.png")
    return root
