"""The teacher's filtered labels (fashiongen.training.teacher_labels) on drawn photos with known answers."""

import json

import numpy as np

from fashiongen.metrics.mask_verdicts import mask_digest
from fashiongen.training.teacher_labels import teacher_label

GREY, RED = (200, 200, 200), (200, 30, 30)


def _scene(extra: dict[str, tuple[slice, slice, tuple[int, int, int]]] | None = None):
    """(photo (160, 120, 3) uint8 with a red garment on grey and light noise, garment (160, 120) bool)."""
    photo = np.zeros((160, 120, 3), np.float32) + GREY
    garment = np.zeros((160, 120), bool)
    garment[40:130, 30:90] = True
    photo[garment] = RED
    for rows, cols, colour in (extra or {}).values():
        photo[rows, cols] = colour
    noise = np.random.default_rng(0).normal(0, 2, photo.shape)
    return np.clip(photo + noise, 0, 255).astype(np.uint8), garment


def _close(label, expected) -> bool:
    """Equal but for a few corner pixels (the pieces are opened with a 5 px disc, which rounds corners)."""
    return label is not None and (label != expected).sum() <= 12


def test_floor_kept_beside_the_garment_is_removed():
    photo, garment = _scene()
    mask = garment.copy()
    mask[130:140, 30:90] = True  # a strip of grey floor GrabCut joined to the hem
    label = teacher_label(mask, garment.astype(np.float32), photo)
    assert _close(label, garment)


def test_a_cut_of_the_garment_own_colours_is_not_taken():
    photo, garment = _scene()
    teacher = garment.astype(np.float32)
    teacher[60:100, 30:37] = 0  # the teacher cuts a red panel at the garment's side
    label = teacher_label(garment, teacher, photo)
    assert label is not None and (label == garment).all()


def test_a_lost_sleeve_of_the_garment_colours_is_added():
    sleeve = (slice(60, 90), slice(90, 105))
    photo, garment = _scene({"sleeve": (*sleeve, RED)})
    teacher = garment.astype(np.float32)
    teacher[sleeve] = 1
    label = teacher_label(garment, teacher, photo)
    expected = garment.copy()
    expected[sleeve] = True
    assert _close(label, expected)


def test_a_piece_at_the_top_or_of_other_colours_is_not_added():
    hook = (slice(30, 40), slice(50, 70))      # above the garment: where a hanger is
    box = (slice(60, 90), slice(90, 105))      # beside it, but blue: a box, not the garment
    photo, garment = _scene({"hook": (*hook, RED), "box": (*box, (30, 30, 200))})
    teacher = garment.astype(np.float32)
    teacher[hook] = 1
    teacher[box] = 1
    label = teacher_label(garment, teacher, photo)
    # Both additions refused, so the label and the teacher now differ by more than min_agreement allows.
    assert label is None
    teacher[box] = 0
    label = teacher_label(garment, teacher, photo)
    assert label is not None and (label == garment).all()


def test_wholesale_disagreement_gives_no_label():
    photo, garment = _scene()
    teacher = np.zeros(garment.shape, np.float32)
    teacher[5:20, 5:20] = 1
    assert teacher_label(garment, teacher, photo) is None
    assert teacher_label(np.zeros_like(garment), garment.astype(np.float32), photo) is None


def test_a_verdict_names_exactly_the_label_judged():
    _, garment = _scene()
    moved = garment.copy()
    moved[40, 30] = False  # one pixel
    assert mask_digest(garment) == mask_digest(garment.astype(np.float32))
    assert mask_digest(garment) != mask_digest(moved)


def _upscaled(*arrays):
    """The scene at the 256 px work size (long side), nearest-neighbour, so work_photo leaves it as it is."""
    import cv2
    return [cv2.resize(a.astype(np.uint8), (192, 256), interpolation=cv2.INTER_NEAREST) for a in arrays]


def _labelled_photos(tmp_path, masks: dict):
    """Writes each {name: (shipped mask, teacher probability)} scene as a photo in a data folder and as a
    label file -> (data folder, labels folder, trusted verdict file naming "trusted.jpg")."""
    import cv2
    from PIL import Image

    data, labels = tmp_path / "data", tmp_path / "labels"
    (data / "images").mkdir(parents=True)
    labels.mkdir()
    photo, _ = _scene()
    for name, (mask, teacher) in masks.items():
        big_photo, big_mask = _upscaled(photo, mask)
        Image.fromarray(big_photo).save(data / "images" / f"{name}.jpg", format="PNG")  # lossless: colours exact
        saved = {"mask": big_mask.astype(bool)}
        if teacher is not None:  # None: labelled as trusted, the shipped mask alone
            big_teacher = cv2.resize(teacher.astype(np.float32), (192, 256), interpolation=cv2.INTER_NEAREST)
            saved["teacher"] = np.round(big_teacher * 255).astype(np.uint8)
        np.savez_compressed(labels / f"{name}.jpg.npz", **saved)
    rows = ["image,label"] + [f"{name},T-Shirt" for name in masks] + [f"missing-{index},T-Shirt" for index in range(60)]
    (data / "images.csv").write_text("\n".join(rows) + "\n")
    trusted = tmp_path / "trusted.json"
    trusted.write_text(json.dumps({"checked": {"trusted.jpg": {"verdict": "right"}}}))
    return data, labels, trusted


def _pack_names(path) -> list[str]:
    with np.load(path) as saved:
        return sorted(json.loads(bytes(saved["meta"]))["names"])


def test_the_pack_keeps_or_leaves_out_the_unchanged_labels(tmp_path):
    from fashiongen.training.teacher_labels import write_teacher_pack
    _, garment = _scene()
    floor = garment.copy()
    floor[130:140, 30:90] = True  # the shipped mask keeps a floor strip the teacher removes
    data, labels, trusted = _labelled_photos(tmp_path, {
        "same": (garment, garment), "changed": (floor, garment), "trusted": (floor, garment)})

    def pack(keep_same: bool):
        path = tmp_path / f"pack-{keep_same}.npz"
        counts = write_teacher_pack(labels, data, path, 2, [trusted], keep_same=keep_same)
        return counts, _pack_names(path)

    counts, names = pack(keep_same=True)
    assert (counts["trusted"], counts["same"], counts["changed"]) == (1, 1, 1)
    assert names == ["changed.jpg", "changed.jpg", "same.jpg", "trusted.jpg"]  # a changed label twice
    counts, names = pack(keep_same=False)
    assert (counts["same"], counts["same, left out"]) == (0, 1)
    assert names == ["changed.jpg", "changed.jpg", "trusted.jpg"]


def test_the_pack_takes_the_mask_judged_right_where_the_filter_gives_no_label(tmp_path):
    from fashiongen.training.segmenter_pack import read_pack
    from fashiongen.training.teacher_labels import write_teacher_pack
    _, garment = _scene()
    top = garment.copy()
    top[85:, :] = False  # the teacher keeps only the garment's top half: the two differ wholesale, no label
    floor = garment.copy()
    floor[130:140, 30:90] = True
    data, labels, trusted = _labelled_photos(tmp_path, {
        "teacher-right": (garment, top), "shipped-right": (top, garment), "neither": (garment, top),
        "unjudged": (garment, top), "changed": (floor, garment)})
    big = lambda mask: _upscaled(mask)[0].astype(bool)
    checks = tmp_path / "checks.json"
    checks.write_text(json.dumps({"checked": {
        "teacher-right.jpg": {"label_sha256": mask_digest(big(top)), "verdict": "right"},
        "shipped-right.jpg": {"label_sha256": mask_digest(big(top)), "verdict": "right"},
        "neither.jpg": {"label_sha256": mask_digest(big(garment)), "verdict": "wrong"},
        "changed.jpg": {"label_sha256": mask_digest(big(garment)), "verdict": "wrong"}}}))
    path = tmp_path / "pack.npz"
    counts = write_teacher_pack(labels, data, path, 2, [trusted], checks=checks)
    assert (counts["chosen"], counts["no label"], counts["judged wrong or unjudged"]) == (2, 2, 1)
    assert _pack_names(path) == ["shipped-right.jpg", "shipped-right.jpg", "teacher-right.jpg", "teacher-right.jpg"]
    items, _, _ = read_pack(path)
    assert all(((item["mask"] > 0.5) == big(top)).all() for item in items)  # the top half, whichever opinion gave it


def test_a_trusted_photo_needs_no_teacher_and_its_digest_when_named(tmp_path):
    import pytest

    from fashiongen.training.teacher_labels import named_photos, write_teacher_pack
    _, garment = _scene()
    data, labels, trusted = _labelled_photos(tmp_path, {"trusted": (garment, None)})
    counts = write_teacher_pack(labels, data, tmp_path / "pack.npz", 2, [trusted])
    assert counts["trusted"] == 1 and _pack_names(tmp_path / "pack.npz") == ["trusted.jpg"]
    data, labels, trusted = _labelled_photos(tmp_path / "b", {"other": (garment, None)})
    with pytest.raises(ValueError, match="no teacher probability"):
        write_teacher_pack(labels, data, tmp_path / "pack-b.npz", 2, [trusted])
    big_garment = _upscaled(garment)[0].astype(bool)
    for digest, kind in ((mask_digest(big_garment), "trusted"), (mask_digest(~big_garment), "trusted, digest differs")):
        data, labels, _ = _labelled_photos(tmp_path / kind, {"trusted": (garment, None)})
        judged = tmp_path / kind / "judged.json"
        judged.write_text(json.dumps({"checked": {"trusted.jpg": {"verdict": "right", "label_sha256": digest}}}))
        assert write_teacher_pack(labels, data, tmp_path / kind / "pack.npz", 2, [judged])[kind] == 1
    drawn = tmp_path / "drawn.json"
    drawn.write_text(json.dumps({"about": "", "drawn": {"d.jpg": {"base": "none"}}}))
    assert named_photos([trusted, drawn]) == {"trusted.jpg", "d.jpg"}


def test_the_train_verdicts_on_the_shipped_mask_hold_no_held_out_photo():
    """``benchmarks/mask_checks_shipped_train.json`` feeds trusted labels: a held-out photo there would train
    on the exam, and a right verdict without a digest would stand for whatever mask a later network gives."""
    from pathlib import Path

    from fashiongen.metrics.mask_verdicts import fold_of

    checked = json.loads((Path(__file__).parent.parent / "benchmarks" / "mask_checks_shipped_train.json").read_text())["checked"]
    assert len(checked) >= 100
    for name, entry in checked.items():
        assert fold_of(name) != 0, name
        assert entry["verdict"] in ("right", "wrong", "doubt") and len(entry["label_sha256"]) == 16
