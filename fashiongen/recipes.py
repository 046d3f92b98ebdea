"""Every PNG fashiongen writes carries its recipe: a ``fashiongen:recipe`` PNG text chunk of JSON.

A recipe names the model file and its SHA-256 and everything needed to make the image again:
trends: class, seed, variety, resolution; restyles: mode, every control, the library pattern's
parameters or the SHA-256 of the uploaded pattern and garment. :func:`read_recipe` reads it back;
:class:`fashiongen.pipeline.Pipeline` regenerates from it.
"""

from __future__ import annotations

import hashlib
import io
import json
from pathlib import Path

import numpy as np
from PIL import Image, PngImagePlugin

from fashiongen.errors import InputError

RECIPE_KEY = "fashiongen:recipe"
RECIPE_VERSION = 1
KINDS = ("trend", "trend-grid", "restyle")  # one design, a downloaded grid, a restyled garment


def sha256_file(path: str | Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def sha256_pixels(image: np.ndarray) -> str:
    """SHA-256 of an (H, W, 3) uint8 image's shape and pixels (not of its file encoding)."""
    digest = hashlib.sha256(str(image.shape).encode())
    digest.update(np.ascontiguousarray(image, dtype=np.uint8).tobytes())
    return digest.hexdigest()


def png_with_recipe(image: np.ndarray, recipe: dict) -> bytes:
    """(H, W, 3) uint8 -> PNG bytes with the recipe as a text chunk."""
    info = PngImagePlugin.PngInfo()
    info.add_text(RECIPE_KEY, json.dumps({"version": RECIPE_VERSION, **recipe}, sort_keys=True))
    buffer = io.BytesIO()
    Image.fromarray(image).save(buffer, format="PNG", pnginfo=info)
    return buffer.getvalue()


def save_with_recipe(image: np.ndarray, recipe: dict, path: str | Path) -> Path:
    path = Path(path)
    path.write_bytes(png_with_recipe(image, recipe))
    return path


def read_recipe(source: str | Path | bytes) -> dict:
    """The recipe of a fashiongen PNG.

    Raises:
        InputError: not a PNG, or a PNG without a fashiongen recipe (the message says so).
    """
    try:
        image = Image.open(io.BytesIO(source) if isinstance(source, bytes) else Path(source))
        image.load()
    except (OSError, ValueError, SyntaxError) as error:
        raise InputError("This file is not an image fashiongen wrote (it could not be read as a PNG).") from error
    text = getattr(image, "text", {}).get(RECIPE_KEY) if image.format == "PNG" else None
    if not text:
        raise InputError("This image has no fashiongen recipe. Only PNGs downloaded from fashiongen (the app or "
                         "the command line) carry one; screenshots and re-saved copies lose it.")
    try:
        recipe = json.loads(text)
    except json.JSONDecodeError as error:
        raise InputError("This image's fashiongen recipe is damaged and cannot be read.") from error
    if not isinstance(recipe, dict) or recipe.get("kind") not in KINDS:
        raise InputError("This image's fashiongen recipe is not one this version understands.")
    return recipe
