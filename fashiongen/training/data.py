"""Labelled garment datasets: the shared clothing CSV or any class-per-folder tree.

Labels: rows labelled ``Not sure``, ``Other`` or ``Skip`` are not garments and are dropped.
Classes with fewer than ``MIN_CLASS_IMAGES`` photos (here Top, 43, and Blouse, 23) are dropped
too: after the validation split they leave 20-40 training photos, too few for a conditional
GAN to learn a class or for the probe to score it, and a class picker that offers them would
promise designs the model cannot make.

Split: an image is in ``val`` when the first byte of md5(image id) is < 26 (about 10 %),
so the split depends only on the id, never on file order or on which other files exist.
View: the GAN trains and is evaluated on :func:`fashiongen.prepare.prepare_photo` (garment cut out,
on white, centred); the style trainer's content photos use the centre square crop.
"""

from __future__ import annotations

import argparse
import csv
import hashlib
import os
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from fashiongen.images import IMAGE_SUFFIXES, ImageError, center_square_crop, load_image, make_grid, resize
from fashiongen.patterns import draw_pattern, random_spec
from fashiongen import prepare
from fashiongen.prepare import prepare_photo

EXCLUDED_LABELS = frozenset({"Not sure", "Other", "Skip"})
MIN_CLASS_IMAGES = 60
PHOTO_MAX_SIDE = 1024  # photos are decoded at most this large before preparation


@dataclass(frozen=True)
class GarmentRecord:
    path: Path      # image file
    image_id: str   # stable id (CSV id or file stem) that decides the split
    label: str      # class name, e.g. "T-Shirt"


def split_of(image_id: str) -> str:
    """'val' for about 10 % of ids, else 'train'; deterministic in the id alone."""
    return "val" if hashlib.md5(image_id.encode()).digest()[0] < 26 else "train"


def read_records(root: str | Path, min_class_images: int = MIN_CLASS_IMAGES) -> tuple[list[GarmentRecord], list[str]]:
    """List the usable photos under ``root`` and the sorted class names.

    ``root`` is either a folder with ``images.csv`` (columns ``image,label``; files in
    ``images/<image>.jpg``) or a class-per-folder tree (``root/<class>/<file>``).
    """
    root = Path(root)
    if (root / "images.csv").is_file():
        with open(root / "images.csv", newline="") as handle:
            rows = list(csv.DictReader(handle))
        records = [GarmentRecord(root / "images" / f"{row['image']}.jpg", row["image"], row["label"].strip())
                   for row in rows if row["label"].strip() not in EXCLUDED_LABELS]
    elif root.is_dir():
        records = [GarmentRecord(path, f"{folder.name}/{path.stem}", folder.name)
                   for folder in sorted(p for p in root.iterdir() if p.is_dir())
                   for path in sorted(folder.iterdir()) if path.suffix.lower() in IMAGE_SUFFIXES]
    else:
        raise FileNotFoundError(f"No dataset at {root}: expected images.csv or one folder per class")
    counts = Counter(record.label for record in records)
    classes = sorted(label for label, count in counts.items() if count >= min_class_images)
    if not classes:
        raise ValueError(f"No class in {root} has {min_class_images} or more images ({dict(counts)})")
    kept = [record for record in records if record.label in classes and record.path.is_file()]
    return kept, classes


def load_square(path: Path, resolution: int) -> np.ndarray | None:
    """One photo -> (R, R, 3) uint8 centre square (the style trainer's content view), or None if unreadable."""
    try:
        image = load_image(path, max_side=max(2 * resolution, 256))
    except ImageError:
        return None
    return resize(center_square_crop(image), (resolution, resolution))


def load_prepared(path: Path, resolution: int) -> np.ndarray | None:
    """One photo -> :func:`fashiongen.prepare.prepare_photo` at ``resolution``, or None if unreadable or no garment."""
    try:
        return prepare_photo(load_image(path, max_side=PHOTO_MAX_SIDE), resolution)
    except ImageError:  # unreadable file or GarmentNotFound: skipped and counted by the caller
        return None


VIEWS = {"prepared": load_prepared, "square": load_square}


def _cache_key(records: list[GarmentRecord], classes: list[str], split: str, resolution: int, view: str) -> str:
    """Hash of everything the cached arrays depend on: the files, labels, split and preparation settings.

    Photos enter by content, not modification time, so a copied or re-mounted dataset (a fresh
    machine) keeps its cache; hashing the 150 MB dataset takes about a second.
    """
    digest = hashlib.sha256(f"{split}|{resolution}|{view}|{classes}|{prepare.PREPARE_VERSION}|{prepare.MARGIN}|{prepare.PREPARE_RULES}".encode())
    for record in records:
        content = hashlib.sha256(record.path.read_bytes()).hexdigest()
        digest.update(f"{record.image_id}|{record.label}|{content}\n".encode())
    return digest.hexdigest()[:16]


def load_split(root: str | Path, split: str, resolution: int, cache_dir: str | Path | None = None,
               min_class_images: int = MIN_CLASS_IMAGES, view: str = "prepared",
               workers: int | None = None) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode (and prepare) one split at one resolution.

    ``view`` is "prepared" (the GAN's view: :func:`fashiongen.prepare.prepare_photo`; photos
    with no plausible garment are skipped and counted) or "square" (centre square crop).
    Returns:
        images (N, R, R, 3) uint8 RGB, labels (N,) int64 indices into classes, classes.
    Preparing 5k photos takes minutes on 2 cores, so the arrays are cached in ``cache_dir``
    under a key of the files, labels and settings: a changed photo or setting rebuilds it.
    """
    if view not in VIEWS:
        raise ValueError(f"view must be one of {sorted(VIEWS)}, got {view!r}")
    records, classes = read_records(root, min_class_images)
    records = [record for record in records if split_of(record.image_id) == split]
    cache = Path(cache_dir) / f"{split}-{view}-{resolution}-{_cache_key(records, classes, split, resolution, view)}.npz" \
        if cache_dir else None
    if cache is not None and cache.is_file():
        stored = np.load(cache)
        return stored["images"], stored["labels"], classes
    load = VIEWS[view]
    with ThreadPoolExecutor(max_workers=workers or os.cpu_count() or 1) as pool:
        squares = list(tqdm(pool.map(lambda record: load(record.path, resolution), records), total=len(records),
                            desc=f"{view} {split} {resolution}px", dynamic_ncols=True))
    keep = [index for index, square in enumerate(squares) if square is not None]
    images = np.stack([squares[index] for index in keep]) if keep else np.zeros((0, resolution, resolution, 3), np.uint8)
    labels = np.array([classes.index(records[index].label) for index in keep], dtype=np.int64)
    totals = Counter(record.label for record in records)
    kept = Counter(classes[label] for label in labels)
    print(f"{split}: {len(keep)} of {len(records)} photos kept ({view}); per class kept/total: "
          + ", ".join(f"{name} {kept[name]}/{totals[name]}" for name in classes))
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        # Written aside and renamed: two trainers started together on a fresh machine build the
        # same cache, and neither may read the other's half-written file.
        temporary = cache.with_name(f"{cache.name}.{os.getpid()}.tmp")
        with open(temporary, "wb") as handle:
            np.savez(handle, images=images, labels=labels)
        os.replace(temporary, cache)
    return images, labels, classes


class StyleSource:
    """Random style crops: style images (rescaled, cropped) and freshly drawn patterns."""

    def __init__(self, folder: str, crop: int, pattern_fraction: float, rng: np.random.Generator):
        self.crop, self.pattern_fraction, self.rng = crop, pattern_fraction, rng
        self.images = []
        for path in sorted(Path(folder).glob("*")) if folder else []:
            try:
                self.images.append(load_image(path, max_side=512))
            except ImageError:
                continue
        if not self.images:
            self.pattern_fraction = 1.0

    def sample(self) -> np.ndarray:
        """One (crop, crop, 3) uint8 style."""
        if self.rng.random() < self.pattern_fraction:
            spec = random_spec(self.rng, min_scale=self.crop / 12, max_scale=self.crop / 2)
            return draw_pattern(spec, self.crop, self.crop)
        image = self.images[self.rng.integers(len(self.images))]
        side = int(self.rng.integers(self.crop, min(image.shape[:2]) + 1))
        top = int(self.rng.integers(0, image.shape[0] - side + 1))
        left = int(self.rng.integers(0, image.shape[1] - side + 1))
        return resize(image[top:top + side, left:left + side], (self.crop, self.crop))


def main(argv: list[str] | None = None) -> None:
    """Build the prepared cache for both splits and write a contact sheet of prepared photos."""
    parser = argparse.ArgumentParser(description=main.__doc__)
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--resolution", type=int, default=64)
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--sheet", default="runs/prepared-sheet.png", help="contact sheet: a row of 12 per class")
    args = parser.parse_args(argv)
    load_split(args.data, "val", args.resolution, args.cache)
    train_images, train_labels, classes = load_split(args.data, "train", args.resolution, args.cache)
    rows = [train_images[np.flatnonzero(train_labels == index)[:12]] for index in range(len(classes))]
    tiles = [tile for row in rows for tile in list(row) + [np.full_like(train_images[0], 255)] * (12 - len(row))]
    Path(args.sheet).parent.mkdir(parents=True, exist_ok=True)
    Image.fromarray(make_grid(tiles, 12)).save(args.sheet)
    print(f"contact sheet: {args.sheet} (rows: {', '.join(classes)})")


if __name__ == "__main__":
    main()
