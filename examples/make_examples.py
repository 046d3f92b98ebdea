"""Write the app's examples: garments drawn by the shipped trend model, patterns from the pattern library.

    python examples/make_examples.py

Everything here is the project's own output, so it is free to ship (no dataset images).
"""

from __future__ import annotations

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

from PIL import Image

from fashiongen.patterns import PatternSpec, draw_pattern
from fashiongen.trends import TrendSampler, enlarge

EXAMPLES = [  # (garment type, seed, pattern)
    ("T-Shirt", 3, PatternSpec("tartan", scale=36)),
    ("Dress", 11, PatternSpec("floral", scale=48, seed=2)),
    ("Hoodie", 5, PatternSpec("houndstooth", scale=24)),
    ("Skirt", 8, PatternSpec("polka_dots", scale=28)),
]


def main() -> None:
    sampler = TrendSampler(ROOT / "checkpoints" / "trend_generator.onnx")
    folder = Path(__file__).resolve().parent
    for index, (label, seed, spec) in enumerate(EXAMPLES):
        design = sampler.sample([label], 1, seed, 0.7)[0]
        Image.fromarray(enlarge(design.image, 256)).save(folder / f"garment-{index}-{label.lower()}-seed{seed}.png")
        Image.fromarray(draw_pattern(spec, 256, 256)).save(folder / f"pattern-{index}-{spec.kind}.png")
    print(f"wrote {2 * len(EXAMPLES)} example images to {folder}")


if __name__ == "__main__":
    main()
