"""Restyling metrics on (H, W, 3) uint8 images: style distance, edge F1, content distance."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from fashiongen.training.vgg import VGG16Features, gram_matrix
from fashiongen.training.tensors import to_unit

STYLE_TAPS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")


def _tensor(image: np.ndarray) -> torch.Tensor:
    return to_unit(image[None])


@torch.no_grad()
def vgg_features(vgg: VGG16Features, image: np.ndarray) -> dict[str, torch.Tensor]:
    """(H, W, 3) uint8 -> the VGG16 taps, computed once per image and shared by the metrics below."""
    return vgg(_tensor(image))


def gram_targets(style_features: dict[str, torch.Tensor]) -> dict[str, torch.Tensor]:
    return {tap: gram_matrix(style_features[tap]) for tap in STYLE_TAPS}


def style_distance(output_features: dict[str, torch.Tensor], style_grams: dict[str, torch.Tensor]) -> float:
    """Mean over relu1_2..relu4_3 of ||Gram(out) - Gram(style)|| / ||Gram(style)|| (lower is better)."""
    total = 0.0
    for tap in STYLE_TAPS:
        total += float((gram_matrix(output_features[tap]) - style_grams[tap]).norm() / style_grams[tap].norm())
    return total / len(STYLE_TAPS)


def content_distance(output_features: dict[str, torch.Tensor], content_features: dict[str, torch.Tensor]) -> float:
    """||relu4_3(out) - relu4_3(content)|| / ||relu4_3(content)|| (lower keeps more of the garment)."""
    a, b = output_features["relu4_3"], content_features["relu4_3"]
    return float((a - b).norm() / b.norm())


def canny(image: np.ndarray) -> np.ndarray:
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY)
    return cv2.Canny(cv2.GaussianBlur(gray, (0, 0), 1.0), 50, 150) > 0


def edge_f1(output: np.ndarray, content: np.ndarray, tolerance: int = 2) -> float:
    """F1 of Canny edges of ``output`` against those of ``content``, each matched within ``tolerance`` px."""
    out_edges, content_edges = canny(output), canny(content)
    kernel = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (2 * tolerance + 1, 2 * tolerance + 1))
    out_dilated = cv2.dilate(out_edges.astype(np.uint8), kernel) > 0
    content_dilated = cv2.dilate(content_edges.astype(np.uint8), kernel) > 0
    if not out_edges.any() or not content_edges.any():
        return 0.0
    precision = (out_edges & content_dilated).sum() / out_edges.sum()
    recall = (content_edges & out_dilated).sum() / content_edges.sum()
    return float(2 * precision * recall / (precision + recall)) if precision + recall else 0.0


def masked_grams(features: dict[str, torch.Tensor], mask: np.ndarray) -> dict[str, torch.Tensor]:
    """Gram matrices over the masked region only: each tap's positions weighted by the (H, W)
    mask in [0, 1] resized to that tap, normalised by C x (sum of weights)."""
    grams = {}
    for tap in STYLE_TAPS:
        _, channels, height, width = features[tap].shape
        weight = torch.from_numpy(cv2.resize(mask.astype(np.float32), (width, height), interpolation=cv2.INTER_AREA))
        flat = features[tap].reshape(channels, height * width)
        w = weight.reshape(1, -1)
        grams[tap] = (flat * w) @ flat.T / (channels * w.sum().clamp_min(1.0))
    return grams


def gram_distance(grams: dict[str, torch.Tensor], reference: dict[str, torch.Tensor]) -> float:
    """Mean over relu1_2..relu4_3 of ||G - G_ref|| / ||G_ref|| (lower is closer)."""
    return sum(float((grams[tap] - reference[tap]).norm() / reference[tap].norm()) for tap in STYLE_TAPS) / len(STYLE_TAPS)


def lowpass_luminance(image: np.ndarray, sigma: float) -> np.ndarray:
    """(H, W, 3) uint8 -> (H, W) float32 Gaussian-blurred luminance in [0, 1] (the shading)."""
    gray = cv2.cvtColor(image, cv2.COLOR_RGB2GRAY).astype(np.float32) / 255.0
    return cv2.GaussianBlur(gray, (0, 0), sigma)
