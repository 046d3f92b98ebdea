"""The automatic mask's "check the mask" warning: the edge-doubt signal, and where the warning reaches users."""

from __future__ import annotations

import numpy as np
import pytest

from fashiongen.devtools import draw_garment
from fashiongen.garment_mask import DOUBT_RULES, AutoMask, automatic_mask, edge_doubt, garment_mask
from fashiongen.patterns import PatternSpec
from fashiongen.pipeline import Pipeline, RestyleRequest


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
