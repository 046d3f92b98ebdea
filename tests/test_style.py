"""Style network: shapes at odd sizes, strength 0, mask and colour controls, training, export."""

from __future__ import annotations

import json

import numpy as np
import pytest
import torch
from PIL import Image

from fashiongen.patterns import PatternSpec, draw_pattern
from fashiongen.restyle import Stylizer, apply_mask, keep_colors
from fashiongen.devtools import draw_garment
from tests.helpers import tiny_style_net


@pytest.mark.parametrize("arch", ["adain", "cin"])
@pytest.mark.parametrize("height, width", [(37, 53), (64, 64), (100, 17)])
def test_output_matches_input_size_at_odd_sizes(arch, height, width):
    net = tiny_style_net(arch)
    with torch.no_grad():
        out = net(torch.rand(1, 3, height, width), torch.rand(1, 3, 29, 41), torch.ones(1))
    assert out.shape == (1, 3, height, width) and 0 <= out.min() and out.max() <= 1


@pytest.mark.parametrize("arch", ["adain", "cin"])
def test_strength_zero_ignores_the_style_and_strength_matters(arch):
    net = tiny_style_net(arch)
    for name, module in net.named_modules():  # trained-like weights: non-neutral style heads, a non-flat decoder
        if isinstance(module, torch.nn.Linear):
            torch.nn.init.normal_(module.weight, 0, 0.5)
        if isinstance(module, torch.nn.Conv2d) and name.startswith("decoder"):
            torch.nn.init.normal_(module.weight, 0, 0.2)
    content = torch.rand(1, 3, 40, 48)
    with torch.no_grad():
        zero_a = net(content, torch.rand(1, 3, 32, 32), torch.zeros(1))
        zero_b = net(content, torch.rand(1, 3, 32, 32), torch.zeros(1))
        full = net(content, torch.rand(1, 3, 32, 32), torch.ones(1))
    assert torch.allclose(zero_a, zero_b, atol=1e-6)  # strength 0: the content's own reconstruction
    if arch == "adain":  # ... which is exactly the decoder applied to the content's own features
        with torch.no_grad():
            assert torch.allclose(zero_a, net.decode(net.vgg(content)["relu3_3"]), atol=1e-6)
    assert (full - zero_a).abs().mean() > 1e-3


def test_mask_keeps_background_pixels_exactly(garment):
    stylized = np.full_like(garment, 7)
    mask = np.zeros(garment.shape[:2], np.float32)
    mask[60:200, 50:150] = 1.0
    mask[55:60, 50:150] = 0.5
    out = apply_mask(stylized, garment, mask)
    background = mask == 0
    assert np.array_equal(out[background], garment[background])
    assert np.all(out[mask == 1] == 7)


def test_preserve_colours_keeps_the_garment_chroma(garment):
    pattern = draw_pattern(PatternSpec("gingham", scale=12, colors=((255, 0, 0), (0, 255, 0))), *garment.shape[1::-1])
    kept = keep_colors(pattern, garment)
    chroma = lambda image: np.asarray(Image.fromarray(image).convert("YCbCr"))[..., 1:].astype(int)  # noqa: E731
    assert np.abs(chroma(kept) - chroma(garment)).max() <= 2  # only rounding
    luma = lambda image: np.asarray(Image.fromarray(image).convert("YCbCr"))[..., 0].astype(int)  # noqa: E731
    assert np.abs(luma(kept) - luma(pattern)).mean() < 2  # the pattern's texture


def test_stylizer_sizes_scale_and_controls(tiny_style_model, garment):
    stylizer = Stylizer(tiny_style_model)
    pattern = draw_pattern(PatternSpec("tartan"), 90, 70)
    out = stylizer.stylize(garment, pattern, 1.0, output_size=300)
    assert out.shape == (300, round(200 * 300 / 260), 3)  # aspect kept, long side as asked (upscaled too)
    assert stylizer.stylize(garment, pattern, 1.0, pattern_scale=2.0, output_size=256).shape == (256, 197, 3)
    mask = np.zeros(garment.shape[:2], np.float32)
    mask[100:, :] = 1
    masked = stylizer.stylize(garment, pattern, 1.0, mask=mask, output_size=260)
    assert np.array_equal(masked[:90], garment[:90])
    for bad in (dict(strength=1.5), dict(output_size=2000), dict(pattern_scale=10.0)):
        with pytest.raises(ValueError):
            stylizer.stylize(garment, pattern, **{"strength": 1.0, **bad})


def test_export_parity_at_two_sizes(tiny_style_model):
    import onnxruntime as ort

    net = tiny_style_net()
    from export.style import round_weights_to_fp16
    round_weights_to_fp16(net)
    session = ort.InferenceSession(str(tiny_style_model), providers=["CPUExecutionProvider"])
    for (h, w) in ((45, 61), (80, 33)):
        content, style = np.random.rand(1, 3, h, w).astype(np.float32), np.random.rand(1, 3, 30, 36).astype(np.float32)
        ours = session.run(None, {"content": content, "style": style, "alpha": np.array([0.7], np.float32)})[0]
        with torch.no_grad():
            reference = net(torch.from_numpy(content), torch.from_numpy(style), torch.tensor([0.7])).clamp(0, 1).numpy()
        assert ours.shape == (1, 3, h, w) and np.abs(ours - reference).max() < 1e-3
    metadata = {p.key: p.value for p in __import__("onnx").load(str(tiny_style_model)).metadata_props}
    assert metadata["style_size"] == "32"


def test_training_smoke_and_resume(tmp_path):
    from fashiongen.training.train_style import TrainStyleConfig, train

    data = tmp_path / "data" / "Dress"
    data.mkdir(parents=True)
    for index in range(12):
        Image.fromarray(draw_garment(48, 64, seed=index)).save(data / f"{index}.png")
    styles = tmp_path / "styles"
    styles.mkdir()
    Image.fromarray(draw_pattern(PatternSpec("floral"), 80, 80)).save(styles / "floral.png")
    config = TrainStyleConfig(data=str(tmp_path / "data"), styles=str(styles), out=str(tmp_path / "run"), crop=32,
                              batch_size=2, max_steps=2, sample_every=2, identity_fraction=0.5,
                              checkpoint_every=2, cache=str(tmp_path / "cache"), threads=1)
    run = train(config)
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    assert state["step"] == 2 and (run / "pairs000002.png").is_file()
    assert json.loads((run / "config.json").read_text())["crop"] == 32
    assert "vgg_source" in state and state["vgg_source"]
    resumed = torch.load(train(TrainStyleConfig(**{**config.__dict__, "max_steps": 3}), resume=True) / "checkpoint.pt",
                         weights_only=True)
    assert resumed["step"] == 3 and len((run / "metrics.jsonl").read_text().splitlines()) == 3
