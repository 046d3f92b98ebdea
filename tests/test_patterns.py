"""Procedural patterns: every kind draws, deterministically, and responds to its parameters."""

from __future__ import annotations

import numpy as np
import pytest

from fashiongen.patterns import KINDS, PatternSpec, draw_pattern, parse_hex_color, random_spec


@pytest.mark.parametrize("kind", KINDS)
def test_each_kind_is_deterministic_and_not_flat(kind):
    spec = PatternSpec(kind, scale=24, angle=30, seed=5)
    first, second = draw_pattern(spec, 96, 64), draw_pattern(spec, 96, 64)
    assert first.shape == (64, 96, 3) and first.dtype == np.uint8
    assert np.array_equal(first, second)
    assert first.reshape(-1, 3).std(axis=0).max() > 10  # a visible motif, not a flat fill


@pytest.mark.parametrize("kind", KINDS)
def test_parameters_change_the_pattern(kind):
    base = draw_pattern(PatternSpec(kind, scale=24, seed=1), 64, 64)
    assert not np.array_equal(base, draw_pattern(PatternSpec(kind, scale=40, seed=1), 64, 64))
    recoloured = draw_pattern(PatternSpec(kind, scale=24, seed=1, colors=((255, 0, 0), (0, 0, 255))), 64, 64)
    assert not np.array_equal(base, recoloured)


@pytest.mark.parametrize("kind", ["floral", "marble", "camouflage"])
def test_organic_patterns_follow_their_seed(kind):
    assert not np.array_equal(draw_pattern(PatternSpec(kind, seed=1), 64, 64), draw_pattern(PatternSpec(kind, seed=2), 64, 64))


def test_bad_arguments_name_the_value():
    with pytest.raises(ValueError, match="paisley"):
        draw_pattern(PatternSpec("paisley"), 10, 10)
    with pytest.raises(ValueError, match="scale"):
        draw_pattern(PatternSpec("stripes", scale=0.5), 10, 10)


def test_random_specs_and_colours():
    rng = np.random.default_rng(0)
    kinds = {random_spec(rng).kind for _ in range(200)}
    assert kinds == set(KINDS)
    assert parse_hex_color("#ff8000") == (255, 128, 0)
    assert parse_hex_color("rgba(10, 20, 30, 1)") == (10, 20, 30)

