"""What the trend GAN learns from: a garment cut from its photo, on white, centred, filling the square.

:func:`prepare_photo` is the one definition of that view. Training data, evaluation (both the
real and the generated side), examples and every metric go through it, and the exported ONNX
names it in ``metadata_props["preprocess"]`` (:data:`PREPROCESS_NAME`) so anyone scoring the
model gives real photos the same view. numpy/OpenCV only: no torch.
"""

from __future__ import annotations

import numpy as np

from fashiongen.garment_mask import FIRST_PASS_RULES, MaskRules, segment_garment
from fashiongen.images import resize

PREPROCESS_NAME = "fashiongen.prepare:prepare_photo"
MARGIN = 0.06          # empty border on each side, as a share of the square's side
PREPARE_VERSION = 1    # bump when the preparation changes, so cached datasets rebuild
PREPARE_RULES = FIRST_PASS_RULES  # the mask the shipped trend model was trained and evaluated with


def prepare_photo(image: np.ndarray, resolution: int, margin: float | None = None,
                  rules: MaskRules = PREPARE_RULES) -> np.ndarray:
    """One garment photo -> the square the GAN sees.

    Args:
        image: (H, W, 3) uint8 RGB photo of one garment (or a pair, e.g. shoes).
        resolution: output side R in pixels.
        margin: white border kept on each side, as a share of R (0 <= margin < 0.5); None: ``MARGIN``.
    Returns:
        (R, R, 3) uint8 RGB: the garment composited on white (soft edges), its bounding box
        scaled (aspect kept) so the long side spans ``R * (1 - 2 * margin)`` and centred.
    Raises:
        GarmentNotFound (an ImageError): no plausible garment mask in the photo.
    """
    margin = MARGIN if margin is None else margin
    if not 0 <= margin < 0.5:
        raise ValueError(f"margin must be in [0, 0.5), got {margin}")
    mask = segment_garment(image, rules)
    ys, xs = np.nonzero(mask > 0.5)
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    alpha = mask[top:bottom, left:right, None]
    cutout = image[top:bottom, left:right].astype(np.float32) * alpha + 255.0 * (1.0 - alpha)
    cutout = np.clip(cutout + 0.5, 0, 255).astype(np.uint8)
    span = max(1, round(resolution * (1 - 2 * margin)))
    height, width = cutout.shape[:2]
    scale = span / max(height, width)
    new_width, new_height = max(1, round(width * scale)), max(1, round(height * scale))
    canvas = np.full((resolution, resolution, 3), 255, np.uint8)
    y0, x0 = (resolution - new_height) // 2, (resolution - new_width) // 2
    canvas[y0:y0 + new_height, x0:x0 + new_width] = resize(cutout, (new_width, new_height))
    return canvas
