"""Where a trend generator puts image energy that real garments do not have (a diagnostic, not a test).

    python benchmarks/gan_spectrum.py --run shipped=checkpoints/trend_generator.pt --run 12k=runs/gan-cutout/snapshot-step012000.pt
    python benchmarks/gan_spectrum.py --resolution 128 --run shipped=checkpoints/trend_generator.pt --run grown=runs/gan-128/checkpoint.pt

The hatching seen on samples is a fine periodic pattern, so it shows as frequencies where the
samples' mean power spectrum exceeds that of real val photos in the GAN's view (prepare_photo,
the cached prepared dataset). For each run this prints the fake/real power ratio by radius
(cycles per image; R/2 = Nyquist at R px) and the largest ratios of single 2-D frequency cells:
near 1 everywhere means no artifact; a cell at 4x is a pattern the real photos do not have, and
ratios well below 1 at the large radii mean blur. A ratio alone does not say whether a pattern can be
seen: each listed cell also gives the samples' RMS amplitude at that frequency in 8-bit grey levels
(a cell and its mirror together); under about 1 level it is below what a uint8 image can show.
Greyscale, mean removed per image, samples from a fixed seed over all classes. ``--resolution``
compares at one size (default 64): generators of another resolution are resized to it (Lanczos, as
the evaluation and the app do), real photos are prepared at it.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from fashiongen.metrics.evaluate_gan import at_resolution
from fashiongen.training.data import load_split
from fashiongen.training.runs import load_generator
from fashiongen.training.tensors import signed_to_uint8

RADII = (4, 8, 12, 16, 20, 24, 28, 31)  # at 64 px; scaled with --resolution


def power_spectrum(images: np.ndarray) -> np.ndarray:
    """(N, R, R, 3) uint8 -> (R, R) mean power of the mean-removed greyscale images, zero frequency centred."""
    grey = images.astype(np.float64).mean(axis=-1) / 255.0
    grey -= grey.mean(axis=(1, 2), keepdims=True)
    return np.fft.fftshift((np.abs(np.fft.fft2(grey)) ** 2).mean(axis=0))


def cell_amplitude(power: np.ndarray, fy: int, fx: int) -> float:
    """RMS amplitude in 8-bit grey levels of the component at centred frequency (fy, fx) of ``power``
    (from ``power_spectrum``): a cell and its mirror form one real sinusoid; the cells on the Nyquist
    lines and at zero are their own mirror."""
    side = power.shape[0]
    half = side // 2
    own_mirror = fy in (0, -half) and fx in (0, -half)
    pair = power[fy + half, fx + half] * (1 if own_mirror else 2)
    return float(np.sqrt(pair) / side ** 2 * 255.0)


def generate(checkpoint: str, count: int, seed: int, resolution: int = 0) -> np.ndarray:
    """``count`` samples of a trainer checkpoint or slim .pt (EMA weights) -> (count, R, R, 3) uint8,
    resized to ``resolution`` x ``resolution`` where given and different."""
    generator, gan, classes, _ = load_generator(checkpoint)
    rng = torch.Generator().manual_seed(seed)
    z = torch.randn(count, gan.z_dim, generator=rng)
    class_id = torch.randint(0, len(classes), (count,), generator=rng)
    with torch.no_grad():
        images = np.concatenate([signed_to_uint8(generator(z[i:i + 50], class_id[i:i + 50]))
                                 for i in range(0, count, 50)])
    return at_resolution(images, resolution)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", action="append", required=True, help="name=checkpoint (.pt); repeatable")
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--count", type=int, default=450)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--resolution", type=int, default=64, help="compare at this size (px)")
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)

    real_images, _, _ = load_split(args.data, "val", args.resolution, args.cache)
    real = power_spectrum(real_images[:args.count])
    radii = [round(r * args.resolution / 64) if r < 31 else args.resolution // 2 - 1 for r in RADII]
    side = real.shape[0]
    yy, xx = np.mgrid[:side, :side] - side // 2
    radius = np.sqrt(yy ** 2 + xx ** 2).round().astype(int)
    print(f"fake/real power by radius at {args.resolution} px (cycles per image; "
          f"{len(real_images[:args.count])} real val images, {args.count} samples per run)")
    print(f"{'run':<16}" + "".join(f"{r:>7}" for r in radii) + "   largest single-cell ratios (fy, fx: ratio, RMS grey levels)")
    for name, checkpoint in (item.split("=", 1) for item in args.run):
        if checkpoint.endswith(".onnx"):
            raise SystemExit("pass the .pt checkpoint (the ONNX export has the same weights)")
        fake = power_spectrum(generate(checkpoint, args.count, args.seed, args.resolution))
        ratio = fake / real
        by_radius = [ratio[radius == r].mean() for r in radii]
        top = np.argsort(ratio, axis=None)[::-2][:4]  # symmetric pairs: every other of the largest
        cells = ", ".join(f"({yy.flat[i]:+d}, {xx.flat[i]:+d}: {ratio.flat[i]:.1f}, "
                          f"{cell_amplitude(fake, yy.flat[i], xx.flat[i]):.2f})" for i in top)
        print(f"{name:<16}" + "".join(f"{value:>7.2f}" for value in by_radius) + f"   {cells}")


if __name__ == "__main__":
    main()
