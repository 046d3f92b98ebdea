"""Hand-checked garment masks: sheets to judge by eye, and the verdicts kept as labels.

    python benchmarks/mask_labels.py sheets --count 384 --out runs/mask-labels   # more later: --count 432 draws sheet 8 only
    python benchmarks/mask_labels.py record --out runs/mask-labels --sheet 0 --wrong 3,17,22
    python benchmarks/mask_labels.py summary
    python benchmarks/mask_labels.py recheck --count 96 --out runs/mask-recheck   # after the mask changed

The automatic mask (:func:`fashiongen.garment_mask.garment_mask`) is drawn on train-split photos
(not on plain backgrounds: those are the mask benchmark's garments), 48 numbered tiles a sheet, the
background dimmed and tinted blue so both a kept patch of floor and a lost sleeve show. A person
looks at each sheet and records the tiles whose mask is wrong (background kept or garment lost,
beyond a thin edge); every other tile of the sheet is recorded as right. The verdicts go to
``benchmarks/mask_checks.json`` with each mask's SHA-256 and the mask version, so they label
exactly the mask that was looked at (GrabCut is seeded, so the mask reproduces) and go stale,
visibly, when the mask changes. They are labels, not pixels: the sheets themselves show dataset
photos and stay in ``runs/`` (never commit them).

When the mask changes, ``recheck`` carries each verdict over to the new mask version if that
photo's mask is unchanged (same digest) or barely moved (IoU >= NEAR_IOU with the judged mask,
where that can be rebuilt: GrabCut's) and sets the others aside as ``earlier`` verdicts; it then
draws the changed masks, in a seeded random order, as sheets to judge again (``record`` on its
folder). ``summary`` gives the rate over the verdicts on today's mask and, while some wait, an
estimate for all checked photos that applies the rechecked photos' before -> after rates to the
waiting ones.

What the verdicts are for: the real-photo error rate of the mask over hundreds of photos (a
tighter number than a 24-photo audit), and right masks as training labels for a learned segmenter
(composites of hand-checked cutouts instead of GrabCut's unchecked ones).
"""

from __future__ import annotations

import argparse
import functools
import json
import math
from pathlib import Path

import cv2
import numpy as np
from PIL import Image
from tqdm import tqdm

from fashiongen.garment_mask import MASK_VERSION, LearnedSegmenter, garment_mask
from fashiongen.garment_mask import shipped_segmenter as app_segmenter
from fashiongen.images import make_grid, resize, resize_long_side
from fashiongen.metrics.mask_benchmark import certain_mask, iou, tint
from fashiongen.metrics.mask_verdicts import load_labels, mask_digest, sheet_photo
from fashiongen.training.data import read_records, split_of

LABELS = Path(__file__).with_name("mask_checks.json")  # beside this script, in the checkout it runs from
PER_SHEET = 48
# A verdict carries over to a new mask that is at least this IoU of the judged one (rebuilt): on a
# 256 px mask of ~25,000 garment pixels, 0.995 is ~125 pixels, an edge moved by about one pixel.
NEAR_IOU = 0.995
TILE = (150, 200)  # (W, H)



def numbered(tile: np.ndarray, number: int) -> np.ndarray:
    """The tile with its number in the top-left corner, white on black."""
    tile = tile.copy()
    cv2.rectangle(tile, (0, 0), (34, 18), (0, 0, 0), thickness=cv2.FILLED)
    cv2.putText(tile, str(number), (2, 14), cv2.FONT_HERSHEY_SIMPLEX, 0.5, (255, 255, 255), 1, cv2.LINE_AA)
    return tile


def wilson(wrong: int, total: int, z: float = 1.96) -> tuple[float, float]:
    """95 % Wilson score interval of a proportion wrong/total."""
    if total == 0:
        return 0.0, 1.0
    p = wrong / total
    centre = (p + z * z / (2 * total)) / (1 + z * z / total)
    half = z * math.sqrt(p * (1 - p) / total + z * z / (4 * total * total)) / (1 + z * z / total)
    return max(0.0, centre - half), min(1.0, centre + half)


def drawn_sheets(out: Path, seed: int, count: int) -> list[dict]:
    """The index entries of the whole sheets already drawn in ``out`` with this mask version and seed.

    Drawing 48 masks takes 20 s to 3 minutes, so asking for more sheets keeps the ones on disk (their
    masks were hashed when drawn; a changed mask version or seed starts again from the first sheet).
    """
    path = out / "index.json"
    if not path.is_file():
        return []
    drawn = json.loads(path.read_text())
    if drawn.get("mask_version") != shipped_version() or drawn.get("seed", 0) != seed:
        return []
    whole = min(len(drawn["photos"]), count) // PER_SHEET * PER_SHEET
    if whole == 0 or not (out / f"sheet-{whole // PER_SHEET - 1:02d}.png").is_file():
        return []
    return drawn["photos"][:whole]


@functools.lru_cache(maxsize=1)
def shipped_segmenter() -> LearnedSegmenter:
    """The committed learned segmenter (and its grower, when committed): the verdicts judge the mask the app makes."""
    return app_segmenter()


def shipped_version() -> str:
    """The version of the mask the app makes today (GrabCut inside the committed segmenter's mask)."""
    return shipped_segmenter().mask_version


def mask_of(photo: np.ndarray) -> np.ndarray:
    """Today's automatic mask of a sheet photo, computed at the 256 px long side the app uses."""
    return garment_mask(resize_long_side(photo, 256), segmenter=shipped_segmenter())


def sheet_tile(photo: np.ndarray, mask: np.ndarray, position: int) -> np.ndarray:
    """The numbered tile of the ``position``-th mask drawn (numbered within its sheet)."""
    full = cv2.resize(mask, (photo.shape[1], photo.shape[0]), interpolation=cv2.INTER_LINEAR)
    return numbered(resize(tint(photo, full), TILE), position % PER_SHEET)


def save_sheet(tiles: list[np.ndarray], out: Path, position: int) -> None:
    """Save the sheet holding the ``position``-th mask drawn."""
    Image.fromarray(make_grid(tiles, 8)).save(out / f"sheet-{position // PER_SHEET:02d}.png")


def make_sheets(data: str, count: int, out: Path, seed: int) -> None:
    """Draw ``count`` masks on train photos (a ``seed``-ed order) into numbered sheets + index.json.

    Whole sheets already in ``out`` (same mask version and seed) are kept; only later ones are drawn.
    """
    records, _ = read_records(data, min_class_images=1)
    train = [record for record in records if split_of(record.image_id) == "train"]
    order = np.random.default_rng(seed).permutation(len(train))
    out.mkdir(parents=True, exist_ok=True)
    index, tiles = drawn_sheets(out, seed, count), []
    kept = {entry["image"] for entry in index}
    if index:
        print(f"keeping sheets 0-{len(index) // PER_SHEET - 1} ({len(index)} masks) already drawn in {out}")
    progress = tqdm(total=count, initial=len(index), desc="masks", dynamic_ncols=True)
    for position in order:
        if len(index) >= count:
            break
        record = train[position]
        if record.path.name in kept:
            continue
        photo = sheet_photo(record.path)
        if photo is None or certain_mask(photo) is not None:
            continue  # unreadable, or a mask benchmark garment
        mask = mask_of(photo)
        index.append({"image": record.path.name, "label": record.label, "mask_sha256": mask_digest(mask)})
        tiles.append(sheet_tile(photo, mask, len(index) - 1))
        progress.update()
        if len(index) % PER_SHEET == 0 or len(index) == count:
            # Each finished sheet is indexed at once, so a sheet can be judged while later ones draw.
            save_sheet(tiles, out, len(index) - 1)
            (out / "index.json").write_text(json.dumps({"mask_version": shipped_version(), "seed": seed, "side": 256,
                                                        "photos": index}, indent=1))
            tiles = []
    progress.close()
    print(f"{len(index)} masks in {math.ceil(len(index) / PER_SHEET)} sheets under {out} (dataset pixels: never commit)")


def carry_over(labels: dict, digests: dict[str, str], version: str, near: dict[str, float] | None = None) -> dict:
    """Labels moved to mask ``version``, given today's mask digest of each checked photo.

    A verdict whose photo's mask is unchanged stays checked, and so does one whose new mask is at
    least NEAR_IOU of the judged one (``near``: that IoU per photo, where the judged mask could be
    rebuilt; the entry then names the new digest and records the IoU); the others move to
    "earlier" (keeping the verdict and the version it was given on, so the before -> after rate can
    be measured). Verdicts already set aside stay so. Pure: returns a new dict.
    """
    checked, earlier = {}, dict(labels.get("earlier", {}))
    for image, entry in labels["checked"].items():
        if digests.get(image) == entry["mask_sha256"]:
            checked[image] = dict(entry)
        elif (near or {}).get(image, 0.0) >= NEAR_IOU:
            checked[image] = {**entry, "mask_sha256": digests[image],
                              "carried": {"from": labels["mask_version"], "iou": round(near[image], 4)}}
        else:
            earlier[image] = {**entry, "mask_version": labels["mask_version"]}
    return {"mask_version": version, "checked": checked, "earlier": earlier}


def recheck(data: str, count: int, out: Path, seed: int, path: Path = LABELS) -> None:
    """Carry the verdicts over to today's mask and draw up to ``count`` changed masks to judge again."""
    labels = load_labels(path, shipped_version())
    images = Path(data) / "images"
    if labels["mask_version"] != shipped_version():
        digests, near = {}, {}
        rebuildable = labels["mask_version"] == MASK_VERSION  # GrabCut's mask: reproducible without the model
        for image in tqdm(sorted(labels["checked"]), desc="today's masks", dynamic_ncols=True):
            photo = sheet_photo(images / image)
            if photo is None:
                digests[image] = ""
                continue
            mask = mask_of(photo)
            digests[image] = mask_digest(mask)
            judged = garment_mask(resize_long_side(photo, 256)) if rebuildable else None
            if judged is not None and mask_digest(judged) == labels["checked"][image]["mask_sha256"]:
                near[image] = iou(mask, judged)
        labels = carry_over(labels, digests, shipped_version(), near)
        path.write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
        print(f"{len(labels['checked'])} verdicts carried over to {shipped_version()} (mask unchanged or IoU >= {NEAR_IOU}); "
              f"{len(labels['earlier'])} masks changed and await judging again")
    waiting = sorted(labels["earlier"])
    order = [waiting[i] for i in np.random.default_rng(seed).permutation(len(waiting))][:count]
    out.mkdir(parents=True, exist_ok=True)
    index, tiles = [], []
    for position, image in enumerate(tqdm(order, desc="sheets", dynamic_ncols=True)):
        photo = sheet_photo(images / image)
        if photo is not None:
            mask = mask_of(photo)
            index.append({"image": image, "label": labels["earlier"][image]["label"], "mask_sha256": mask_digest(mask)})
            tiles.append(sheet_tile(photo, mask, len(index) - 1))
        if tiles and (len(index) % PER_SHEET == 0 or position == len(order) - 1):
            save_sheet(tiles, out, len(index) - 1)
            tiles = []
    (out / "index.json").write_text(json.dumps({"mask_version": shipped_version(), "seed": seed, "side": 256,
                                                "photos": index}, indent=1))
    print(f"{len(index)} changed masks in {math.ceil(len(index) / PER_SHEET)} sheets under {out}: judge them with "
          f"`record --out {out} --sheet N --wrong ...` (dataset pixels: never commit)")


def record(out: Path, sheet: int, wrong: list[int], path: Path = LABELS) -> None:
    """Record one looked-at sheet: tiles in ``wrong`` are wrong masks, the sheet's others right."""
    index = json.loads((out / "index.json").read_text())
    if index["mask_version"] != shipped_version():
        raise SystemExit(f"the sheets were drawn with mask {index['mask_version']}, not today's {shipped_version()}: redraw them")
    photos = index["photos"][sheet * PER_SHEET:(sheet + 1) * PER_SHEET]
    if not photos or any(not 0 <= tile < len(photos) for tile in wrong):
        raise SystemExit(f"sheet {sheet} has {len(photos)} tiles; got {wrong}")
    labels = load_labels(path, shipped_version())
    if labels["mask_version"] != shipped_version():
        raise SystemExit(f"{path} holds verdicts on mask {labels['mask_version']}; today's is {shipped_version()}")
    for tile, photo in enumerate(photos):
        labels["checked"][photo["image"]] = {"label": photo["label"], "mask_sha256": photo["mask_sha256"],
                                             "verdict": "wrong" if tile in wrong else "right"}
        before = labels["earlier"].pop(photo["image"], None)
        if before is not None:  # judged again on today's mask: keep what it was, for the before -> after rates
            labels["checked"][photo["image"]]["before"] = {"verdict": before["verdict"],
                                                           "mask_version": before["mask_version"]}
    path.write_text(json.dumps(labels, indent=1, sort_keys=True) + "\n")
    print(f"sheet {sheet}: {len(wrong)} wrong of {len(photos)} recorded in {path}")


def estimate_wrong(labels: dict) -> tuple[float, dict[str, tuple[int, int]]]:
    """Expected wrong masks among all checked photos, the waiting ones included.

    Returns (expected wrong count, {earlier verdict: (wrong now, rechecked)}). A waiting photo counts
    as wrong with the rate at which rechecked photos with its earlier verdict came out wrong (its
    earlier verdict when none of that kind were rechecked yet).
    """
    rates: dict[str, tuple[int, int]] = {}
    for entry in labels["checked"].values():
        if "before" in entry:
            wrong_now, seen = rates.get(entry["before"]["verdict"], (0, 0))
            rates[entry["before"]["verdict"]] = (wrong_now + (entry["verdict"] == "wrong"), seen + 1)
    expected = float(sum(entry["verdict"] == "wrong" for entry in labels["checked"].values()))
    for entry in labels["earlier"].values():
        wrong_now, seen = rates.get(entry["verdict"], (0, 0))
        expected += wrong_now / seen if seen else float(entry["verdict"] == "wrong")
    return expected, rates


def summary(path: Path = LABELS) -> None:
    """Print the error rate overall and per class, with 95 % intervals."""
    labels = load_labels(path)
    checked = labels["checked"].values()
    by_class: dict[str, list[int]] = {}
    for entry in checked:
        counts = by_class.setdefault(entry["label"], [0, 0])
        counts[0] += entry["verdict"] == "wrong"
        counts[1] += 1
    total = sum(counts[1] for counts in by_class.values())
    wrong = sum(counts[0] for counts in by_class.values())
    low, high = wilson(wrong, total)
    print(f"mask {labels['mask_version']}: {wrong} wrong of {total} hand-checked train photos "
          f"({wrong / max(total, 1):.1%}, 95 % interval {low:.1%}-{high:.1%}); "
          f"expected wrong in a 24-photo audit: {24 * wrong / max(total, 1):.1f}")
    print(f"{'class':<12}{'wrong':>7}{'checked':>9}{'share':>8}")
    for name, (bad, seen) in sorted(by_class.items()):
        print(f"{name:<12}{bad:>7}{seen:>9}{bad / seen:>8.0%}")
    if labels["earlier"]:
        expected, rates = estimate_wrong(labels)
        everyone = total + len(labels["earlier"])
        moves = "; ".join(f"{before} before -> {bad} of {seen} wrong now" for before, (bad, seen) in sorted(rates.items()))
        print(f"{len(labels['earlier'])} masks changed since they were judged and await `recheck` ({moves or 'none rechecked yet'}); "
              f"estimate over all {everyone}: {expected:.0f} wrong ({expected / everyone:.1%}), "
              f"{24 * expected / everyone:.1f} in a 24-photo audit")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    sheets = commands.add_parser("sheets", help="draw numbered mask sheets of train photos")
    sheets.add_argument("--data", default="../shared/data/clothing")
    sheets.add_argument("--count", type=int, default=384)
    sheets.add_argument("--seed", type=int, default=0)
    sheets.add_argument("--out", default="runs/mask-labels")
    recorded = commands.add_parser("record", help="record one sheet's verdicts")
    recorded.add_argument("--out", default="runs/mask-labels")
    recorded.add_argument("--sheet", type=int, required=True)
    recorded.add_argument("--wrong", default="", help="comma-separated tile numbers whose mask is wrong")
    commands.add_parser("summary", help="error rate of the recorded verdicts")
    rechecked = commands.add_parser("recheck", help="after a mask change: carry unchanged verdicts over, draw changed masks")
    rechecked.add_argument("--data", default="../shared/data/clothing")
    rechecked.add_argument("--count", type=int, default=96, help="changed masks to draw (in a seeded random order)")
    rechecked.add_argument("--seed", type=int, default=0)
    rechecked.add_argument("--out", default="runs/mask-recheck")
    args = parser.parse_args(argv)
    if args.command == "sheets":
        make_sheets(args.data, args.count, Path(args.out), args.seed)
    elif args.command == "recheck":
        recheck(args.data, args.count, Path(args.out), args.seed)
    elif args.command == "record":
        wrong = [int(tile) for tile in args.wrong.split(",") if tile.strip()]
        record(Path(args.out), args.sheet, wrong)
    else:
        summary()


if __name__ == "__main__":
    main()
