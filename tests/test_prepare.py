"""Garment segmentation and the GAN's view of a photo (prepare_photo), on drawn images."""

from __future__ import annotations

import numpy as np
import pytest
from PIL import Image, ImageDraw

from fashiongen.garment_mask import GarmentNotFound, garment_mask, segment_garment
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
