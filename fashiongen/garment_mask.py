"""Automatic garment mask with no downloaded weights: OpenCV GrabCut seeded from the border.

Garment photos are framed around the garment, so a thin border band is taken as certain
background and everything else as probable foreground; GrabCut's colour models then separate
the garment from bed, floor or wall. Works on a downscaled copy for speed.
"""

from __future__ import annotations

import cv2
import numpy as np

from fashiongen.images import resize

WORK_SIDE = 256  # GrabCut runs at this long side (about 60 ms on one core)


def garment_mask(image: np.ndarray, border: float = 0.04, iterations: int = 4) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float32 mask in [0, 1], 1 on the garment.

    Falls back to an all-ones mask (restyle everything) when GrabCut finds no foreground.
    """
    height, width = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    small = resize(image, (max(8, round(width * scale)), max(8, round(height * scale))))
    h, w = small.shape[:2]
    band_y, band_x = max(1, int(h * border)), max(1, int(w * border))
    seeds = np.full((h, w), cv2.GC_PR_FGD, np.uint8)
    seeds[:band_y], seeds[-band_y:], seeds[:, :band_x], seeds[:, -band_x:] = (cv2.GC_BGD,) * 4
    background_model, foreground_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    try:
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), seeds, None, background_model, foreground_model,
                    iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error:
        return np.ones((height, width), np.float32)
    mask = np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)
    # Keep the largest connected component (the garment) and fill its holes.
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.ones((height, width), np.float32)
    largest = 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))
    mask = (labels == largest).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    mask = cv2.drawContours(np.zeros_like(mask), contours, -1, 1, thickness=cv2.FILLED)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigmaX=1.0)
    return np.clip(cv2.resize(soft, (width, height), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)


def mask_to_image(mask: np.ndarray) -> np.ndarray:
    """(H, W) float mask in [0, 1] -> (H, W, 3) uint8 white-on-black picture."""
    gray = (np.clip(mask, 0, 1) * 255 + 0.5).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)


def image_to_mask(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A painted mask picture (white = garment) -> (H, W) float32 in [0, 1] at ``size`` = (width, height)."""
    gray = image[..., :3].astype(np.float32).mean(axis=2) / 255.0
    return cv2.resize(gray, size, interpolation=cv2.INTER_LINEAR).clip(0, 1)
