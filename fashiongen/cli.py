"""``fashiongen``: batch trend sampling and restyling from the command line, on the shipped ONNX models.

    fashiongen sample --classes Dress Skirt --count 8 --seed 42 --out designs/
    fashiongen stylize photos/ --library tartan --mode print --repeats 5 --out restyled/
    fashiongen stylize shirt.jpg dress.jpg --pattern painting.png --pattern dots.png --mode artistic --out out/
    fashiongen reproduce designs/Dress-seed43.png --out again.png

The same pipeline as the web app (fashiongen.pipeline); every PNG written carries its recipe.
Unreadable inputs are skipped with a message, and the exit status is 1 if any were skipped.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
from tqdm import tqdm

from fashiongen.errors import InputError, ModelUnavailable
from fashiongen.garment_mask import image_to_mask
from fashiongen.images import IMAGE_SUFFIXES, ImageError, load_image
from fashiongen.limits import (DEFAULT_DESIGNS, DEFAULT_OUTPUT_SIDE, DEFAULT_PATTERN_SCALE, DEFAULT_REPEATS,
                               DEFAULT_SEED, DEFAULT_VARIETY, MAX_OUTPUT_SIDE)
from fashiongen.patterns import spec_from_json
from fashiongen.pipeline import CHECKPOINT_DIR, MODES, Pipeline, RestyleRequest, SampleRequest
from fashiongen.recipes import read_recipe, save_with_recipe
from fashiongen.trends import enlarge


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="fashiongen", description=__doc__,
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", default=str(CHECKPOINT_DIR), help="folder with the ONNX models")
    commands = parser.add_subparsers(dest="command", required=True)

    sample = commands.add_parser("sample", help="draw trend designs")
    sample.add_argument("--classes", nargs="*", default=[], help="garment types to cycle through (default: all)")
    sample.add_argument("--count", type=int, default=DEFAULT_DESIGNS, help="number of designs")
    sample.add_argument("--seed", type=int, default=DEFAULT_SEED, help="design i uses seed + i")
    sample.add_argument("--variety", type=float, default=DEFAULT_VARIETY, help="0.05-1; lower is more typical")
    sample.add_argument("--size", type=int, default=192, help="side of each written PNG (the model's output enlarged)")
    sample.add_argument("--grid", default="", help="also write all designs as one grid PNG here")
    sample.add_argument("--out", default="designs", help="folder for one PNG per design")

    stylize = commands.add_parser("stylize", help="restyle garment photos with one or more patterns")
    stylize.add_argument("garments", nargs="+", help="garment image files or folders of them")
    stylize.add_argument("--pattern", action="append", default=[], help="pattern image file (repeatable)")
    stylize.add_argument("--library", action="append", default=[],
                         help='library pattern: a kind ("tartan") or JSON {"kind", "scale", "angle", "seed", "colors"}')
    stylize.add_argument("--mode", choices=MODES, default="print", help="print (fabric) or artistic (network)")
    stylize.add_argument("--strength", type=float, default=1.0, help="0-1")
    stylize.add_argument("--preserve-colors", action="store_true", help="keep the garment's colours")
    stylize.add_argument("--garment-only", action="store_true", help="artistic: keep the background")
    stylize.add_argument("--mask", default="", help="painted mask (white = garment) for every garment")
    stylize.add_argument("--pattern-scale", type=float, default=DEFAULT_PATTERN_SCALE, help="artistic: motif size")
    stylize.add_argument("--repeats", type=float, default=DEFAULT_REPEATS, help="print: repeats across the garment")
    stylize.add_argument("--angle", type=float, default=0.0, help="print: pattern angle in degrees")
    stylize.add_argument("--output-size", type=int, default=DEFAULT_OUTPUT_SIDE,
                         help=f"long side of each result, up to {MAX_OUTPUT_SIDE} px")
    stylize.add_argument("--out", default="restyled", help="output folder")

    reproduce = commands.add_parser("reproduce", help="make a fashiongen PNG again from its recipe")
    reproduce.add_argument("image", help="a PNG written by fashiongen")
    reproduce.add_argument("--garment", default="", help="restyles: the garment photo it was made from")
    reproduce.add_argument("--pattern", default="", help="restyles: the uploaded pattern, if it used one")
    reproduce.add_argument("--mask", default="", help="restyles: the painted mask, if it used one")
    reproduce.add_argument("--out", default="reproduced.png", help="output PNG")
    return parser


def _images_in(paths: list[str]) -> list[Path]:
    found = []
    for name in paths:
        path = Path(name)
        if path.is_dir():
            found += sorted(p for p in path.iterdir() if p.suffix.lower() in IMAGE_SUFFIXES)
        else:
            found.append(path)
    return found


def _load_mask(path: str) -> np.ndarray:
    picture = load_image(path)
    return image_to_mask(picture, (picture.shape[1], picture.shape[0]))


def run_sample(pipeline: Pipeline, args) -> int:
    designs = pipeline.sample(SampleRequest(tuple(args.classes), args.count, args.seed, args.variety))
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    for design in tqdm(designs, desc="designs", unit="design"):
        save_with_recipe(enlarge(design.image, args.size), pipeline.design_recipe(design),
                         out / f"{design.label}-seed{design.seed}.png")
    if args.grid:
        save_with_recipe(pipeline.sample_sheet(designs), pipeline.grid_recipe(designs), args.grid)
    print(f"wrote {len(designs)} designs to {out}" + (f" and the grid {args.grid}" if args.grid else ""))
    return 0


def run_stylize(pipeline: Pipeline, args) -> int:
    patterns: list[tuple[str, object]] = [(spec_from_json(text).kind, spec_from_json(text)) for text in args.library]
    skipped = []
    for name in args.pattern:
        try:
            patterns.append((Path(name).stem, load_image(name)))
        except ImageError as error:
            skipped.append(f"pattern {name}: {error}")
    if not patterns:
        print("\n".join(f"skipped {line}" for line in skipped) or "no pattern given", file=sys.stderr)
        print("Give at least one readable --pattern file or --library pattern.", file=sys.stderr)
        return 2
    mask = _load_mask(args.mask) if args.mask else None
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    garments = _images_in(args.garments)
    written = 0
    to_check = {}  # garment file -> why its automatic mask is worth a look
    with tqdm(total=len(garments) * len(patterns), desc="restyles", unit="image") as progress:
        for garment_path in garments:
            try:
                garment = load_image(garment_path, max_side=MAX_OUTPUT_SIDE)
            except ImageError as error:
                skipped.append(f"garment {garment_path}: {error}")
                progress.update(len(patterns))
                continue
            for pattern_name, pattern in patterns:
                result = pipeline.restyle(RestyleRequest(
                    garment, pattern, mode=args.mode, strength=args.strength, preserve_colors=args.preserve_colors,
                    garment_only=args.garment_only, mask=mask, pattern_scale=args.pattern_scale,
                    repeats=args.repeats, pattern_angle=args.angle, output_size=args.output_size))
                save_with_recipe(result.image, result.recipe, out / f"{garment_path.stem}-{pattern_name}-{args.mode}.png")
                if result.mask_warning:
                    to_check[garment_path] = result.mask_warning
                written += 1
                progress.update(1)
    for line in skipped:
        print(f"skipped {line}", file=sys.stderr)
    for garment_path, warning in to_check.items():
        print(f"check the mask of {garment_path}: {warning} (restyle it alone with --mask to paint one)",
              file=sys.stderr)
    plural = "s" if len(to_check) != 1 else ""
    print(f"wrote {written} restyled images to {out}" + (f"; skipped {len(skipped)} unreadable" if skipped else "")
          + (f"; {len(to_check)} automatic mask{plural} to check (listed above)" if to_check else ""))
    return 1 if skipped else 0


def run_reproduce(pipeline: Pipeline, args) -> int:
    recipe = read_recipe(args.image)
    if recipe["kind"] == "trend":
        design = pipeline.reproduce_design(recipe)
        original = load_image(args.image)
        image = enlarge(design.image, original.shape[0])
        save_with_recipe(image, pipeline.design_recipe(design), args.out)
        same = original.shape == image.shape and np.array_equal(original, image)
        print(f"{design.caption}: wrote {args.out}, " + ("identical to the input" if same else "differs from the input"))
        return 0
    if recipe["kind"] == "trend-grid":
        raise InputError("This is a grid; reproduce its designs one by one (their seeds are in the recipe).")
    if not args.garment:
        raise InputError("This is a restyle: pass --garment with the photo it was made from.")
    result = pipeline.reproduce_restyle(recipe, load_image(args.garment, max_side=MAX_OUTPUT_SIDE),
                                        load_image(args.pattern) if args.pattern else None,
                                        _load_mask(args.mask) if args.mask else None)
    save_with_recipe(result.image, result.recipe, args.out)
    print(f"restyled again in {recipe['mode']} mode: wrote {args.out}")
    return 0


def main(argv: list[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    pipeline = Pipeline.from_checkpoints(args.checkpoints)
    command = {"sample": run_sample, "stylize": run_stylize, "reproduce": run_reproduce}[args.command]
    try:
        return command(pipeline, args)
    except (InputError, ModelUnavailable, ValueError) as error:
        print(f"fashiongen {args.command}: {error}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
