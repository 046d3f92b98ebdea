"""Garment masks drawn by hand over the two machine opinions, for the train photos both get wrong.

Why: on 167 train photos the labels from the shipped mask and the filtered IS-Net teacher were judged
wrong by eye (``benchmarks/teacher_label_checks.json``), and no label source the project has reaches them
(docs/garment-mask.md, thirty-fifth session). A person fixes such a mask the way an image editor does:
start from the better of the two opinions and, with polygons, take a region from the other one, add
garment or cut background. Keeping the networks' own edges wherever they are right, and snapping a
drawn edge to the photo's edges (GrabCut in a thin band along it, seeded so the result reproduces),
keeps the hand's imprecision out of the label.

A drawing, as stored in ``benchmarks/hand_masks.json`` (points in 0..1000 of the photo's width and height):

    {"base": "shipped" | "teacher" | "none",
     "ops": [["cut" | "add" | "shipped" | "teacher" | "keep", [x0, y0, x1, y1, ...]], ...],
     "snap": false (optional; on when absent), "label_sha256": "<mask_digest of the result>"}

Ops apply in order: "cut" sets the polygon to background, "add" to garment, "shipped" and "teacher" copy
that opinion inside the polygon; "keep" takes points, not a polygon, and keeps only the connected pieces
of the label that hold one of them (a teacher's stray blobs on a blanket go). The digest names the mask
a person looked at and judged right, so a label made again from other machine masks is not taken for it.
"""

from __future__ import annotations

import cv2
import numpy as np

OPS = ("cut", "add", "shipped", "teacher", "keep")
BASES = ("shipped", "teacher", "none")
SNAP_BAND = 3        # pixels either side of a drawn edge that GrabCut may move, at the 256 px work size
SNAP_ITERATIONS = 4


def _pixels(points: list[float], shape: tuple[int, int]) -> np.ndarray:
    """[x0, y0, x1, y1, ...] in 0..1000 of width and height -> (n, 2) float (x, y) pixel positions."""
    height, width = shape
    return np.asarray(points, np.float64).reshape(-1, 2) / 1000.0 * (width, height)


def polygon_mask(points: list[float], shape: tuple[int, int]) -> np.ndarray:
    """[x0, y0, x1, y1, ...] in 0..1000 of width and height -> (h, w) bool filled polygon."""
    if len(points) < 6 or len(points) % 2:
        raise ValueError(f"a polygon needs at least 3 (x, y) pairs, got {len(points)} numbers")
    xy = _pixels(points, shape)
    canvas = np.zeros(shape, np.uint8)
    cv2.fillPoly(canvas, [np.round(xy).astype(np.int32)], 1)
    return canvas.astype(bool)


def drawn_mask(edit: dict, shipped: np.ndarray, teacher: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """Apply a hand ``edit`` (module docstring) to the (h, w) bool ``shipped`` and ``teacher`` masks of the
    (h, w, 3) uint8 RGB ``photo`` -> (h, w) bool label.

    With ``snap`` (default on), pixels within :data:`SNAP_BAND` of a drawn polygon's outline where the
    label changed side are left to GrabCut, seeded by the label everywhere else."""
    base = edit.get("base", "shipped")
    if base not in BASES:
        raise ValueError(f"base must be one of {BASES}, got {base!r}")
    opinions = {"shipped": shipped.astype(bool), "teacher": teacher.astype(bool)}
    label = opinions[base].copy() if base in opinions else np.zeros(shipped.shape, bool)
    drawn_edges = np.zeros(shipped.shape, np.uint8)
    for op, points in edit.get("ops", []):
        if op not in OPS:
            raise ValueError(f"op must be one of {OPS}, got {op!r}")
        if op == "keep":
            label = _pieces_holding(label, points)
            continue
        inside = polygon_mask(points, shipped.shape)
        if op in ("cut", "add"):
            label[inside] = op == "add"
            outline = inside & ~cv2.erode(inside.astype(np.uint8), np.ones((3, 3), np.uint8)).astype(bool)
            drawn_edges |= outline.astype(np.uint8)
        else:
            label[inside] = opinions[op][inside]
    if not edit.get("snap", True) or not drawn_edges.any():
        return label
    return _snapped(label, drawn_edges, photo)


def _pieces_holding(label: np.ndarray, points: list[float]) -> np.ndarray:
    """The 8-connected pieces of ``label`` that hold one of the points [x0, y0, ...] (0..1000)."""
    if not points or len(points) % 2:
        raise ValueError(f"keep needs (x, y) pairs, got {len(points)} numbers")
    height, width = label.shape
    _, pieces = cv2.connectedComponents(label.astype(np.uint8), connectivity=8)
    xy = _pixels(points, label.shape)
    columns = np.clip(xy[:, 0].astype(int), 0, width - 1)
    rows = np.clip(xy[:, 1].astype(int), 0, height - 1)
    held = {index for index in pieces[rows, columns] if index}
    return np.isin(pieces, list(held))


def _snapped(label: np.ndarray, drawn_edges: np.ndarray, photo: np.ndarray) -> np.ndarray:
    """GrabCut decides the pixels near a drawn edge that lie on the label's boundary; the rest stay fixed."""
    ring = np.ones((3, 3), np.uint8)
    grown = cv2.dilate(label.astype(np.uint8), ring).astype(bool)
    boundary = grown & ~cv2.erode(label.astype(np.uint8), ring).astype(bool)
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * SNAP_BAND + 1, 2 * SNAP_BAND + 1))
    near_drawn = cv2.dilate(drawn_edges, disc).astype(bool)
    band = cv2.dilate((boundary & near_drawn).astype(np.uint8), disc).astype(bool)
    if not band.any() or label.all() or not label.any():
        return label
    seeds = np.where(label, cv2.GC_FGD, cv2.GC_BGD).astype(np.uint8)
    seeds[band] = np.where(label[band], cv2.GC_PR_FGD, cv2.GC_PR_BGD)
    background, foreground = np.zeros((1, 65), np.float64), np.zeros((1, 65), np.float64)
    bgr = cv2.cvtColor(photo, cv2.COLOR_RGB2BGR)
    # GrabCut seeds its colour models from OpenCV's global random state: without a fixed seed the same
    # drawing comes out a few band pixels different from call to call, and its digest would not match.
    cv2.setRNGSeed(0)
    cv2.grabCut(bgr, seeds, None, background, foreground, SNAP_ITERATIONS, cv2.GC_INIT_WITH_MASK)
    return (seeds == cv2.GC_FGD) | (seeds == cv2.GC_PR_FGD)
