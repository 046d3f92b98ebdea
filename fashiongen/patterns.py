"""Procedural textile patterns, drawn with numpy.

Every pattern is a pure function of its parameters: the same ``PatternSpec`` always gives
the same pixels. They feed training with unlimited styles and give the app a pattern picker.

    >>> from fashiongen.patterns import PatternSpec, draw_pattern
    >>> draw_pattern(PatternSpec("tartan", scale=48, seed=3), 256, 256).shape
    (256, 256, 3)
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace

import numpy as np
from PIL import Image

Color = tuple[int, int, int]

# Default palettes per kind: classic textile colourways (background first).
DEFAULT_COLORS: dict[str, tuple[Color, ...]] = {
    "stripes": ((245, 240, 228), (28, 52, 110)),
    "pinstripes": ((38, 42, 56), (215, 215, 220)),
    "gingham": ((250, 250, 250), (190, 30, 45)),
    "tartan": ((20, 60, 40), (20, 30, 80), (200, 30, 40), (240, 220, 120)),
    "polka_dots": ((20, 24, 60), (250, 250, 245)),
    "houndstooth": ((240, 236, 225), (25, 25, 25)),
    "herringbone": ((120, 110, 100), (70, 60, 55)),
    "chevron": ((250, 245, 235), (230, 120, 60), (40, 90, 120)),
    "argyle": ((60, 90, 60), (150, 40, 50), (235, 225, 200)),
    "floral": ((245, 235, 215), (200, 60, 90), (240, 180, 60), (70, 120, 70)),
    "marble": ((235, 235, 240), (90, 90, 110), (180, 170, 160)),
    "camouflage": ((90, 100, 60), (140, 130, 90), (60, 50, 40), (40, 60, 35)),
}
KINDS = tuple(DEFAULT_COLORS)


@dataclass(frozen=True)
class PatternSpec:
    kind: str                       # one of KINDS
    scale: float = 32.0             # motif period in pixels
    angle: float = 0.0              # rotation in degrees
    seed: int = 0                   # seeds organic patterns (floral, marble, camouflage)
    colors: tuple[Color, ...] = field(default=())  # empty: the kind's default palette

    def palette(self) -> np.ndarray:
        """(K, 3) float32 colours, at least as many as the kind's default palette."""
        defaults = DEFAULT_COLORS[self.kind]
        chosen = list(self.colors) + list(defaults[len(self.colors):])
        return np.array(chosen, dtype=np.float32)


def draw_pattern(spec: PatternSpec, width: int, height: int) -> np.ndarray:
    """Draw ``spec`` as an (height, width, 3) uint8 RGB array.

    Raises:
        ValueError: unknown kind, non-positive size or scale.
    """
    if spec.kind not in KINDS:
        raise ValueError(f"Unknown pattern kind {spec.kind!r}; choose one of {', '.join(KINDS)}")
    if width < 1 or height < 1 or width * height > 4096 * 4096:
        raise ValueError(f"Pattern size must be between 1x1 and 4096x4096, got {width}x{height}")
    if not 2 <= spec.scale <= 2048:
        raise ValueError(f"Pattern scale must be between 2 and 2048 pixels, got {spec.scale}")
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    theta = np.deg2rad(spec.angle)
    u = (x * np.cos(theta) + y * np.sin(theta)) / spec.scale   # along the pattern, in periods
    v = (-x * np.sin(theta) + y * np.cos(theta)) / spec.scale
    colors = spec.palette()
    rng = np.random.default_rng(spec.seed)
    image = _DRAWERS[spec.kind](u, v, colors, rng, spec)
    return np.clip(image + 0.5, 0, 255).astype(np.uint8)


def _pick(colors: np.ndarray, index: np.ndarray) -> np.ndarray:
    return colors[index.astype(np.int64) % len(colors)]


def _frac(a: np.ndarray) -> np.ndarray:
    return a - np.floor(a)


def _stripes(u, v, colors, rng, spec):
    return _pick(colors[:2], (_frac(u) >= 0.5).astype(int))


def _pinstripes(u, v, colors, rng, spec):
    return _pick(colors[:2], (_frac(u) < 0.07).astype(int))


def _gingham(u, v, colors, rng, spec):
    a, b = _frac(u) < 0.5, _frac(v) < 0.5
    weight = (a.astype(np.float32) + b.astype(np.float32))[..., None] / 2.0  # 0, 0.5 or 1
    return colors[0] * (1 - weight) + colors[1] * weight


def _tartan(u, v, colors, rng, spec):
    # A sett: the same sequence of coloured bands across the warp and the weft, woven as a 2/2 twill.
    bands = np.array([0, 0, 0, 1, 1, 1, 2, 0, 0, 3, 1, 1], dtype=np.int64)
    warp = _pick(colors, bands[(np.floor(_frac(u) * len(bands))).astype(int) % len(bands)])
    weft = _pick(colors, bands[(np.floor(_frac(v) * len(bands))).astype(int) % len(bands)])
    twill = ((np.floor(u * spec.scale / 2) + np.floor(v * spec.scale / 2)) % 4 < 2)[..., None]
    return np.where(twill, warp, weft) * 0.75 + (warp + weft) * 0.125


def _polka_dots(u, v, colors, rng, spec):
    row = np.floor(v)
    shifted = u + 0.5 * (row % 2)  # offset every other row
    distance = np.hypot(_frac(shifted) - 0.5, _frac(v) - 0.5)
    return _pick(colors[:2], (distance < 0.25).astype(int))


def _houndstooth(u, v, colors, rng, spec):
    # A broken check: dark top-left square, light bottom-right, and two quadrants split along
    # the diagonal, stepped on an 8x8 grid so the teeth show their characteristic jagged edge.
    s, t = np.floor(_frac(u) * 8) / 8, np.floor(_frac(v) * 8) / 8
    top, left = t < 0.5, s < 0.5
    dark = (top & left) | (top & ~left & (s - 0.5 < t)) | (~top & left & (t - 0.5 < s))
    return _pick(colors[:2], dark.astype(int))


def _herringbone(u, v, colors, rng, spec):
    column = np.floor(u)
    direction = np.where(column % 2 == 0, 1.0, -1.0)
    diagonal = v * 4 + direction * _frac(u) * 4
    return _pick(colors[:2], (_frac(diagonal) < 0.5).astype(int))


def _chevron(u, v, colors, rng, spec):
    zigzag = np.abs(_frac(u) - 0.5) * 2  # triangle wave 0..1
    band = np.floor(v * 2 + zigzag)
    return _pick(colors[:3], band % 3)


def _argyle(u, v, colors, rng, spec):
    a, b = u + v, u - v  # rotate 45 degrees: diamonds become squares
    checker = (np.floor(a) + np.floor(b)) % 2
    image = _pick(colors[:2], checker)
    line = (np.abs(_frac(a * 0.5) - 0.5) < 0.02) | (np.abs(_frac(b * 0.5) - 0.5) < 0.02)
    return np.where(line[..., None], colors[2], image)


def _floral(u, v, colors, rng, spec):
    image = np.broadcast_to(colors[0], u.shape + (3,)).copy()
    # Flowers sit on a jittered grid, one per cell, so the density follows the scale.
    cell_u, cell_v = np.floor(u), np.floor(v)
    for du in (-1, 0, 1):
        for dv in (-1, 0, 1):
            cu, cv = cell_u + du, cell_v + dv
            hashed = _cell_hash(cu, cv, spec.seed)
            center_u = cu + 0.2 + 0.6 * _frac(hashed * 13.1)
            center_v = cv + 0.2 + 0.6 * _frac(hashed * 7.7)
            petals = 5 + np.floor(_frac(hashed * 3.3) * 3)
            radius = 0.22 + 0.12 * _frac(hashed * 5.9)
            du_, dv_ = u - center_u, v - center_v
            r, phi = np.hypot(du_, dv_), np.arctan2(dv_, du_) + hashed * 6.28
            petal = r < radius * (0.55 + 0.45 * np.abs(np.cos(petals * phi / 2)))
            leaf = (np.abs(du_ - radius) ** 2 / 0.02 + (dv_ + radius * 0.8) ** 2 / 0.006) < 1
            image[leaf] = colors[3]
            image[petal] = colors[1]
            image[r < radius * 0.3] = colors[2]
    return image


def _cell_hash(cu: np.ndarray, cv: np.ndarray, seed: int) -> np.ndarray:
    return _frac(np.sin(cu * 127.1 + cv * 311.7 + seed * 74.7) * 43758.5453)


def _smooth_noise(shape: tuple[int, int], period: float, rng: np.random.Generator, octaves: int = 4) -> np.ndarray:
    """Fractal value noise in [0, 1]: random grids upsampled bicubically, summed over octaves."""
    height, width = shape
    total, amplitude, norm = np.zeros(shape, np.float32), 1.0, 0.0
    for octave in range(octaves):
        step = max(period / 2 ** octave, 2.0)
        grid = rng.random((int(height / step) + 3, int(width / step) + 3)).astype(np.float32)
        upsampled = Image.fromarray(grid).resize((int(grid.shape[1] * step), int(grid.shape[0] * step)),
                                                 Image.Resampling.BICUBIC)
        total += amplitude * np.asarray(upsampled)[:height, :width]
        norm += amplitude
        amplitude *= 0.5
    return np.clip(total / norm, 0, 1)


def _marble(u, v, colors, rng, spec):
    turbulence = _smooth_noise(u.shape, spec.scale * 2, rng, octaves=5)
    veins = np.abs(np.sin((u + 6.0 * turbulence) * np.pi))[..., None] ** 0.4
    tint = _smooth_noise(u.shape, spec.scale * 4, rng, octaves=2)[..., None]
    base = colors[0] * (1 - 0.3 * tint) + colors[2] * 0.3 * tint
    return base * veins + colors[1] * (1 - veins)


def _camouflage(u, v, colors, rng, spec):
    layers = np.zeros(u.shape, np.int64)
    for index in range(1, min(len(colors), 4)):
        blob = _smooth_noise(u.shape, spec.scale * 1.5, rng, octaves=3)
        layers[blob > 0.55] = index
    return _pick(colors, layers)


_DRAWERS = {
    "stripes": _stripes, "pinstripes": _pinstripes, "gingham": _gingham, "tartan": _tartan,
    "polka_dots": _polka_dots, "houndstooth": _houndstooth, "herringbone": _herringbone,
    "chevron": _chevron, "argyle": _argyle, "floral": _floral, "marble": _marble, "camouflage": _camouflage,
}


def random_spec(rng: np.random.Generator, min_scale: float = 8, max_scale: float = 64) -> PatternSpec:
    """A random pattern (kind, palette, scale, angle, seed) for training."""
    kind = KINDS[rng.integers(len(KINDS))]
    count = len(DEFAULT_COLORS[kind])
    colors = tuple(tuple(int(c) for c in rng.integers(0, 256, 3)) for _ in range(count))
    spec = PatternSpec(kind, scale=float(np.exp(rng.uniform(np.log(min_scale), np.log(max_scale)))),
                       angle=float(rng.choice([0, 0, 45, 90, rng.uniform(0, 180)])), seed=int(rng.integers(1 << 30)))
    return spec if rng.random() < 0.3 else replace(spec, colors=colors)


def spec_from_json(text: str) -> PatternSpec:
    """A library pattern named in an API call: a kind ("tartan") or a JSON object
    ``{"kind": "tartan", "scale": 40, "angle": 0, "seed": 0, "colors": ["#14283c", "#c81e28"]}``.

    Raises:
        ValueError: unknown kind or field, malformed JSON or colour; the message names the value.
    """
    text = (text or "").strip()
    if not text.startswith("{"):
        fields = {"kind": text}
    else:
        try:
            fields = json.loads(text)
        except json.JSONDecodeError as error:
            raise ValueError(f"library_pattern is not valid JSON ({error.msg}): {text[:80]!r}") from None
        if not isinstance(fields, dict):
            raise ValueError(f"library_pattern must be a JSON object, got {text[:80]!r}")
    unknown = set(fields) - {"kind", "scale", "angle", "seed", "colors"}
    if unknown:
        raise ValueError(f"Unknown library_pattern field(s) {sorted(unknown)}; use kind, scale, angle, seed, colors")
    kind = str(fields.get("kind", ""))
    if kind not in KINDS:
        raise ValueError(f"Unknown pattern kind {kind!r}; choose one of {', '.join(KINDS)}")
    colors = tuple(parse_hex_color(str(color)) for color in fields.get("colors", ()))
    try:
        return PatternSpec(kind, scale=float(fields.get("scale", 32.0)), angle=float(fields.get("angle", 0.0)),
                           seed=int(fields.get("seed", 0)), colors=colors)
    except (TypeError, ValueError) as error:
        raise ValueError(f"library_pattern has a bad number ({error})") from None


def parse_hex_color(text: str) -> Color:
    """'#RRGGBB' (or 'rgb(r, g, b)' / 'rgba(...)' as Gradio's colour picker sends) -> (r, g, b)."""
    value = text.strip()
    if value.startswith("rgb"):
        parts = value[value.index("(") + 1:value.index(")")].split(",")[:3]
        return tuple(int(round(float(p))) for p in parts)  # type: ignore[return-value]
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    if len(value) != 6:
        raise ValueError(f"Colour {text!r} is not #RRGGBB")
    return tuple(int(value[i:i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]
