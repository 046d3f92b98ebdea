"""Latency of the automatic garment mask, its steps side by side: GrabCut alone, with the learned
segmenter, and with the segmenter and its grower (the app's mask).

    python benchmarks/bench_mask_latency.py --photos 30 --threads 1

Val photos at 1024 px on the long side (the mask itself works at 256 px); the three methods run in
this one process, interleaved photo by photo, so background load hits each alike. Prints the median
seconds per mask and the ratios to GrabCut alone.
"""

from __future__ import annotations

import argparse
import os
import statistics
import time


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--photos", type=int, default=30)
    parser.add_argument("--threads", type=int, default=1, help="onnxruntime and OpenCV threads")
    args = parser.parse_args(argv)
    os.environ.setdefault("OMP_NUM_THREADS", str(args.threads))
    import cv2

    cv2.setNumThreads(args.threads)
    from fashiongen.garment_mask import (
        GROWER_FILE,
        SEGMENTER_FILE,
        LearnedSegmenter,
        garment_mask,
    )
    from fashiongen.images import ImageError, load_image, resize_long_side
    from fashiongen.training.data import read_records, split_of

    plain, grown = LearnedSegmenter(SEGMENTER_FILE), LearnedSegmenter(SEGMENTER_FILE, GROWER_FILE)
    methods = {"GrabCut alone": lambda image: garment_mask(image),
               "with the segmenter": lambda image: garment_mask(image, segmenter=plain),
               "with segmenter and grower (app)": lambda image: garment_mask(image, segmenter=grown)}
    records, _ = read_records(args.data, min_class_images=1)
    photos = []
    for record in sorted((r for r in records if split_of(r.image_id) == "val"), key=lambda r: r.image_id):
        try:
            photos.append(resize_long_side(load_image(record.path, max_side=1024), 1024))
        except ImageError:
            continue
        if len(photos) == args.photos:
            break
    for method in methods.values():  # warm-up: sessions, thread pools
        method(photos[0])
    timings = {name: [] for name in methods}
    for photo in photos:
        for name, method in methods.items():
            started = time.perf_counter()
            method(photo)
            timings[name].append(time.perf_counter() - started)
    base = statistics.median(timings["GrabCut alone"])
    print(f"{len(photos)} val photos at 1024 px, {args.threads} thread(s), medians:")
    print(f"{'method':<34}{'s / mask':>10}{'x GrabCut':>11}")
    for name, values in timings.items():
        print(f"{name:<34}{statistics.median(values):>10.3f}{statistics.median(values) / base:>11.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
