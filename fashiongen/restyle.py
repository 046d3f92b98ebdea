"""Garment restyling on the exported style network (no torch).

The network (``style_transfer.onnx``) takes content float32 (1, 3, H, W), style float32
(1, 3, h, w), both RGB in [0, 1], and alpha float32 (1,) in [0, 1]; it returns image float32
(1, 3, H, W) in [0, 1]. Strength is applied inside the network, in feature space. Everything a
designer controls on top of that lives here, in numpy: output size, pattern scale, colour
preservation and the garment mask.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from PIL import Image

from fashiongen.errors import InputError
from fashiongen.images import from_float, long_side_size, resize, to_float
from fashiongen.limits import DEFAULT_OUTPUT_SIDE, MAX_OUTPUT_SIDE, MAX_PATTERN_SCALE, MIN_OUTPUT_SIDE, MIN_PATTERN_SCALE
from fashiongen.runtime import OnnxModel

# The pattern's long side as the network sees it, chosen on train-split garments (see export/style.py);
# the exported model's metadata records the value it was exported with and takes precedence.
STYLE_SIDE = 384


class Stylizer:
    """Re-renders a garment photo in a pattern with ``style_transfer.onnx``."""

    def __init__(self, path: str | Path, style_side: int | None = None):
        self.model = OnnxModel(path)
        self.provenance = self.model.metadata.get("provenance", "")
        # The long side the pattern is resized to before the network (model metadata, unless overridden).
        self.style_side = style_side or int(self.model.metadata.get("style_size", STYLE_SIDE))

    def run_network(self, content: np.ndarray, style: np.ndarray, strength: float) -> np.ndarray:
        """(H, W, 3) uint8 content and (h, w, 3) uint8 style -> (H, W, 3) uint8, no post-processing."""
        output = self.model.run(content=to_float(content)[None], style=to_float(style)[None],
                                alpha=np.array([strength], dtype=np.float32))["image"]
        return from_float(output[0])

    def stylize(self, garment: np.ndarray, pattern: np.ndarray, strength: float = 1.0, *,
                preserve_colors: bool = False, mask: np.ndarray | None = None, pattern_scale: float = 1.0,
                output_size: int = DEFAULT_OUTPUT_SIDE) -> np.ndarray:
        """Restyle ``garment`` (H, W, 3) uint8 with ``pattern`` (h, w, 3) uint8.

        Args:
            strength: 0 (the garment as the network reconstructs it) to 1 (full pattern).
            preserve_colors: keep the garment's chroma, take only the pattern's texture (luminance).
            mask: optional (H', W') float in [0, 1], 1 where the pattern goes; resized to the output.
                Where it is 0 the output pixels are the garment's own, unchanged.
            pattern_scale: 0.5-4; how large the motif appears on the garment (1 = as the network draws it
                at the output size; 2 = twice as large).
            output_size: long side of the result in pixels, 128-1024; aspect ratio kept.
        Returns:
            (H_out, W_out, 3) uint8 with max(H_out, W_out) == output_size.
        """
        strength, pattern_scale, output_size = _check(strength, pattern_scale, output_size)
        height, width = garment.shape[:2]
        out_size = long_side_size(height, width, output_size)
        target = resize(garment, out_size)
        # Larger motifs: run the network on a smaller copy of the garment, then enlarge the result.
        work_side = int(np.clip(round(output_size / pattern_scale), MIN_OUTPUT_SIDE // 2, MAX_OUTPUT_SIDE))
        work = resize(garment, tuple(max(16, side) for side in long_side_size(height, width, work_side)))
        # The network reads the pattern's statistics at a fixed size.
        style = resize(pattern, long_side_size(*pattern.shape[:2], self.style_side))
        stylized = resize(self.run_network(work, style, strength), out_size)
        if preserve_colors:
            stylized = keep_colors(stylized, target)
        if mask is not None:
            stylized = apply_mask(stylized, target, mask)
        return stylized


def check_strength(strength) -> float:
    if not 0.0 <= float(strength) <= 1.0:
        raise InputError(f"Strength must be between 0 and 1, got {strength}")
    return float(strength)


def check_output_size(output_size) -> int:
    if int(output_size) != output_size or not MIN_OUTPUT_SIDE <= output_size <= MAX_OUTPUT_SIDE:
        raise InputError(f"Output size must be a whole number of pixels from {MIN_OUTPUT_SIDE} to {MAX_OUTPUT_SIDE}, "
                         f"got {output_size}")
    return int(output_size)


def _check(strength, pattern_scale, output_size) -> tuple[float, float, int]:
    if not MIN_PATTERN_SCALE <= float(pattern_scale) <= MAX_PATTERN_SCALE:
        raise InputError(f"Pattern scale must be between {MIN_PATTERN_SCALE} and {MAX_PATTERN_SCALE}, got {pattern_scale}")
    return check_strength(strength), float(pattern_scale), check_output_size(output_size)


def keep_colors(stylized: np.ndarray, original: np.ndarray) -> np.ndarray:
    """Luminance of ``stylized`` with the chroma (Cb, Cr) of ``original``; both (H, W, 3) uint8."""
    luma = np.asarray(Image.fromarray(stylized).convert("YCbCr"))[..., 0]
    ycbcr = np.asarray(Image.fromarray(original).convert("YCbCr")).copy()
    ycbcr[..., 0] = luma
    return np.asarray(Image.fromarray(ycbcr, "YCbCr").convert("RGB"))


def apply_mask(stylized: np.ndarray, original: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Blend: ``stylized`` where mask is 1, ``original`` untouched where it is 0."""
    height, width = original.shape[:2]
    if mask.shape != (height, width):
        mask = np.asarray(Image.fromarray(mask.astype(np.float32), "F").resize((width, height), Image.Resampling.BILINEAR))
    alpha = np.clip(mask, 0.0, 1.0)[..., None]
    blended = stylized.astype(np.float32) * alpha + original.astype(np.float32) * (1.0 - alpha)
    return np.where(alpha == 0.0, original, (blended + 0.5).astype(np.uint8)).astype(np.uint8)
