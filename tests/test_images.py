"""The image loader: every odd upload either becomes a valid RGB array or raises ImageError."""

from __future__ import annotations

import io

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from fashiongen.images import ImageError, center_square_crop, from_float, load_image, make_grid, to_float
from fashiongen.devtools import draw_garment, png_bytes
from tests.helpers import bomb_png


def _encode(image: Image.Image, fmt: str, **options) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format=fmt, **options)
    return buffer.getvalue()


def test_rgb_png_round_trips():
    garment = draw_garment()
    assert np.array_equal(load_image(png_bytes(garment)), garment)


@pytest.mark.parametrize("data, fragment", [
    (b"this is just text, renamed to .png", "not an image"),
    (b"", "empty"),
])
def test_non_images_are_refused_clearly(data, fragment):
    with pytest.raises(ImageError, match=fragment):
        load_image(data)


def test_truncated_jpeg_is_refused_clearly():
    data = _encode(Image.fromarray(draw_garment()), "JPEG", quality=90)
    with pytest.raises(ImageError, match="truncated or corrupt"):
        load_image(data[: len(data) // 2])


def test_decompression_bomb_is_refused_before_decoding():
    with pytest.raises(ImageError, match="megapixels"):
        load_image(bomb_png())


def test_large_photo_is_downscaled_on_load():
    big = Image.new("RGB", (6000, 4000), (120, 30, 60))
    image = load_image(_encode(big, "JPEG", quality=80), max_side=1024)
    assert image.shape == (683, 1024, 3)


@pytest.mark.parametrize("size", [(1, 1), (7, 300)])
def test_tiny_images_get_a_minimum_size_message(size):
    with pytest.raises(ImageError, match="at least 16 px"):
        load_image(_encode(Image.new("RGB", size, (0, 0, 0)), "PNG"))


def test_cmyk_jpeg_becomes_rgb():
    image = load_image(_encode(Image.new("CMYK", (40, 30), (0, 255, 255, 0)), "JPEG"))
    assert image.shape == (30, 40, 3)
    assert image[15, 20, 0] > 200 and image[15, 20, 1] < 60  # cyan-free, magenta+yellow = red


def test_16_bit_grayscale_is_scaled_not_clipped():
    ramp = (np.linspace(0, 65535, 64 * 32).reshape(32, 64)).astype(np.uint16)
    image = load_image(_encode(Image.fromarray(ramp), "PNG"))
    assert image.shape == (32, 64, 3)
    assert image[0, 0, 0] == 0 and image[-1, -1, 0] == 255
    assert 100 < image[16, 0, 0] < 156  # the middle of the ramp stays in the middle


def test_transparency_is_composited_on_white():
    rgba = np.zeros((20, 20, 4), np.uint8)
    rgba[:, :10] = (255, 0, 0, 255)  # opaque red left half, transparent right half
    image = load_image(_encode(Image.fromarray(rgba, "RGBA"), "PNG"))
    assert tuple(image[5, 2]) == (255, 0, 0) and tuple(image[5, 15]) == (255, 255, 255)
    la = load_image(_encode(Image.fromarray(np.stack([np.zeros((20, 20)), np.zeros((20, 20))], 2).astype(np.uint8), "LA"), "PNG"))
    assert tuple(la[0, 0]) == (255, 255, 255)


def test_palette_with_transparency_and_grayscale():
    palette = Image.new("P", (20, 20), 0)
    palette.putpalette([10, 200, 10] + [0, 0, 0] * 255)
    palette.info["transparency"] = 0
    assert tuple(load_image(_encode(palette, "PNG", transparency=0))[3, 3]) == (255, 255, 255)
    gray = load_image(_encode(Image.new("L", (20, 20), 77), "PNG"))
    assert tuple(gray[0, 0]) == (77, 77, 77)


def test_animated_gif_gives_first_frame():
    frames = [Image.new("RGB", (24, 24), color) for color in ((250, 0, 0), (0, 0, 250))]
    data = _encode(frames[0], "GIF", save_all=True, append_images=frames[1:], duration=100)
    image = load_image(data)
    assert image[0, 0, 0] > 200 and image[0, 0, 2] < 50


def test_exif_rotation_is_honoured():
    source = Image.new("RGB", (40, 20), (0, 0, 0))
    exif = Image.Exif()
    exif[0x0112] = 6  # rotate 90 degrees clockwise on display
    image = load_image(_encode(source, "JPEG", exif=exif.tobytes()))
    assert image.shape == (40, 20, 3)


def test_float_conversions_and_crop():
    garment = draw_garment(120, 160)
    assert np.array_equal(from_float(to_float(garment)), garment)
    assert center_square_crop(garment).shape == (120, 120, 3)
    assert make_grid([garment[:16, :16]] * 5, columns=2).shape == (3 * 18 + 2, 2 * 18 + 2, 3)


_VALID = png_bytes(draw_garment(40, 30))


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.one_of(
    st.binary(max_size=2048),
    st.integers(0, len(_VALID)).map(lambda n: _VALID[:n]),
    st.lists(st.tuples(st.integers(0, len(_VALID) - 1), st.integers(0, 255)), max_size=8).map(
        lambda edits: bytes(b if i not in dict(edits) else dict(edits)[i] for i, b in enumerate(_VALID))),
))
def test_fuzzed_bytes_give_rgb_or_image_error(data):
    try:
        image = load_image(data)
    except ImageError:
        return
    assert image.dtype == np.uint8 and image.ndim == 3 and image.shape[2] == 3 and min(image.shape[:2]) >= 16
