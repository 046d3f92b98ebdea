"""The app's handlers, its API through gradio_client against a running server, and file access."""

from __future__ import annotations

import urllib.error
import urllib.request

import gradio as gr
import numpy as np
import pytest
from gradio_client import Client, handle_file
from PIL import Image

from fashiongen.patterns import PatternSpec, draw_pattern
from tests.conftest import draw_garment


@pytest.fixture
def files(image_file):
    return {"garment": image_file(draw_garment(), "garment.png"),
            "pattern": image_file(draw_pattern(PatternSpec("gingham", scale=10), 80, 80), "pattern.png"),
            "text": image_file(b"hello, I am not a picture", "notes.png")}


# -- handlers on tiny models ----------------------------------------------------------------

def test_sample_handler_returns_captioned_gallery(tiny_service):
    gallery = tiny_service.sample(["Hat"], 3, 5, 0.8)
    assert [caption for _, caption in gallery] == ["Hat · seed 5", "Hat · seed 6", "Hat · seed 7"]
    assert gallery[0][0].shape[2] == 3
    sheet = Image.open(tiny_service.sample_sheet(["Hat"], 3, 5, 0.8))
    assert sheet.size[0] > sheet.size[1] > 0


@pytest.mark.parametrize("args, fragment", [
    ((["Tuxedo"], 3, 5, 0.8), "Unknown garment type"),
    ((None, 0, 5, 0.8), "Number of designs"),
    ((None, 3, -4, 0.8), "Seed"),
    ((None, 2.5, 1, 0.8), "whole number"),
])
def test_sample_handler_explains_mistakes(tiny_service, args, fragment):
    with pytest.raises(gr.Error, match=fragment):
        tiny_service.sample(*args)


def test_stylize_handler_and_upload_errors(tiny_service, files):
    out = tiny_service.stylize(files["garment"], files["pattern"], 0.8, True, True, 1.0, 200)
    assert out.shape == (200, round(200 * 200 / 260), 3)
    with pytest.raises(gr.Error, match="Garment: This file is not an image"):
        tiny_service.stylize(files["text"], files["pattern"], 1.0)
    with pytest.raises(gr.Error, match="upload a pattern"):
        tiny_service.stylize(files["garment"], None, 1.0)


def test_ui_handler_uses_library_pattern_and_painted_mask(tiny_service, files):
    library = tiny_service.draw_library_pattern("houndstooth", "#ffffff", "#000000", 20, 0, 0)
    garment = np.asarray(Image.open(files["garment"]))
    painted = np.zeros_like(garment)  # the user brushed everything black: keep the whole photo
    result, path = tiny_service.stylize_from_ui(files["garment"], "Library", None, library, 1.0, False, True,
                                               {"composite": painted}, 1.0, 260)
    assert np.array_equal(result, garment) and Image.open(path).size == (200, 260)
    preview, editor = tiny_service.preview_garment(files["garment"])
    assert preview.shape == garment.shape and editor["background"].shape == garment.shape


def test_inference_failure_stays_with_that_request(tiny_service, files, monkeypatch):
    session = tiny_service.stylizer.model.session
    original = session.run
    monkeypatch.setattr(session, "run", lambda *a, **k: (_ for _ in ()).throw(RuntimeError("CUDA out of memory")))
    with pytest.raises(gr.Error, match="could not process"):
        tiny_service.stylize(files["garment"], files["pattern"], 1.0)
    monkeypatch.setattr(session, "run", original)
    assert tiny_service.stylize(files["garment"], files["pattern"], 1.0, output_size=128).shape[0] == 128


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


def test_restyle_this_design_hands_over_the_selected_file(tiny_service, image_file):
    paths = [image_file(np.zeros((32, 32, 3), np.uint8), f"d{i}.png") for i in range(3)]
    gallery = [(path, f"Hat · seed {i}") for i, path in enumerate(paths)]
    assert tiny_service.design_file(gallery, 1) == paths[1]
    with pytest.raises(gr.Error, match="Click a design"):
        tiny_service.design_file(gallery, None)


def test_morph_handler_gives_one_strip(tiny_service):
    strip = tiny_service.morph("Hat", 1, 2, 5, 0.8)
    assert strip.shape == (128, 5 * 128, 3)
    with pytest.raises(gr.Error, match="between 2 and 16"):
        tiny_service.morph("Hat", 1, 2, 40, 0.8)
