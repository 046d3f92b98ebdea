"""Training pictures for the garment segmenter: real photos with hand-checked masks, and composites.

Every function returns ``(image (side, side, 3) uint8 RGB, mask (side, side) float32 in {0, 1})``.
Real views teach what real backgrounds look like (beds, floors, papers, hangers labelled as
background); composites of the same garments on other photos' backgrounds and on drawn gradients
add placements, pairs (shoes) and backgrounds the garment never lay on, including busy ones
(drawn prints: dots, camouflage, marble, checks) so that a textured blanket is not taken for cloth.
Composites can also carry drawn clutter as background (hangers, cloths under the garment:
:mod:`fashiongen.training.segmenter_clutter`), and garments can be re-made printed, banded or flat
so that none of those looks reads as "not garment", or have a gap cut through them that shows the
background (:func:`garment_gap`), so that background seen between a sleeve and the body is not garment.
A composite's background can also be recoloured to one of its garment's own colours
(:func:`matched_background`), the case colour cannot separate (a dark sleeve on a dark sheet).
"""

from __future__ import annotations

import cv2
import numpy as np

from fashiongen.fabric_print import print_on_garment
from fashiongen.metrics.mask_benchmark import Cutout
from fashiongen.patterns import draw_pattern, random_spec
from fashiongen.training.segmenter_clutter import HANGER_LABELS, draw_hanger, draw_underlay


def _exposure(image: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """Brightness and white balance jitter, as between phone cameras: float32 out."""
    return image.astype(np.float32) * rng.uniform(0.8, 1.2) * rng.uniform(0.92, 1.08, 3)


def real_view(photo: np.ndarray, mask: np.ndarray, side: int, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A random view of a labelled photo: a small rotation and scale, a square crop (or the whole
    photo, mirror-padded to a square), a flip, exposure, sometimes a hue rotation, sensor noise.

    ``photo`` (h, w, 3) uint8 RGB and its ``mask`` (h, w) float32 in [0, 1].
    """
    height, width = mask.shape
    if rng.random() < 0.5:
        matrix = cv2.getRotationMatrix2D((width / 2, height / 2), rng.uniform(-15, 15), rng.uniform(0.9, 1.15))
        photo = cv2.warpAffine(photo, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
        mask = cv2.warpAffine(mask, matrix, (width, height), borderMode=cv2.BORDER_REFLECT)
    crop = int(min(height, width) * rng.uniform(0.75, 1.0)) if rng.random() < 0.5 else max(height, width)
    if crop <= min(height, width):
        y, x = rng.integers(0, height - crop + 1), rng.integers(0, width - crop + 1)
        view, truth = photo[y:y + crop, x:x + crop], mask[y:y + crop, x:x + crop]
    else:
        pad_y, pad_x = (crop - height) // 2, (crop - width) // 2
        view = cv2.copyMakeBorder(photo, pad_y, crop - height - pad_y, pad_x, crop - width - pad_x, cv2.BORDER_REFLECT)
        truth = cv2.copyMakeBorder(mask, pad_y, crop - height - pad_y, pad_x, crop - width - pad_x, cv2.BORDER_REFLECT)
    view = cv2.resize(view, (side, side), interpolation=cv2.INTER_AREA)
    truth = cv2.resize(truth, (side, side), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        view, truth = view[:, ::-1], truth[:, ::-1]
    view = _exposure(view, rng)
    if rng.random() < 0.2:  # a hue rotation: a garment's colour is not what makes it a garment
        hsv = cv2.cvtColor(np.clip(view, 0, 255).astype(np.uint8), cv2.COLOR_RGB2HSV)
        hsv[..., 0] = (hsv[..., 0].astype(int) + rng.integers(0, 180)) % 180
        view = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB).astype(np.float32)
    view = np.clip(view + rng.normal(0, rng.uniform(0, 3), view.shape), 0, 255).astype(np.uint8)
    return view, (truth > 0.5).astype(np.float32)


def printed_garment(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The garment re-made in a random drawn print (the app's print mode, folds and shading kept).

    Drawn prints also serve as busy backgrounds; without printed garments beside them a network
    learns "a print is a blanket" and cuts leopard trousers and dotted tees (seen on held-out photos).
    ``image`` (h, w, 3) uint8 RGB, ``mask`` (h, w) float32 in [0, 1] -> (h, w, 3) uint8 RGB.
    """
    tile = draw_pattern(random_spec(rng, min_scale=4, max_scale=40), 96, 96)
    return print_on_garment(image, tile, mask, repeats=float(rng.uniform(1.5, 8)), angle=float(rng.uniform(0, 180)),
                            strength=float(rng.uniform(0.7, 1.0)))


def banded_garment(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The garment with one band re-made in another colour (or a small print), shading kept: a
    waistband or collar at the top, a hem at the bottom, a stripe across or a side panel.

    Drawn cloths under garments teach that a differently coloured region at a garment's edge can be
    background; without bands on garments a network also cuts waistbands, hems and ribbons (seen on
    held-out photos). ``image`` (h, w, 3) uint8 RGB, ``mask`` (h, w) float32 in [0, 1] -> (h, w, 3) uint8.
    """
    ys, xs = np.nonzero(mask > 0.5)
    if len(xs) == 0:
        return image
    top, bottom, left, right = ys.min(), ys.max() + 1, xs.min(), xs.max() + 1
    height, width = bottom - top, right - left
    band = np.zeros_like(mask)
    kind = rng.integers(4)
    if kind == 0:  # waistband or collar
        band[top:top + max(1, int(height * rng.uniform(0.05, 0.18)))] = 1
    elif kind == 1:  # hem
        band[bottom - max(1, int(height * rng.uniform(0.05, 0.2))):bottom] = 1
    elif kind == 2:  # a stripe across
        thickness = max(1, int(height * rng.uniform(0.04, 0.12)))
        start = top + int(rng.integers(0, max(1, height - thickness)))
        band[start:start + thickness] = 1
    else:  # a side panel
        thickness = max(1, int(width * rng.uniform(0.08, 0.25)))
        if rng.random() < 0.5:
            band[:, left:left + thickness] = 1
        else:
            band[:, right - thickness:right] = 1
    band *= mask
    if rng.random() < 0.7:
        tile = np.full((8, 8, 3), rng.integers(0, 256, 3), np.uint8)
    else:
        tile = draw_pattern(random_spec(rng, min_scale=3, max_scale=16), 48, 48)
    return print_on_garment(image, tile, band, repeats=float(rng.uniform(2, 8)), angle=float(rng.uniform(0, 180)),
                            strength=float(rng.uniform(0.8, 1.0)), follow_folds=False)


def flat_garment(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator) -> np.ndarray:
    """The garment as a flat drawing: its silhouette filled with one colour (a faint shading at most),
    sometimes outlined, often with drawn seams (a waistline, yoke or placket: lines across or down it,
    in the outline's colour or as a gap of the paper's), as in a designer's flat sketch or a product
    render.

    Drawn cloths under garments have edges too; without flat garments beside them a network also
    calls a flat-coloured garment drawing background, and without seams it cuts such a drawing along
    its seam (read as the edge of a garment lying on a cloth). ``image`` (h, w, 3) uint8 RGB, ``mask``
    (h, w) float32 in [0, 1] -> (h, w, 3) uint8, unchanged where ``mask`` is 0.
    """
    alpha = np.clip(mask, 0, 1)[..., None]
    colour = rng.uniform(0, 255, 3).astype(np.float32)
    grey = image.astype(np.float32).mean(axis=2, keepdims=True)
    inside = mask > 0.5
    mean_grey = max(float(grey[inside].mean()), 1.0) if inside.any() else 1.0
    shading = 1 + rng.uniform(0, 0.3) * (grey / mean_grey - 1)  # a faint trace of the photo's folds at most
    flat = np.clip(colour * shading, 0, 255)
    line_colour = np.full(3, rng.uniform(0, 80), np.float32)
    if rng.random() < 0.5:  # an outline, as drawn
        edge = cv2.morphologyEx(inside.astype(np.uint8), cv2.MORPH_GRADIENT, np.ones((3, 3), np.uint8)) > 0
        flat[edge] = line_colour
    ys, xs = np.nonzero(inside)
    if len(xs) and rng.random() < 0.6:
        seams = np.zeros(mask.shape, np.uint8)
        top, bottom, left, right = ys.min(), ys.max(), xs.min(), xs.max()
        for _ in range(int(rng.integers(1, 4))):
            width = int(rng.integers(1, 4))
            if rng.random() < 0.7:  # across: a waistline, a yoke, a hem's stitching
                y = int(rng.uniform(top + 0.15 * (bottom - top), bottom - 0.1 * (bottom - top)))
                cv2.line(seams, (int(left), y), (int(right), y + int(rng.integers(-3, 4))), 1, width)
            else:  # down: a placket or a fly
                x = int(rng.uniform(left + 0.3 * (right - left), right - 0.3 * (right - left)))
                cv2.line(seams, (x, int(top)), (x + int(rng.integers(-3, 4)), int(bottom)), 1, width)
        # In the outline's colour, or a gap showing the paper behind (the colour just outside the garment).
        ring = (cv2.dilate(inside.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0) & ~inside
        paper = image[ring].astype(np.float32).mean(axis=0) if ring.any() else line_colour
        flat[(seams > 0) & inside] = paper if rng.random() < 0.5 else line_colour
    return np.clip(flat * alpha + image.astype(np.float32) * (1 - alpha) + 0.5, 0, 255).astype(np.uint8)


def garment_gap(mask: np.ndarray, rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """A gap through the garment that shows what lies under it, as between a sleeve and the body.

    A tapered stroke (1-2 px at one end, 2-7 % of the garment's width at the other), along a
    slightly bent path of 20-55 % of its height that runs mostly up and down, starting inside the
    garment; half the time it is kept inside (a hole, the sleeve's cuff touching the body), else it
    may run out of the silhouette. Every truth the segmenter learnt from had its holes filled, so it
    called the sheet seen between a sleeve and the body garment (the commonest error on the audit
    sheets, docs/garment-mask.md).

    ``mask`` (h, w) float32 in [0, 1] -> (the mask with the gap cut out, (h, w) float32 shade in
    [0.65, 1] to multiply the background under the garment by: the gap lies in the garment's shadow).
    """
    inside = (mask > 0.5).astype(np.uint8)
    core = cv2.erode(inside, np.ones((5, 5), np.uint8))  # 2 px inside the silhouette
    ys, xs = np.nonzero(core)
    shade = np.ones(mask.shape, np.float32)
    if len(xs) < 20:
        return mask, shade
    top, bottom = ys.min(), ys.max()
    left, right = xs.min(), xs.max()
    start = int(rng.integers(len(xs)))
    x0, y0 = float(xs[start]), float(ys[start])
    length = rng.uniform(0.2, 0.55) * (bottom - top + 1)
    angle = np.pi / 2 + rng.uniform(-0.6, 0.6) + (np.pi if rng.random() < 0.5 else 0.0)
    bend = rng.uniform(-0.25, 0.25) * length
    wide = max(2.0, rng.uniform(0.02, 0.07) * (right - left + 1))
    gap = np.zeros(mask.shape, np.uint8)
    steps = max(8, int(length))
    for t in np.linspace(0.0, 1.0, steps):
        along = t * length
        x = x0 + np.cos(angle) * along - np.sin(angle) * bend * 4 * t * (1 - t)
        y = y0 + np.sin(angle) * along + np.cos(angle) * bend * 4 * t * (1 - t)
        radius = 0.5 + (wide / 2 - 0.5) * t  # narrow where it starts (the armpit), widening
        cv2.circle(gap, (int(round(x)), int(round(y))), max(1, int(round(radius))), 1, thickness=-1)
    if rng.random() < 0.5:  # a hole: the gap stays inside the garment
        gap &= core
    gap &= inside
    if gap.sum() < 6:
        return mask, shade
    soft = cv2.GaussianBlur(gap.astype(np.float32), (0, 0), sigmaX=max(1.0, wide / 3))
    shade = 1.0 - rng.uniform(0.0, 0.35) * np.clip(soft * 1.5, 0, 1)
    return np.where(gap > 0, 0.0, mask).astype(np.float32), shade.astype(np.float32)


def garment_variant(image: np.ndarray, mask: np.ndarray, rng: np.random.Generator, print_share: float = 0.0,
                    band_share: float = 0.0, flat_share: float = 0.0) -> np.ndarray:
    """The garment, ``print_share`` of the time re-made in a print (:func:`printed_garment`), then
    ``band_share`` of the time given a band (:func:`banded_garment`), then ``flat_share`` of the time
    drawn flat (:func:`flat_garment`). A share of 0 draws no random number, so presets without it
    draw exactly the views they drew before it existed. Shapes as those functions'."""
    if print_share > 0 and rng.random() < print_share:
        image = printed_garment(image, mask, rng)
    if band_share > 0 and rng.random() < band_share:
        image = banded_garment(image, mask, rng)
    if flat_share > 0 and rng.random() < flat_share:
        image = flat_garment(image, mask, rng)
    return image


def _plain_background(side: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth two-colour gradient, the way a sheet or wall looks under uneven light."""
    start = rng.uniform(0, 255, 3)
    end = np.clip(start + rng.normal(0, 25, 3), 0, 255)
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:side, 0:side] / side
    ramp = (np.cos(angle) * xs + np.sin(angle) * ys)[..., None]
    ramp = (ramp - ramp.min()) / max(float(np.ptp(ramp)), 1e-6)
    return (start * (1 - ramp) + end * ramp).astype(np.float32)


def _pattern_background(side: int, rng: np.random.Generator) -> np.ndarray:
    """A drawn print (a patterned blanket, rug or table cloth) under uneven light, slightly blurred."""
    pattern = draw_pattern(random_spec(rng, min_scale=6, max_scale=80), side, side).astype(np.float32)
    light = _plain_background(side, rng) / 255.0
    pattern *= 0.6 + 0.5 * light.mean(axis=2, keepdims=True)
    return cv2.GaussianBlur(pattern, (0, 0), sigmaX=rng.uniform(0.3, 1.5))


def _photo_background(backgrounds: list[np.ndarray], side: int, rng: np.random.Generator) -> np.ndarray:
    """A random crop of a stored garment-free background, scaled and maybe flipped to (side, side)."""
    source = backgrounds[rng.integers(len(backgrounds))]
    height, width = source.shape[:2]
    crop = int(rng.uniform(0.5, 1.0) * min(height, width))
    y, x = rng.integers(0, height - crop + 1), rng.integers(0, width - crop + 1)
    patch = cv2.resize(source[y:y + crop, x:x + crop], (side, side), interpolation=cv2.INTER_AREA)
    return (patch[:, ::-1] if rng.random() < 0.5 else patch).astype(np.float32)


def matched_background(background: np.ndarray, piece: np.ndarray, alpha: np.ndarray,
                       rng: np.random.Generator) -> np.ndarray:
    """(side, side, 3) float32 RGB background recoloured to one of the garment's own colours.

    ``piece`` (h, w, 3) float RGB in [0, 255] and ``alpha`` (h, w) in [0, 1] are the garment as it will
    be pasted. The colour is the garment's, smoothed over about a tenth of its size, at a random point
    on it (a sleeve's, a panel's, a print's average): the background's Lab mean moves there, with a
    little jitter, and keeps its own texture and light. Why: about two thirds of the held-out masks the
    app gets wrong lose a sleeve, cuff or sole that shares the background's colour, and no label had
    taught the network that case. A 1,500-step CPU fine-tune with it did not move the held-out fold
    (docs/garment-mask.md, twentieth session); it stays as an option for longer runs.
    """
    inside = np.argwhere(alpha > 0.5)
    if len(inside) == 0:
        return background
    sigma = max(1.0, max(alpha.shape) / 10)
    smooth = cv2.GaussianBlur(np.clip(piece, 0, 255).astype(np.float32) / 255.0, (0, 0), sigma)
    y, x = inside[rng.integers(len(inside))]
    target = cv2.cvtColor(smooth[y:y + 1, x:x + 1], cv2.COLOR_RGB2LAB)[0, 0]
    lab = cv2.cvtColor(np.clip(background, 0, 255).astype(np.float32) / 255.0, cv2.COLOR_RGB2LAB)
    shift = target - lab.reshape(-1, 3).mean(axis=0) + rng.normal(0.0, (3.0, 2.0, 2.0))
    recoloured = cv2.cvtColor((lab + shift).astype(np.float32), cv2.COLOR_LAB2RGB)
    return np.clip(recoloured * 255.0, 0, 255).astype(np.float32)


def composite_view(cutouts: list[Cutout], backgrounds: list[np.ndarray], side: int, rng: np.random.Generator,
                   pair_share: float = 0.3, plain_share: float = 0.1, pattern_share: float = 0.0,
                   garment_print_share: float = 0.0, hanger_share: float = 0.0,
                   underlay_share: float = 0.0, garment_band_share: float = 0.0,
                   garment_flat_share: float = 0.0, garment_gap_share: float = 0.0,
                   matched_share: float = 0.0) -> tuple[np.ndarray, np.ndarray]:
    """One garment (or, ``pair_share`` of the time, two side by side) pasted on a background: a
    gradient (``plain_share``), a drawn print (``pattern_share``) or else a stored photo background.
    ``garment_print_share`` of the garments are first re-made in a drawn print (:func:`printed_garment`),
    ``garment_band_share`` get a band of another colour (:func:`banded_garment`), ``garment_flat_share``
    become flat drawings (:func:`flat_garment`), ``garment_gap_share`` have a gap through them that
    shows the background, in shadow (:func:`garment_gap`). ``matched_share`` of the views have their
    background recoloured to one of the first garment's colours (:func:`matched_background`).
    ``underlay_share`` of the views get a cloth, board or box under the garments and ``hanger_share``
    of the single tops and dresses a hanger (:mod:`fashiongen.training.segmenter_clutter`), both background."""
    kind = rng.random()
    if kind < plain_share or not backgrounds:
        image = _plain_background(side, rng)
    elif kind < plain_share + pattern_share:
        image = _pattern_background(side, rng)
    else:
        image = _photo_background(backgrounds, side, rng)
    image *= rng.uniform(0.75, 1.2)  # the background's own exposure
    truth = np.zeros((side, side), np.float32)
    pair = rng.random() < pair_share
    pieces = []  # (piece, alpha, x0, y0, label): placed first, pasted after the clutter is drawn under them
    for index in range(2 if pair else 1):
        cutout = cutouts[rng.integers(len(cutouts))]
        scale = rng.uniform(0.3, 0.55) if pair else rng.uniform(0.4, 0.95)
        stretch = np.exp(rng.uniform(-0.25, 0.25))
        cut_height, cut_width = cutout.mask.shape
        factor = scale * side / max(cut_height, cut_width)
        new_width = int(np.clip(round(cut_width * factor * stretch), 4, side))
        new_height = int(np.clip(round(cut_height * factor / stretch), 4, side))
        piece = cv2.resize(cutout.image, (new_width, new_height), interpolation=cv2.INTER_AREA)
        alpha = cv2.resize(cutout.mask, (new_width, new_height), interpolation=cv2.INTER_LINEAR)
        piece = garment_variant(piece, alpha, rng, garment_print_share, garment_band_share,
                                garment_flat_share).astype(np.float32)
        shade = None
        if garment_gap_share > 0 and rng.random() < garment_gap_share:
            alpha, shade = garment_gap(alpha, rng)
        if rng.random() < 0.5:
            piece, alpha = piece[:, ::-1], alpha[:, ::-1]
            shade = None if shade is None else shade[:, ::-1]
        piece = _exposure(piece, rng)
        if pair:  # side by side, as shoes lie in a photo
            low, high = (0, side // 2 - new_width // 2) if index == 0 else (side // 2 - new_width // 2, side - new_width)
            x0 = int(rng.integers(max(0, low), max(1, high + 1)))
        else:
            x0 = int(rng.integers(0, side - new_width + 1))
        y0 = int(rng.integers(0, side - new_height + 1))
        pieces.append((piece, alpha, x0, y0, cutout.label, shade))
    if matched_share > 0 and rng.random() < matched_share:
        image = matched_background(image, pieces[0][0], pieces[0][1], rng)
    placements = [(x0, y0, piece.shape[1], piece.shape[0]) for piece, _, x0, y0, _, _ in pieces]
    # As for the garment variants: no random number is drawn for a share that is off.
    if underlay_share > 0 and rng.random() < underlay_share:
        draw_underlay(image, placements, backgrounds, rng)
    if hanger_share > 0 and not pair and pieces[0][4] in HANGER_LABELS and rng.random() < hanger_share:
        draw_hanger(image, placements[0], rng)
    for piece, alpha, x0, y0, _, shade in pieces:
        new_height, new_width = alpha.shape
        region = image[y0:y0 + new_height, x0:x0 + new_width]
        if shade is not None:  # the background seen through a gap lies in the garment's shadow
            region = region * shade[..., None]
        image[y0:y0 + new_height, x0:x0 + new_width] = piece * alpha[..., None] + region * (1 - alpha[..., None])
        truth[y0:y0 + new_height, x0:x0 + new_width] = np.maximum(truth[y0:y0 + new_height, x0:x0 + new_width], alpha > 0.5)
    blur = rng.uniform(0.0, 1.0)
    if blur > 0.3:  # soften the pasted edge like a camera would
        image = cv2.GaussianBlur(image, (0, 0), sigmaX=blur)
    image += rng.normal(0.0, rng.uniform(0.0, 4.0), image.shape)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8), truth
