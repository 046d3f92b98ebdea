"""The learned garment segmenter: its training composites, the network, its ONNX export."""

from __future__ import annotations

import cv2
import numpy as np
import torch

from export.segmenter import export_segmenter
from fashiongen.metrics.mask_benchmark import Cutout
from fashiongen.training.segmenter_networks import GarmentSegmenter, SegmenterConfig
from fashiongen.training.train_segmenter import make_composite


def _flat_cutout(colour=(200, 30, 40), size=(30, 50)) -> Cutout:
    width, height = size
    return Cutout(np.full((height, width, 3), colour, np.uint8), np.ones((height, width), np.float32), "Shoes")


def test_training_composite_labels_exactly_the_pasted_garment():
    rng = np.random.default_rng(0)
    background = np.full((256, 192, 3), (20, 200, 30), np.uint8)
    for _ in range(20):
        image, truth = make_composite([_flat_cutout()], [background], 96, rng, pair_share=0.0, plain_share=0.0)
        assert image.shape == (96, 96, 3) and truth.shape == (96, 96) and set(np.unique(truth)) <= {0.0, 1.0}
        inside = cv2.erode(truth.astype(np.uint8), np.ones((5, 5), np.uint8)) > 0
        outside = cv2.dilate(truth.astype(np.uint8), np.ones((5, 5), np.uint8)) == 0
        # Red garment where the label says garment, green background elsewhere (after jitter and noise).
        assert inside.any() and outside.any()
        assert (image[inside][:, 0].astype(int) > image[inside][:, 1]).all()
        assert (image[outside][:, 1].astype(int) > image[outside][:, 0]).all()


def test_pairs_paste_two_garments():
    rng = np.random.default_rng(1)
    counts = [cv2.connectedComponents(make_composite([_flat_cutout(size=(20, 30))], [], 96, rng, pair_share=1.0)[1]
                                      .astype(np.uint8))[0] - 1 for _ in range(10)]
    assert max(counts) == 2 and min(counts) >= 1  # two pieces, which may touch


def test_network_maps_any_multiple_of_16_to_probabilities():
    network = GarmentSegmenter(SegmenterConfig(widths=(4, 8, 8, 8, 8))).eval()
    with torch.no_grad():
        out = network(torch.rand(2, 3, 48, 80))
    assert out.shape == (2, 1, 48, 80) and 0 <= out.min() and out.max() <= 1


def test_onnx_export_matches_pytorch(tmp_path):
    torch.manual_seed(0)
    network = GarmentSegmenter(SegmenterConfig(widths=(4, 8, 8, 8, 8)))
    network.train()
    with torch.no_grad():  # non-trivial BatchNorm statistics, as after training
        network(torch.rand(4, 3, 64, 64))
    error = export_segmenter(network.eval(), 64, tmp_path / "segmenter.onnx", "test")
    assert error < 1e-4
