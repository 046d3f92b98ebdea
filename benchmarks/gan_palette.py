"""How much of the real garments' range of colours a trend generator covers (a diagnostic, not a test).

    python benchmarks/gan_palette.py --run shipped=checkpoints/trend_generator.pt --run 12k=runs/gan-cutout/snapshot-step012000.pt

The evaluation sheets show samples in a few colours (black, navy, beige, pink) where real photos
have blues, greens, oranges and prints. Per image this takes the mean CIELAB colour of the
garment (pixels that are not the white background of the GAN's view) and compares runs with the
real val photos (prepare_photo, the cached prepared dataset), one sample per val photo with that
photo's class, so class mix does not bias the colours:
- colourful: share of images whose garment chroma is at least 20 (not black, white, grey or beige);
- hue bins: of 12 hue sectors, how many hold at least 2 % of the colourful images;
- TV to real: total variation distance between the hue histograms (12 sectors plus "not
  colourful"), 0 = the same colour mix as the real photos, 1 = disjoint;
- spread / real: the spread (square root of the summed variances) of the per-image mean Lab
  colour, relative to the real photos'.
"""

from __future__ import annotations

import argparse

import cv2
import numpy as np
import torch

from fashiongen.metrics.evaluate_gan import generate
from fashiongen.training.data import load_split
from fashiongen.training.runs import load_generator

HUE_BINS = 12
COLOURFUL_CHROMA = 20.0   # CIELAB chroma; beige is about 15, a saturated blue about 60
BACKGROUND = 240          # a pixel with every channel at least this is the white background


def garment_colours(images: np.ndarray) -> np.ndarray:
    """(N, R, R, 3) uint8 RGB on white -> (N, 3) mean CIELAB (L in 0-100, a and b signed) of the garment pixels."""
    colours = []
    for image in images:
        lab = cv2.cvtColor(image, cv2.COLOR_RGB2LAB).astype(np.float64)
        garment = ~(image >= BACKGROUND).all(axis=-1)
        pixels = lab[garment] if garment.sum() >= 16 else lab.reshape(-1, 3)
        colours.append(pixels.mean(axis=0))
    colours = np.array(colours)
    return np.stack([colours[:, 0] * 100 / 255, colours[:, 1] - 128, colours[:, 2] - 128], axis=1)


def hue_histogram(colours: np.ndarray) -> np.ndarray:
    """(N, 3) Lab -> (HUE_BINS + 1,) shares: the hue sectors of colourful images, then "not colourful"."""
    chroma = np.hypot(colours[:, 1], colours[:, 2])
    hue = (np.degrees(np.arctan2(colours[:, 2], colours[:, 1])) % 360) // (360 / HUE_BINS)
    counts = np.bincount(hue[chroma >= COLOURFUL_CHROMA].astype(int), minlength=HUE_BINS).astype(np.float64)
    return np.append(counts, (chroma < COLOURFUL_CHROMA).sum()) / len(colours)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="name=checkpoint (.pt); repeatable")
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args(argv)
    torch.set_num_threads(1)

    real_images, labels, _ = load_split(args.data, "val", 64, args.cache)
    real = garment_colours(real_images)
    real_histogram, real_spread = hue_histogram(real), np.sqrt(real.var(axis=0).sum())
    print(f"garment colours of {len(real)} real val photos and one sample per photo (same class) per run")
    print(f"{'run':<20}{'colourful':>11}{'hue bins':>10}{'TV to real':>12}{'spread / real':>15}")

    def row(name: str, colours: np.ndarray) -> None:
        histogram = hue_histogram(colours)
        used = int((histogram[:HUE_BINS] >= 0.02 * (1 - histogram[-1])).sum()) if histogram[-1] < 1 else 0
        distance = 0.5 * np.abs(histogram - real_histogram).sum()
        spread = np.sqrt(colours.var(axis=0).sum()) / real_spread
        print(f"{name:<20}{1 - histogram[-1]:>11.0%}{used:>10}{distance:>12.3f}{spread:>15.2f}")

    row("real val", real)
    for name, checkpoint in (item.split("=", 1) for item in args.run):
        if checkpoint.endswith(".onnx"):
            raise SystemExit("pass the .pt checkpoint (the ONNX export has the same weights)")
        generator, gan, _, _ = load_generator(checkpoint)
        row(name, garment_colours(generate(generator, gan.z_dim, labels, args.seed)))  # one sample per val photo


if __name__ == "__main__":
    main()
