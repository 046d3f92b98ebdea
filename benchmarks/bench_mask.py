"""Garment mask accuracy against exact ground truth (a benchmark, not a test).

    python benchmarks/bench_mask.py --composites 160 --out runs/mask-bench

Photos on plain backgrounds (a smooth colour gradient; about 4 % of the set, any split) give
garments whose mask is certain; they are composited onto real textured backgrounds taken from
val photos (the largest garment-free band of a photo, scaled to cover the canvas; val only, so the
learned segmenter, trained on train photos, never saw them), at three scales and
random positions, a quarter of them as pairs (two garments, e.g. shoes). Prints mean IoU, the
share of images with IoU >= 0.9 and lost-garment counts for the first release's mask (GrabCut,
largest component only), the one-pass mask (every sizeable component, holes filled; what the
trend GAN's data view still uses), the two-pass mask before the straight-edge rule, the mask of
2026-11-25 to 2026-12-04 (gap-removing second pass, frame-line rule, straight-edged regions
dropped), that carried out to the frame where the garment crosses it (GrabCut alone, the mask
until 2026-12-04) and today's (that, less what a GrabCut seeded by the learned segmenter
leaves out), and writes
contact sheets to --out (dataset pixels: never commit them): the certain cutouts (check them by
eye), the composites with the masks, and seven audit sheets of 24 val photos each (GrabCut alone
| today's): audit-val.png, the set the second pass was tuned on,
audit-val-2.png, drawn afterwards (the straight-edge rule was tuned on it), audit-val-3.png,
drawn after that and looked at only once the rules were fixed, and audit-val-4.png, drawn on
2026-12-04 before the segmenter trained with hangers and cloths was judged (audit-val-3 had been
looked at for every candidate since), and audit-val-5.png, drawn in the fourteenth session once the
network's veto on gap removals was chosen and judged on the held-out fold (not before), and
audit-val-6.png, drawn in the twenty-third session and judged once on the shipped mask (grown-2), with
no rule chosen on it, and audit-val-7.png, drawn in the thirty-eighth session and judged once the same way.
With ``--frame`` every composite is one garment larger than the canvas's short side (FRAME_SCALES),
placed where its random centre puts it, so that the frame cuts most of them as in a close-up photo;
its truth is the part inside the canvas (added in the twenty-second session, when the growth step
was let reach the frame: the default composites never touch it).
Certain cutouts are refused when their mask falls into pieces (see ``certain_mask``): until then
one, a white vest on a white sheet whose print alone stood out, was pasted as floating spots and
counted as the one lost garment of a pair.
"""

from __future__ import annotations

import argparse
import dataclasses
import functools
import hashlib
import pickle
import statistics
import time
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from fashiongen.garment_mask import (DEFAULT_RULES, FIRST_PASS_RULES, SEGMENTER_FILE, LearnedSegmenter, _grabcut,
                                     garment_mask, shipped_grower_file)
from fashiongen.images import ImageError, load_image, make_grid, resize, resize_long_side
from fashiongen.metrics.mask_benchmark import (CANVAS, background_from, certain_mask, composite_parts, cutout_of,
                                               iou, pair_recall, tint)
from fashiongen.training.data import read_records, split_of

SCALES = (0.45, 0.65, 0.85)
FRAME_SCALES = (0.95, 1.1, 1.25)  # --frame: garments larger than the canvas's short side, cut by the frame
SIDE = 256           # both methods see the same 256 px long side working copy


def first_release_mask(image: np.ndarray) -> np.ndarray:
    """The first release's mask: GrabCut from the border, largest component only, holes filled."""
    height, width = image.shape[:2]
    mask = _grabcut(image, DEFAULT_RULES)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(mask, connectivity=8)
    if count <= 1:
        return np.ones((height, width), np.float32)
    mask = (labels == 1 + int(np.argmax(stats[1:, cv2.CC_STAT_AREA]))).astype(np.uint8)
    contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    return cv2.drawContours(np.zeros_like(mask), contours, -1, 1, thickness=cv2.FILLED).astype(np.float32)


def one_pass_mask(image: np.ndarray) -> np.ndarray:
    """One GrabCut pass, every sizeable component, holes filled (the trend GAN's data view)."""
    return garment_mask(image, FIRST_PASS_RULES)


def two_pass_mask(image: np.ndarray) -> np.ndarray:
    """Today's rules without the straight-edge rule (the mask of 2026-11-25 morning)."""
    return garment_mask(image, dataclasses.replace(DEFAULT_RULES, straight_edge_share=float("inf")))


def inside_band_mask(image: np.ndarray) -> np.ndarray:
    """Today's rules except the last: the mask stops at the border band (the mask of 2026-11-25 to 12-04)."""
    return garment_mask(image, dataclasses.replace(DEFAULT_RULES, reach_frame=False))


def grabcut_only_mask(image: np.ndarray) -> np.ndarray:
    """Every GrabCut rule, out to the frame, no learned segmenter (the mask of 2026-12-04)."""
    return garment_mask(image)


@functools.lru_cache(maxsize=2)
def _segmenter(path: str, grower: str = "") -> LearnedSegmenter:
    return LearnedSegmenter(path, grower or None)


def current_mask(image: np.ndarray, segmenter_file: str = str(SEGMENTER_FILE), grower_file: str = "") -> np.ndarray:
    """Today's mask: GrabCut's, less what a GrabCut seeded by the learned segmenter (the committed
    one, or a candidate's ONNX file) leaves out, plus what it and the grower (when given) are both sure of."""
    return garment_mask(image, segmenter=_segmenter(segmenter_file, grower_file))


CURRENT = "current (corrected by the learned segmenter)"
AUDIT_SEED_OFFSETS = (7, 13, 19, 25, 31, 37)  # audit-val-2 to audit-val-7, one added per round of judging
METHODS = {"first release (largest component)": first_release_mask, "one pass (all components)": one_pass_mask,
           "two passes (gaps, lines)": two_pass_mask, "+ straight edges (to the band)": inside_band_mask,
           "+ out to the frame (GrabCut only)": grabcut_only_mask,
           CURRENT: current_mask}


def scan_photos(data: str, backgrounds_wanted: int, seed: int, cache_dir: Path
                ) -> tuple[list, list[np.ndarray], list[np.ndarray]]:
    """One pass over the photos -> (certain cutouts, textured backgrounds, 24 val audit photos).

    A background is the largest band of a photo outside its one-pass garment mask (pinned, so the
    backgrounds do not move when today's mask changes). The scan takes minutes, so it is cached in
    ``cache_dir`` keyed on the photo list and these settings.
    """
    records, _ = read_records(data, min_class_images=1)
    key = hashlib.sha256(repr(([(r.path.name, r.label) for r in records], backgrounds_wanted, seed, CANVAS,
                               "scan-v3")).encode()).hexdigest()[:16]
    cache = cache_dir / f"scan-{key}.pkl"
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    rng = np.random.default_rng(seed)
    cutouts, backgrounds, audit = [], [], []
    for record in tqdm(records, desc="photos", dynamic_ncols=True):
        try:
            photo = resize_long_side(load_image(record.path, max_side=1024), CANVAS[1])
        except ImageError:
            continue
        certain = certain_mask(photo)
        if certain is not None:
            cutouts.append(cutout_of(photo, certain, record.label))
            continue
        if split_of(record.image_id) == "val" and len(audit) < 24 and rng.random() < 0.1:
            audit.append(photo)
        if len(backgrounds) < backgrounds_wanted and split_of(record.image_id) == "val":
            background = background_from(photo, one_pass_mask(photo), CANVAS)
            if background is not None:
                backgrounds.append(background)
    cache.write_bytes(pickle.dumps((cutouts, backgrounds, audit)))
    return cutouts, backgrounds, audit


def draw_composite(index: int, cutouts: list, shoes: list, backgrounds: list[np.ndarray], rng: np.random.Generator,
                   frame: bool = False) -> tuple[np.ndarray, list[np.ndarray]]:
    """Composite number ``index``: every 4th a pair (a shoe beside another garment, as shoes lie in a
    photo), else one garment at one of SCALES -> (CANVAS image, one (H, W) truth mask per garment).

    ``frame``: one garment at one of FRAME_SCALES instead, placed where it lands, so that the frame
    cuts most of them (a close-up: sleeves, hems and legs run out of the photo)."""
    background = backgrounds[rng.integers(len(backgrounds))]
    if frame:
        scale = FRAME_SCALES[index % len(FRAME_SCALES)]
        center = (0.5 + rng.uniform(-0.15, 0.15), 0.5 + rng.uniform(-0.15, 0.15))
        return composite_parts([cutouts[rng.integers(len(cutouts))]], background, scale, [center], inside=False)
    if index % 4 == 3:
        pair = [shoes[rng.integers(len(shoes))], cutouts[rng.integers(len(cutouts))]]
        scale = 0.4
        centers = [(0.27 + rng.uniform(-0.05, 0.05), 0.5 + rng.uniform(-0.15, 0.15)),
                   (0.73 + rng.uniform(-0.05, 0.05), 0.5 + rng.uniform(-0.15, 0.15))]
    else:
        pair = [cutouts[rng.integers(len(cutouts))]]
        scale = SCALES[index % len(SCALES)]
        centers = [(0.5 + rng.uniform(-0.2, 0.2) * (1 - scale), 0.5 + rng.uniform(-0.2, 0.2) * (1 - scale))]
    return composite_parts(pair, background, scale, centers)


def more_audit(data: str, seed: int, exclude: list[np.ndarray], count: int = 24) -> list[np.ndarray]:
    """``count`` more val photos (not on plain backgrounds, not in ``exclude``), in a ``seed``-ed random order."""
    records, _ = read_records(data, min_class_images=1)
    val = [record for record in records if split_of(record.image_id) == "val"]
    seen = {hashlib.sha1(photo.tobytes()).digest() for photo in exclude}
    photos = []
    for index in np.random.default_rng(seed).permutation(len(val)):
        try:
            photo = resize_long_side(load_image(val[index].path, max_side=1024), CANVAS[1])
        except ImageError:
            continue
        if certain_mask(photo) is None and hashlib.sha1(photo.tobytes()).digest() not in seen:
            photos.append(photo)
        if len(photos) == count:
            break
    return photos


def audit_sheet(photos: list[np.ndarray], current=current_mask) -> np.ndarray:
    """Each photo twice, tinted outside GrabCut's mask alone and outside ``current``'s (today's) mask."""
    tiles = []
    for photo in photos:
        tiles += [resize(tint(photo, grabcut_only_mask(photo)), (150, 200)), resize(tint(photo, current(photo)), (150, 200))]
    return make_grid(tiles, 8)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--composites", type=int, default=160)
    parser.add_argument("--backgrounds", type=int, default=200, help="textured backgrounds to draw from")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--frame", action="store_true",
                        help="composites of one garment each, larger than the canvas and cut by its frame (no pairs)")
    parser.add_argument("--out", default="runs/mask-bench")
    parser.add_argument("--segmenter", default=str(SEGMENTER_FILE),
                        help="the learned segmenter's ONNX file for the current mask (a candidate, before it ships)")
    parser.add_argument("--grower", default=str(shipped_grower_file() or ""),
                        help="the second network of the mask's growth step ('' for none; default: the committed one)")
    args = parser.parse_args(argv)
    current = functools.partial(current_mask, segmenter_file=args.segmenter, grower_file=args.grower)
    methods = {**METHODS, CURRENT: current}
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(args.seed)

    cutouts, backgrounds, audit = scan_photos(args.data, args.backgrounds, args.seed, out)
    print(f"{len(cutouts)} photos on plain backgrounds (certain masks), "
          f"{len(backgrounds)} textured backgrounds")
    sheet = [resize(tint(c.image, c.mask), (96, 128)) for c in cutouts[:96]]
    Image.fromarray(make_grid(sheet, 12)).save(out / "certain-cutouts.png")

    shoes = [c for c in cutouts if c.label == "Shoes"] or cutouts
    scores = {name: [] for name in methods}
    recalls = {name: [] for name in methods}
    seconds = {name: [] for name in methods}
    examples = []
    for index in range(args.composites):
        image, parts = draw_composite(index, cutouts, shoes, backgrounds, rng, args.frame)
        truth = np.maximum.reduce(parts)
        row = [image]
        for name, method in methods.items():
            started = time.perf_counter()
            predicted = method(resize_long_side(image, SIDE))
            seconds[name].append(time.perf_counter() - started)
            predicted = cv2.resize(predicted.astype(np.float32), CANVAS, interpolation=cv2.INTER_LINEAR)
            scores[name].append(iou(predicted, truth))
            if len(parts) == 2:
                recalls[name].append(pair_recall(predicted, parts))
            row.append(tint(image, predicted))
        if len(examples) < 12 * 3:
            examples += [resize(tile, (96, 128)) for tile in row]
    Image.fromarray(make_grid(examples, 12)).save(out / "composites.png")
    Image.fromarray(audit_sheet(audit, current)).save(out / "audit-val.png")
    seen = list(audit)
    for number, offset in enumerate(AUDIT_SEED_OFFSETS, start=2):  # each sheet new photos, none seen before
        photos = more_audit(args.data, args.seed + offset, seen)
        Image.fromarray(audit_sheet(photos, current)).save(out / f"audit-val-{number}.png")
        seen += photos

    pairs = len(next(iter(recalls.values())))
    kind = "across the frame" if args.frame else f"({pairs} pairs)"
    print(f"\n{args.composites} composites {kind}, canvas {CANVAS[0]}x{CANVAS[1]}, masks at {SIDE} px")
    width = max(len(name) for name in methods) + 2
    print(f"{'method':<{width}}{'mean IoU':>10}{'IoU>=0.9':>10}{'lost in pair':>14}{'ms/image':>10}")
    for name in methods:
        values = np.array(scores[name])
        lost = sum(recall < 0.5 for recall in recalls[name])
        print(f"{name:<{width}}{values.mean():>10.3f}{(values >= 0.9).mean():>10.0%}{f'{lost}/{pairs}':>14}"
              f"{1000 * statistics.median(seconds[name]):>10.0f}")
    print(f"\nsheets in {out}: certain-cutouts.png, composites.png (image | one mask per method), "
          f"audit-val.png to audit-val-{len(AUDIT_SEED_OFFSETS) + 1}.png (GrabCut only | current, pairs of tiles)")


if __name__ == "__main__":
    main()
