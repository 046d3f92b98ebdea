"""Garment segmentation and the GAN's view of a photo (prepare_photo), on drawn images."""

from __future__ import annotations

import dataclasses
import os
import shutil

import cv2
import numpy as np
import pytest
from PIL import Image, ImageDraw

from fashiongen.garment_mask import (DEFAULT_RULES, FIRST_PASS_RULES, REMOVAL_RULES, GarmentNotFound, _remove_gaps,
                                     _straight_share, garment_mask, segment_garment)
from fashiongen.images import ImageError
from fashiongen.prepare import MARGIN, prepare_photo
from fashiongen.training.data import load_split

WALL = (196, 178, 150)


def _photo(shapes: list[tuple[float, float, float, float]], size: tuple[int, int] = (300, 400),
           colour=(40, 60, 150)) -> np.ndarray:
    """Ellipses (x0, y0, x1, y1 as fractions of the frame) of one colour on a textured wall."""
    width, height = size
    rng = np.random.default_rng(0)
    wall = np.clip(np.array(WALL) + rng.normal(0, 6, (height, width, 3)), 0, 255).astype(np.uint8)
    image = Image.fromarray(wall)
    draw = ImageDraw.Draw(image)
    for x0, y0, x1, y1 in shapes:
        draw.ellipse([x0 * width, y0 * height, x1 * width, y1 * height], fill=colour)
    return np.array(image)


def _foreground(prepared: np.ndarray) -> np.ndarray:
    return prepared.astype(int).sum(axis=2) < 3 * 200


def test_white_background_and_centred_fill():
    prepared = prepare_photo(_photo([(0.1, 0.5, 0.45, 0.9)]), 64)  # off-centre blob, lower left
    assert prepared.shape == (64, 64, 3) and prepared.dtype == np.uint8
    assert (prepared[:2] >= 250).all() and (prepared[:, :2] >= 250).all()  # the wall became white
    ys, xs = np.nonzero(_foreground(prepared))
    assert abs((ys.min() + ys.max()) / 2 - 31.5) <= 1.5 and abs((xs.min() + xs.max()) / 2 - 31.5) <= 1.5
    span = max(ys.max() - ys.min(), xs.max() - xs.min()) + 1
    assert abs(span - 64 * (1 - 2 * MARGIN)) <= 2  # the long side fills the square minus the margin


def test_two_separated_blobs_both_survive():
    # A pair of shoes: two equal blobs far apart. The old mask kept only the largest component.
    image = _photo([(0.1, 0.35, 0.4, 0.65), (0.6, 0.35, 0.9, 0.65)])
    mask = segment_garment(image) > 0.5
    assert mask[:, :150].sum() > 0.8 * mask[:, 150:].sum() > 0
    prepared = _foreground(prepare_photo(image, 64))
    assert prepared[:, :28].sum() > 50 and prepared[:, 36:].sum() > 50 and prepared[:, 30:34].sum() == 0


def test_holes_are_filled():
    image = _photo([(0.2, 0.2, 0.8, 0.8)])
    image[180:220, 130:170] = WALL  # a wall-coloured print inside the garment
    mask = segment_garment(image) > 0.5
    assert mask[200, 150]


@pytest.mark.parametrize("image", [np.full((200, 160, 3), 128, np.uint8), np.zeros((200, 160, 3), np.uint8)])
def test_uniform_photo_raises_clear_error(image):
    with pytest.raises(ImageError, match="garment"):
        prepare_photo(image, 32)
    assert np.array_equal(garment_mask(image), np.ones((200, 160), np.float32))  # the Style tab falls back


def test_tiny_speck_is_not_a_garment():
    with pytest.raises(GarmentNotFound, match="covers"):
        segment_garment(_photo([(0.48, 0.48, 0.52, 0.52)]))


def test_cache_key_changes_with_settings(tmp_path, monkeypatch):
    import fashiongen.prepare

    root = tmp_path / "data"
    for label in ("Dress", "Hat"):
        (root / label).mkdir(parents=True)
        for index in range(3):
            Image.fromarray(_photo([(0.2, 0.2 + 0.05 * index, 0.8, 0.8)], (90, 120))).save(root / label / f"{index}.png")
    cache = tmp_path / "cache"
    for split in ("train", "val"):
        load_split(root, split, 16, cache, min_class_images=1)
    first = sorted(path.name for path in cache.iterdir())
    load_split(root, "train", 16, cache, min_class_images=1)
    assert sorted(path.name for path in cache.iterdir()) == first  # same settings: cache reused
    monkeypatch.setattr(fashiongen.prepare, "MARGIN", 0.2)
    images, labels, classes = load_split(root, "train", 16, cache, min_class_images=1)
    assert len(list(cache.iterdir())) == len(first) + 1  # a changed setting builds a new cache
    load_split(root, "train", 24, cache, min_class_images=1)
    assert len(list(cache.iterdir())) == len(first) + 2
    assert images.shape[1:] == (16, 16, 3) and classes == ["Dress", "Hat"] and len(images) == len(labels)

    monkeypatch.setattr(fashiongen.prepare, "MARGIN", 0.2)
    before = len(list(cache.iterdir()))
    copied = tmp_path / "copied"
    shutil.copytree(root, copied)  # new modification times, same photos: the cache is reused
    os.utime(copied / "Dress" / "0.png", ns=(1, 1))
    load_split(copied, "train", 16, cache, min_class_images=1)
    assert len(list(cache.iterdir())) == before
    changed = np.asarray(Image.open(copied / "Dress" / "0.png")).copy()
    changed[5:9, 5:9] = 0  # one photo edited (all six are in train): the cache is rebuilt
    Image.fromarray(changed).save(copied / "Dress" / "0.png")
    load_split(copied, "train", 16, cache, min_class_images=1)
    assert len(list(cache.iterdir())) == before + 1


def _trousers_on_floor() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """White trousers on a striped wooden floor -> (photo at 240x320, trousers mask, gap mask)."""
    width, height = 240, 320
    x = np.arange(width)[None, :, None]
    stripes = np.array([150, 110, 70]) + np.array([25, 20, 10]) * np.sin(x / 5.0)
    floor = np.broadcast_to(stripes, (height, width, 3)) + np.random.default_rng(0).normal(0, 5, (height, width, 3))
    image = Image.fromarray(np.clip(floor, 0, 255).astype(np.uint8))
    outline = [(72, 38), (168, 38), (173, 282), (128, 282), (120, 112), (112, 282), (67, 282)]
    ImageDraw.Draw(image).polygon(outline, fill=(235, 235, 240))
    trousers = np.zeros((height, width), np.uint8)
    cv2.fillPoly(trousers, [np.array(outline, np.int32)], 1)
    gap = np.zeros_like(trousers)
    cv2.fillPoly(gap, [np.array([(112, 282), (120, 112), (128, 282)], np.int32)], 1)
    return np.array(image), trousers, gap & (1 - trousers)


def test_second_pass_removes_the_floor_between_legs_and_keeps_the_legs():
    # GrabCut's first pass on real photos keeps the floor seen between trouser legs; give the
    # second pass such a mask (trousers plus the gap) and it must take the gap out again.
    image, trousers, gap = _trousers_on_floor()
    first = trousers | gap
    assert gap.sum() > 500
    second = _remove_gaps(image, first, DEFAULT_RULES)
    assert second[gap.astype(bool)].mean() < 0.2
    assert second[cv2.erode(trousers, np.ones((5, 5), np.uint8)).astype(bool)].mean() > 0.95


def test_the_network_vetoes_a_gap_removal_only_where_it_is_sure_of_garment():
    # Colour's second pass cannot tell floor seen through a gap from a print that shares the floor's
    # colours; where the learned segmenter is sure (mean >= sure_garment) the region stays.
    image, trousers, gap = _trousers_on_floor()
    first = trousers | gap
    probability = np.where(trousers.astype(bool), 0.99, 0.0).astype(np.float32)
    probability[gap.astype(bool)] = 0.99
    vetoed = _remove_gaps(image, first, DEFAULT_RULES, probability, REMOVAL_RULES.sure_garment)
    assert vetoed[gap.astype(bool)].mean() > 0.95
    probability[gap.astype(bool)] = 0.9  # likely garment, but not sure: colour's removal holds
    unsure = _remove_gaps(image, first, DEFAULT_RULES, probability, REMOVAL_RULES.sure_garment)
    assert unsure[gap.astype(bool)].mean() < 0.2
    assert unsure[cv2.erode(trousers, np.ones((5, 5), np.uint8)).astype(bool)].mean() > 0.95


def _shirt_beside_a_lit_tile() -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A plaid, round garment on a tiled floor whose bottom row and one tile touching the garment
    are lit brighter -> (photo at 240x320, garment mask, lit tile mask outside the garment)."""
    width, height, tile = 240, 320, 60
    rng = np.random.default_rng(0)
    floor = np.full((height, width, 3), (190.0, 182.0, 168.0)) + rng.normal(0, 4, (height, width, 3))
    floor[260:] = (238, 232, 220) + rng.normal(0, 1.5, (60, width, 3))  # the lit bottom row
    lit = np.zeros((height, width), np.uint8)
    lit[62:118, 2:58] = 1
    floor[lit.astype(bool)] = (238, 232, 220) + rng.normal(0, 1.5, (int(lit.sum()), 3))
    for line in range(0, max(width, height), tile):  # grout
        floor[line:line + 2] = 110
        floor[:, line:line + 2] = 110
    garment = np.zeros((height, width), np.uint8)
    cv2.ellipse(garment, (125, 150), (85, 110), 0, 0, 360, 1, thickness=-1)
    y, x = np.mgrid[:height, :width]
    plaid = np.stack([120 + 60 * (np.sin(x / 6.0) > 0), 40 + 30 * (np.sin(y / 7.0) > 0), 50 + 0 * x], -1)
    image = np.where(garment[..., None].astype(bool), plaid, floor)
    return np.clip(image, 0, 255).astype(np.uint8), garment, lit & (1 - garment)


def test_a_lit_tile_cut_off_along_straight_grout_lines_is_dropped():
    # Seen on val photos: GrabCut keeps a brighter floor tile (or a sheet of paper) beside the
    # garment; the second pass removes it, and its strong, straight edges must not bring it back.
    image, garment, lit = _shirt_beside_a_lit_tile()
    first = garment | lit
    second = _remove_gaps(image, first, DEFAULT_RULES)
    assert second[lit.astype(bool)].mean() < 0.05
    assert second[cv2.erode(garment, np.ones((5, 5), np.uint8)).astype(bool)].mean() > 0.95
    without_rule = _remove_gaps(image, first, dataclasses.replace(DEFAULT_RULES, straight_edge_share=1.01))
    assert without_rule[lit.astype(bool)].mean() > 0.95  # the strong edge alone would keep it


def test_straight_share_tells_straight_edges_from_curves():
    square, circle = np.zeros((200, 200), np.uint8), np.zeros((200, 200), np.uint8)
    cv2.rectangle(square, (40, 40), (160, 160), 1, thickness=1)
    cv2.circle(circle, (100, 100), 60, 1, thickness=1)
    assert _straight_share(square.astype(bool), DEFAULT_RULES) > 0.9
    # A 60 px radius at a 200 px side: straight over short runs, but well under the rule's share.
    assert _straight_share(circle.astype(bool), DEFAULT_RULES) < DEFAULT_RULES.straight_edge_share - 0.2


def test_lines_across_the_frame_are_dropped_but_a_second_garment_is_not():
    image = _photo([(0.2, 0.3, 0.55, 0.85), (0.6, 0.45, 0.85, 0.75)])
    image[int(0.1 * 400):int(0.13 * 400), 10:290] = (250, 250, 250)  # a shelf edge across the top
    mask = segment_garment(image) > 0.5
    assert not mask[int(0.115 * 400), 30:270].any()
    assert mask[int(0.6 * 400), int(0.72 * 300)] and mask[int(0.6 * 400), int(0.37 * 300)]
    kept = segment_garment(image, FIRST_PASS_RULES) > 0.5  # the one-pass rules (the GAN's view) keep it
    assert kept[int(0.115 * 400), 30:270].mean() > 0.5


def test_a_garment_crossing_the_frame_is_masked_to_the_frame_and_one_ending_inside_the_band_is_not():
    # A trouser leg runs off the bottom edge; a sleeve ends 2 px short of the right edge (inside the
    # 4 % band GrabCut takes as certain background), on a wall of another colour.
    image = _photo([])
    image[60:400, 100:160] = (40, 60, 150)   # leg, to the frame
    image[150:200, 160:298] = (40, 60, 150)  # sleeve, ending at x = 297 of 300
    mask = segment_garment(image) > 0.5
    assert mask[395:, 110:150].all()  # the leg's last rows: garment up to the frame
    assert mask[160:190, 280:296].all() and not mask[160:190, 299].any()  # the wall beyond the sleeve stays out
    before = segment_garment(image, dataclasses.replace(DEFAULT_RULES, reach_frame=False)) > 0.5
    assert not before[399, 110:150].any()  # without the rule the leg stopped at the band
    assert not (segment_garment(image, FIRST_PASS_RULES) > 0.5)[399, 110:150].any()  # the GAN's view is unchanged
