"""Things that lie with a garment in a photo but are not the garment: hangers, and cloths, boards or
boxes under it. Drawn into composites as background, because they are what the shipped mask still
keeps on held-out photos (a hanger's hook above a jacket, a towel under a tee, a board under shoes)
and the hand-checked labels hold too few of them to learn from.

Both functions draw in place on ``image`` (side, side, 3) float32 RGB in [0, 255] *before* the
garment is pasted over it, so the garment hides what it would hide and the truth stays the garment's.
A garment's placement is ``(x0, y0, width, height)`` in pixels.
"""

from __future__ import annotations

import cv2
import numpy as np

from fashiongen.patterns import draw_pattern, random_spec

# Garments that hang on a hanger in a photo (labels of the dataset's images.csv).
HANGER_LABELS = frozenset({"T-Shirt", "Longsleeve", "Shirt", "Dress", "Outwear", "Undershirt", "Polo", "Hoodie",
                           "Blazer", "Body", "Top", "Blouse"})
_HANGER_COLOURS = np.array([[185, 185, 190], [25, 25, 28], [235, 235, 232], [150, 100, 60], [95, 60, 35]], np.float32)


def _hanger_colour(rng: np.random.Generator) -> np.ndarray:
    """Metal, black, white or wood, or a coloured plastic one (a third of the time)."""
    if rng.random() < 0.33:
        return rng.uniform(0, 255, 3).astype(np.float32)
    return _HANGER_COLOURS[rng.integers(len(_HANGER_COLOURS))]


def draw_hanger(image: np.ndarray, placement: tuple[int, int, int, int], rng: np.random.Generator) -> None:
    """A hanger for a garment placed at ``placement``: the hook and its neck stand above the garment's
    top edge (what shows in a photo), the shoulder bar runs under the garment's shoulders and may poke
    out at their ends. Skipped when there is no room above the garment for the hook."""
    x0, y0, width, height = placement
    radius = max(2.0, width * rng.uniform(0.035, 0.08))
    stem = width * rng.uniform(0.03, 0.1)
    top = y0 - stem - 2 * radius
    if top < 1:
        return
    thickness = max(1, round(width * rng.uniform(0.012, 0.03)))
    colour = tuple(float(c) for c in _hanger_colour(rng))
    centre_x = x0 + width * rng.uniform(0.45, 0.55)
    neck = y0 + height * rng.uniform(0.03, 0.08)
    shoulder_y = y0 + height * rng.uniform(0.08, 0.2)
    half_bar = width * rng.uniform(0.35, 0.55)
    scale = 4  # OpenCV's shift=2: coordinates in quarter pixels

    def points(*xy: tuple[float, float]) -> np.ndarray:
        return np.round(np.array(xy, np.float64) * scale).astype(np.int32)

    def point(x: float, y: float) -> tuple[int, int]:
        return round(x * scale), round(y * scale)

    bar = points((centre_x - half_bar, shoulder_y), (centre_x, neck), (centre_x + half_bar, shoulder_y))
    cv2.polylines(image, [bar], False, colour, thickness, cv2.LINE_AA, shift=2)
    hook_base = top + radius
    cv2.line(image, point(centre_x, neck), point(centre_x, hook_base), colour, thickness, cv2.LINE_AA, 2)
    side = 1 if rng.random() < 0.5 else -1  # which way the hook opens
    centre = point(centre_x + side * radius, hook_base)
    axes = point(radius, radius)
    # OpenCV's angles run clockwise from +x with y down: over the top (270) and a little down the far side.
    start, end = (180, 410) if side > 0 else (130, 360)
    cv2.ellipse(image, centre, axes, 0, start, end, colour, thickness, cv2.LINE_AA, 2)


def _wrinkled_cloth(height: int, width: int, rng: np.random.Generator) -> np.ndarray:
    """A plain cloth under uneven light: soft folds running one way, a fine weave or knit grain and a
    broad light fall-off, (height, width, 3) float32. Never flat: a flat-coloured region under a garment
    is what a flat garment drawing looks like, and cloths drawn flat taught a network to cut those."""
    colour = rng.uniform(0, 255, 3)
    size = min(height, width)
    # Folds: noise stretched along a random direction (a fold is long and narrow), then rotated.
    along, across = size * rng.uniform(0.15, 0.4), size * rng.uniform(0.015, 0.05)
    big = int(np.ceil(np.hypot(height, width))) + 1
    folds = cv2.GaussianBlur(rng.normal(0, 1, (big, big)).astype(np.float32), (0, 0), sigmaX=along, sigmaY=across)
    turn = cv2.getRotationMatrix2D((big / 2, big / 2), float(rng.uniform(0, 180)), 1.0)
    folds = cv2.warpAffine(folds, turn, (big, big))[(big - height) // 2:(big - height) // 2 + height,
                                                    (big - width) // 2:(big - width) // 2 + width]
    folds /= max(float(folds.std()), 1e-6)
    light = cv2.GaussianBlur(rng.normal(0, 1, (height, width)).astype(np.float32), (0, 0), sigmaX=size * 0.25)
    light /= max(float(light.std()), 1e-6)
    grain = rng.normal(0, 1, (height, width)).astype(np.float32)
    if rng.random() < 0.5:  # a weave: the grain lines up along the threads
        grain = cv2.GaussianBlur(grain, (0, 0), sigmaX=float(rng.uniform(1.5, 3)), sigmaY=0.6)
    grain /= max(float(grain.std()), 1e-6)
    shading = (1 + rng.uniform(0.08, 0.25) * folds + rng.uniform(0.03, 0.12) * light
               + rng.uniform(0.02, 0.07) * grain)
    return (colour[None, None] * shading[..., None]).astype(np.float32)


def _underlay_fill(height: int, width: int, backgrounds: list[np.ndarray], rng: np.random.Generator
                   ) -> tuple[np.ndarray, bool]:
    """What lies under the garment -> (fill (height, width, 3) float32, soft: whether it drapes)."""
    kind = rng.random()
    if kind < 0.45 or not backgrounds:
        return _wrinkled_cloth(height, width, rng), True
    if kind < 0.7:  # a patterned towel or table cloth
        return draw_pattern(random_spec(rng, min_scale=4, max_scale=40), width, height).astype(np.float32), True
    source = backgrounds[rng.integers(len(backgrounds))]  # another texture: a board, a rug, a cushion
    crop = int(min(source.shape[:2]) * rng.uniform(0.2, 0.6))
    y, x = rng.integers(0, source.shape[0] - crop + 1), rng.integers(0, source.shape[1] - crop + 1)
    patch = cv2.resize(source[y:y + crop, x:x + crop], (width, height), interpolation=cv2.INTER_AREA)
    return patch.astype(np.float32), False


def _wavy(corners: np.ndarray, amplitude: float, rng: np.random.Generator) -> np.ndarray:
    """The quadrilateral ``corners`` (4, 2) as a polygon whose sides wander by up to about
    ``amplitude`` pixels, smoothly, as a draped cloth's edge does -> (N, 2)."""
    points = []
    t = np.linspace(0, 1, 24, endpoint=False)  # 24 points along each side
    for start, end in zip(corners, np.roll(corners, -1, axis=0)):
        normal = np.array([-(end - start)[1], (end - start)[0]]) / max(float(np.linalg.norm(end - start)), 1e-6)
        # A few low sine waves, zero at the corners so neighbouring sides meet.
        offset = sum(rng.uniform(-1, 1) * np.sin(np.pi * k * t) / k for k in (1, 2, 3)) * amplitude
        points.append(start[None] + t[:, None] * (end - start)[None] + offset[:, None] * normal[None])
    return np.concatenate(points)


def draw_underlay(image: np.ndarray, placements: list[tuple[int, int, int, int]], backgrounds: list[np.ndarray],
                  rng: np.random.Generator) -> None:
    """A cloth, board or box lying under the garments: a slightly rotated quadrilateral around their
    joint box, each side from a little inside the garments to well beyond them (a cloth's sides
    wavy, a board's straight), with its own exposure and a soft shadow at its edge."""
    side = image.shape[0]
    left = min(x for x, _, _, _ in placements)
    top = min(y for _, y, _, _ in placements)
    right = max(x + w for x, _, w, _ in placements)
    bottom = max(y + h for _, y, _, h in placements)
    span = max(right - left, bottom - top)
    margins = rng.uniform(-0.15, 0.35, 4) * span
    corners = np.array([[left - margins[0], top - margins[1]], [right + margins[2], top - margins[1]],
                        [right + margins[2], bottom + margins[3]], [left - margins[0], bottom + margins[3]]])
    corners += rng.normal(0, 0.03 * span, corners.shape)
    centre = corners.mean(axis=0)
    angle = np.deg2rad(rng.uniform(-15, 15))
    rotation = np.array([[np.cos(angle), -np.sin(angle)], [np.sin(angle), np.cos(angle)]])
    corners = (corners - centre) @ rotation.T + centre
    fill, soft = _underlay_fill(side, side, backgrounds, rng)
    if soft:
        corners = _wavy(corners, span * rng.uniform(0.01, 0.06), rng)
    shape = np.zeros((side, side), np.uint8)
    cv2.fillPoly(shape, [np.round(corners * 4).astype(np.int32)], 255, cv2.LINE_AA, shift=2)
    alpha = shape.astype(np.float32)[..., None] / 255
    fill *= rng.uniform(0.75, 1.2)
    shadow = cv2.GaussianBlur(alpha[..., 0], (0, 0), sigmaX=side * 0.01)[..., None]
    image *= 1 - 0.3 * np.clip(shadow * (1 - alpha) * 2, 0, 1)  # a thin shadow just outside its edge
    image[:] = fill * alpha + image * (1 - alpha)
