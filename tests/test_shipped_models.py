"""The committed ONNX models themselves: they load, honour their contracts and behave as trained."""

from __future__ import annotations

import json

import numpy as np
import onnx
import pytest

from fashiongen.devtools import ROOT, draw_garment
from fashiongen.patterns import PatternSpec, draw_pattern
from fashiongen.restyle import Stylizer
from fashiongen.trends import TrendSampler

CHECKPOINTS = ROOT / "checkpoints"


@pytest.fixture(scope="module")
def stylizer():
    return Stylizer(CHECKPOINTS / "style_transfer.onnx")


@pytest.fixture(scope="module")
def sampler():
    return TrendSampler(CHECKPOINTS / "trend_generator.onnx")


def _mean_abs(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.abs(a.astype(np.float32) - b.astype(np.float32)).mean() / 255)


def test_trend_model_contract(sampler):
    model = onnx.load(str(CHECKPOINTS / "trend_generator.onnx"))
    metadata = {p.key: p.value for p in model.metadata_props}
    assert json.loads(metadata["classes"]) == sampler.classes and "T-Shirt" in sampler.classes
    assert int(metadata["resolution"]) >= 64 and metadata["provenance"]
    assert [i.name for i in model.graph.input] == ["z", "class_weights"] and model.graph.output[0].name == "image"
    assert metadata["preprocess"] == "fashiongen.prepare:prepare_photo" and sampler.can_mix
    assert not list(CHECKPOINTS.glob("*.data"))


def test_trend_classes_change_the_designs(sampler):
    designs = [sampler.sample([label], 4, seed=5)[0] for label in sampler.classes[:5]]
    images = np.stack([d.image for d in designs]).astype(np.float32)
    assert images.std() > 10  # not a flat or collapsed output
    differences = [_mean_abs(images[i], images[j]) for i in range(5) for j in range(i + 1, 5)]
    assert min(differences) > 0.01  # same noise, different garment type -> a different design


def test_style_strength_is_monotone_and_zero_reconstructs(stylizer):
    garment = draw_garment(300, 390, seed=3)
    pattern = draw_pattern(PatternSpec("tartan", scale=32), 256, 256)
    distance = {s: _mean_abs(stylizer.stylize(garment, pattern, s, output_size=390), garment) for s in (0.0, 0.5, 1.0)}
    assert distance[0.0] < distance[0.5] < distance[1.0]
    assert distance[0.0] < 0.6 * distance[1.0] and distance[0.0] < 0.15


def test_style_output_follows_the_pattern(stylizer):
    garment = draw_garment(300, 390, seed=4)
    red = stylizer.stylize(garment, draw_pattern(PatternSpec("gingham", colors=((250, 250, 250), (220, 20, 30))), 256, 256))
    blue = stylizer.stylize(garment, draw_pattern(PatternSpec("gingham", colors=((250, 250, 250), (20, 40, 220))), 256, 256))
    assert red[..., 0].mean() - red[..., 2].mean() > blue[..., 0].mean() - blue[..., 2].mean() + 10
