"""The app's handlers, its API through gradio_client against a running server, and file access."""

from __future__ import annotations

import urllib.error
import urllib.request
from pathlib import Path

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from fashiongen.errors import InputError
from fashiongen.patterns import PatternSpec, draw_pattern
from fashiongen.devtools import ROOT, draw_garment


@pytest.fixture
def files(image_file):
    return {"garment": image_file(draw_garment(), "garment.png"),
            "pattern": image_file(draw_pattern(PatternSpec("gingham", scale=10), 80, 80), "pattern.png"),
            "text": image_file(b"hello, I am not a picture", "notes.png")}


# -- the Gradio adapters on tiny models ---------------------------------------------------------

def _pixels(path: str) -> np.ndarray:
    return np.asarray(Image.open(path).convert("RGB"))


@pytest.fixture
def handlers(tiny_pipeline):
    from app import Handlers

    return Handlers(tiny_pipeline)


def test_sample_handler_returns_captioned_gallery_and_sheet(handlers):
    gallery = handlers.sample(["Hat"], 3, 5, 0.8)
    assert [caption for _, caption in gallery] == ["Hat · seed 5", "Hat · seed 6", "Hat · seed 7"]
    assert _pixels(gallery[0][0]).shape[2] == 3
    again, sheet_path = handlers.sample_with_sheet(["Hat"], 3, 5, 0.8)
    assert all(np.array_equal(_pixels(a[0]), _pixels(b[0])) for a, b in zip(gallery, again))
    sheet = Image.open(sheet_path)
    assert sheet.size[0] > sheet.size[1] > 0


def test_sheet_reuses_the_drawn_designs(handlers, monkeypatch):
    calls = []
    original = handlers.pipeline.sampler.generate
    monkeypatch.setattr(handlers.pipeline.sampler, "generate", lambda *a: calls.append(1) or original(*a))
    handlers.sample_with_sheet(["Hat"], 4, 5, 0.8)
    assert len(calls) == 1  # the download grid does not run the generator a second time


@pytest.mark.parametrize("args, fragment", [
    ((["Tuxedo"], 3, 5, 0.8), "Unknown garment type"),
    ((None, 0, 5, 0.8), "Number of designs"),
    ((None, 3, -4, 0.8), "Seed"),
    ((None, 2.5, 1, 0.8), "whole number"),
])
def test_sample_handler_explains_mistakes(handlers, args, fragment):
    from app import user_errors

    with pytest.raises(gr.Error, match=fragment):
        user_errors(handlers.sample)(*args)


def test_stylize_handler_and_upload_errors(handlers, files):
    from app import user_errors

    out = _pixels(handlers.stylize(files["garment"], files["pattern"], 0.8, True, True, 1.0, 200))
    assert out.shape == (200, round(200 * 200 / 260), 3)
    stylize = user_errors(handlers.stylize)
    with pytest.raises(gr.Error, match="Garment: This file is not an image"):
        stylize(files["text"], files["pattern"], 1.0)
    with pytest.raises(gr.Error, match="upload a pattern"):
        stylize(files["garment"], None, 1.0)
    with pytest.raises(gr.Error, match="Mode must be"):
        stylize(files["garment"], files["pattern"], 1.0, mode="collage")
    with pytest.raises(gr.Error, match="Unknown pattern kind"):
        stylize(files["garment"], None, 1.0, library_pattern="paisley")


def test_stylize_api_takes_a_library_pattern_and_a_mask(handlers, files, image_file):
    garment = np.asarray(Image.open(files["garment"]))
    black = image_file(np.zeros_like(garment), "mask.png")  # keep everything
    kept = _pixels(handlers.stylize(files["garment"], None, 1.0, output_size=260, mode="print",
                                    library_pattern="tartan", mask=black))
    assert np.array_equal(kept, garment)
    printed = _pixels(handlers.stylize(
        files["garment"], None, 1.0, output_size=260, mode="print",
        library_pattern='{"kind": "stripes", "scale": 20, "colors": ["#ff0000", "#0000ff"]}'))
    assert printed.shape == garment.shape and not np.array_equal(printed, garment)
    assert np.array_equal(printed[:3, :3], garment[:3, :3])  # the wall (background) is untouched


def test_ui_handler_redraws_the_library_pattern_and_uses_the_painted_mask(handlers, files):
    garment = np.asarray(Image.open(files["garment"]))
    painted = np.zeros_like(garment)  # the user brushed everything black: keep the whole photo
    for mode in ("artistic", "print"):
        result, path = handlers.restyle_ui(files["garment"], "library", None, "houndstooth", "#ffffff", "#000000", 20,
                                           0, 0, mode, 1.0, False, True, {"composite": painted}, 1.0, 6, 0, 260)
        assert np.array_equal(result, garment) and Image.open(path).size == (200, 260)
    preview, editor, _ = handlers.preview_garment(files["garment"])
    assert preview.shape == garment.shape and editor["background"].shape == garment.shape


def test_garment_preview_dims_what_the_mask_leaves_alone(handlers, files):
    garment = np.asarray(Image.open(files["garment"]))
    preview, editor, note = handlers.preview_garment(files["garment"], True, "artistic")
    assert preview.shape == garment.shape and note == ""  # a mask found by colour alone: nothing to check
    # The wall at the corner is outside the automatic mask: dimmed and tinted blue, the shirt's middle kept.
    assert preview[2, 2].astype(int).sum() < garment[2, 2].astype(int).sum() and preview[2, 2, 2] > preview[2, 2, 0]
    assert np.array_equal(preview[150, 100], garment[150, 100])
    assert editor["background"].shape == garment.shape  # the brush works on the mask at the photo's size
    # A painted mask: left half garment. The preview follows the brush, at the photo's size.
    half = np.zeros((130, 100, 3), np.uint8)  # the editor may hand back its picture at another size
    half[:, :50] = 255
    painted = handlers.mask_preview(files["garment"], {"composite": half}, True, "artistic")
    assert np.array_equal(painted[:, :90], garment[:, :90]) and np.all(painted[:, 110:] != garment[:, 110:])
    # Print mode always keeps the background; artistic mode without "garment only" restyles the whole photo.
    assert np.array_equal(handlers.mask_preview(files["garment"], {"composite": half}, False, "print"), painted)
    assert np.array_equal(handlers.mask_preview(files["garment"], {"composite": half}, False, "artistic"), garment)
    assert np.array_equal(handlers.preview_garment(files["garment"], False, "artistic")[0], garment)
    assert handlers.mask_preview(None, None, True, "print") is None


def test_garment_upload_asks_to_check_the_mask_when_no_garment_is_found(handlers, tmp_path):
    flat = tmp_path / "wall.png"
    Image.fromarray(np.full((120, 90, 3), 180, np.uint8)).save(flat)
    preview, editor, note = handlers.preview_garment(str(flat), True, "print")
    assert note.startswith("**Check the mask:** No garment found") and "Brush white to add" in note
    assert editor["background"].min() == 255  # the whole photo is garment until the user paints
    assert handlers.preview_garment(None) == (None, None, "")


def test_inference_failure_stays_with_that_request(handlers, files, monkeypatch):
    from app import user_errors

    session = handlers.pipeline.stylizer.model.session
    original = session.run
    monkeypatch.setattr(session, "run", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("CUDA out of memory")))
    with pytest.raises(gr.Error, match="could not process"):
        user_errors(handlers.stylize)(files["garment"], files["pattern"], 1.0)
    monkeypatch.setattr(session, "run", original)
    assert _pixels(handlers.stylize(files["garment"], files["pattern"], 1.0, output_size=128)).shape[0] == 128


def test_missing_model_is_reported_per_feature(tiny_pipeline, files):
    from app import Handlers, user_errors
    from fashiongen.pipeline import Pipeline

    no_style = Handlers(Pipeline(tiny_pipeline.sampler, None, {"style": "style_transfer.onnx is missing."}))
    with pytest.raises(gr.Error, match="style_transfer.onnx is missing"):
        user_errors(no_style.stylize)(files["garment"], files["pattern"], 1.0)
    # Print mode needs no network, so it still works.
    assert _pixels(no_style.stylize(files["garment"], files["pattern"], 1.0, mode="print",
                                    output_size=128)).shape[0] == 128


# -- the real app on 127.0.0.1 ------------------------------------------------------------------

def test_client_sample_endpoint(app_server):
    client = Client(app_server, verbose=False)
    gallery = client.predict(classes=["T-Shirt", "Dress"], count=4, seed=11, api_name="/sample")
    assert len(gallery) == 4
    assert [item["caption"] for item in gallery] == ["T-Shirt · seed 11", "Dress · seed 12", "T-Shirt · seed 13",
                                                     "Dress · seed 14"]
    assert Image.open(gallery[0]["image"]).size[0] >= 64


def test_client_stylize_endpoint(app_server, files):
    client = Client(app_server, verbose=False)
    path = client.predict(garment=handle_file(files["garment"]), pattern=handle_file(files["pattern"]), strength=1.0,
                          api_name="/stylize")
    result = Image.open(path)
    assert max(result.size) == 512 and abs(result.size[0] / result.size[1] - 200 / 260) < 0.01


def test_client_stylize_in_print_mode_with_a_library_pattern(app_server, files):
    client = Client(app_server, verbose=False)
    garment = np.asarray(Image.open(files["garment"]))
    path = client.predict(garment=handle_file(files["garment"]), mode="print", library_pattern="tartan", repeats=5,
                          pattern_angle=30, output_size=260, api_name="/stylize")
    result = np.asarray(Image.open(path).convert("RGB"))
    assert result.shape == garment.shape and not np.array_equal(result, garment)
    assert np.abs(result[:4, :4].astype(int) - garment[:4, :4]).max() <= 1  # the wall is kept
    uploaded = client.predict(garment=handle_file(files["garment"]), pattern=handle_file(files["pattern"]),
                              mode="print", api_name="/stylize")
    assert max(Image.open(uploaded).size) == 512


def test_history_is_per_session_and_outputs_carry_recipes(app_server, files):
    from fashiongen.recipes import read_recipe

    alice, bob = Client(app_server, verbose=False), Client(app_server, verbose=False)
    alice.predict(classes=["Dress"], count=3, seed=5, api_name="/sample")
    path = alice.predict(garment=handle_file(files["garment"]), mode="print", library_pattern="gingham",
                         output_size=200, api_name="/stylize")
    assert read_recipe(path)["pattern"]["library"]["kind"] == "gingham"
    history = alice.predict(api_name="/history")
    assert [entry["kind"] for entry in history] == ["restyle", "trend", "trend", "trend"]  # newest first
    assert [entry["seed"] for entry in history[1:]] == [7, 6, 5]
    assert bob.predict(api_name="/history") == []  # one user never sees another's history


def test_history_zip_holds_the_pngs_and_recipes(handlers, tmp_path):
    import zipfile

    from app import add_to_history, history_zip

    entries = add_to_history([], [path for path, _ in handlers.sample(["Hat"], 2, 1, 0.8)], ["a", "b"])
    with zipfile.ZipFile(history_zip(entries)) as archive:
        names = archive.namelist()
        assert len(names) == 3 and "recipes.json" in names
        assert [r["seed"] for r in __import__("json").loads(archive.read("recipes.json"))] == [2, 1]


def test_old_outputs_are_pruned_and_the_zip_skips_them(handlers, tmp_path, monkeypatch):
    import os
    import time
    import zipfile

    import app

    monkeypatch.setattr(app, "OUTPUT_DIR", tmp_path)
    monkeypatch.setattr(app, "_last_prune", [0.0])
    entries = app.add_to_history([], [path for path, _ in handlers.sample(["Hat"], 2, 1, 0.8)], ["a", "b"])
    assert all(Path(entry["path"]).parent == tmp_path for entry in entries)
    two_days_ago = time.time() - 2 * 86400
    os.utime(entries[0]["path"], (two_days_ago, two_days_ago))
    monkeypatch.setattr(app, "_last_prune", [0.0])
    zip_path = app.history_zip(entries)  # writing the zip prunes the day-old design first
    assert not Path(entries[0]["path"]).exists() and Path(entries[1]["path"]).exists()
    with zipfile.ZipFile(zip_path) as archive:
        assert len(archive.namelist()) == 2  # the remaining PNG and recipes.json
    os.remove(entries[1]["path"])
    with pytest.raises(InputError, match="more than a day old"):
        app.history_zip(entries)


def test_client_gets_clear_errors(app_server, files):
    client = Client(app_server, verbose=False)
    with pytest.raises(Exception, match="not an image"):
        client.predict(garment=handle_file(files["text"]), pattern=handle_file(files["pattern"]), strength=1.0,
                       api_name="/stylize")
    with pytest.raises(Exception, match="Tuxedo"):  # Gradio's own choice check names the value and the choices
        client.predict(classes=["Tuxedo"], count=2, seed=1, api_name="/sample")
    assert len(client.predict(classes=[], count=2, seed=1, api_name="/sample")) == 2  # the server is fine after


@pytest.mark.parametrize("path", ["/gradio_api/file=/etc/passwd", "/gradio_api/file=app.py",
                                  "/gradio_api/file=..%2F..%2F..%2Fetc%2Fpasswd",
                                  "/gradio_api/file=%2Fetc%2Fpasswd", "/file=/etc/passwd",
                                  "/gradio_api/file=checkpoints/trend_generator.onnx"])
def test_only_outputs_are_served(app_server, path):
    try:
        with urllib.request.urlopen(app_server.rstrip("/") + path, timeout=10) as response:
            body = response.read()
            status = response.status
    except urllib.error.HTTPError as error:
        status, body = error.code, b""
    assert status in (400, 403, 404) or (b"root:" not in body and b"import gradio" not in body and b"ONNX" not in body[:64]), status
    assert b"root:x:" not in body


def test_restyle_this_design_hands_over_the_selected_file(handlers, image_file):
    from app import user_errors

    paths = [image_file(np.zeros((32, 32, 3), np.uint8), f"d{i}.png") for i in range(3)]
    gallery = [(path, f"Hat · seed {i}") for i, path in enumerate(paths)]
    assert handlers.design_file(gallery, 1) == paths[1]
    with pytest.raises(gr.Error, match="Click a design"):
        user_errors(handlers.design_file)(gallery, None)


def test_morph_handler_gives_one_strip(handlers):
    from app import user_errors

    strip = handlers.morph("Hat", 1, 2, 5, 0.8)
    assert strip.shape == (128, 5 * 128, 3)
    with pytest.raises(gr.Error, match="between 2 and 16"):
        user_errors(handlers.morph)("Hat", 1, 2, 40, 0.8)


def test_morph_handler_mixes_types_and_writes_a_gif(handlers):
    strip, gif = handlers.morph_with_gif("Hat", 1, 2, 4, 0.8, "Dress")
    assert strip.shape == (128, 4 * 128, 3)
    animation = Image.open(gif)
    assert animation.format == "GIF" and animation.n_frames == 6  # there and back


def test_importing_the_app_loads_no_torch():
    import subprocess
    import sys

    code = "import sys, app; print('torch' in sys.modules, 'fashiongen.training' in sys.modules)"
    output = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=300,
                            env={**__import__("os").environ, "GRADIO_ANALYTICS_ENABLED": "False"})
    assert output.returncode == 0, output.stderr[-2000:]
    assert output.stdout.strip().splitlines()[-1] == "False False"
