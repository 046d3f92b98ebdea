"""The one place that turns image files into arrays and arrays back into images.

Convention used everywhere in fashiongen:
- an *image array* is ``np.uint8`` of shape (H, W, 3), RGB, values 0..255;
- a *float image* is ``np.float32`` of shape (3, H, W), RGB, values 0..1 (what the ONNX models take).

The loader is defensive because it is fed by the public: anything it cannot turn into a
sane RGB array raises :class:`ImageError` (a ``ValueError``) with a message that says what is
wrong and what to do, never a PIL exception.
"""

from __future__ import annotations

import io
import os
import re
import warnings
from pathlib import Path
from typing import Union

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fashiongen.errors import InputError
from fashiongen.limits import MAX_PIXELS, MIN_SIDE

ImageSource = Union[str, os.PathLike, bytes, Image.Image, np.ndarray]
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp", ".gif", ".tif", ".tiff")  # what folders are scanned for


class ImageError(InputError):
    """An input image that cannot be used; the message is meant for the end user."""


def load_image(source: ImageSource, *, max_pixels: int = MAX_PIXELS, min_side: int = MIN_SIDE,
               max_side: int | None = None) -> np.ndarray:
    """Read any reasonable image into an RGB uint8 array of shape (H, W, 3).

    Honours EXIF orientation, takes the first frame of animations, composites transparency
    on white, converts CMYK/palette/grayscale, scales 16-bit images to 8 bits (not clipped).
    If ``max_side`` is given the image is downscaled (aspect kept) so its long side is at most
    that, using the JPEG decoder's draft mode where possible so huge photos stay cheap.

    Raises:
        ImageError: not an image, empty, truncated, too many pixels, or smaller than ``min_side``.
    """
    if isinstance(source, np.ndarray):
        return _check_size(_array_to_rgb(source), min_side)
    image = _open(source, max_pixels)
    try:
        if max_side is not None:
            # Draft mode lets libjpeg decode at 1/2, 1/4 or 1/8 scale: a 6000x4000 JPEG never
            # materialises at full size when the user asked for 1024 px.
            image.draft("RGB", (max_side, max_side))
        image.seek(0)  # first frame of an animation
        image = ImageOps.exif_transpose(image)
        rgb = _to_rgb(image)
    except ImageError:
        raise
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError, EOFError) as error:
        raise ImageError(f"The image could not be decoded ({_short(error)}); it may be truncated or "
                         "corrupt. Please re-save it as PNG or JPEG and upload again.") from error
    if max_side is not None and max(rgb.size) > max_side:
        rgb = resize_long_side_pil(rgb, max_side)
    return _check_size(np.asarray(rgb, dtype=np.uint8).copy(), min_side)


def _open(source: ImageSource, max_pixels: int) -> Image.Image:
    if isinstance(source, Image.Image):
        image = source
    else:
        if isinstance(source, bytes):
            if not source:
                raise ImageError("The uploaded file is empty (0 bytes). Please choose an image file.")
            stream = io.BytesIO(source)
        else:
            path = Path(source)
            if not path.is_file():
                raise ImageError(f"No image file at '{path.name}'. Please upload an image.")
            if path.stat().st_size == 0:
                raise ImageError(f"'{path.name}' is empty (0 bytes). Please choose an image file.")
            stream = path.open("rb")
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", Image.DecompressionBombWarning)
                image = Image.open(stream)
        except Image.DecompressionBombError as error:
            # PIL refuses far-too-large headers itself, before decoding; keep its pixel count.
            found = re.search(r"\((\d+) pixels\)", str(error))
            declared = f"{int(found.group(1)) / 1e6:.0f} megapixels" if found else "too many pixels"
            raise ImageError(f"The image declares {declared}; the limit is {max_pixels / 1e6:.0f} megapixels. "
                             "Please downscale it and upload again.") from error
        except (UnidentifiedImageError, OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
            raise ImageError("This file is not an image we can read (PNG, JPEG, WebP, GIF, BMP or TIFF). "
                             "Please upload a picture file.") from error
    width, height = image.size
    if width * height > max_pixels:
        raise ImageError(f"The image is {width}x{height} = {width * height / 1e6:.0f} megapixels; the limit is "
                         f"{max_pixels / 1e6:.0f} megapixels. Please downscale it and upload again.")
    if width <= 0 or height <= 0:
        raise ImageError("The image has no pixels. Please upload a real picture.")
    return image


def _to_rgb(image: Image.Image) -> Image.Image:
    if image.mode in ("I;16", "I;16B", "I;16L", "I;16N", "I"):
        # 16-bit (or 32-bit int) grayscale: rescale to 8 bits instead of clipping at 255.
        values = np.asarray(image, dtype=np.float64)
        top = 65535.0 if image.mode.startswith("I;16") or values.max() > 255 else 255.0
        gray = np.clip(values / top * 255.0 + 0.5, 0, 255).astype(np.uint8)
        return Image.fromarray(gray, "L").convert("RGB")
    if image.mode == "F":
        values = np.asarray(image, dtype=np.float64)
        top = 1.0 if values.max() <= 1.0 else 255.0
        return Image.fromarray(np.clip(values / top * 255 + 0.5, 0, 255).astype(np.uint8), "L").convert("RGB")
    if image.mode == "P":
        image = image.convert("RGBA")
    if image.mode in ("RGBA", "LA", "PA", "RGBa", "La") or "transparency" in image.info:
        rgba = image.convert("RGBA")
        background = Image.new("RGBA", rgba.size, (255, 255, 255, 255))
        return Image.alpha_composite(background, rgba).convert("RGB")
    return image.convert("RGB")


def _array_to_rgb(array: np.ndarray) -> np.ndarray:
    if array.ndim == 2:
        array = np.repeat(array[..., None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (1, 3, 4):
        raise ImageError(f"Expected an image array of shape (H, W, 3), got {array.shape}.")
    if array.shape[2] == 1:
        array = np.repeat(array, 3, axis=2)
    if array.dtype != np.uint8:
        scale = 255.0 if array.max(initial=0) <= 1.0 else 1.0
        array = np.clip(array.astype(np.float32) * scale + 0.5, 0, 255).astype(np.uint8)
    if array.shape[2] == 4:
        alpha = array[..., 3:4].astype(np.float32) / 255.0
        array = (array[..., :3] * alpha + 255.0 * (1 - alpha) + 0.5).astype(np.uint8)
    return np.ascontiguousarray(array)


def _check_size(array: np.ndarray, min_side: int) -> np.ndarray:
    height, width = array.shape[:2]
    if min(height, width) < min_side:
        raise ImageError(f"The image is only {width}x{height} pixels; both sides must be at least {min_side} px. "
                         "Please upload a larger picture.")
    return array


def _short(error: Exception) -> str:
    text = str(error) or type(error).__name__
    return text if len(text) < 120 else text[:117] + "..."


def long_side_size(height: int, width: int, long_side: int) -> tuple[int, int]:
    """(width, height) with the long side equal to ``long_side`` and the aspect ratio kept."""
    scale = long_side / max(width, height)
    return max(1, round(width * scale)), max(1, round(height * scale))


def resize_long_side_pil(image: Image.Image, long_side: int) -> Image.Image:
    """Resize so the long side equals ``long_side``, aspect kept (Lanczos)."""
    return image.resize(long_side_size(image.height, image.width, long_side), Image.Resampling.LANCZOS)


def resize(array: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """Resize an (H, W, 3) uint8 array to ``size`` = (width, height) with Lanczos (antialiased)."""
    if (array.shape[1], array.shape[0]) == tuple(size):
        return array
    return np.asarray(Image.fromarray(array).resize(tuple(size), Image.Resampling.LANCZOS))


def resize_long_side(array: np.ndarray, long_side: int) -> np.ndarray:
    """Resize an (H, W, 3) uint8 array so its long side is ``long_side``, aspect kept."""
    return np.asarray(resize_long_side_pil(Image.fromarray(array), long_side))


def center_square_crop(array: np.ndarray) -> np.ndarray:
    """The dataset's square-crop policy: the central square of side min(H, W).

    Garment photos are mostly 400x533 portrait with the garment centred; the central
    400x400 keeps the garment at full resolution and loses only background at top and
    bottom (long garments lose their ends). Used identically in training and evaluation.
    """
    height, width = array.shape[:2]
    side = min(height, width)
    top, left = (height - side) // 2, (width - side) // 2
    return array[top:top + side, left:left + side]


def to_float(array: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 0..255 -> (3, H, W) float32 0..1."""
    return np.ascontiguousarray(array.transpose(2, 0, 1), dtype=np.float32) / 255.0


def from_float(image: np.ndarray) -> np.ndarray:
    """(3, H, W) float 0..1 -> (H, W, 3) uint8 0..255, clipped and rounded."""
    return (np.clip(image.transpose(1, 2, 0), 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


def make_grid(images: list[np.ndarray], columns: int, padding: int = 2, background: int = 255) -> np.ndarray:
    """Tile equal-size (H, W, 3) uint8 images into one (H', W', 3) uint8 grid."""
    if not images:
        raise ValueError("make_grid needs at least one image")
    height, width = images[0].shape[:2]
    columns = max(1, min(columns, len(images)))
    rows = (len(images) + columns - 1) // columns
    grid = np.full((rows * (height + padding) + padding, columns * (width + padding) + padding, 3),
                   background, np.uint8)
    for index, image in enumerate(images):
        row, col = divmod(index, columns)
        top, left = padding + row * (height + padding), padding + col * (width + padding)
        grid[top:top + height, left:left + width] = image
    return grid
