"""Print mode on synthetic garments: repeats, angle, shading, mask, odd sizes."""

from __future__ import annotations

import numpy as np
import pytest

from fashiongen.errors import InputError
from fashiongen.fabric_print import FOLD_DISPLACEMENT, garment_shading, is_seamless, print_on_garment, seamless_tile
from fashiongen.patterns import PatternSpec
from fashiongen.pipeline import Pipeline, RestyleRequest, library_tile

GREY = 128


def _stripe_tile(width: int = 20) -> np.ndarray:
    """A seamless vertical stripe tile: white edges, a black band in the middle."""
    tile = np.full((width, width, 3), 255, np.uint8)
    tile[:, width // 4: 3 * width // 4] = 0
    return tile


def _flat_garment(height: int = 200, width: int = 180) -> tuple[np.ndarray, np.ndarray]:
    garment = np.full((height, width, 3), GREY, np.uint8)
    mask = np.zeros((height, width), np.float32)
    mask[30:170, 30:150] = 1.0  # 120 px wide
    return garment, mask


def _dominant_period(signal: np.ndarray) -> float:
    signal = signal - signal.mean()
    spectrum = np.abs(np.fft.rfft(signal))
    spectrum[0] = 0
    return len(signal) / int(np.argmax(spectrum))


@pytest.mark.parametrize("repeats", [3, 6])
def test_flat_garment_gets_the_requested_repeats_inside_the_mask_only(repeats):
    garment, mask = _flat_garment()
    out = print_on_garment(garment, _stripe_tile(), mask, repeats=repeats, angle=0)
    inside = out[40:160, 30:150].astype(float).mean(axis=(0, 2))  # column profile across the 120 px garment
    assert abs(_dominant_period(inside) - 120 / repeats) < 1.0
    assert inside.min() < 10 and inside.max() > 245  # the pattern's own black and white: flat shading is 1
    assert np.array_equal(out[mask == 0], garment[mask == 0])  # background untouched


def test_angle_turns_the_stripes():
    garment, mask = _flat_garment()
    out = print_on_garment(garment, _stripe_tile(), mask, repeats=6, angle=90).astype(float)
    rows = out[35:165, 40:140].mean(axis=(1, 2))   # profile down the garment
    cols = out[35:165, 40:140].mean(axis=(0, 2))   # profile across it
    assert rows.std() > 60 and cols.std() < 20      # stripes now run horizontally
    assert abs(_dominant_period(out[30:170, 90].mean(axis=1)) - 20) < 1.0


def test_shading_ramp_survives():
    height, width = 160, 200
    ramp = np.linspace(70, 210, width)[None, :].repeat(height, 0)
    garment = np.repeat(ramp[..., None], 3, axis=2).astype(np.uint8)
    mask = np.zeros((height, width), np.float32)
    mask[20:140, 20:180] = 1
    tile = np.full((16, 16, 3), 200, np.uint8)  # a plain fabric colour
    out = print_on_garment(garment, tile, mask, repeats=4, follow_folds=False).astype(float)
    profile = out[40:120, 30:170].mean(axis=(0, 2))
    assert np.corrcoef(profile, ramp[0, 30:170])[0, 1] > 0.95  # darker left, lighter right, as the garment was
    assert profile[-1] - profile[0] > 40


def _folded_garment(height: int = 240, width: int = 240, amplitude: float = 60.0) -> tuple[np.ndarray, np.ndarray]:
    """A garment with two soft vertical folds (brightness varying across it) on white."""
    garment = np.full((height, width, 3), 255, np.uint8)
    mask = np.zeros((height, width), np.float32)
    mask[40:200, 40:200] = 1.0
    x = np.arange(width, dtype=np.float32)
    folds = 120 + amplitude * np.sin((x - 40) / 160 * 2 * np.pi)  # darker and lighter bands across the garment
    garment[40:200, 40:200] = np.clip(folds[40:200], 0, 255).astype(np.uint8)[None, :, None]
    return garment, mask


def test_folds_are_not_pushed_across_the_outline():
    # The print follows the folds inside the garment; the step from the garment's shading to the
    # background's must not count as a fold (it smeared the print into streaks along the outline).
    garment, mask = _folded_garment()
    _, displacement = garment_shading(garment, mask)
    size = np.linalg.norm(displacement, axis=-1)
    interior = size[60:180, 60:180].max()
    rim = np.concatenate([size[40:200, 40:43].ravel(), size[40:200, 197:200].ravel(),
                          size[40:43, 40:200].ravel(), size[197:200, 40:200].ravel()])
    assert interior > 0.3 * FOLD_DISPLACEMENT * 240  # the folds do displace the print
    assert rim.max() <= 1.1 * interior


def test_a_flat_garment_is_printed_flat():
    # Faint noise is no fold: the largest displacement is for clear folds, not for whatever slope
    # a flat garment happens to have. And the white around it does not light its rim.
    garment, mask = _folded_garment(amplitude=0.0)
    noise = np.random.default_rng(0).normal(0, 2.0, garment.shape[:2])
    garment[40:200, 40:200] = np.clip(garment[40:200, 40:200] + noise[40:200, 40:200, None], 0, 255).astype(np.uint8)
    shading, displacement = garment_shading(garment, mask)
    assert np.linalg.norm(displacement, axis=-1).max() < 0.25 * FOLD_DISPLACEMENT * 240
    assert np.abs(shading[mask > 0] - 1.0).max() < 0.05


def test_the_old_print_does_not_show_through():
    # A striped, logo-printed tee with one soft fold: the shading follows the fold, not the print.
    height, width = 240, 240
    mask = np.zeros((height, width), np.float32)
    mask[30:210, 30:210] = 1.0
    y, x = np.mgrid[0:height, 0:width].astype(np.float32)
    fold = 1.0 - 0.35 * np.exp(-((x - 120) / 30) ** 2)                     # a darker valley down the middle
    albedo = np.where((y // 12) % 2 == 0, 60.0, 170.0)                     # dark and light stripes
    albedo[90:130, 60:110] = 200.0                                          # a yellow logo
    garment = np.full((height, width, 3), 235, np.uint8)
    inside = mask > 0
    garment[inside] = np.clip(albedo * fold, 0, 255)[inside][:, None].astype(np.uint8)
    logo = np.float32([250, 220, 40])[None, None] * fold[90:130, 60:110, None]
    garment[90:130, 60:110] = np.clip(logo, 0, 255).astype(np.uint8)
    shading, _ = garment_shading(garment, mask)
    core = np.zeros_like(inside)
    core[40:200, 40:200] = True
    follows_fold = np.corrcoef(shading[core], fold[core])[0, 1]
    follows_print = abs(np.corrcoef(shading[core], albedo[core])[0, 1])
    assert follows_fold > 0.8 and follows_print < 0.2


def test_odd_sizes_and_a_one_pixel_mask_do_not_crash():
    rng = np.random.default_rng(0)
    garment = rng.integers(0, 255, (33, 17, 3), dtype=np.uint8)
    mask = np.zeros((33, 17), np.float32)
    mask[:, 8] = 1  # one pixel wide
    out = print_on_garment(garment, _stripe_tile(7), mask, repeats=40, angle=33)
    assert out.shape == garment.shape and np.array_equal(out[mask == 0], garment[mask == 0])
    empty = print_on_garment(garment, _stripe_tile(), np.zeros((33, 17), np.float32), repeats=3)
    assert np.array_equal(empty, garment)


def test_non_seamless_tiles_are_mirrored():
    half = np.zeros((10, 20, 3), np.uint8)
    half[:, 10:] = 255  # black left edge meets white right edge
    assert not is_seamless(half) and is_seamless(seamless_tile(half))
    assert seamless_tile(half).shape == (20, 40, 3)
    assert is_seamless(_stripe_tile()) and seamless_tile(_stripe_tile()).shape == (20, 20, 3)


@pytest.mark.parametrize("kind", ["tartan", "gingham", "houndstooth", "polka_dots", "floral"])
def test_library_tiles_are_seamless(kind):
    assert is_seamless(seamless_tile(library_tile(PatternSpec(kind), 24)))


def test_pipeline_print_mode_checks_its_controls():
    garment, mask = _flat_garment()
    pipeline = Pipeline(None, None)  # print mode needs neither network
    result = pipeline.restyle(RestyleRequest(garment, _stripe_tile(), mode="print", mask=mask, repeats=6,
                                             output_size=200))
    assert result.image.shape == garment.shape and result.mask is not None
    for bad in (dict(repeats=0), dict(pattern_angle=400), dict(strength=2), dict(output_size=50), dict(mode="x")):
        with pytest.raises(InputError):
            pipeline.restyle(RestyleRequest(garment, _stripe_tile(), **{"mode": "print", "mask": mask, **bad}))
