"""Garment segmentation with no downloaded weights: OpenCV GrabCut seeded from the border.

The one segmentation module of the project: the Style tab's "garment only" mask and the trend
GAN's data preparation (:mod:`fashiongen.prepare`) both call :func:`segment_garment`.

Garment photos are framed around the garment, so a thin border band is taken as certain
background and everything else as probable foreground; GrabCut's colour models then separate
the garment from bed, floor or wall. It runs on a downscaled copy for speed. Afterwards every
component of meaningful size is kept (a pair of shoes is two components), holes are filled, and
masks that cannot be a garment (almost nothing, almost everything, or hugging the frame) are
refused with :class:`GarmentNotFound`.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fashiongen.images import ImageError, resize

WORK_SIDE = 256  # GrabCut runs at this long side (about 60 ms on one core)


class GarmentNotFound(ImageError):
    """No plausible garment mask in a photo; the message says why."""


@dataclass(frozen=True)
class MaskRules:
    """What a plausible garment mask looks like, in fractions of the work image."""
    border: float = 0.04            # band along the frame seeded as certain background
    iterations: int = 4             # GrabCut iterations
    min_component: float = 0.05     # keep components at least this share of the largest one...
    min_component_area: float = 0.004  # ...and at least this share of the image
    min_coverage: float = 0.04      # a garment covers at least this share of the photo
    max_coverage: float = 0.85      # and at most this (more means GrabCut kept the room)
    max_border_contact: float = 0.5  # share of the frame's inner ring the mask may touch


DEFAULT_RULES = MaskRules()


def _grabcut(small: np.ndarray, rules: MaskRules) -> np.ndarray:
    """(h, w, 3) uint8 RGB -> (h, w) uint8 {0, 1} raw GrabCut foreground."""
    h, w = small.shape[:2]
    band_y, band_x = max(1, int(h * rules.border)), max(1, int(w * rules.border))
    seeds = np.full((h, w), cv2.GC_PR_FGD, np.uint8)
    seeds[:band_y], seeds[-band_y:], seeds[:, :band_x], seeds[:, -band_x:] = (cv2.GC_BGD,) * 4
    background_model, foreground_model = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    # GrabCut initialises its colour models with k-means from OpenCV's (per-thread) RNG; seeding it
    # makes the mask, and so every recipe that relies on it, reproducible.
    cv2.setRNGSeed(0)
    try:
        cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), seeds, None, background_model, foreground_model,
                    rules.iterations, cv2.GC_INIT_WITH_MASK)
    except cv2.error as error:  # e.g. a single-colour image: no colour model to fit
        raise GarmentNotFound("No garment could be told apart from the background (the photo looks uniform). "
                              "Please use a photo of one garment on a plain background.") from error
    return np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8)


def clean_mask(mask: np.ndarray, rules: MaskRules = DEFAULT_RULES) -> np.ndarray:
    """(h, w) {0, 1} uint8 -> the same with specks removed, every sizeable component kept, holes filled."""
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (3, 3)))
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.zeros_like(mask)
    areas = stats[1:, cv2.CC_STAT_AREA]
    threshold = max(rules.min_component * areas.max(), rules.min_component_area * mask.size)
    keep = 1 + np.flatnonzero(areas >= threshold)
    mask = np.isin(labels, keep).astype(np.uint8)
    # Fill holes: the outer contour of every kept component, filled (a print GrabCut took for wall).
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return cv2.drawContours(np.zeros_like(mask), contours, -1, 1, thickness=cv2.FILLED)


def check_plausible(mask: np.ndarray, rules: MaskRules = DEFAULT_RULES) -> None:
    """Raise :class:`GarmentNotFound` when a (h, w) {0, 1} mask cannot be one garment (or a pair)."""
    coverage = float(mask.mean())
    if coverage < rules.min_coverage:
        raise GarmentNotFound(f"No garment found: the mask covers {coverage:.0%} of the photo "
                              f"(at least {rules.min_coverage:.0%} expected). Use a photo where the garment fills the frame.")
    if coverage > rules.max_coverage:
        raise GarmentNotFound(f"The garment could not be separated from the background (the mask covers {coverage:.0%}). "
                              "Use a photo with some plain background around the garment.")
    h, w = mask.shape
    band_y, band_x = max(1, int(h * rules.border)), max(1, int(w * rules.border))
    ring = np.concatenate([mask[band_y, band_x:w - band_x], mask[h - band_y - 1, band_x:w - band_x],
                           mask[band_y:h - band_y, band_x], mask[band_y:h - band_y, w - band_x - 1]])
    contact = float(ring.mean())
    if contact > rules.max_border_contact:
        raise GarmentNotFound(f"The mask runs along {contact:.0%} of the photo's edge, so it is the background, not a "
                              "garment. Use a photo with the whole garment inside the frame.")


def segment_garment(image: np.ndarray, rules: MaskRules = DEFAULT_RULES) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float32 mask in [0, 1], 1 on the garment, edges softened.

    Raises:
        GarmentNotFound: no plausible garment (uniform photo, mask too small or too large, or
            hugging the frame).
    """
    height, width = image.shape[:2]
    scale = min(1.0, WORK_SIDE / max(height, width))
    small = resize(image, (max(8, round(width * scale)), max(8, round(height * scale))))
    mask = clean_mask(_grabcut(small, rules), rules)
    check_plausible(mask, rules)
    soft = cv2.GaussianBlur(mask.astype(np.float32), (0, 0), sigmaX=1.0)
    return np.clip(cv2.resize(soft, (width, height), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)


def garment_mask(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float32 mask in [0, 1], 1 on the garment.

    The Style tab's entry point: where no plausible garment is found it returns an all-ones
    mask (restyle everything) rather than failing the request; use :func:`segment_garment` to
    learn why.
    """
    try:
        return segment_garment(image)
    except GarmentNotFound:
        return np.ones(image.shape[:2], np.float32)


def mask_to_image(mask: np.ndarray) -> np.ndarray:
    """(H, W) float mask in [0, 1] -> (H, W, 3) uint8 white-on-black picture."""
    gray = (np.clip(mask, 0, 1) * 255 + 0.5).astype(np.uint8)
    return np.repeat(gray[..., None], 3, axis=2)


def image_to_mask(image: np.ndarray, size: tuple[int, int]) -> np.ndarray:
    """A painted mask picture (white = garment) -> (H, W) float32 in [0, 1] at ``size`` = (width, height)."""
    gray = image[..., :3].astype(np.float32).mean(axis=2) / 255.0
    return cv2.resize(gray, size, interpolation=cv2.INTER_LINEAR).clip(0, 1)
