"""Where the garment is, by the learned prior (``checkpoints/garment_segmenter.onnx``), for GrabCut.

A frozen ImageNet VGG16 with a small head trained on composites (see
:mod:`fashiongen.training.train_segmenter`) maps a photo to a coarse garment probability; it
knows a bed sheet, a rug or a floor from cloth where their colours are alike, which GrabCut's
colour models cannot. No torch: the model runs in onnxruntime, once per photo, at
:data:`PRIOR_SIDE` on the long side.
"""

from __future__ import annotations

import functools
from pathlib import Path

import cv2
import numpy as np

from fashiongen.runtime import OnnxModel

PRIOR_PATH = Path(__file__).resolve().parent.parent / "checkpoints" / "garment_segmenter.onnx"
PRIOR_SIDE = 192  # long side the prior runs at (a multiple of 16): about 0.2 s on two CPU cores


@functools.lru_cache(maxsize=1)
def prior_model() -> OnnxModel:
    """The prior's onnxruntime session, created on first use (raises ModelFileError when missing)."""
    return OnnxModel(PRIOR_PATH)


def garment_probability(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float32 in [0, 1]: how likely each pixel is garment."""
    model = prior_model()
    multiple = int(model.metadata.get("multiple", "16"))
    height, width = image.shape[:2]
    scale = PRIOR_SIDE / max(height, width)
    size = (max(multiple, round(width * scale / multiple) * multiple),
            max(multiple, round(height * scale / multiple) * multiple))
    small = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    tensor = (small.astype(np.float32) / 255.0).transpose(2, 0, 1)[None]
    probability = model.run(image=np.ascontiguousarray(tensor))["probability"][0, 0]
    return np.clip(cv2.resize(probability, (width, height), interpolation=cv2.INTER_LINEAR), 0.0, 1.0)
