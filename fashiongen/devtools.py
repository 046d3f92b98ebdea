"""Development helpers shared by the tests and the benchmarks: drawn garments, and the app on loopback.

Nothing here is used by the app itself. Every image is drawn; nothing from the dataset is copied.
"""

from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

import numpy as np
from PIL import Image, ImageDraw

ROOT = Path(__file__).resolve().parent.parent  # the source checkout (app.py, checkpoints/)


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


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_app(env_extra: dict | None = None, lifetime_s: int = 900, root: Path = ROOT) -> tuple[subprocess.Popen, str]:
    """Start ``root``'s ``app.py`` (the checkout's by default) on 127.0.0.1 under ``timeout`` (it stops
    by itself) and wait until it answers.

    The app's output goes to a temporary log file, not a pipe: a pipe nobody reads fills up and
    would block the server mid-request. :func:`stop_app` returns the log.
    """
    port = free_port()
    env = {**os.environ, "GRADIO_SERVER_NAME": "127.0.0.1", "GRADIO_SERVER_PORT": str(port),
           "GRADIO_ANALYTICS_ENABLED": "False", **(env_extra or {})}
    log = tempfile.NamedTemporaryFile("w+", prefix="fashiongen-app-", suffix=".log", delete=False)
    process = subprocess.Popen(["timeout", str(lifetime_s), sys.executable, "app.py"], cwd=root, env=env,
                               stdout=log, stderr=subprocess.STDOUT, text=True)
    process.log_path = log.name  # type: ignore[attr-defined]
    log.close()
    url = f"http://127.0.0.1:{port}/"
    deadline = time.time() + 90
    while time.time() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"app exited early:\n{_read_log(process)}")
        try:
            urllib.request.urlopen(url, timeout=2)
            return process, url
        except OSError:
            time.sleep(0.3)
    process.kill()
    raise RuntimeError(f"app did not start within 90 s:\n{_read_log(process)}")


def _read_log(process: subprocess.Popen) -> str:
    path = Path(getattr(process, "log_path", ""))
    return path.read_text(errors="replace") if path.is_file() else ""


def stop_app(process: subprocess.Popen) -> str:
    """Stop the app and return everything it printed."""
    process.terminate()
    try:
        process.wait(timeout=15)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
    output = _read_log(process)
    Path(getattr(process, "log_path", "")).unlink(missing_ok=True)
    return output
