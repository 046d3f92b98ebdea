"""Labelled garment datasets: the shared clothing CSV or any class-per-folder tree.

Labels: rows labelled ``Not sure``, ``Other`` or ``Skip`` are not garments and are dropped.
Classes with fewer than ``MIN_CLASS_IMAGES`` photos (here Top, 43, and Blouse, 23) are dropped
too: after the validation split they leave 20-40 training photos, too few for a conditional
GAN to learn a class or for the probe to score it, and a class picker that offers them would
promise designs the model cannot make.

Split: an image is in ``val`` when the first byte of md5(image id) is < 26 (about 10 %),
so the split depends only on the id, never on file order or on which other files exist.
Crop: :func:`fashiongen.images.center_square_crop`, identical in training and evaluation.
"""

from __future__ import annotations

import csv
import hashlib
from collections import Counter
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashiongen.images import ImageError, center_square_crop, load_image, resize

EXCLUDED_LABELS = frozenset({"Not sure", "Other", "Skip"})
MIN_CLASS_IMAGES = 60
IMAGE_SUFFIXES = (".jpg", ".jpeg", ".png", ".webp", ".bmp")


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
    """One photo -> (R, R, 3) uint8 centre square, or None if unreadable."""
    try:
        image = load_image(path, max_side=max(2 * resolution, 256))
    except ImageError:
        return None
    return resize(center_square_crop(image), (resolution, resolution))


def load_split(root: str | Path, split: str, resolution: int, cache_dir: str | Path | None = None,
               min_class_images: int = MIN_CLASS_IMAGES) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Decode one split at one resolution.

    Returns:
        images (N, R, R, 3) uint8 RGB, labels (N,) int64 indices into classes, classes.
    Decoding 5k JPEGs takes a while on 2 cores, so the arrays are cached in ``cache_dir``.
    """
    records, classes = read_records(root, min_class_images)
    records = [record for record in records if split_of(record.image_id) == split]
    key = hashlib.md5(f"{Path(root).resolve()}|{split}|{resolution}|{len(records)}|{classes}".encode()).hexdigest()[:12]
    cache = Path(cache_dir) / f"{split}-{resolution}-{key}.npz" if cache_dir else None
    if cache is not None and cache.is_file():
        stored = np.load(cache)
        return stored["images"], stored["labels"], classes
    with ThreadPoolExecutor(max_workers=4) as pool:
        squares = list(pool.map(lambda record: load_square(record.path, resolution), records))
    keep = [index for index, square in enumerate(squares) if square is not None]
    images = np.stack([squares[index] for index in keep]) if keep else np.zeros((0, resolution, resolution, 3), np.uint8)
    labels = np.array([classes.index(records[index].label) for index in keep], dtype=np.int64)
    if cache is not None:
        cache.parent.mkdir(parents=True, exist_ok=True)
        np.savez(cache, images=images, labels=labels)
    return images, labels, classes
