"""Shared fixtures: tiny models exported to ONNX, generated images, a running app server.

Every fixture image is drawn here; nothing from ../shared/data is copied into the repo.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from fashiongen.devtools import draw_garment, start_app, stop_app
from tests.helpers import tiny_style_net


@pytest.fixture(scope="session")
def garment() -> np.ndarray:
    return draw_garment()


@pytest.fixture(scope="session")
def tiny_trend_model(tmp_path_factory) -> tuple[Path, list[str]]:
    """A random tiny class-conditional generator exported to ONNX (3 classes, 16 px)."""
    import torch

    from export.trend import export_trend
    from fashiongen.training.gan_networks import GANConfig, build_generator, recompute_batchnorm_stats

    torch.manual_seed(0)
    classes = ["Dress", "Hat", "T-Shirt"]
    gan = GANConfig(num_classes=3, z_dim=8, resolution=16, g_width=16, d_width=8)
    generator = build_generator(gan)
    recompute_batchnorm_stats(generator, gan, batches=2, batch_size=8)
    path = tmp_path_factory.mktemp("trend") / "trend_generator.onnx"
    export_trend(generator, gan, classes, path, "tiny test model")
    return path, classes


@pytest.fixture(scope="session")
def tiny_style_model(tmp_path_factory) -> Path:
    from export.style import export_style

    path = tmp_path_factory.mktemp("style") / "style_transfer.onnx"
    export_style(tiny_style_net(), path, {"style_size": "32", "arch": "adain", "provenance": "tiny test model"})
    return path


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_trend_model, tiny_style_model):
    from fashiongen.pipeline import Pipeline
    from fashiongen.restyle import Stylizer
    from fashiongen.trends import TrendSampler

    return Pipeline(TrendSampler(tiny_trend_model[0]), Stylizer(tiny_style_model))


@pytest.fixture(scope="session")
def app_server():
    """The real app on the shipped checkpoints, on 127.0.0.1."""
    process, url = start_app()
    yield url
    stop_app(process)


@pytest.fixture
def image_file(tmp_path):
    """Write an array as a PNG (or raw bytes under any name) and return its path."""

    def write(content, name: str = "image.png") -> str:
        path = tmp_path / name
        if isinstance(content, np.ndarray):
            Image.fromarray(content).save(path)
        else:
            path.write_bytes(content)
        return str(path)

    return write
