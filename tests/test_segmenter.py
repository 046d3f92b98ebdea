"""The learned garment prior: its training composites, the network, its float16 ONNX export, and how
GrabCut uses it."""

from __future__ import annotations

import dataclasses

import cv2
import numpy as np
import onnx
import torch

from export.segmenter import export_segmenter
from fashiongen import garment_mask as garment_mask_module
from fashiongen.garment_mask import DEFAULT_RULES, segment_garment
from fashiongen.metrics.mask_benchmark import Cutout
from fashiongen.training.segmenter_networks import GarmentSegmenter, SegmenterConfig, SegmenterHead
from fashiongen.training.train_segmenter import make_composite
from fashiongen.training.vgg import VGG16Features


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


def _network() -> GarmentSegmenter:
    torch.manual_seed(0)
    head = SegmenterHead(SegmenterConfig(width=8))
    head.train()
    with torch.no_grad():  # non-trivial BatchNorm statistics, as after training
        head({"relu3_3": torch.rand(4, 256, 8, 8), "relu4_3": torch.rand(4, 512, 4, 4),
              "relu5_3": torch.rand(4, 512, 2, 2)})
    return GarmentSegmenter(VGG16Features("relu5_3"), head).eval()


def test_network_maps_any_multiple_of_16_to_probabilities():
    with torch.no_grad():
        out = _network()(torch.rand(2, 3, 48, 80))
    assert out.shape == (2, 1, 48, 80) and 0 <= out.min() and out.max() <= 1


def test_onnx_export_stores_half_weights_and_matches_pytorch(tmp_path):
    path = tmp_path / "segmenter.onnx"
    error = export_segmenter(_network(), path, "test")
    assert error < 1e-4
    model = onnx.load(str(path))
    halves = [i for i in model.graph.initializer if i.data_type == onnx.TensorProto.FLOAT16]
    assert len(halves) >= 13  # every VGG16 convolution's kernel
    assert {p.key: p.value for p in model.metadata_props}["multiple"] == "16"


def _two_squares() -> np.ndarray:
    """Two same-red squares on a grey floor: GrabCut keeps both, as colour cannot tell them apart."""
    image = np.full((160, 200, 3), 128, np.uint8)
    image += np.random.default_rng(0).integers(0, 12, image.shape, dtype=np.uint8)
    image[50:110, 25:85] = (190, 40, 40)
    image[50:110, 115:175] = (190, 40, 40)
    return image


def test_the_prior_decides_where_colour_cannot(monkeypatch):
    image = _two_squares()
    alone = segment_garment(image) > 0.5
    assert alone[80, 55] and alone[80, 145]

    def prior(small):  # "the left square is a print on the rug, the right one is the garment", coarsely
        h, w = small.shape[:2]
        probability = np.zeros((h, w), np.float32)
        probability[int(0.3 * h):int(0.7 * h), int(0.57 * w):int(0.88 * w)] = 1.0
        return cv2.GaussianBlur(probability, (0, 0), sigmaX=0.03 * w)

    monkeypatch.setattr(garment_mask_module, "garment_probability", prior)
    seeded = segment_garment(image, dataclasses.replace(DEFAULT_RULES, learned_prior=True)) > 0.5
    assert not seeded[80, 55] and seeded[80, 145]
    # The exact edge still comes from GrabCut, not from the blurred prior.
    assert not seeded[40, 145] and abs(int(seeded[:, 145].sum()) - 60) <= 3
