"""Shared fixtures: tiny models exported to ONNX, generated images, a running app server.

Every fixture image is drawn here; nothing from ../shared/data is copied into the repo.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
SHARED_DATA = ROOT.parent / "shared" / "data"


def draw_garment(width: int = 200, height: int = 260, seed: int = 0) -> np.ndarray:
    """A T-shirt silhouette on a plain 'wall': (H, W, 3) uint8 with a known background."""
    rng = np.random.default_rng(seed)
    wall = tuple(int(v) for v in rng.integers(170, 230, 3))
    shirt = tuple(int(v) for v in rng.integers(20, 120, 3))
    image = Image.new("RGB", (width, height), wall)
    draw = ImageDraw.Draw(image)
    w, h = width, height
    draw.polygon([(0.3 * w, 0.15 * h), (0.42 * w, 0.12 * h), (0.5 * w, 0.18 * h), (0.58 * w, 0.12 * h),
                  (0.7 * w, 0.15 * h), (0.9 * w, 0.3 * h), (0.8 * w, 0.4 * h), (0.72 * w, 0.33 * h),
                  (0.72 * w, 0.85 * h), (0.28 * w, 0.85 * h), (0.28 * w, 0.33 * h), (0.2 * w, 0.4 * h),
                  (0.1 * w, 0.3 * h)], fill=shirt)
    draw.line([(0.35 * w, 0.5 * h), (0.65 * w, 0.5 * h)], fill=wall, width=2)
    return np.asarray(image)


def png_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(array).save(buffer, format="PNG")
    return buffer.getvalue()


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


@pytest.fixture(scope="session")
def tiny_style_model(tmp_path_factory) -> Path:
    from export.style import export_style

    path = tmp_path_factory.mktemp("style") / "style_transfer.onnx"
    export_style(tiny_style_net(), path, {"style_size": "32", "arch": "cin", "provenance": "tiny test model"})
    return path


@pytest.fixture(scope="session")
def tiny_pipeline(tiny_trend_model, tiny_style_model):
    from fashiongen.pipeline import Pipeline
    from fashiongen.restyle import Stylizer
    from fashiongen.trends import TrendSampler

    return Pipeline(TrendSampler(tiny_trend_model[0]), Stylizer(tiny_style_model))


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(env_extra: dict | None = None, lifetime_s: int = 900) -> tuple[subprocess.Popen, str]:
    """Start ``app.py`` on 127.0.0.1 under ``timeout`` (it stops by itself) and wait until it answers."""
    import urllib.request

    port = _free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", **(env_extra or {})}
    process = subprocess.Popen(["timeout", str(lifetime_s), sys.executable, "app.py"], cwd=ROOT, env=env,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited early:\n{process.stdout.read()}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError("app did not start within 90 s")


def stop_app(process: subprocess.Popen) -> str:
    process.terminate()
    try:
        output, _ = process.communicate(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        output, _ = process.communicate()
    return output or ""


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
