"""Every limit and default a user meets, defined once.

The pipeline checks against these, the UI builds its sliders from them and the README's table
quotes them; nothing else types these numbers.
"""

from __future__ import annotations

# Uploads
MAX_UPLOAD_MB = 15                # per file, enforced by the web server before any decoding
MAX_PIXELS = 40_000_000           # a 6000x4000 photo passes; a 20000x20000 bomb is refused from its header
MIN_SIDE = 16                     # smallest image side accepted (px)

# Trend sampling
MIN_DESIGNS, MAX_DESIGNS, DEFAULT_DESIGNS = 1, 64, 16
MAX_SEED, DEFAULT_SEED = 2**31 - 1, 42
MIN_VARIETY, MAX_VARIETY, DEFAULT_VARIETY = 0.05, 1.0, 0.8
MIN_MORPH_STEPS, MAX_MORPH_STEPS, DEFAULT_MORPH_STEPS = 2, 16, 8

# Restyling
MIN_OUTPUT_SIDE, MAX_OUTPUT_SIDE, DEFAULT_OUTPUT_SIDE = 128, 1024, 512
MIN_PATTERN_SCALE, MAX_PATTERN_SCALE, DEFAULT_PATTERN_SCALE = 0.5, 4.0, 1.0   # artistic: motif size factor
MIN_REPEATS, MAX_REPEATS, DEFAULT_REPEATS = 1.0, 40.0, 6.0                     # print: repeats across the garment
MIN_PATTERN_ANGLE, MAX_PATTERN_ANGLE = -180.0, 180.0                          # print: degrees
MIN_MOTIF, MAX_MOTIF, DEFAULT_MOTIF = 8, 128, 40                                # library pattern motif (px)


def markdown_table() -> str:
    """The README's limits table, written from the values above (``python -m fashiongen.limits``)."""
    rows = [
        ("upload size", f"at most {MAX_UPLOAD_MB} MB per file"),
        ("upload pixels", f"at most {MAX_PIXELS // 1_000_000} megapixels (refused from the header), sides >= {MIN_SIDE} px"),
        ("designs per grid", f"{MIN_DESIGNS}-{MAX_DESIGNS} (default {DEFAULT_DESIGNS})"),
        ("seed", f"0-{MAX_SEED} (default {DEFAULT_SEED})"),
        ("variety", f"{MIN_VARIETY}-{MAX_VARIETY:g} (default {DEFAULT_VARIETY})"),
        ("morph steps", f"{MIN_MORPH_STEPS}-{MAX_MORPH_STEPS} (default {DEFAULT_MORPH_STEPS})"),
        ("output size (long side)", f"{MIN_OUTPUT_SIDE}-{MAX_OUTPUT_SIDE} px (default {DEFAULT_OUTPUT_SIDE})"),
        ("artistic pattern scale", f"{MIN_PATTERN_SCALE:g}-{MAX_PATTERN_SCALE:g} (default {DEFAULT_PATTERN_SCALE:g})"),
        ("print repeats across the garment", f"{MIN_REPEATS:g}-{MAX_REPEATS:g} (default {DEFAULT_REPEATS:g})"),
        ("print pattern angle", f"{MIN_PATTERN_ANGLE:g} to {MAX_PATTERN_ANGLE:g} degrees"),
        ("library motif size", f"{MIN_MOTIF}-{MAX_MOTIF} px (default {DEFAULT_MOTIF})"),
    ]
    return "\n".join(["| limit | value |", "| --- | --- |"] + [f"| {name} | {value} |" for name, value in rows])


if __name__ == "__main__":
    print(markdown_table())
