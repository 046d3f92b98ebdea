"""Evaluate trend generators against the val split (a command, not a test).

    python -m fashiongen.metrics.evaluate_gan --run main=checkpoints/trend_generator.pt \
        --run dcgan=runs/gan-dcgan/checkpoint.pt --json runs/gan-eval.json

Real photos are seen as the generators learned them: through :func:`fashiongen.prepare.prepare_photo`
(photos with no plausible garment are skipped). For each generator: KID and FD of samples vs val images, the real-vs-real floor (train vs val,
equal counts), a linear probe (trained on train-split features) scored on samples of each class
next to real val images, and the copy ratio. Samples follow the val split's class counts for
KID/FD; the probe uses ``--per-class`` samples of every class.

Generators of different resolutions are compared at one (``--resolution``, default the first run's):
the real photos are prepared at it and each generator's samples are resized to it (Lanczos), so a
64 px model is judged at 128 px as the app shows it (enlarged), and a 128 px model at 64 px by its
downsampled samples.
"""

from __future__ import annotations

import argparse
import hashlib
import json
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fashiongen.images import make_grid, resize
from fashiongen.metrics.copy_check import copy_ratio
from fashiongen.metrics.features import FeatureEmbedder
from fashiongen.metrics.kid_fd import frechet_distance, kid
from fashiongen.metrics.probe import LinearProbe
from fashiongen.training.data import MIN_CLASS_IMAGES, load_split
from fashiongen.training.tensors import signed_to_uint8
from fashiongen.training.runs import load_generator


def at_resolution(images: np.ndarray, resolution: int) -> np.ndarray:
    """(N, R, R, 3) uint8 -> (N, resolution, resolution, 3), Lanczos as the app enlarges; as is if 0 or already that size."""
    if not resolution or images.shape[1] == resolution:
        return images
    return np.stack([resize(image, (resolution, resolution)) for image in images])


@torch.no_grad()
def generate(generator, z_dim: int, class_ids: np.ndarray, seed: int, batch: int = 64,
             resolution: int = 0) -> np.ndarray:
    """(N,) class ids -> (N, R, R, 3) uint8 samples from fixed seeds, resized to ``resolution`` if given."""
    rng = torch.Generator().manual_seed(seed)
    out = []
    for start in range(0, len(class_ids), batch):
        ids = torch.from_numpy(class_ids[start:start + batch])
        images = signed_to_uint8(generator(torch.randn(len(ids), z_dim, generator=rng), ids))
        out.append(at_resolution(images, resolution))
    return np.concatenate(out)


def cached_features(embed: FeatureEmbedder, images: np.ndarray, cache: str, name: str) -> np.ndarray:
    """Real-image features depend only on the images and the VGG weights: compute them once."""
    digest = hashlib.sha256(images.tobytes())
    digest.update(str(images.shape).encode() + embed.source.encode())
    key = digest.hexdigest()[:16]
    path = Path(cache) / f"features-{name}-{key}.npy"
    if path.is_file():
        return np.load(path)
    features = embed(images)
    path.parent.mkdir(parents=True, exist_ok=True)
    np.save(path, features)
    return features


def class_sheet(generator, z_dim: int, classes: list[str], real: np.ndarray, real_labels: np.ndarray, seed: int,
                columns: int = 8) -> np.ndarray:
    """One row per class: ``columns`` samples, a gap, then ``columns`` real prepared val photos of that class."""
    blank = np.full_like(real[0], 255)
    tiles = []
    for index in range(len(classes)):
        fakes = generate(generator, z_dim, np.full(columns, index, np.int64), seed + 2, resolution=real.shape[1])
        reals = list(real[real_labels == index][:columns])
        tiles += list(fakes) + [blank] + reals + [blank] * (columns - len(reals))
    return make_grid(tiles, 2 * columns + 1)


def evaluate(runs: dict[str, str], data: str, cache: str, per_class: int, seed: int, max_train: int = 0,
             sheet_dir: str = "", resolution: int = 0) -> dict:
    started = time.time()
    embed = FeatureEmbedder()
    first = next(iter(runs.values()))
    _, gan, classes, trainer = load_generator(first)
    # The same classes and crop as the generators were trained with, at the first one's resolution
    # unless another is asked for.
    resolution = resolution or gan.resolution
    minimum = trainer.get("min_class_images", MIN_CLASS_IMAGES)
    train_images, train_labels, train_classes = load_split(data, "train", resolution, cache, minimum)
    val_images, val_labels, _ = load_split(data, "val", resolution, cache, minimum)
    assert train_classes == classes, (train_classes, classes)
    if max_train and len(train_images) > max_train:
        # A fixed random subset (seeded) keeps the probe and the copy check affordable on a CPU.
        keep = np.sort(np.random.default_rng(seed).permutation(len(train_images))[:max_train])
        train_images, train_labels = train_images[keep], train_labels[keep]
    train_features = cached_features(embed, train_images, cache, f"train-{resolution}")
    val_features = cached_features(embed, val_images, cache, f"val-{resolution}")
    rng = np.random.default_rng(seed)
    floor_train = train_features[rng.choice(len(train_features), len(val_features), replace=False)]
    probe = LinearProbe(train_features, train_labels, len(classes))
    result = {"vgg16": embed.source, "classes": classes, "val_images": int(len(val_features)),
              "train_images": int(len(train_features)), "resolution": resolution,
              "floor": {"kid": kid(floor_train, val_features), "fd": frechet_distance(floor_train, val_features)},
              "probe_val_accuracy": probe.accuracy(val_features, val_labels),
              "probe_val_per_class": {c: probe.accuracy(val_features[val_labels == i], val_labels[val_labels == i])
                                      for i, c in enumerate(classes)},
              "copy_ratio_val_reference": 1.0, "runs": {}}
    for name, path in runs.items():
        generator, gan, run_classes, trainer = load_generator(path)
        assert run_classes == classes
        samples = embed(generate(generator, gan.z_dim, val_labels, seed, resolution=resolution))  # val class counts
        probe_ids = np.repeat(np.arange(len(classes)), per_class)
        probe_features = embed(generate(generator, gan.z_dim, probe_ids, seed + 1, resolution=resolution))
        result["runs"][name] = {
            "checkpoint": path, "arch": trainer["arch"], "steps": trainer["step"], "batch_size": trainer["batch_size"],
            "resolution": gan.resolution,
            "kid": kid(samples, val_features), "fd": frechet_distance(samples, val_features),
            "probe_accuracy": probe.accuracy(probe_features, probe_ids),
            "probe_per_class": {c: probe.accuracy(probe_features[probe_ids == i], probe_ids[probe_ids == i])
                                for i, c in enumerate(classes)},
            "copy_ratio": copy_ratio(samples, val_features, train_features),
            "cpu_seconds": trainer.get("cpu_seconds")}
        if sheet_dir:
            sheet = class_sheet(generator, gan.z_dim, classes, val_images, val_labels, seed)
            Path(sheet_dir).mkdir(parents=True, exist_ok=True)
            Image.fromarray(sheet).save(Path(sheet_dir) / f"sheet-{name}.png")
    result["seconds"] = round(time.time() - started, 1)
    return result


def print_table(result: dict) -> None:
    floor = result["floor"]
    # The unbiased KID of two samples of one distribution is ~0 and can be negative, so a ratio to
    # the floor is only printed when the floor is positive.
    ratio = (lambda value: f"{value / floor['kid']:.2f}") if floor["kid"] > 0 else (lambda value: "n/a")
    print(f"VGG16 weights: {result['vgg16']}; {result['val_images']} val images; "
          f"{result['train_images']} train images for the probe, the floor and the copy check; "
          f"compared at {result['resolution']} px")
    print(f"{'model':<24}{'steps':>7}{'CPU-h':>7}{'KID':>12}{'KID/floor':>11}{'FD':>10}{'FD/floor':>10}"
          f"{'probe acc':>11}{'probe/real':>12}{'copy ratio':>12}")
    print(f"{'real (train vs val)':<24}{'-':>7}{'-':>7}{floor['kid']:>12.4g}{'1':>11}{floor['fd']:>10.5g}{1.0:>10.2f}"
          f"{result['probe_val_accuracy']:>11.3f}{1.0:>12.2f}{1.0:>12.2f}")
    for name, run in result["runs"].items():
        hours = f"{run['cpu_seconds'] / 3600:.2f}" if run.get("cpu_seconds") else "-"
        print(f"{name:<24}{run['steps']:>7}{hours:>7}{run['kid']:>12.4g}{ratio(run['kid']):>11}{run['fd']:>10.5g}"
              f"{run['fd'] / floor['fd']:>10.2f}"
              f"{run['probe_accuracy']:>11.3f}{run['probe_accuracy'] / result['probe_val_accuracy']:>12.2f}"
              f"{run['copy_ratio']:>12.2f}")


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="name=checkpoint.pt (repeatable)")
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--per-class", type=int, default=20, help="probe samples per class")
    parser.add_argument("--max-train", type=int, default=2000, help="train images for probe and copy check (0: all)")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--json", default="")
    parser.add_argument("--sheets", default="", help="folder for one sample-vs-real sheet per run")
    parser.add_argument("--record", default="", help="write the first run's summary here (checkpoints/"
                                                     "trend_generator.eval.json feeds the model card)")
    parser.add_argument("--threads", type=int, default=0, help="torch CPU threads (0: default)")
    parser.add_argument("--resolution", type=int, default=0,
                        help="compare at this side in px (samples resized to it; 0: the first run's)")
    args = parser.parse_args(argv)
    runs = dict(item.split("=", 1) for item in args.run)
    if args.threads:
        torch.set_num_threads(args.threads)
    result = evaluate(runs, args.data, args.cache, args.per_class, args.seed, args.max_train, args.sheets,
                      args.resolution)
    print_table(result)
    if args.json:
        with open(args.json, "w") as handle:
            json.dump(result, handle, indent=2)
    if args.record:
        Path(args.record).write_text(json.dumps(summary_record(result, next(iter(runs)), argv), indent=2) + "\n")


def summary_record(result: dict, name: str, argv: list[str] | None) -> dict:
    """A compact, dated summary of one run for the model card."""
    import sys

    run, floor = result["runs"][name], result["floor"]
    real = result["probe_val_per_class"]
    weak = [c for c, accuracy in run["probe_per_class"].items() if accuracy < 0.5 * max(real[c], 1e-9)]
    return {"date": time.strftime("%Y-%m-%d"),
            "command": "python -m fashiongen.metrics.evaluate_gan " + " ".join(argv if argv is not None else sys.argv[1:]),
            "metrics": {"steps": run["steps"], "FD": round(run["fd"]), "FD/floor": round(run["fd"] / floor["fd"], 2),
                        "KID": f"{run['kid']:.3g}", "probe accuracy": round(run["probe_accuracy"], 3),
                        "probe/real": round(run["probe_accuracy"] / result["probe_val_accuracy"], 2),
                        "copy ratio": round(run["copy_ratio"], 2)},
            "failures": ("classes the probe recognises in under half as many samples as real photos: "
                         + ", ".join(weak)) if weak else ""}


if __name__ == "__main__":
    main()
