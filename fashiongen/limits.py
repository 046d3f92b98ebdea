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
