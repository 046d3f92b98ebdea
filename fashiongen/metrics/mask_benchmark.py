"""Garment-mask benchmark with exact ground truth: garments cut from photos where the mask is
certain, composited onto real backgrounds from other photos, at several scales and positions.

The pieces are pure numpy/OpenCV functions so tests can run them on drawn shapes; the command
``python benchmarks/bench_mask.py`` runs them on the val split of the shared photos.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

from fashiongen.garment_mask import clean_mask, mask_overlay

CANVAS = (400, 533)  # (W, H) of a benchmark composite: the dataset's typical portrait photo


@dataclass(frozen=True)
class Cutout:
    image: np.ndarray   # (h, w, 3) uint8, the garment's bounding box
    mask: np.ndarray    # (h, w) float32 in [0, 1], exact by construction
    label: str          # garment class, e.g. "Shoes"


def iou(predicted: np.ndarray, truth: np.ndarray) -> float:
    """Intersection over union of two (H, W) masks thresholded at 0.5 (1.0 when both are empty)."""
    a, b = predicted > 0.5, truth > 0.5
    union = np.logical_or(a, b).sum()
    return float(np.logical_and(a, b).sum() / union) if union else 1.0


def tint(image: np.ndarray, mask: np.ndarray) -> np.ndarray:
    """Show a mask on its photo for a person to judge: (H, W, 3) uint8 + (H, W) in [0, 1] -> (H, W, 3)
    uint8 with the background (mask <= 0.5) dimmed and tinted blue."""
    return mask_overlay(image, (mask > 0.5).astype(np.float32))


def certain_mask(photo: np.ndarray, border: float = 0.04, max_residual: float = 10.0,
                 threshold: float = 30.0, edge_contrast: float = 1.5, max_pieces: int = 2) -> np.ndarray | None:
    """The garment mask of a photo on a plain background, or None when the background is not plain.

    The background is modelled as a smooth colour gradient (a plane per CIELAB channel fitted to
    the frame's border band, which absorbs uneven light); pixels further than ``threshold`` from
    it are garment. Refused (None) when the border does not fit the plane (residual std above
    ``max_residual``: a bed, floor or wall texture), when the garment touches the frame, or when
    its edge is not clearly brighter or darker or more colourful than the background
    (20th percentile of the edge's distance below ``edge_contrast`` x ``threshold``), or when the
    mask falls into more than ``max_pieces`` pieces: a garment is one piece, or two for a pair of
    shoes, so more means part of it matched the background (a white vest on a white sheet whose
    print alone stood out, which pasted into a composite became floating spots called a garment).
    """
    h, w = photo.shape[:2]
    lab = cv2.cvtColor(photo, cv2.COLOR_RGB2LAB).astype(np.float32)
    band_y, band_x = max(2, int(h * border)), max(2, int(w * border))
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    ring = np.zeros((h, w), bool)
    ring[:band_y], ring[-band_y:], ring[:, :band_x], ring[:, -band_x:] = True, True, True, True
    design = np.stack([np.ones(h * w, np.float32), xs.ravel() / w, ys.ravel() / h], axis=1)
    coefficients, *_ = np.linalg.lstsq(design[ring.ravel()], lab.reshape(-1, 3)[ring.ravel()], rcond=None)
    background = (design @ coefficients).reshape(h, w, 3)
    residual = lab - background
    if residual[ring].std(axis=0).max() > max_residual:
        return None
    distance = np.linalg.norm(residual, axis=2)
    mask = clean_mask((distance > threshold).astype(np.uint8))
    if cv2.connectedComponents(mask, connectivity=8)[0] - 1 > max_pieces:
        return None
    coverage = mask.mean()
    if not 0.05 <= coverage <= 0.8 or (mask & ring).any():
        return None
    # The garment's own edge must stand well clear of the background (a white shirt on a white
    # sheet, or blue shorts on a blue wall, would give a mask that is not certain).
    edge = mask.astype(bool) & ~cv2.erode(mask, np.ones((5, 5), np.uint8)).astype(bool)
    if np.percentile(distance[edge], 20) < edge_contrast * threshold:
        return None
    return mask.astype(np.float32)


def cutout_of(photo: np.ndarray, mask: np.ndarray, label: str) -> Cutout:
    """Crop a photo and its mask to the mask's bounding box."""
    ys, xs = np.nonzero(mask > 0.5)
    box = (slice(ys.min(), ys.max() + 1), slice(xs.min(), xs.max() + 1))
    return Cutout(photo[box].copy(), mask[box].astype(np.float32), label)


def background_from(photo: np.ndarray, mask: np.ndarray, size: tuple[int, int],
                    min_share: float = 0.2) -> np.ndarray | None:
    """A garment-free background of ``size`` = (W, H) from a photo: its largest mask-free band
    (top, bottom, left or right, with a small safety margin), scaled to cover the canvas and
    centre-cropped. None when no band holds ``min_share`` of the photo (too little background)."""
    h, w = photo.shape[:2]
    rows, cols = np.flatnonzero(mask.max(axis=1) > 0.05), np.flatnonzero(mask.max(axis=0) > 0.05)
    if not len(rows):
        return None
    margin = max(4, int(0.03 * max(h, w)))
    bands = [photo[:max(0, rows.min() - margin)], photo[rows.max() + 1 + margin:],
             photo[:, :max(0, cols.min() - margin)], photo[:, cols.max() + 1 + margin:]]
    band = max(bands, key=lambda b: b.shape[0] * b.shape[1])
    if band.shape[0] * band.shape[1] < min_share * h * w or min(band.shape[:2]) < 16:
        return None
    width, height = size
    factor = max(width / band.shape[1], height / band.shape[0])
    scaled = cv2.resize(band, (max(width, round(band.shape[1] * factor)), max(height, round(band.shape[0] * factor))),
                        interpolation=cv2.INTER_CUBIC)
    top, left = (scaled.shape[0] - height) // 2, (scaled.shape[1] - width) // 2
    return np.ascontiguousarray(scaled[top:top + height, left:left + width])


def composite(cutouts: list[Cutout], background: np.ndarray, scale: float, centers: list[tuple[float, float]]
              ) -> tuple[np.ndarray, np.ndarray]:
    """Place cutouts on a background; their long side is ``scale`` x the canvas's short side.

    Args:
        cutouts: one garment, or two for a pair.
        background: (H, W, 3) uint8 canvas.
        centers: one (x, y) per cutout, as fractions of the canvas.
    Returns:
        image (H, W, 3) uint8 and its exact mask (H, W) float32 in {0, 1}.
    """
    image, parts = composite_parts(cutouts, background, scale, centers)
    return image, np.maximum.reduce(parts)


def composite_parts(cutouts: list[Cutout], background: np.ndarray, scale: float, centers: list[tuple[float, float]],
                    inside: bool = True) -> tuple[np.ndarray, list[np.ndarray]]:
    """As :func:`composite`, with one exact (H, W) float32 {0, 1} mask per placed garment.

    ``inside``: each garment is moved into the canvas where its centre would put it across the
    frame; False places it at its centre as given, so that the frame cuts it (a close-up photo
    of a garment larger than the frame), and its truth is the part inside the canvas.
    """
    image = background.astype(np.float32).copy()
    height, width = background.shape[:2]
    parts = []
    for cutout, (cx, cy) in zip(cutouts, centers):
        ch, cw = cutout.mask.shape
        factor = scale * min(height, width) / max(ch, cw)
        new_w, new_h = max(2, round(cw * factor)), max(2, round(ch * factor))
        piece = cv2.resize(cutout.image, (new_w, new_h), interpolation=cv2.INTER_AREA).astype(np.float32)
        alpha = cv2.resize(cutout.mask, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        x0, y0 = round(cx * width - new_w / 2), round(cy * height - new_h / 2)
        if inside:
            x0 = int(np.clip(x0, 0, max(0, width - new_w)))
            y0 = int(np.clip(y0, 0, max(0, height - new_h)))
        left, top = max(0, -x0), max(0, -y0)  # rows and columns of the piece left of or above the canvas
        x0, y0 = max(0, x0), max(0, y0)
        x1, y1 = max(x0, min(width, x0 + new_w - left)), max(y0, min(height, y0 + new_h - top))  # empty when wholly outside
        a = alpha[top:top + y1 - y0, left:left + x1 - x0, None]
        image[y0:y1, x0:x1] = piece[top:top + y1 - y0, left:left + x1 - x0] * a + image[y0:y1, x0:x1] * (1 - a)
        part = np.zeros((height, width), np.float32)
        part[y0:y1, x0:x1] = (a[..., 0] > 0.5).astype(np.float32)
        parts.append(part)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8), parts


def pair_recall(predicted: np.ndarray, parts: list[np.ndarray]) -> float:
    """Smallest share of any placed garment (one (H, W) mask per garment) that the prediction
    covers: near 0 means a whole garment of a pair (one shoe) was lost. Per garment, not per
    connected component, so a garment's own detached strap does not count as a lost garment."""
    shares = [float((predicted[part > 0.5] > 0.5).mean()) for part in parts if (part > 0.5).any()]
    return min(shares) if shares else 1.0
