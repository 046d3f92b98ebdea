"""Memorisation check: how close samples sit to their nearest training image, relative to real val images."""

from __future__ import annotations

import numpy as np


def nearest_distances(queries: np.ndarray, reference: np.ndarray, chunk: int = 256) -> np.ndarray:
    """L2 distance from each query to its nearest reference row."""
    reference_sq = (reference ** 2).sum(1)
    out = []
    for start in range(0, len(queries), chunk):
        q = queries[start:start + chunk]
        d2 = (q ** 2).sum(1)[:, None] + reference_sq[None, :] - 2 * q @ reference.T
        out.append(np.sqrt(np.maximum(d2.min(1), 0)))
    return np.concatenate(out)


def copy_ratio(samples: np.ndarray, val: np.ndarray, train: np.ndarray) -> float:
    """median NN-train distance of samples / that of val images; well below 1 means copying."""
    return float(np.median(nearest_distances(samples, train)) / np.median(nearest_distances(val, train)))
