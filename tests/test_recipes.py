"""Every output carries its recipe: write, read back, regenerate identical pixels; refusals."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
from PIL import Image

from fashiongen.devtools import draw_garment
from fashiongen.errors import InputError
from fashiongen.patterns import PatternSpec, draw_pattern
from fashiongen.recipes import RECIPE_KEY, png_with_recipe, read_recipe, save_with_recipe


@pytest.fixture
def handlers(tiny_pipeline):
    from app import Handlers

    return Handlers(tiny_pipeline)


def _pixels(path) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


def test_trend_design_round_trip_is_bit_identical(tiny_pipeline, tmp_path):
    design = tiny_pipeline.sample(__import__("fashiongen.pipeline", fromlist=["SampleRequest"]).SampleRequest(
        ("Hat", "Dress"), 3, 11, 0.7))[1]
    recipe = tiny_pipeline.design_recipe(design)
    assert recipe["class"] == "Dress" and recipe["seed"] == 12 and recipe["variety"] == 0.7
    assert len(recipe["model"]["sha256"]) == 64
    path = save_with_recipe(design.image, recipe, tmp_path / "design.png")
    again = tiny_pipeline.reproduce_design(read_recipe(path))
    assert np.array_equal(again.image, _pixels(path)) and again.caption == design.caption


def test_app_gallery_files_carry_recipes_and_reproduce(handlers):
    gallery = handlers.sample(["Hat"], 2, 5, 0.8)
    path, caption = gallery[1]
    assert read_recipe(path)["seed"] == 6
    made, note = handlers.reproduce(path)
    assert np.array_equal(_pixels(made), _pixels(path)) and "identical" in note and "Hat · seed 6" in note
    _, sheet = handlers.sample_with_sheet(["Hat"], 2, 5, 0.8)
    assert [d["seed"] for d in read_recipe(sheet)["designs"]] == [5, 6]


def test_recipe_from_another_model_is_refused_clearly(tiny_pipeline, tmp_path):
    from fashiongen.pipeline import SampleRequest

    design = tiny_pipeline.sample(SampleRequest(("Hat",), 1, 3))[0]
    recipe = tiny_pipeline.design_recipe(design)
    recipe["model"] = {**recipe["model"], "sha256": "0" * 64}
    with pytest.raises(InputError, match="another version of the model"):
        tiny_pipeline.reproduce_design(read_recipe(png_with_recipe(design.image, recipe)))


def test_png_without_recipe_gets_a_clear_message(tmp_path):
    plain = tmp_path / "plain.png"
    Image.fromarray(draw_garment()).save(plain)
    with pytest.raises(InputError, match="no fashiongen recipe"):
        read_recipe(plain)
    with pytest.raises(InputError, match="not an image fashiongen wrote"):
        read_recipe(b"not a png at all")
    assert RECIPE_KEY == "fashiongen:recipe"


def test_restyle_round_trip_and_input_checks(handlers, tmp_path):
    garment_path, pattern_path = tmp_path / "g.png", tmp_path / "p.png"
    Image.fromarray(draw_garment()).save(garment_path)
    Image.fromarray(draw_pattern(PatternSpec("gingham", scale=10), 80, 80)).save(pattern_path)
    library = handlers.stylize(str(garment_path), None, 0.9, output_size=200, mode="print", repeats=4,
                               library_pattern="houndstooth")
    recipe = read_recipe(library)
    assert recipe["mode"] == "print" and recipe["pattern"]["library"]["kind"] == "houndstooth"
    made, _ = handlers.reproduce(library, str(garment_path))
    assert np.array_equal(_pixels(made), _pixels(library))
    uploaded = handlers.stylize(str(garment_path), str(pattern_path), 1.0, output_size=160)  # artistic
    assert read_recipe(uploaded)["model"]["file"] == "style_transfer.onnx"
    made, _ = handlers.reproduce(uploaded, str(garment_path), str(pattern_path))
    assert np.array_equal(_pixels(made), _pixels(uploaded))
    with pytest.raises(InputError, match="supply that pattern"):
        handlers.reproduce(uploaded, str(garment_path))
    other = tmp_path / "other.png"
    Image.fromarray(draw_garment(seed=3)).save(other)
    with pytest.raises(InputError, match="not the one the recipe was made from"):
        handlers.reproduce(library, str(other))
    assert dataclasses.is_dataclass(PatternSpec("tartan"))


def test_a_print_made_by_an_earlier_print_mode_is_refused(handlers, tmp_path):
    from fashiongen.fabric_print import PRINT_VERSION

    garment_path = tmp_path / "g.png"
    Image.fromarray(draw_garment()).save(garment_path)
    made = handlers.stylize(str(garment_path), None, 0.9, output_size=160, mode="print", library_pattern="tartan")
    recipe = read_recipe(made)
    assert recipe["print"] == PRINT_VERSION
    again, _ = handlers.reproduce(made, str(garment_path))
    assert np.array_equal(_pixels(again), _pixels(made))  # the same version reproduces to the pixel
    older = tmp_path / "older.png"  # recipes from before print mode was versioned carry no "print"
    older.write_bytes(png_with_recipe(_pixels(made), {k: v for k, v in recipe.items() if k != "print"}))
    with pytest.raises(InputError, match="earlier version of print mode"):
        handlers.reproduce(str(older), str(garment_path))


def test_restyle_with_another_automatic_mask_version_is_refused(handlers, tmp_path):
    from fashiongen.garment_mask import MASK_VERSION

    garment_path = tmp_path / "g.png"
    Image.fromarray(draw_garment()).save(garment_path)
    made = handlers.stylize(str(garment_path), None, 0.9, output_size=160, mode="print", library_pattern="tartan")
    recipe = read_recipe(made)
    assert recipe["auto_mask"] == MASK_VERSION  # print mode always lays the pattern inside the automatic mask
    older = tmp_path / "older.png"
    older.write_bytes(png_with_recipe(_pixels(made), {**recipe, "auto_mask": "grabcut-2:0123456789"}))
    with pytest.raises(InputError, match="earlier version of the automatic garment mask"):
        handlers.reproduce(str(older), str(garment_path))
    unversioned = tmp_path / "unversioned.png"  # recipes written before the mask was versioned
    unversioned.write_bytes(png_with_recipe(_pixels(made), {k: v for k, v in recipe.items() if k != "auto_mask"}))
    with pytest.raises(InputError, match="earlier version of the automatic garment mask"):
        handlers.reproduce(str(unversioned), str(garment_path))
    whole = handlers.stylize(str(garment_path), None, 1.0, output_size=160, library_pattern="tartan")  # artistic, unmasked
    assert "auto_mask" not in read_recipe(whole)


def test_painted_mask_is_checked_on_reproduce(handlers, tmp_path):
    garment = draw_garment()
    garment_path, mask_path, other_path = tmp_path / "g.png", tmp_path / "m.png", tmp_path / "o.png"
    Image.fromarray(garment).save(garment_path)
    mask = np.zeros_like(garment)
    mask[40:200, 40:160] = 255
    Image.fromarray(mask).save(mask_path)
    Image.fromarray(255 - mask).save(other_path)
    made = handlers.stylize(str(garment_path), None, 1.0, output_size=200, mode="print", library_pattern="stripes",
                            mask=str(mask_path))
    again, _ = handlers.reproduce(made, str(garment_path), None, str(mask_path))
    assert np.array_equal(_pixels(again), _pixels(made))
    with pytest.raises(InputError, match="supply that mask"):
        handlers.reproduce(made, str(garment_path))
    with pytest.raises(InputError, match="not the one the recipe was made with"):
        handlers.reproduce(made, str(garment_path), None, str(other_path))
