"""The mask benchmark's pieces on drawn shapes: exact ground truth, IoU, pair recall."""

from __future__ import annotations

import cv2
import numpy as np
from PIL import Image, ImageDraw

from fashiongen.metrics.mask_benchmark import (Cutout, background_from, certain_mask, composite, composite_parts,
                                               cutout_of, iou, pair_recall)


def _plain_photo() -> np.ndarray:
    image = Image.new("RGB", (120, 160), (225, 220, 210))
    ImageDraw.Draw(image).rectangle([30, 40, 90, 120], fill=(30, 60, 140))
    return np.array(image)


def _textured(size=(100, 80)) -> np.ndarray:
    rng = np.random.default_rng(1)
    return rng.integers(90, 170, (size[1], size[0], 3), dtype=np.uint8)


def test_certain_mask_of_a_plain_photo_is_exact_and_textured_photos_are_refused():
    photo = _plain_photo()
    mask = certain_mask(photo)
    truth = np.zeros(photo.shape[:2], np.float32)
    truth[40:121, 30:91] = 1
    assert mask is not None and iou(mask, truth) > 0.99  # the opening rounds the rectangle's corners
    assert certain_mask(_textured((120, 160))) is None


def test_a_garment_whose_body_matched_the_background_is_not_certain():
    # A white vest on a white sheet: only its dark spots stand out, so the "mask" is a scatter of
    # pieces, not a garment; a pair of shoes (two pieces) is still certain.
    image = Image.new("RGB", (120, 160), (225, 220, 210))
    draw = ImageDraw.Draw(image)
    draw.rectangle([30, 40, 90, 120], fill=(228, 223, 214))  # the vest's body, the sheet's colour
    for x, y in [(34, 44), (62, 48), (38, 74), (66, 80), (40, 100), (70, 104)]:
        draw.ellipse([x, y, x + 14, y + 14], fill=(90, 50, 30))
    assert certain_mask(np.array(image)) is None
    pair = Image.new("RGB", (120, 160), (225, 220, 210))
    ImageDraw.Draw(pair).rectangle([20, 50, 50, 110], fill=(30, 60, 140))
    ImageDraw.Draw(pair).rectangle([70, 50, 100, 110], fill=(30, 60, 140))
    assert certain_mask(np.array(pair)) is not None


def test_a_perfect_mask_scores_one_and_a_pair_keeps_both_garments():
    cut = cutout_of(_plain_photo(), certain_mask(_plain_photo()), "Shoes")
    assert cut.image.shape[:2] == cut.mask.shape == (81, 61)
    image, truth = composite([cut, cut], _textured(), 0.4, [(0.25, 0.5), (0.75, 0.5)])
    assert image.shape == (80, 100, 3) and truth.dtype == np.float32
    same_image, parts = composite_parts([cut, cut], _textured(), 0.4, [(0.25, 0.5), (0.75, 0.5)])
    assert np.array_equal(same_image, image) and np.array_equal(np.maximum(*parts), truth)
    assert iou(truth, truth) == 1.0 and pair_recall(truth, parts) == 1.0
    one_lost = truth.copy()
    one_lost[:, 50:] = 0
    assert pair_recall(one_lost, parts) == 0.0 and 0.4 < iou(one_lost, truth) < 0.6
    # Recall is per garment: missing a sliver of one garment is not losing it.
    sliver_missed = truth.copy()
    columns = np.flatnonzero(parts[0].any(axis=0))
    sliver_missed[:, columns[:3]] = 0
    assert 0.5 < pair_recall(sliver_missed, parts) < 1.0
    # The garment's own pixels are in the image where the truth says so (edges are resampled).
    inner = cv2.erode((truth > 0.5).astype(np.uint8), np.ones((3, 3), np.uint8)) > 0
    assert np.abs(image[inner].astype(int) - np.array([30, 60, 140])).max() <= 2


def test_a_garment_placed_across_the_frame_is_cut_by_it_and_its_truth_is_the_part_inside():
    cut = cutout_of(_plain_photo(), certain_mask(_plain_photo()), "Shirt")
    _, [inside] = composite_parts([cut], _textured(), 0.9, [(0.5, 0.5)])
    # Centred on the left edge: the left half of the garment lies outside the canvas.
    image, [part] = composite_parts([cut], _textured(), 0.9, [(0.0, 0.5)], inside=False)
    columns = np.flatnonzero(part.any(axis=0))
    assert columns[0] == 0 and 0.3 < part.sum() / inside.sum() < 0.7  # about half of it, touching the frame
    far = cv2.dilate(part, np.ones((5, 5), np.uint8)) == 0  # beyond the garment's soft rim
    assert np.array_equal(image[far], _textured()[far])  # the background there untouched
    assert np.abs(image[:, 0][part[:, 0] > 0].astype(int) - np.array([30, 60, 140])).max() <= 2
    # inside=True (the default) moves the same placement into the canvas: the whole garment, uncut.
    _, [moved_part] = composite_parts([cut], _textured(), 0.9, [(0.0, 0.5)])
    assert moved_part.sum() == inside.sum() and np.flatnonzero(moved_part.any(axis=0))[0] == 0
    # Wholly outside the canvas: nothing placed, an empty truth.
    gone, [none] = composite_parts([cut], _textured(), 0.9, [(3.0, 0.5)], inside=False)
    assert not none.any() and np.array_equal(gone, _textured())


def test_background_is_taken_from_the_garment_free_band():
    photo = _textured((100, 200))
    mask = np.zeros((200, 100), np.float32)
    mask[150:190, 20:80] = 1  # garment at the bottom: the top band is free
    background = background_from(photo, mask, (50, 60))
    assert background.shape == (60, 50, 3)
    assert background_from(photo, np.ones_like(mask), (50, 60)) is None  # no free band at all
    assert isinstance(Cutout(photo[:2, :2], mask[:2, :2], "x"), Cutout)


def test_a_mask_change_carries_unchanged_verdicts_over_and_estimates_the_waiting_ones():
    from benchmarks.mask_labels import carry_over, estimate_wrong

    labels = {"mask_version": "v1", "checked": {
        "a.jpg": {"label": "Shoes", "mask_sha256": "aa", "verdict": "right"},
        "b.jpg": {"label": "Shoes", "mask_sha256": "bb", "verdict": "wrong"},
        "c.jpg": {"label": "Pants", "mask_sha256": "cc", "verdict": "right"},
        "d.jpg": {"label": "Pants", "mask_sha256": "dd", "verdict": "wrong"}}}
    moved = carry_over(labels, {"a.jpg": "aa", "b.jpg": "b2", "c.jpg": "c2", "d.jpg": "d2"}, "v2")
    assert moved["mask_version"] == "v2" and set(moved["checked"]) == {"a.jpg"}
    assert moved["earlier"]["b.jpg"] == {**labels["checked"]["b.jpg"], "mask_version": "v1"}
    assert labels["checked"]["b.jpg"] == {"label": "Shoes", "mask_sha256": "bb", "verdict": "wrong"}  # input untouched
    # Nothing rechecked: a waiting photo counts with its earlier verdict (b and d wrong).
    assert estimate_wrong(moved) == (2.0, {})
    # b was judged again and is right now: the other earlier-wrong photo (d) counts as 0 of 1 wrong.
    moved["checked"]["b.jpg"] = {"label": "Shoes", "mask_sha256": "b2", "verdict": "right",
                                 "before": {"verdict": "wrong", "mask_version": "v1"}}
    del moved["earlier"]["b.jpg"]
    assert estimate_wrong(moved) == (0.0, {"wrong": (0, 1)})
    # A mask that barely moved (an edge pixel) keeps its verdict under the new digest; one that moved more waits.
    nearly = carry_over(labels, {"a.jpg": "aa", "b.jpg": "b2", "c.jpg": "c2", "d.jpg": "d2"}, "v2",
                        near={"b.jpg": 0.999, "c.jpg": 0.95})
    assert nearly["checked"]["b.jpg"] == {**labels["checked"]["b.jpg"], "mask_sha256": "b2",
                                          "carried": {"from": "v1", "iou": 0.999}}
    assert set(nearly["checked"]) == {"a.jpg", "b.jpg"} and set(nearly["earlier"]) == {"c.jpg", "d.jpg"}


def test_verdicts_on_a_mask_version_survive_the_app_mask_moving_on():
    from fashiongen.metrics.mask_verdicts import verdicts_on

    labels = {"mask_version": "learned", "checked": {
        "same.jpg": {"label": "Shoes", "mask_sha256": "aa", "verdict": "right"},  # carried over: mask unchanged
        "again.jpg": {"label": "Pants", "mask_sha256": "b2", "verdict": "right",
                      "before": {"verdict": "wrong", "mask_version": "grabcut"}}},
        "earlier": {"waiting.jpg": {"label": "Hat", "mask_sha256": "cc", "verdict": "wrong", "mask_version": "grabcut"},
                    "older.jpg": {"label": "Hat", "mask_sha256": "dd", "verdict": "right", "mask_version": "grabcut-0"}}}
    found = verdicts_on(labels, "grabcut")
    assert found == {"same.jpg": {"label": "Shoes", "verdict": "right", "mask_sha256": "aa"},
                     "again.jpg": {"label": "Pants", "verdict": "wrong", "mask_sha256": None},
                     "waiting.jpg": {"label": "Hat", "verdict": "wrong", "mask_sha256": "cc"}}
    assert verdicts_on(labels, "learned")["again.jpg"]["verdict"] == "right"
