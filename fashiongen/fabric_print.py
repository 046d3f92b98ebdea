"""Print mode: lay a pattern on a garment like printed fabric (numpy/OpenCV, no network).

What a designer asks for with "this dress in this tartan" is the tartan itself on the dress, not
a painting of it. So the pattern is

1. tiled across the garment (mirrored where its edges do not meet seamlessly), ``repeats``
   copies across the garment's width, rotated by ``angle``;
2. bent along the folds: displaced by the gradient of the garment's smoothed shading;
3. lit like the garment: multiplied by the garment's own shading (folds, shadows, highlights).
   The old print is taken out first (:func:`_without_print`: its sharp edges and colour changes are
   dropped and the luminance rebuilt from the gentle steps light makes), then the luminance is
   median-filtered, blurred, divided by its coarse average and compressed (``SHADING_GAIN``), so the
   garment's original colour and prints do not show through;
4. laid inside the garment mask only, feathered inwards: pixels outside the mask are unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np


PRINT_VERSION = "print-3"  # names what print_on_garment draws; bump it whenever its output changes, so a
                          # restyle recipe from another version is refused rather than reproduced differently
                          # (print-3: the old print taken out of the shading, folds read inside the garment only)
SHADING_SIDE = 256        # shading and folds are estimated at this long side (they are smooth by nature)
FOLD_DISPLACEMENT = 0.012  # largest fold displacement, as a share of the garment's long side
FOLD_SLOPE = 0.15         # shading slope (Sobel of the smoothed shading at SHADING_SIDE) that gets the
                          # largest displacement at least: a clear fold in a photo (0.1-0.5 measured);
                          # fainter slopes (a flat garment's noise) are displaced proportionally less
SHADING_RANGE = (0.5, 1.3)  # darkest shadow and brightest highlight a print can take
SHADING_GAIN = 0.6        # share of the measured light variation kept: strong enough for folds, too weak
                          # for an old print's contrast to show through
SEAM_TOLERANCE = 2.0      # edges differing this much more than neighbouring pixels get a mirrored tiling
PRINT_EDGE = 0.3          # a step in log luminance steeper than this per pixel (at SHADING_SIDE) is a print's
                          # edge, not light: folds and shadows change brightness more gently
PRINT_CHROMA_EDGE = 0.04  # so is a step in chromaticity (a channel's share of R + G + B) larger than this
                          # per pixel: light changes brightness, a print changes colour
PRINT_DARK = 30.0         # grey levels added before the log and the shares (dark cloth's folds and noise
                          # are steep in log terms)
PRINT_MEDIAN = 5          # steps are read after a median filter this wide (pixels at SHADING_SIDE)


@dataclass(frozen=True)
class Placement:
    """Where the print goes on the output image (all in output pixels)."""
    center: tuple[float, float]  # (x, y) of the garment's bounding-box centre: the rotation centre
    width: float                 # garment bounding-box width: ``repeats`` tiles span it


def placement(mask: np.ndarray) -> Placement:
    """Bounding box of a (H, W) mask in [0, 1] (the whole image when the mask is empty)."""
    ys, xs = np.nonzero(mask > 0.5)
    if len(xs) == 0:
        height, width = mask.shape
        return Placement(((width - 1) / 2, (height - 1) / 2), float(width))
    return Placement(((xs.min() + xs.max()) / 2, (ys.min() + ys.max()) / 2), float(xs.max() - xs.min() + 1))


def is_seamless(tile: np.ndarray) -> bool:
    """True when a (h, w, 3) tile's opposite edges meet about as smoothly as its neighbouring pixels."""
    image = tile.astype(np.float32)
    if min(image.shape[:2]) < 4:
        return True
    inner = 0.5 * (np.abs(np.diff(image, axis=1)).mean() + np.abs(np.diff(image, axis=0)).mean()) + 1.0
    edges = 0.5 * (np.abs(image[:, 0] - image[:, -1]).mean() + np.abs(image[0] - image[-1]).mean())
    return edges <= SEAM_TOLERANCE * inner


def seamless_tile(tile: np.ndarray) -> np.ndarray:
    """The tile itself when seamless, else a (2h, 2w, 3) mirrored 2x2 arrangement, which always is."""
    if is_seamless(tile):
        return tile
    top = np.concatenate([tile, tile[:, ::-1]], axis=1)
    return np.concatenate([top, top[::-1]], axis=0)


def _masked_blur(values: np.ndarray, weight: np.ndarray, sigma: float) -> np.ndarray:
    """Gaussian blur of ``values`` that ignores pixels where ``weight`` is 0 (no background bleeds in)."""
    blurred = cv2.GaussianBlur(values * weight, (0, 0), sigma)
    norm = cv2.GaussianBlur(weight, (0, 0), sigma)
    return np.where(norm > 1e-4, blurred / np.maximum(norm, 1e-4), values)


def _poisson(gx: np.ndarray, gy: np.ndarray) -> np.ndarray:
    """The (H, W) field whose forward differences best match ``gx``, ``gy`` (least squares, mean 0).

    Solves the Poisson equation with Neumann borders by FFT on the mirrored field (a DCT)."""
    height, width = gx.shape
    divergence = gx.copy()
    divergence[:, 1:] -= gx[:, :-1]
    divergence += gy
    divergence[1:] -= gy[:-1]
    mirrored = np.concatenate([divergence, divergence[:, ::-1]], axis=1)
    mirrored = np.concatenate([mirrored, mirrored[::-1]], axis=0)
    fy = np.fft.fftfreq(2 * height)[:, None]
    fx = np.fft.rfftfreq(2 * width)[None, :]
    eigen = 2 * np.cos(2 * np.pi * fx) + 2 * np.cos(2 * np.pi * fy) - 4
    eigen[0, 0] = 1.0
    spectrum = np.fft.rfft2(mirrored) / eigen
    spectrum[0, 0] = 0.0
    return np.fft.irfft2(spectrum, s=mirrored.shape)[:height, :width].astype(np.float32)


def _without_print(small: np.ndarray, weight: np.ndarray) -> np.ndarray:
    """(h, w) luminance 0..255 of a (h, w, 3) uint8 RGB garment with its print taken out (Retinex).

    Light changes brightness gently and keeps colours; a print, a logo or a two-tone panel changes
    them at a sharp edge. So the steps in log luminance steeper than ``PRINT_EDGE``, and those where
    the colour changes by more than ``PRINT_CHROMA_EDGE``, are set to zero, and the luminance is
    rebuilt from the steps left: one smooth field, the old print's regions at one level. Steps that
    leave the garment (``weight`` (h, w), 1 on it) are dropped too, so the background adds nothing.
    """
    # Steps are read on the garment median-filtered: the weave of denim or knit is steep at this size
    # but it is not a print, and a median keeps a print's edge as sharp as it was.
    filtered = cv2.medianBlur(small, PRINT_MEDIAN)
    # Chromaticity (each channel's share of the sum) does not change when light dims or brightens a
    # colour, as a fold's shadow does; it changes at a print's edge between two colours.
    rgb = filtered.astype(np.float32) + PRINT_DARK
    chromaticity = rgb[..., :2] / rgb.sum(axis=-1, keepdims=True)
    # The offset keeps folds and camera noise in dark cloth from reading as steep steps.
    log_luma = np.log(cv2.cvtColor(filtered, cv2.COLOR_RGB2GRAY).astype(np.float32) + PRINT_DARK)

    def steps(values: np.ndarray, axis: int) -> np.ndarray:
        """Forward differences along ``axis``, 0 at its last index."""
        return np.diff(values, axis=axis, append=np.take(values, [-1], axis=axis))

    inside = weight > 0
    kept = []
    for axis in (1, 0):
        step = steps(log_luma, axis)
        chroma = np.sqrt(steps(chromaticity[..., 0], axis) ** 2 + steps(chromaticity[..., 1], axis) ** 2)
        both_inside = inside & (steps(inside.astype(np.int8), axis) == 0)  # the step stays on the garment
        # An edge is a few pixels wide; its gentler flanks go with it, or each would leave a faint step.
        edge = cv2.dilate(((np.abs(step) > PRINT_EDGE) | (chroma > PRINT_CHROMA_EDGE)).astype(np.uint8),
                          np.ones((3, 3), np.uint8)).astype(bool)
        kept.append(np.where(both_inside & ~edge, step, 0.0).astype(np.float32))
    rebuilt = _poisson(*kept)
    level = float(np.median(log_luma[inside] - rebuilt[inside])) if inside.any() else 0.0
    return np.clip(np.exp(rebuilt + level) - PRINT_DARK, 0.0, 255.0).astype(np.float32)


def garment_shading(garment: np.ndarray, mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Shading and fold displacement of a garment, at the garment's size.

    Args:
        garment: (H, W, 3) uint8 RGB.
        mask: (H, W) float32 in [0, 1], 1 on the garment.
    Returns:
        shading (H, W) float32, 1.0 = the garment's typical brightness, in ``SHADING_RANGE``;
        displacement (H, W, 2) float32 in pixels (dx, dy), zero on a flat garment.
    """
    height, width = mask.shape
    scale = min(1.0, SHADING_SIDE / max(height, width))
    size = (max(8, round(width * scale)), max(8, round(height * scale)))
    small = cv2.resize(garment, size, interpolation=cv2.INTER_AREA)
    weight = (cv2.resize(mask.astype(np.float32), size, interpolation=cv2.INTER_AREA) > 0.5).astype(np.float32)
    side = max(size)
    if weight.any():
        luma = _without_print(small, weight)
        # The background is replaced by the garment's own nearby brightness first: a median over the
        # outline would mix the background in (a bright rim on a garment laid on white), and that rim
        # would print as a highlight and push the pattern across the outline as if it were a fold.
        luma = np.where(weight > 0, luma, _masked_blur(luma, weight, side / 20))
    else:
        luma = cv2.cvtColor(small, cv2.COLOR_RGB2GRAY).astype(np.float32)
    # The median removes small prints and logos (edges and all); the blurs keep folds and light.
    kernel = max(3, (side // 16) | 1)
    luma = cv2.medianBlur(np.clip(luma, 0, 255).astype(np.uint8), kernel).astype(np.float32) / 255.0 + 1e-3
    fine = _masked_blur(luma, weight, max(1.0, side / 160))
    coarse = _masked_blur(luma, weight, side / 10)
    mean = float((fine * weight).sum() / max(weight.sum(), 1.0)) if weight.any() else float(fine.mean())
    # Local folds and shadows (fine / coarse) at full strength, the slow light falloff at half.
    shading = fine / coarse * np.sqrt(coarse / mean)
    shading = np.clip(1.0 + SHADING_GAIN * (shading - 1.0), *SHADING_RANGE).astype(np.float32)
    shading = np.where(weight > 0, shading, 1.0).astype(np.float32)
    # Folds come from the shading inside the garment only: a plain blur would see the step from the
    # garment's shading to the background's 1.0 as the steepest "fold" of all, displace the print
    # across the outline and smear it into streaks there.
    smooth = _masked_blur(shading, weight, max(1.0, side / 100))
    gradient = np.stack([cv2.Sobel(smooth, cv2.CV_32F, 1, 0, ksize=3), cv2.Sobel(smooth, cv2.CV_32F, 0, 1, ksize=3)], -1)
    magnitude = np.linalg.norm(gradient, axis=-1)
    peak = max(float(np.percentile(magnitude[weight > 0] if weight.any() else magnitude, 99)), FOLD_SLOPE)
    displacement = gradient / peak * (FOLD_DISPLACEMENT * max(height, width))
    shading = cv2.resize(shading, (width, height), interpolation=cv2.INTER_LINEAR)
    displacement = cv2.resize(displacement, (width, height), interpolation=cv2.INTER_LINEAR)
    return shading, displacement.astype(np.float32)


def lay_tile(tile: np.ndarray, output_size: tuple[int, int], where: Placement, repeats: float, angle: float,
             displacement: np.ndarray | None = None) -> np.ndarray:
    """Tile ``tile`` over an output of ``output_size`` = (W, H), ``repeats`` tiles across ``where.width``.

    ``tile`` (h, w, 3) uint8 must be seamless (see :func:`seamless_tile`). Rotated by ``angle``
    degrees (counter-clockwise) about ``where.center``, with a tile centred there; ``displacement``
    (H, W, 2) then shifts the lookup per pixel (dx, dy). Returns (H, W, 3) uint8.
    """
    width, height = output_size
    period = max(2.0, where.width / repeats)  # on-garment width of one tile, in output pixels
    tile_height = max(2, round(tile.shape[0] * period / tile.shape[1]))
    # Resample the tile to its on-garment size first (area filter: no aliasing when shrinking).
    tile = cv2.resize(tile, (max(2, round(period)), tile_height),
                      interpolation=cv2.INTER_AREA if period < tile.shape[1] else cv2.INTER_CUBIC)
    theta = np.deg2rad(angle)
    cos, sin = float(np.cos(theta)), float(np.sin(theta))
    cx, cy = where.center
    # Output -> tile coordinates: rotate by -angle about the centre (image y points down), then
    # wrap into the tile (BORDER_WRAP blends across the seam).
    to_tile = np.float32([[cos, -sin, -cos * cx + sin * cy + tile.shape[1] / 2],
                          [sin, cos, -sin * cx - cos * cy + tile.shape[0] / 2]])
    laid = cv2.warpAffine(tile, to_tile, (width, height), flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                          borderMode=cv2.BORDER_WRAP)
    if displacement is None:
        return laid
    map_x = displacement[..., 0] + np.arange(width, dtype=np.float32)[None, :]
    map_y = displacement[..., 1] + np.arange(height, dtype=np.float32)[:, None]
    return cv2.remap(laid, map_x, map_y, interpolation=cv2.INTER_LINEAR, borderMode=cv2.BORDER_REFLECT)


def feathered(mask: np.ndarray, radius: float) -> np.ndarray:
    """Soften a (H, W) mask's edge inwards only: the result is 0 wherever ``mask`` is 0."""
    if radius <= 0:
        return mask.astype(np.float32)
    return np.minimum(mask, cv2.GaussianBlur(mask.astype(np.float32), (0, 0), radius)).astype(np.float32)


def print_on_garment(garment: np.ndarray, tile: np.ndarray, mask: np.ndarray, repeats: float, angle: float = 0.0,
                     strength: float = 1.0, follow_folds: bool = True) -> np.ndarray:
    """Print ``tile`` on ``garment`` as fabric.

    Args:
        garment: (H, W, 3) uint8 RGB, already at the output size.
        tile: (h, w, 3) uint8 RGB pattern; mirrored into a seamless tile when its edges do not meet.
        mask: (H, W) float32 in [0, 1], 1 on the garment.
        repeats: how many tiles span the garment's width (> 0).
        angle: pattern rotation in degrees, counter-clockwise.
        strength: 0 (garment unchanged) to 1 (the print fully replaces the fabric's colour).
        follow_folds: displace the print along the garment's folds.
    Returns:
        (H, W, 3) uint8; identical to ``garment`` wherever ``mask`` is 0.
    """
    height, width = garment.shape[:2]
    if mask.shape != (height, width):
        raise ValueError(f"mask shape {mask.shape} does not match the garment's {(height, width)}")
    result = garment.copy()
    ys, xs = np.nonzero(mask > 0)
    if len(xs) == 0:
        return result
    # Everything below works on the garment's bounding box only.
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    crop, crop_mask = garment[top:bottom, left:right], np.clip(mask[top:bottom, left:right], 0, 1)
    where = placement(mask)
    where = Placement((where.center[0] - left, where.center[1] - top), where.width)
    shading, displacement = garment_shading(crop, crop_mask)
    laid = lay_tile(seamless_tile(tile), (right - left, bottom - top), where, repeats, angle,
                    displacement if follow_folds else None)
    # Feather inwards, then let the soft edge reach full cover quickly: no rim of the old fabric.
    radius = max(0.75, max(height, width) / 600)
    alpha = np.minimum(1.0, 2.0 * feathered(crop_mask, radius)) * np.float32(strength)
    printed = laid.astype(np.float32)
    printed *= shading[..., None]
    base = crop.astype(np.float32)
    printed -= base
    printed *= alpha[..., None]
    base += printed + 0.5  # where alpha is 0 this is the garment's own value, exactly
    result[top:bottom, left:right] = np.clip(base, 0, 255).astype(np.uint8)
    return result
