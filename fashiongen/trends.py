"""Trend sampling on the exported class-conditional generator (no torch).

Each design has its own seed, so any single design in a grid can be reproduced (or morphed)
from its caption alone: design ``i`` of a grid with seed ``s`` uses seed ``s + i``.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fashiongen.errors import InputError
from fashiongen.images import from_float, make_grid, resize
from fashiongen.limits import (MAX_DESIGNS, MAX_MORPH_STEPS, MAX_SEED, MAX_VARIETY, MIN_DESIGNS, MIN_MORPH_STEPS,
                               MIN_VARIETY)
from fashiongen.runtime import OnnxModel


@dataclass(frozen=True)
class Design:
    image: np.ndarray   # (R, R, 3) uint8 RGB, the generator's native resolution
    label: str          # garment type, e.g. "T-Shirt"
    seed: int           # reproduces this design alone (with the variety)
    variety: float = 1.0  # noise truncation it was drawn with

    @property
    def caption(self) -> str:
        return f"{self.label} · seed {self.seed}"


class TrendSampler:
    """Draws garment designs from ``trend_generator.onnx``.

    The model maps z float32 (N, z_dim) and class_weights float32 (N, K) (one-hot for one class,
    other rows mix classes) to image float32 (N, 3, R, R) in [0, 1]. Models exported before class
    mixing take class_id int64 (N,) instead; they sample and morph within one class only.
    """

    def __init__(self, path: str | Path):
        self.model = OnnxModel(path)
        self.classes: list[str] = self.model.metadata_json("classes")
        self.z_dim = int(self.model.metadata["z_dim"])
        self.resolution = int(self.model.metadata["resolution"])
        self.provenance = self.model.metadata.get("provenance", "")
        # "module:function" that turns a real photo into the view the model learned (for evaluators).
        self.preprocess = self.model.metadata.get("preprocess", "")

    def check_classes(self, classes: list[str] | None) -> list[str]:
        """None or [] means every class; unknown names raise ValueError listing the valid ones."""
        if not classes:
            return list(self.classes)
        unknown = [name for name in classes if name not in self.classes]
        if unknown:
            raise InputError(f"Unknown garment type(s) {unknown}; choose from {', '.join(self.classes)}")
        return list(dict.fromkeys(classes))

    def noise(self, seed: int, variety: float) -> np.ndarray:
        """z (z_dim,) float32 for one seed. ``variety`` in (0, 1] truncates the normal to
        |z| <= 2.5 * variety by resampling (lower = safer, more typical designs)."""
        rng = np.random.default_rng(seed)
        limit = 2.5 * variety
        z = rng.standard_normal(self.z_dim)
        outside = np.abs(z) > limit
        while outside.any():
            z[outside] = rng.standard_normal(int(outside.sum()))
            outside = np.abs(z) > limit
        return z.astype(np.float32)

    @property
    def can_mix(self) -> bool:
        """Whether the model takes class weights (and so can mix classes)."""
        return "class_weights" in self.model.input_names

    def generate(self, z: np.ndarray, class_ids: np.ndarray | None = None,
                 class_weights: np.ndarray | None = None) -> np.ndarray:
        """z (N, z_dim) float32 and class_ids (N,) int64 or class_weights (N, K) -> (N, R, R, 3) uint8."""
        if class_weights is None:
            class_weights = np.eye(len(self.classes), dtype=np.float32)[np.asarray(class_ids, dtype=np.int64)]
        if self.can_mix:
            inputs = {"class_weights": class_weights.astype(np.float32)}
        else:
            if not np.all(np.isin(class_weights, (0.0, 1.0))):
                raise InputError("This trend model cannot mix garment types; re-export it with export/trend.py.")
            inputs = {"class_id": class_weights.argmax(axis=1).astype(np.int64)}
        images = self.model.run(z=z.astype(np.float32), **inputs)["image"]
        return np.stack([from_float(image) for image in images])

    def sample(self, classes: list[str] | None, count: int, seed: int, variety: float = 1.0) -> list[Design]:
        """``count`` designs cycling through ``classes``; design i uses seed ``seed + i``.

        Raises:
            ValueError: count outside 1..64, seed outside 0..2^31-1, variety outside (0, 1], unknown class.
        """
        chosen = self.check_classes(classes)
        count, seed, variety = _check_request(count, seed, variety)
        seeds = [(seed + index) % (MAX_SEED + 1) for index in range(count)]
        labels = [chosen[index % len(chosen)] for index in range(count)]
        z = np.stack([self.noise(s, variety) for s in seeds])
        class_ids = np.array([self.classes.index(label) for label in labels], dtype=np.int64)
        return [Design(image, label, s, variety) for image, label, s in zip(self.generate(z, class_ids), labels, seeds)]

    def morph(self, label: str, seed_a: int, seed_b: int, steps: int = 8, variety: float = 1.0,
              label_b: str | None = None) -> list[np.ndarray]:
        """``steps`` images walking from (label, seed_a) to (label_b, seed_b): z along the great
        circle (slerp), the class weights linearly (the middle frame of Dress -> Skirt is half each)."""
        label_b = label_b or label
        self.check_classes([label, label_b])
        _check_request(1, seed_a, variety)
        _check_request(1, seed_b, variety)
        if not isinstance(steps, (int, np.integer)) or not MIN_MORPH_STEPS <= steps <= MAX_MORPH_STEPS:
            raise InputError(f"Morph steps must be a whole number between {MIN_MORPH_STEPS} and {MAX_MORPH_STEPS}, "
                             f"got {steps}")
        a, b = self.noise(seed_a, variety), self.noise(seed_b, variety)
        times = np.linspace(0.0, 1.0, steps)
        z = np.stack([_slerp(a, b, t) for t in times])
        one_hot = np.eye(len(self.classes), dtype=np.float32)
        start, end = one_hot[self.classes.index(label)], one_hot[self.classes.index(label_b)]
        weights = np.stack([(1 - t) * start + t * end for t in times]).astype(np.float32)
        return list(self.generate(z, class_weights=weights))


def _check_request(count, seed, variety) -> tuple[int, int, float]:
    if not isinstance(count, (int, np.integer, float)) or int(count) != count or not MIN_DESIGNS <= count <= MAX_DESIGNS:
        raise InputError(f"Number of designs must be a whole number from {MIN_DESIGNS} to {MAX_DESIGNS}, got {count}")
    if not isinstance(seed, (int, np.integer, float)) or int(seed) != seed or not 0 <= seed <= MAX_SEED:
        raise InputError(f"Seed must be a whole number from 0 to {MAX_SEED}, got {seed}")
    if not MIN_VARIETY <= float(variety) <= MAX_VARIETY:
        raise InputError(f"Variety must be between {MIN_VARIETY} and {MAX_VARIETY:g}, got {variety}")
    return int(count), int(seed), float(variety)


def _slerp(a: np.ndarray, b: np.ndarray, t: float) -> np.ndarray:
    cos = np.dot(a, b) / (np.linalg.norm(a) * np.linalg.norm(b))
    omega = np.arccos(np.clip(cos, -1.0, 1.0))
    if omega < 1e-6:
        return (1 - t) * a + t * b
    return (np.sin((1 - t) * omega) * a + np.sin(t * omega) * b) / np.sin(omega)


def enlarge(image: np.ndarray, side: int) -> np.ndarray:
    """Lanczos-enlarge a square design for display (the model's own output stays untouched)."""
    return resize(image, (side, side))


def design_sheet(designs: list[Design], side: int = 128, columns: int = 8) -> np.ndarray:
    """All designs in one (H, W, 3) uint8 grid for download."""
    return make_grid([enlarge(design.image, side) for design in designs], columns)
