"""The feature space all GAN metrics share: VGG16 ImageNet, mean-pooled relu4_3 and relu5_3 (1024-d).

Images arrive as (N, R, R, 3) uint8 at the generator's resolution (real images already
prepared by :func:`fashiongen.prepare.prepare_photo`, as in training) and are resized to 224 before the network.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F

from fashiongen.training.vgg import load_vgg16
from fashiongen.training.tensors import to_unit


class FeatureEmbedder:
    def __init__(self, batch_size: int = 32):
        self.network, self.source = load_vgg16("relu5_3")
        self.batch_size = batch_size

    @torch.no_grad()
    def __call__(self, images: np.ndarray) -> np.ndarray:
        """(N, R, R, 3) uint8 -> (N, 1024) float64."""
        features = []
        for start in range(0, len(images), self.batch_size):
            batch = to_unit(images[start:start + self.batch_size])
            batch = F.interpolate(batch, size=(224, 224), mode="bilinear", align_corners=False, antialias=True)
            taps = self.network(batch)
            features.append(torch.cat([taps["relu4_3"].mean((2, 3)), taps["relu5_3"].mean((2, 3))], 1).double().numpy())
        return np.concatenate(features) if features else np.zeros((0, 1024))

