"""The automatic mask's "check the mask" warning: the edge-doubt signal, and where the warning reaches users."""

from __future__ import annotations

import numpy as np
import pytest

from fashiongen.devtools import draw_garment
from fashiongen.garment_mask import (DOUBT_RULES, AutoMask, automatic_mask, edge_doubt, garment_mask, on_white,
                                    segment_garment)
from fashiongen.images import load_image
from fashiongen.patterns import PatternSpec
from fashiongen.pipeline import Pipeline, RestyleRequest

from helpers import ROOT


def _square(size: int = 64, start: int = 16, stop: int = 48) -> np.ndarray:
    mask = np.zeros((size, size), np.uint8)
    mask[start:stop, start:stop] = 1
    return mask


def test_edge_doubt_is_how_far_the_network_stays_from_the_mask_along_its_outline():
    mask = _square()
    assert edge_doubt(mask, mask.astype(np.float32)) == 0.0  # the network agrees to the pixel
    assert edge_doubt(mask, np.full(mask.shape, 0.5, np.float32)) == pytest.approx(0.5)
    assert edge_doubt(mask, 1.0 - mask.astype(np.float32)) == 1.0  # the network says the opposite
    # Disagreement far from the outline does not count: only the band around the edge is read.
    far = mask.astype(np.float32)
    far[30:34, 30:34] = 0.0  # a hole the network sees deep inside the garment
    far[0:4, 0:4] = 1.0      # a speck it sees in a far corner
    assert edge_doubt(mask, far) == 0.0
    # A mask with no outline (empty) cannot be judged: the most doubt.
    assert edge_doubt(np.zeros((20, 20), np.uint8), np.zeros((20, 20), np.float32)) == 1.0
    # The band is read at any size, even a one-pixel-wide mask.
    thin = np.zeros((9, 31), np.uint8)
    thin[4, 3:28] = 1
    assert 0.0 <= edge_doubt(thin, np.zeros(thin.shape, np.float32)) <= 1.0


def test_the_warning_says_what_to_do_only_when_the_mask_is_worth_a_look():
    ones = np.ones((4, 4), np.float32)
    assert AutoMask(ones, edge_doubt=None).warning is None  # colour-only GrabCut: no network to doubt with
    assert AutoMask(ones, edge_doubt=DOUBT_RULES.threshold).warning is None
    unsure = AutoMask(ones, edge_doubt=DOUBT_RULES.threshold + 0.01)
    assert unsure.doubtful and "unsure along this garment's outline" in unsure.warning
    missing = AutoMask(ones, edge_doubt=None, not_found="No garment found: the mask covers 0% of the photo.")
    assert not missing.doubtful and missing.warning.startswith("No garment found")
    assert "whole picture counts as garment" in missing.warning


def test_automatic_mask_is_garment_mask_with_its_doubt():
    garment = draw_garment()
    found = automatic_mask(garment)
    assert np.array_equal(found.mask, garment_mask(garment)) and found.not_found is None
    assert found.edge_doubt is None and found.warning is None  # no network given
    flat = np.full((120, 90, 3), 128, np.uint8)
    blank = automatic_mask(flat)
    assert np.array_equal(blank.mask, np.ones((120, 90), np.float32)) and "No garment" in blank.warning


def test_shipped_pipeline_reports_its_doubt_and_the_restyle_carries_the_warning():
    pipeline = Pipeline.from_checkpoints()
    found = pipeline.auto_mask(draw_garment())
    assert found.edge_doubt is not None and 0.0 <= found.edge_doubt <= 1.0  # the learned mask is judged
    flat = np.full((160, 120, 3), 200, np.uint8)
    stripes = PatternSpec("stripes", scale=12)
    result = pipeline.restyle(RestyleRequest(flat, stripes, mode="print", output_size=160))
    assert result.mask_warning and "No garment" in result.mask_warning
    painted = np.zeros((160, 120), np.float32)
    painted[40:120, 30:90] = 1.0
    result = pipeline.restyle(RestyleRequest(flat, stripes, mode="print", mask=painted, output_size=160))
    assert result.mask_warning is None  # a painted mask is the user's own: nothing to check


def test_on_white_means_a_white_border_band():
    garment = draw_garment()                     # a wall of 170-230 grey levels
    assert not on_white(garment)
    white = garment.copy()
    white[np.all(garment == garment[0, 0], axis=2)] = 255  # the same shirt on white
    assert on_white(white)
    white[:, :30] = 200                          # a grey strip down the left side: no longer a white border
    assert not on_white(white)


def test_on_white_the_second_network_judges_the_outline():
    pipeline = Pipeline.from_checkpoints()
    garment = draw_garment(width=200, height=240)  # under the work size: the mask is made at this size
    white = garment.copy()
    white[np.all(garment == garment[0, 0], axis=2)] = 255
    on_wall, on_paper = pipeline.auto_mask(garment), pipeline.auto_mask(white)
    assert on_wall.threshold == DOUBT_RULES.threshold and on_paper.threshold == DOUBT_RULES.white_threshold
    # The doubt reported on white is the second network's along the same mask's outline.
    mask = (on_paper.mask > 0.5).astype(np.uint8)
    assert np.array_equal(mask, (segment_garment(white, segmenter=pipeline.segmenter) > 0.5).astype(np.uint8))
    second = pipeline.segmenter.grower.probability(white)
    assert on_paper.edge_doubt == pytest.approx(edge_doubt(mask, second), abs=0.005)


def test_the_apps_own_examples_are_not_flagged():
    """The first network alone flagged the hoodie and skirt examples (edge doubt 0.196 and 0.432), whose
    masks are right: it learnt from photos of garments on beds and floors, not flat designs on white."""
    pipeline = Pipeline.from_checkpoints()
    for path in sorted((ROOT / "examples").glob("garment-*.png")):
        found = pipeline.auto_mask(load_image(path))
        assert found.warning is None, (path.name, found.edge_doubt)
