"""Masks drawn by hand over the two machine opinions (fashiongen.training.hand_masks), on drawn scenes."""

import json

import numpy as np
import pytest

from fashiongen.metrics.mask_verdicts import mask_digest
from fashiongen.training.hand_masks import drawn_mask, polygon_mask

HEIGHT, WIDTH = 256, 192


def _hanger_scene():
    """A red garment on a grey floor with a white hanger above it -> (photo, garment, hanger)."""
    rng = np.random.default_rng(0)
    noise = rng.integers(0, 12, (HEIGHT, WIDTH, 3)).astype(np.uint8)
    photo = np.full((HEIGHT, WIDTH, 3), (150, 150, 140), np.uint8) + noise
    garment = np.zeros((HEIGHT, WIDTH), bool)
    garment[60:220, 40:150] = True
    hanger = np.zeros((HEIGHT, WIDTH), bool)
    hanger[20:60, 85:105] = True
    photo[garment] = (150, 30, 40)
    photo[hanger] = (240, 240, 240)
    return photo, garment, hanger


def _rows(top: int, bottom: int) -> list[float]:
    """A full-width band of rows as a polygon in 0..1000."""
    return [0, top / HEIGHT * 1000, 1000, top / HEIGHT * 1000, 1000, bottom / HEIGHT * 1000, 0, bottom / HEIGHT * 1000]


def test_a_polygon_fills_its_pixels():
    square = polygon_mask([250, 250, 750, 250, 750, 750, 250, 750], (HEIGHT, WIDTH))
    rows, columns = np.nonzero(square)
    assert (rows.min(), rows.max(), columns.min(), columns.max()) == (64, 192, 48, 144)
    with pytest.raises(ValueError, match="at least 3"):
        polygon_mask([0, 0, 10, 10], (HEIGHT, WIDTH))


@pytest.mark.parametrize("cut_to_row", [56, 60, 62])
def test_a_cut_hanger_snaps_to_the_garment_edge(cut_to_row):
    """The teacher keeps the hanger; a cut drawn a few pixels off the garment's top lands on it after the snap."""
    photo, garment, hanger = _hanger_scene()
    edit = {"base": "teacher", "ops": [["cut", _rows(0, cut_to_row)]]}
    snapped = drawn_mask(edit, np.zeros_like(garment), garment | hanger, photo)
    unsnapped = drawn_mask({**edit, "snap": False}, np.zeros_like(garment), garment | hanger, photo)
    assert (unsnapped != garment).sum() >= 20       # the hand was off
    assert (snapped != garment).sum() == 0           # the photo's edge decides


def test_ops_take_from_each_opinion_and_keep_the_pieces_named():
    photo, garment, hanger = _hanger_scene()
    blob = np.zeros_like(garment)
    blob[230:250, 10:30] = True                      # a stray piece of floor the shipped mask keeps
    left, right = garment.copy(), garment.copy()
    left[:, WIDTH // 2:] = False                     # the shipped mask has only the left half,
    right[:, :WIDTH // 2] = False                    # the teacher only the right half
    edit = {"base": "shipped", "snap": False,
            "ops": [["teacher", [500, 0, 1000, 0, 1000, 1000, 500, 1000]], ["keep", [500, 500]]]}
    label = drawn_mask(edit, left | blob, right | hanger, photo)
    hanger[:, :WIDTH // 2] = False                   # the teacher's hanger only where the polygon took the teacher
    assert (label == (garment | hanger)).all()       # it touches the garment: one piece; the blob goes
    added = drawn_mask({"base": "none", "snap": False, "ops": [["add", _rows(60, 220)]]}, left, right, photo)
    assert added[60:220].all() and not added[:60].any()


def test_bad_edits_are_refused():
    photo, garment, _ = _hanger_scene()
    with pytest.raises(ValueError, match="base"):
        drawn_mask({"base": "both"}, garment, garment, photo)
    with pytest.raises(ValueError, match="op"):
        drawn_mask({"ops": [["erase", _rows(0, 10)]]}, garment, garment, photo)


def test_the_teacher_pack_takes_a_drawing_only_with_the_digest_judged(tmp_path):
    """A drawing whose result no longer matches what was judged (other machine masks) is left out."""
    from tests.test_teacher_labels import _labelled_photos, _pack_names, _scene, _upscaled

    from fashiongen.training.teacher_labels import write_teacher_pack
    _, garment = _scene()
    top = garment.copy()
    top[85:, :] = False                              # the two opinions differ wholesale: no label from the filter
    data, labels, trusted = _labelled_photos(tmp_path, {"drawn": (top, top), "stale": (top, top),
                                                        "neither": (top, top)})
    big = _upscaled(garment)[0].astype(bool)
    whole = {"base": "none", "snap": False, "ops": [["add", [0, 0, 1000, 0, 1000, 1000, 0, 1000]]]}
    drawn = tmp_path / "drawn.json"
    drawn.write_text(json.dumps({"drawn": {
        "drawn.jpg": {**whole, "label_sha256": mask_digest(np.ones_like(big))},
        "stale.jpg": {**whole, "label_sha256": mask_digest(big)}}}))
    path = tmp_path / "pack.npz"
    counts = write_teacher_pack(labels, data, path, 2, [trusted], drawn=drawn)
    assert (counts["drawn"], counts["drawn, digest differs"]) == (1, 1)
    assert _pack_names(path) == ["drawn.jpg", "drawn.jpg", "neither.jpg"]


def test_the_committed_drawings_are_well_formed_and_none_is_on_a_held_out_photo():
    """The held-out fold judges every segmenter candidate: a drawing there would train on the exam."""
    from pathlib import Path

    from fashiongen.metrics.mask_verdicts import fold_of
    from fashiongen.training.hand_masks import BASES, OPS

    drawn = json.loads((Path(__file__).parent.parent / "benchmarks" / "hand_masks.json").read_text())["drawn"]
    assert len(drawn) >= 100
    for name, edit in drawn.items():
        assert fold_of(name) != 0, name
        assert edit["base"] in BASES and len(edit["label_sha256"]) == 16
        for op, points in edit["ops"]:
            assert op in OPS and len(points) % 2 == 0
            assert all(0 <= value <= 1000 for value in points)


def test_a_snapped_drawing_comes_out_the_same_every_time():
    """Its digest names the mask a person judged; GrabCut's random start must not change it. On a photo of
    noise GrabCut's answer depends on its start (unseeded, most of eight tries differ)."""
    import cv2

    photo = np.random.default_rng(1).integers(0, 256, (HEIGHT, WIDTH, 3)).astype(np.uint8)
    garment = np.zeros((HEIGHT, WIDTH), bool)
    garment[60:220, 40:150] = True
    edit = {"base": "teacher", "ops": [["cut", _rows(0, 61)], ["add", [100, 500, 900, 500, 900, 700, 100, 700]]]}
    digests = set()
    for _ in range(8):
        digests.add(mask_digest(drawn_mask(edit, garment, garment, photo)))
        cv2.randu(np.zeros((64, 64), np.float32), 0, 1)   # move OpenCV's global random state on
    assert len(digests) == 1
