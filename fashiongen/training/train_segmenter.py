"""Train the learned garment prior (a head on frozen VGG16 features) on composites with exact masks.

    python -m fashiongen.training.train_segmenter --out runs/segmenter --threads 1
    python -m export.segmenter --checkpoint runs/segmenter/checkpoint.pt

Training pictures are made, not labelled: garments cut from train-split photos by today's GrabCut
mask (:func:`fashiongen.garment_mask.segment_garment`) are pasted onto garment-free backgrounds cut from other train-split photos (beds, floors,
rugs, walls) or onto drawn plain gradients, one garment or a pair, at random scales, stretches,
positions and colours. The pasted alpha is the label, exact by construction. The backbone is
frozen, so the VGG16 features of a fixed set of composites are computed once and the head trains
on them for several epochs (minutes on one core, instead of hours with VGG16 in the loop).

Photos whose mask is "certain" (plain background, :func:`fashiongen.metrics.mask_benchmark.certain_mask`)
are never used: they are the mask benchmark's garments. Val photos are never used either: the
benchmark's backgrounds and audit photos come from them.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from fashiongen.garment_mask import GarmentNotFound, segment_garment
from fashiongen.images import ImageError, load_image, make_grid, resize_long_side
from fashiongen.metrics.mask_benchmark import CANVAS, Cutout, background_from, certain_mask, cutout_of
from fashiongen.training.data import read_records, split_of
from fashiongen.training.runs import (CHECKPOINT_NAME, MetricsLog, parse_trainer_cli, prepare_run_dir,
                                      save_checkpoint)
from fashiongen.training.segmenter_networks import FEATURE_TAPS, SegmenterConfig, SegmenterHead
from fashiongen.training.vgg import load_vgg16

PIECE_SIDE = 256        # garments and backgrounds are kept at this long side
BACKGROUND_SIZE = (192, 256)  # (W, H) of a stored background


@dataclass(frozen=True)
class TrainSegmenterConfig:
    data: str = "../shared/data/clothing"   # images.csv folder or class-per-folder tree
    out: str = "runs/segmenter"             # run folder
    side: int = 128                         # composite side (a multiple of 16)
    composites: int = 3000                  # fixed training composites (features computed once)
    max_photos: int = 0                     # train-split photos to cut garments from (0: all)
    width: int = 96                         # head channels
    batch_size: int = 32
    lr: float = 2e-3                        # AdamW, cosine decay to 0 at max_steps
    weight_decay: float = 1e-4
    max_steps: int = 1500
    pair_share: float = 0.3                 # composites with two garments
    plain_share: float = 0.2                # composites on a drawn plain gradient instead of a photo band
    log_every: int = 20
    seed: int = 0
    threads: int = 0                        # torch CPU threads (0: torch's default)
    cache: str = "runs/cache"


def cut_pieces(data: str, max_photos: int, cache_dir: str | Path) -> tuple[list[Cutout], list[np.ndarray]]:
    """Garment cutouts and garment-free backgrounds from train-split photos (cached).

    Returns (cutouts at PIECE_SIDE long side with their soft GrabCut mask, backgrounds
    (256, 192, 3) uint8). Skips val photos, photos with a certain mask and photos where no
    plausible garment is found.
    """
    records, _ = read_records(data, min_class_images=1)
    records = [r for r in records if split_of(r.image_id) == "train"]
    if max_photos:
        records = records[:max_photos]
    key = hashlib.sha256(repr(([(r.path.name, r.label) for r in records], PIECE_SIDE, BACKGROUND_SIZE,
                               "pieces-v2")).encode()).hexdigest()[:16]
    path = Path(cache_dir) / f"segmenter-pieces-{key}.pkl"
    if path.is_file():
        return pickle.loads(path.read_bytes())
    cutouts, backgrounds, skipped = [], [], 0
    for record in tqdm(records, desc="cutting garments", dynamic_ncols=True):
        try:
            photo = load_image(record.path, max_side=1024)
        except ImageError:
            skipped += 1
            continue
        if certain_mask(resize_long_side(photo, CANVAS[1])) is not None:
            continue  # a benchmark garment
        small = resize_long_side(photo, PIECE_SIDE)
        try:
            mask = segment_garment(small)
        except GarmentNotFound:
            skipped += 1
            continue
        cutouts.append(cutout_of(small, mask, record.label))
        background = background_from(small, mask, BACKGROUND_SIZE)
        if background is not None:
            backgrounds.append(background)
    print(f"{len(cutouts)} garments, {len(backgrounds)} backgrounds from {len(records)} train photos ({skipped} skipped)")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(pickle.dumps((cutouts, backgrounds)))
    return cutouts, backgrounds


def _plain_background(side: int, rng: np.random.Generator) -> np.ndarray:
    """A smooth two-colour gradient, the way a sheet or wall looks under uneven light."""
    a = rng.uniform(0, 255, 3)
    b = np.clip(a + rng.normal(0, 25, 3), 0, 255)
    angle = rng.uniform(0, 2 * np.pi)
    ys, xs = np.mgrid[0:side, 0:side] / side
    t = (np.cos(angle) * xs + np.sin(angle) * ys)[..., None]
    t = (t - t.min()) / max(float(np.ptp(t)), 1e-6)
    return (a * (1 - t) + b * t).astype(np.float32)


def _photo_background(backgrounds: list[np.ndarray], side: int, rng: np.random.Generator) -> np.ndarray:
    """A random crop of a stored background, scaled and maybe flipped to (side, side)."""
    source = backgrounds[rng.integers(len(backgrounds))]
    height, width = source.shape[:2]
    crop = int(rng.uniform(0.5, 1.0) * min(height, width))
    y, x = rng.integers(0, height - crop + 1), rng.integers(0, width - crop + 1)
    patch = cv2.resize(source[y:y + crop, x:x + crop], (side, side), interpolation=cv2.INTER_AREA)
    return (patch[:, ::-1] if rng.random() < 0.5 else patch).astype(np.float32)


def make_composite(cutouts: list[Cutout], backgrounds: list[np.ndarray], side: int, rng: np.random.Generator,
                   pair_share: float = 0.3, plain_share: float = 0.2) -> tuple[np.ndarray, np.ndarray]:
    """One training picture: -> (image (side, side, 3) uint8, mask (side, side) float32 in {0, 1})."""
    plain = rng.random() < plain_share or not backgrounds
    image = _plain_background(side, rng) if plain else _photo_background(backgrounds, side, rng)
    image *= rng.uniform(0.75, 1.2)  # the background's own exposure
    truth = np.zeros((side, side), np.float32)
    pair = rng.random() < pair_share
    for index in range(2 if pair else 1):
        cutout = cutouts[rng.integers(len(cutouts))]
        scale = rng.uniform(0.3, 0.55) if pair else rng.uniform(0.4, 0.95)
        stretch = np.exp(rng.uniform(-0.25, 0.25))
        ch, cw = cutout.mask.shape
        factor = scale * side / max(ch, cw)
        new_w = int(np.clip(round(cw * factor * stretch), 4, side))
        new_h = int(np.clip(round(ch * factor / stretch), 4, side))
        piece = cv2.resize(cutout.image, (new_w, new_h), interpolation=cv2.INTER_AREA).astype(np.float32)
        alpha = cv2.resize(cutout.mask, (new_w, new_h), interpolation=cv2.INTER_LINEAR)
        if rng.random() < 0.5:
            piece, alpha = piece[:, ::-1], alpha[:, ::-1]
        piece = piece * rng.uniform(0.8, 1.2) * rng.uniform(0.92, 1.08, 3)  # exposure and white balance
        if pair:  # side by side, as shoes lie in a photo
            x_low, x_high = (0, side // 2 - new_w // 2) if index == 0 else (side // 2 - new_w // 2, side - new_w)
            x0 = int(rng.integers(max(0, x_low), max(1, x_high + 1)))
        else:
            x0 = int(rng.integers(0, side - new_w + 1))
        y0 = int(rng.integers(0, side - new_h + 1))
        a = alpha[..., None]
        region = image[y0:y0 + new_h, x0:x0 + new_w]
        image[y0:y0 + new_h, x0:x0 + new_w] = piece * a + region * (1 - a)
        truth[y0:y0 + new_h, x0:x0 + new_w] = np.maximum(truth[y0:y0 + new_h, x0:x0 + new_w], alpha > 0.5)
    blur = rng.uniform(0.0, 1.0)
    if blur > 0.3:  # soften the pasted edge like a camera would
        image = cv2.GaussianBlur(image, (0, 0), sigmaX=blur)
    image += rng.normal(0.0, rng.uniform(0.0, 4.0), image.shape)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8), truth


@torch.no_grad()
def composite_features(vgg, cutouts: list[Cutout], backgrounds: list[np.ndarray], config: TrainSegmenterConfig
                       ) -> tuple[dict[str, torch.Tensor], torch.Tensor, list[np.ndarray]]:
    """The fixed training set: -> ({tap: (N, C, h, w) float16}, targets (N, 1, side/4, side/4) in [0, 1],
    the first 16 composites as pictures for the run's sheet)."""
    rng = np.random.default_rng(config.seed)
    features = {tap: [] for tap in FEATURE_TAPS}
    targets, pictures = [], []
    for start in tqdm(range(0, config.composites, 32), desc="composite features", dynamic_ncols=True):
        batch = [make_composite(cutouts, backgrounds, config.side, rng, config.pair_share, config.plain_share)
                 for _ in range(min(32, config.composites - start))]
        if not pictures:
            pictures = [np.concatenate([p[0], np.repeat((p[1][..., None] * 255).astype(np.uint8), 3, 2)], 1)
                        for p in batch[:16]]
        image = torch.from_numpy(np.stack([p[0] for p in batch])).permute(0, 3, 1, 2).float() / 255.0
        outputs = vgg(image)
        for tap in FEATURE_TAPS:
            features[tap].append(outputs[tap].half())
        truth = torch.from_numpy(np.stack([p[1] for p in batch]))[:, None]
        targets.append(F.avg_pool2d(truth, 4))  # the share of each quarter-grid cell that is garment
    return {tap: torch.cat(values) for tap, values in features.items()}, torch.cat(targets), pictures


def dice_loss(logits: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    probability = torch.sigmoid(logits)
    overlap = (probability * target).sum(dim=(1, 2, 3))
    return (1 - (2 * overlap + 1) / (probability.sum(dim=(1, 2, 3)) + target.sum(dim=(1, 2, 3)) + 1)).mean()


def train(config: TrainSegmenterConfig) -> Path:
    """Build the composite features, train the head to ``config.max_steps``; returns the run folder."""
    if config.threads:
        torch.set_num_threads(config.threads)
    if config.side % SegmenterConfig().multiple:
        raise ValueError(f"side must be a multiple of {SegmenterConfig().multiple}, got {config.side}")
    run_dir = prepare_run_dir(config.out, config, resume=False)
    cpu_start = time.process_time()
    cutouts, backgrounds = cut_pieces(config.data, config.max_photos, config.cache)
    vgg, source = load_vgg16("relu5_3")
    features, targets, pictures = composite_features(vgg, cutouts, backgrounds, config)
    Image.fromarray(make_grid(pictures, 4)).save(run_dir / "training-composites.png")  # dataset pixels: never commit
    torch.manual_seed(config.seed)
    head_config = SegmenterConfig(width=config.width)
    head = SegmenterHead(head_config)
    optimizer = torch.optim.AdamW(head.parameters(), config.lr, weight_decay=config.weight_decay)
    log = MetricsLog(run_dir)
    head.train()
    for step in tqdm(range(config.max_steps), desc=run_dir.name, dynamic_ncols=True):
        index = torch.randint(0, len(targets), (config.batch_size,))
        batch = {tap: values[index].float() for tap, values in features.items()}
        target = targets[index]
        if torch.rand(()) < 0.5:  # flips keep a fixed set of composites from being learned by heart
            batch, target = {tap: value.flip(3) for tap, value in batch.items()}, target.flip(3)
        for group in optimizer.param_groups:  # cosine decay to 0 at max_steps
            group["lr"] = config.lr * 0.5 * (1 + math.cos(math.pi * step / config.max_steps))
        logits = head(batch)
        loss = F.binary_cross_entropy_with_logits(logits, target) + dice_loss(logits, target)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        if (step + 1) % config.log_every == 0:
            with torch.no_grad():
                hit, truth = logits > 0, target > 0.5
                iou = ((hit & truth).sum() / (hit | truth).sum().clamp(min=1)).item()
            log.write(step + 1, loss=loss.item(), batch_iou=iou)
    cpu_seconds = time.process_time() - cpu_start
    save_checkpoint(run_dir, model=head.state_dict(), ema=None, optimizer={}, config=config, step=config.max_steps,
                    extra={"cpu_seconds": cpu_seconds, "segmenter": dataclasses.asdict(head_config),
                           "vgg": source, "pieces": [len(cutouts), len(backgrounds)]})
    print(f"{len(cutouts)} garments, {len(backgrounds)} backgrounds, {config.composites} composites, "
          f"{cpu_seconds / 60:.1f} CPU-min")
    return run_dir


def main(argv: list[str] | None = None) -> None:
    config, _, dry_run = parse_trainer_cli(TrainSegmenterConfig, {"main": {}}, __doc__, argv)
    if dry_run:
        print(json.dumps(dataclasses.asdict(config), indent=2))
        return
    print(f"run folder: {train(config) / CHECKPOINT_NAME}")


if __name__ == "__main__":
    main()
