"""The ``fashiongen`` command line on tiny models and inputs, including an unreadable file."""

from __future__ import annotations

import shutil
import subprocess
import sys

import numpy as np
import pytest
from PIL import Image

from fashiongen.cli import main
from fashiongen.devtools import draw_garment
from fashiongen.patterns import PatternSpec, draw_pattern
from fashiongen.recipes import read_recipe


@pytest.fixture
def models(tmp_path, tiny_trend_model, tiny_style_model):
    folder = tmp_path / "models"
    folder.mkdir()
    shutil.copy(tiny_trend_model[0], folder / "trend_generator.onnx")
    shutil.copy(tiny_style_model, folder / "style_transfer.onnx")
    return str(folder)


def test_sample_writes_designs_with_recipes_and_a_grid(models, tmp_path):
    out = tmp_path / "designs"
    assert main(["--checkpoints", models, "sample", "--classes", "Hat", "Dress", "--count", "3", "--seed", "7",
                 "--size", "32", "--grid", str(tmp_path / "grid.png"), "--out", str(out)]) == 0
    files = sorted(p.name for p in out.iterdir())
    assert files == ["Dress-seed8.png", "Hat-seed7.png", "Hat-seed9.png"]
    assert read_recipe(out / "Hat-seed9.png")["seed"] == 9 and (tmp_path / "grid.png").is_file()
    again = tmp_path / "again.png"
    assert main(["--checkpoints", models, "reproduce", str(out / "Dress-seed8.png"), "--out", str(again)]) == 0
    assert np.array_equal(np.asarray(Image.open(again)), np.asarray(Image.open(out / "Dress-seed8.png")))


def test_stylize_a_folder_skips_the_unreadable_file_and_exits_non_zero(models, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(draw_garment()).save(photos / "shirt.png")
    Image.fromarray(draw_garment(seed=2)).save(photos / "other.jpg")
    (photos / "broken.png").write_bytes(b"not an image")
    pattern = tmp_path / "dots.png"
    Image.fromarray(draw_pattern(PatternSpec("polka_dots", scale=12), 64, 64)).save(pattern)
    out = tmp_path / "out"
    status = main(["--checkpoints", models, "stylize", str(photos), "--library", "tartan", "--pattern", str(pattern),
                   "--mode", "print", "--output-size", "128", "--out", str(out)])
    assert status == 1  # one file skipped
    assert "skipped garment" in capsys.readouterr().err
    written = sorted(p.name for p in out.iterdir())
    assert written == ["other-dots-print.png", "other-tartan-print.png", "shirt-dots-print.png",
                       "shirt-tartan-print.png"]
    recipe = read_recipe(out / "shirt-tartan-print.png")
    assert recipe["mode"] == "print" and recipe["output_size"] == 128
    ok = main(["--checkpoints", models, "stylize", str(photos / "shirt.png"), "--pattern", str(pattern),
               "--mode", "artistic", "--output-size", "128", "--out", str(out)])
    assert ok == 0 and (out / "shirt-dots-artistic.png").is_file()


def test_stylize_names_the_garments_whose_automatic_mask_is_worth_a_look(models, tmp_path, capsys):
    photos = tmp_path / "photos"
    photos.mkdir()
    Image.fromarray(draw_garment()).save(photos / "shirt.png")
    Image.fromarray(np.full((120, 90, 3), 180, np.uint8)).save(photos / "wall.png")  # no garment in it
    out = tmp_path / "out"
    status = main(["--checkpoints", models, "stylize", str(photos), "--library", "stripes", "--mode", "print",
                   "--output-size", "128", "--out", str(out)])
    captured = capsys.readouterr()
    assert status == 0 and len(list(out.iterdir())) == 2  # both restyled: a warning is not a failure
    assert f"check the mask of {photos / 'wall.png'}: No garment found" in captured.err
    assert "shirt.png" not in captured.err and "1 automatic mask to check" in captured.out


def test_bad_arguments_get_a_clear_message(models, tmp_path, capsys):
    assert main(["--checkpoints", models, "sample", "--classes", "Tuxedo", "--out", str(tmp_path)]) == 2
    assert "Unknown garment type" in capsys.readouterr().err


def test_console_script_help_documents_the_flags():
    result = subprocess.run([sys.executable, "-m", "fashiongen.cli", "stylize", "--help"], capture_output=True,
                            text=True, timeout=120)
    assert result.returncode == 0
    for flag in ("--mode", "--repeats", "--angle", "--library", "--pattern", "--mask", "--output-size"):
        assert flag in result.stdout
