"""The learned garment segmenter against today's GrabCut mask, on held-out hand-checked photos.

    python benchmarks/segmenter_eval.py --checkpoint runs/segmenter/checkpoint.pt --out runs/segmenter-eval

The held-out fold (never trained on) of ``benchmarks/mask_checks.json``, the verdicts given on
GrabCut's mask (which the methods start from). For each photo the segmenter's probability and five
ways to use it:

- ``net``: the probability above 0.5, cleaned like every mask (specks, holes);
- ``mix``: confident net pixels (> 0.85), plus GrabCut's pixels where the net is unsure (> 0.15);
- ``seeded``: GrabCut started from the net (certain where it is very sure, probable elsewhere);
- ``cut``: GrabCut's mask inside the dilated net mask (it can only remove);
- ``removals``: the app's mask since 2026-12-04: GrabCut's mask (its gap removals vetoed where the net
  is sure of garment) less what the seeded GrabCut leaves out, the garment's own cloth given back, a
  whole garment colour lost that the net is sure of added.

Printed: IoU against the right masks (a method that keeps right masks right scores near 1), and
how many of the wrong masks a method changes at all (a wrong mask it leaves alone stays wrong).
Drawn (dataset pixels, never commit): every held-out wrong mask a method changes, and every
right one a method moves below IoU 0.95, as rows "GrabCut | net | mix | seeded | cut | removals | probability", 8 rows a
sheet with a JSON list of the photos, for a person to count what each method fixes and breaks.

Then ``--composites`` of ``bench_mask.py``'s composites (its certain cutouts and validation-photo
backgrounds, which the segmenter never saw, drawn the same way): mean IoU against the exact truth,
share >= 0.9, pairs that lose a garment.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import cv2
import numpy as np
import torch
from PIL import Image
from tqdm import tqdm

from bench_mask import CANVAS, SIDE, draw_composite, scan_photos
from fashiongen.garment_mask import (DEFAULT_RULES, GarmentNotFound, _corrected_by, _seeded_grabcut, clean_mask,
                                     colour_mask, garment_mask)
from fashiongen.images import make_grid, resize, resize_long_side
from fashiongen.metrics.mask_benchmark import iou, pair_recall, tint
from fashiongen.metrics.mask_verdicts import fold_of
from fashiongen.training.train_segmenter import TrainSegmenterConfig, labelled_photos, load_segmenter

TILE = (150, 200)


def probability_of(model: torch.nn.Module, photo: np.ndarray, side: int, multiple: int) -> np.ndarray:
    """(h, w, 3) uint8 -> (h, w) float32 garment probability, the net run at ``side`` long side."""
    height, width = photo.shape[:2]
    scale = side / max(height, width)
    size = (max(multiple, round(width * scale / multiple) * multiple), max(multiple, round(height * scale / multiple) * multiple))
    x = torch.from_numpy(cv2.resize(photo, size, interpolation=cv2.INTER_AREA)).permute(2, 0, 1)[None].float() / 255
    with torch.no_grad():
        probability = torch.sigmoid(model(x))[0, 0].numpy()
    return cv2.resize(probability, (width, height), interpolation=cv2.INTER_LINEAR)


def methods(photo: np.ndarray, grabcut: np.ndarray, probability: np.ndarray) -> dict[str, np.ndarray]:
    """{method: (h, w) uint8 {0, 1} mask} for GrabCut and the five uses of the net."""
    net = clean_mask((probability > 0.5).astype(np.uint8), DEFAULT_RULES)
    try:
        vetoed = colour_mask(photo, DEFAULT_RULES, probability)  # the app's: colour's gap removals the net vetoes
    except GarmentNotFound:
        vetoed = grabcut.astype(np.uint8)
    try:
        raw = _seeded_grabcut(photo, probability, DEFAULT_RULES)
        seeded = clean_mask(raw, DEFAULT_RULES)
        removals = _corrected_by(photo, vetoed, raw, probability, DEFAULT_RULES)  # the app's, seeded once
    except GarmentNotFound:  # the net sees garment everywhere or nowhere: the app keeps colour's mask then
        seeded = removals = vetoed
    return {"grabcut": grabcut.astype(np.uint8), "net": net,
            "mix": clean_mask(((probability > 0.85) | (grabcut & (probability > 0.15))).astype(np.uint8), DEFAULT_RULES),
            "seeded": seeded,
            "removals": removals,
            "cut": clean_mask((grabcut & (cv2.dilate(net, np.ones((7, 7), np.uint8)) > 0)).astype(np.uint8), DEFAULT_RULES)}


def composite_scores(model: torch.nn.Module, side: int, count: int, data: str, out: Path) -> None:
    """Print each method's scores on ``count`` composites on unseen backgrounds; draw the first 24."""
    cutouts, backgrounds, _ = scan_photos(data, 200, 0, Path("runs/mask-bench"))  # validation backgrounds only
    shoes = [c for c in cutouts if c.label == "Shoes"] or cutouts
    rng = np.random.default_rng(0)
    scores: dict[str, list[float]] = {}
    recalls: dict[str, list[float]] = {}
    tiles = []
    for index in tqdm(range(count), desc="composites", dynamic_ncols=True):
        image, parts = draw_composite(index, cutouts, shoes, backgrounds, rng)
        truth = np.maximum.reduce(parts)
        small = resize_long_side(image, SIDE)
        masks = methods(small, (garment_mask(small) > 0.5).astype(np.uint8), probability_of(model, small, side, model.config.multiple))
        row = [resize(image, (96, 128))]
        for method, mask in masks.items():
            predicted = cv2.resize(mask.astype(np.float32), CANVAS, interpolation=cv2.INTER_LINEAR)
            scores.setdefault(method, []).append(iou(predicted, truth))
            if len(parts) == 2:
                recalls.setdefault(method, []).append(pair_recall(predicted, parts))
            row.append(resize(tint(image, predicted), (96, 128)))
        if index < 24:
            tiles += row
    Image.fromarray(make_grid(tiles, 12)).save(out / "composites.png")
    print(f"\n{count} composites on {len(backgrounds)} validation backgrounds ({len(recalls['grabcut'])} pairs)")
    print(f"{'method':<10}{'mean IoU':>10}{'>= 0.9':>9}{'lost in pair':>14}")
    for method, values in scores.items():
        values = np.array(values)
        lost = sum(recall < 0.5 for recall in recalls[method])
        print(f"{method:<10}{values.mean():>10.3f}{(values >= 0.9).mean():>9.0%}{f'{lost}/{len(recalls[method])}':>14}")
    print(f"sheet: {out / 'composites.png'} (image | one mask per method, two composites a row)")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", required=True, help="a training checkpoint: the net and four ways to use it")
    parser.add_argument("--side", type=int, default=192, help="long side the net runs at")
    parser.add_argument("--out", default="runs/segmenter-eval")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--composites", type=int, default=200, help="composites on validation backgrounds (0: none)")
    parser.add_argument("--data", default="../shared/data/clothing")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    model = load_segmenter(args.checkpoint)
    labels = Path(__file__).with_name("mask_checks.json")
    photos = labelled_photos(TrainSegmenterConfig(labels=str(labels)))  # verdicts on GrabCut's mask, with it
    held_out = {name: item for name, item in sorted(photos.items()) if fold_of(name) == 0}
    scores: dict[str, list[float]] = {}
    changed: dict[str, list[bool]] = {}
    wrong_count = 0
    rows = {"wrong": [], "right": []}
    for name, item in tqdm(held_out.items(), desc="held-out photos", dynamic_ncols=True):
        photo, grabcut = item["photo"], (item["mask"] > 0.5).astype(np.uint8)
        probability = probability_of(model, photo, args.side, model.config.multiple)
        masks = methods(photo, grabcut, probability)
        row = [resize(tint(photo, mask.astype(np.float32)), TILE) for mask in masks.values()]
        row.append(resize(np.repeat((probability[..., None] * 255).astype(np.uint8), 3, axis=2), TILE))
        verdict = item["verdict"]
        if verdict == "right":
            values = {method: iou(mask, grabcut) for method, mask in masks.items()}
            for method, value in values.items():
                scores.setdefault(method, []).append(value)
            if min(values.values()) < 0.95:
                rows["right"].append((name, row))
        else:
            moved = {method: iou(mask, grabcut) < 0.99 for method, mask in masks.items()}
            for method, value in moved.items():
                changed.setdefault(method, []).append(value)
            wrong_count += 1
            if any(moved.values()):  # a wrong mask no method touches stays wrong: nothing to look at
                rows["wrong"].append((name, row))
    print(f"held-out fold: {len(scores['grabcut'])} right masks, {wrong_count} wrong; net at {args.side} px")
    print(f"{'method':<10}{'IoU vs right':>14}{'>= 0.9':>9}{'>= 0.95':>9}{'wrong ones changed':>20}")
    for method, values in scores.items():
        values = np.array(values)
        moved = int(sum(changed.get(method, [])))
        print(f"{method:<10}{values.mean():>14.3f}{(values >= 0.9).mean():>9.0%}{(values >= 0.95).mean():>9.0%}"
              f"{moved:>14} of {wrong_count}")
    for kind, kind_rows in rows.items():
        for start in range(0, len(kind_rows), 8):
            chunk = kind_rows[start:start + 8]
            Image.fromarray(make_grid([tile for _, row in chunk for tile in row], 7)).save(out / f"{kind}-{start // 8:02d}.png")
            (out / f"{kind}-{start // 8:02d}.json").write_text(json.dumps([name for name, _ in chunk]))
    print(f"sheets under {out}: held-out wrong masks a method changed ({len(rows['wrong'])}) and right masks a method moved "
          f"({len(rows['right'])})")
    if args.composites:
        composite_scores(model, args.side, args.composites, args.data, out)


if __name__ == "__main__":
    main()
