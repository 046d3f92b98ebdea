"""The segmenter's training set in one compact file, to train where the photos are not.

    python -m fashiongen.training.segmenter_pack --preset small-busy --training-set runs/segmenter-pack.npz
    python -m fashiongen.training.train_segmenter --preset small-busy --training-set runs/segmenter-pack.npz ...

Building the training set needs the dataset's photos and a GrabCut pass over each (minutes); a GPU
machine may have neither. The pack holds exactly what :func:`train_segmenter.training_set` returns,
photos and backgrounds as JPEG (quality 95), masks as 8-bit PNG, so it is about 14 MB for the
small-busy preset instead of 400 MB of pickles. It holds dataset pixels: keep it under ``runs/``
(ignored), never commit it.
"""

from __future__ import annotations

import dataclasses
import json
from pathlib import Path

import cv2
import numpy as np

from fashiongen.metrics.mask_benchmark import cutout_of

_JPEG_QUALITY = 95


def _encode(image: np.ndarray, extension: str, params: list[int]) -> np.ndarray:
    ok, data = cv2.imencode(extension, image, params)
    if not ok:
        raise ValueError(f"could not encode a {image.shape} image as {extension}")
    return data.reshape(-1)


def _stack(blobs: list[np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """Byte strings -> (concatenated uint8 bytes, int64 offsets with one more entry than blobs)."""
    offsets = np.zeros(len(blobs) + 1, np.int64)
    offsets[1:] = np.cumsum([len(blob) for blob in blobs])
    return (np.concatenate(blobs) if blobs else np.zeros(0, np.uint8)), offsets


def _unstack(data: np.ndarray, offsets: np.ndarray) -> list[np.ndarray]:
    return [data[offsets[index]:offsets[index + 1]] for index in range(len(offsets) - 1)]


def write_pack(path: str | Path, items: list[dict], backgrounds: list[np.ndarray]) -> Path:
    """Write ``items`` ({"photo": (h, w, 3) uint8 RGB, "mask": (h, w) float32 in [0, 1], "label"})
    and ``backgrounds`` ((h, w, 3) uint8 RGB) to one ``.npz``."""
    jpeg = [cv2.IMWRITE_JPEG_QUALITY, _JPEG_QUALITY]
    photos = [_encode(cv2.cvtColor(item["photo"], cv2.COLOR_RGB2BGR), ".jpg", jpeg) for item in items]
    masks = [_encode(np.round(np.clip(item["mask"], 0, 1) * 255).astype(np.uint8), ".png", []) for item in items]
    scenes = [_encode(cv2.cvtColor(background, cv2.COLOR_RGB2BGR), ".jpg", jpeg) for background in backgrounds]
    arrays = {}
    for name, blobs in (("photos", photos), ("masks", masks), ("backgrounds", scenes)):
        arrays[name], arrays[f"{name}_offsets"] = _stack(blobs)
    meta = {"labels": [item["label"] for item in items], "names": [item.get("name", "") for item in items]}
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.savez(path, meta=np.frombuffer(json.dumps(meta).encode(), np.uint8), **arrays)
    return path


def read_pack(path: str | Path) -> tuple[list[dict], list, list[np.ndarray]]:
    """A pack written by :func:`write_pack` -> (items, their cutouts, backgrounds), as
    :func:`fashiongen.training.train_segmenter.training_set` returns them."""
    with np.load(Path(path)) as pack:
        meta = json.loads(pack["meta"].tobytes().decode())
        photos = _unstack(pack["photos"], pack["photos_offsets"])
        masks = _unstack(pack["masks"], pack["masks_offsets"])
        scenes = _unstack(pack["backgrounds"], pack["backgrounds_offsets"])
    items = []
    for photo, mask, label, name in zip(photos, masks, meta["labels"], meta["names"]):
        items.append({"photo": cv2.cvtColor(cv2.imdecode(photo, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB),
                      "mask": cv2.imdecode(mask, cv2.IMREAD_GRAYSCALE).astype(np.float32) / 255.0,
                      "label": label, "name": name, "verdict": "right"})
    cutouts = [cutout_of(item["photo"], item["mask"], item["label"]) for item in items]
    backgrounds = [cv2.cvtColor(cv2.imdecode(scene, cv2.IMREAD_COLOR), cv2.COLOR_BGR2RGB) for scene in scenes]
    return items, cutouts, backgrounds


def main(argv: list[str] | None = None) -> None:
    from fashiongen.training.runs import parse_trainer_cli
    from fashiongen.training.train_segmenter import PRESETS, TrainSegmenterConfig, training_set

    config, _, _ = parse_trainer_cli(TrainSegmenterConfig, PRESETS, __doc__, argv)
    if not config.training_set:
        raise SystemExit("name the pack to write with --training-set PATH")
    items, _, backgrounds = training_set(dataclasses.replace(config, training_set=""))  # from the photos
    path = write_pack(config.training_set, items, backgrounds)
    print(f"{path}: {len(items)} labelled photos, {len(backgrounds)} backgrounds, {path.stat().st_size / 1e6:.1f} MB")


if __name__ == "__main__":
    main()
