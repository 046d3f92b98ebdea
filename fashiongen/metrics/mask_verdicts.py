"""Hand-checked garment-mask verdicts: the label file, the mask digests, the photos and the folds.

``benchmarks/mask_checks.json`` (written by ``benchmarks/mask_labels.py``) holds one verdict,
"right" or "wrong", per hand-checked train photo, with the SHA-256 of the exact mask judged. The
right masks are training labels for the learned segmenter; the held-out fold's verdicts judge it.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from fashiongen.images import ImageError, load_image, resize_long_side
from fashiongen.metrics.mask_benchmark import CANVAS

WORK_SIDE = 256  # masks are judged at the app's 256 px long side
FOLDS = 3        # fold 0 is the held-out one


def mask_digest(mask: np.ndarray) -> str:
    """SHA-256 (16 hex digits) of a mask thresholded at 0.5: names the mask a verdict was given on."""
    return hashlib.sha256(np.packbits(mask > 0.5).tobytes() + repr(mask.shape).encode()).hexdigest()[:16]


def load_labels(path: str | Path, new_version: str = "") -> dict:
    """The recorded verdicts: {"mask_version", "checked": {image: {label, mask_sha256, verdict}},
    "earlier": {image: {..., "mask_version"}}} where "earlier" holds verdicts on an earlier mask whose
    photos await judging again (empty when none do). A missing file starts empty at ``new_version``."""
    labels = json.loads(Path(path).read_text()) if Path(path).is_file() else {"mask_version": new_version, "checked": {}}
    labels.setdefault("earlier", {})
    return labels


def verdicts_on(labels: dict, version: str) -> dict[str, dict]:
    """The verdicts that judge mask ``version``: {image: {"label", "verdict", "mask_sha256"}}.

    A checked verdict counts with its digest (the caller compares it with the mask it makes: a
    mask unchanged across versions keeps its verdict); a photo judged again since ``version``
    counts with its verdict from before ("mask_sha256" None: the mask of that version reproduces,
    only its digest was not kept); set-aside verdicts given on ``version`` count with theirs. So
    the learned segmenter keeps training on and being judged against GrabCut-mask verdicts after the
    app's mask moved on.
    """
    found = {}
    for image, entry in labels["checked"].items():
        before = entry.get("before", {})
        if labels["mask_version"] != version and before.get("mask_version") == version:
            found[image] = {"label": entry["label"], "verdict": before["verdict"], "mask_sha256": None}
        else:
            found[image] = {"label": entry["label"], "verdict": entry["verdict"], "mask_sha256": entry["mask_sha256"]}
    for image, entry in labels.get("earlier", {}).items():
        if entry["mask_version"] == version:
            found[image] = {"label": entry["label"], "verdict": entry["verdict"], "mask_sha256": entry["mask_sha256"]}
    return found


def sheet_photo(path: Path) -> np.ndarray | None:
    """A photo as the sheets show it (long side CANVAS[1]), or None when it cannot be read."""
    try:
        return resize_long_side(load_image(path, max_side=1024), CANVAS[1])
    except ImageError:
        return None


def work_photo(path: Path) -> np.ndarray | None:
    """The (h, w, 3) uint8 RGB working copy (long side 256) a verdict's mask was computed on, or None."""
    photo = sheet_photo(path)
    return None if photo is None else resize_long_side(photo, WORK_SIDE)


def fold_of(image: str) -> int:
    """0 .. FOLDS-1 from a hash of the file name: fold 0 is held out from segmenter training."""
    return int(hashlib.sha256(image.encode()).hexdigest(), 16) % FOLDS
