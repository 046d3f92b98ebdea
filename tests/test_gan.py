"""Trend GAN: tiny networks, training smoke with resume, export parity, the ONNX sampler."""

from __future__ import annotations

import importlib
import json

import numpy as np
import pytest
import torch

from export.trend import export_trend
from fashiongen.training.augment import diff_augment
from fashiongen.training.data import read_records, split_of
from fashiongen.training.gan_networks import GANConfig, build_discriminator, build_generator
from fashiongen.training.runs import load_generator
from fashiongen.training import train_gan
from fashiongen.training.train_gan import TrainGANConfig, train
from fashiongen.trends import TrendSampler
from tests.helpers import class_folder_dataset


@pytest.mark.parametrize("arch", ["projection", "dcgan"])
def test_shapes_and_conditioning(arch):
    torch.manual_seed(0)
    gan = GANConfig(num_classes=4, arch=arch, z_dim=8, resolution=32, g_width=32, d_width=8)
    generator, discriminator = build_generator(gan).eval(), build_discriminator(gan).eval()
    for module in generator.modules():  # conditional norms start class-neutral; give them trained-like spread
        if isinstance(module, torch.nn.Embedding):
            torch.nn.init.normal_(module.weight, 1.0, 0.3)
    z = torch.randn(3, 8)
    images = generator(z, torch.tensor([0, 1, 2]))
    assert images.shape == (3, 3, 32, 32) and images.abs().max() <= 1
    assert discriminator(images, torch.tensor([0, 1, 2])).shape == (3,)
    other = generator(z, torch.tensor([3, 3, 3]))
    assert (images - other).abs().mean() > 1e-4  # the class changes the design


def test_diff_augment_keeps_shape_and_changes_pixels():
    x = torch.rand(4, 3, 32, 32) * 2 - 1
    y = diff_augment(x, "color,translation,cutout")
    assert y.shape == x.shape and not torch.equal(x, y)
    assert torch.equal(diff_augment(x, ""), x)


def test_folder_dataset_and_split(tmp_path):
    records, classes = read_records(class_folder_dataset(tmp_path / "data"), min_class_images=1)
    assert classes == ["Dress", "Hat"] and len(records) == 12
    assert split_of("abc") == split_of("abc") and {split_of(str(i)) for i in range(200)} == {"train", "val"}


def test_training_smoke_and_resume(tmp_path):
    data = class_folder_dataset(tmp_path / "data", per_class=12)
    config = TrainGANConfig(data=str(data), out=str(tmp_path / "run"), resolution=16, z_dim=8, g_width=16,
                            d_width=8, batch_size=4, max_steps=3, log_every=1, sample_every=3, checkpoint_every=3,
                            cache=str(tmp_path / "cache"), min_class_images=1, threads=1)
    run = train(config)
    assert json.loads((run / "config.json").read_text())["max_steps"] == 3
    assert (run / "fakes000003.png").is_file() and len((run / "metrics.jsonl").read_text().splitlines()) == 3
    first = torch.load(run / "checkpoint.pt", weights_only=True)
    assert first["step"] == 3
    resumed = train(TrainGANConfig(**{**config.__dict__, "max_steps": 5}), resume=True)
    second = torch.load(resumed / "checkpoint.pt", weights_only=True)
    assert second["step"] == 5
    changed = [not torch.equal(first["model"]["generator"][k], second["model"]["generator"][k])
               for k in first["model"]["generator"] if first["model"]["generator"][k].is_floating_point()]
    assert any(changed)
    generator, gan, classes, _ = load_generator(resumed / "checkpoint.pt")
    assert classes == ["Dress", "Hat"] and generator(torch.randn(2, 8), torch.tensor([0, 1])).shape == (2, 3, 16, 16)
    with pytest.raises(FileExistsError):
        train(config)  # an existing run is never overwritten silently


def test_export_parity_and_metadata(tiny_trend_model):
    path, classes = tiny_trend_model
    sampler = TrendSampler(path)
    assert sampler.classes == classes and sampler.z_dim == 8 and sampler.resolution == 16
    assert sampler.preprocess == "fashiongen.prepare:prepare_photo"
    module, function = sampler.preprocess.split(":")
    assert callable(getattr(importlib.import_module(module), function))
    assert not list(path.parent.glob("*.data"))  # one self-contained file


def test_export_fails_loudly_on_parity_error(tmp_path, monkeypatch):
    import export.trend as trend_export

    gan = GANConfig(num_classes=2, z_dim=4, resolution=16, g_width=16)
    monkeypatch.setattr(trend_export, "TOLERANCE", -1.0)  # any difference at all is now too much
    with pytest.raises(AssertionError, match="differs"):
        export_trend(build_generator(gan).eval(), gan, ["a", "b"], tmp_path / "g.onnx", "test")


def test_sampler_seeds_counts_and_classes(tiny_trend_model):
    sampler = TrendSampler(tiny_trend_model[0])
    first = sampler.sample(["Hat", "Dress"], 5, seed=7)
    again = sampler.sample(["Hat", "Dress"], 5, seed=7)
    assert [d.caption for d in first] == ["Hat · seed 7", "Dress · seed 8", "Hat · seed 9", "Dress · seed 10", "Hat · seed 11"]
    assert all(np.array_equal(a.image, b.image) for a, b in zip(first, again))
    assert first[0].image.shape == (16, 16, 3)
    # Design i is reproducible alone from its own seed.
    assert np.array_equal(sampler.sample(["Hat"], 1, seed=9)[0].image, first[2].image)
    assert not np.array_equal(sampler.sample(["Hat"], 1, seed=8)[0].image, first[0].image)
    assert len(sampler.sample(None, 64, seed=0)) == 64
    for bad in (dict(count=0), dict(count=65), dict(seed=-1), dict(variety=0.0)):
        with pytest.raises(ValueError):
            sampler.sample(None, **{"count": 4, "seed": 1, **bad})
    with pytest.raises(ValueError, match="Unknown garment type"):
        sampler.sample(["Tuxedo"], 1, 0)
    strip = sampler.morph("Hat", 1, 2, steps=5)
    assert len(strip) == 5 and np.array_equal(strip[0], sampler.sample(["Hat"], 1, 1)[0].image)


def test_morph_between_classes_mixes_them(tiny_trend_model):
    sampler = TrendSampler(tiny_trend_model[0])
    assert sampler.can_mix
    strip = sampler.morph("Hat", 3, 4, steps=5, label_b="Dress")
    assert np.array_equal(strip[0], sampler.sample(["Hat"], 1, 3)[0].image)
    assert np.array_equal(strip[-1], sampler.sample(["Dress"], 1, 4)[0].image)
    # The middle frame is the half-and-half class weights (classes: Dress, Hat, T-Shirt).
    z = sampler.noise(3, 1.0)[None]
    halfway = sampler.morph("Hat", 3, 3, steps=3, label_b="Dress")[1]
    mixed = sampler.generate(z, class_weights=np.array([[0.5, 0.5, 0.0]], np.float32))
    assert np.array_equal(halfway, mixed[0])


def test_class_weights_are_ids_when_one_hot_and_mix_otherwise():
    from fashiongen.training.gan_networks import ConditionalBatchNorm

    torch.manual_seed(0)
    norm = ConditionalBatchNorm(4, 3).eval()
    torch.nn.init.normal_(norm.gain.weight, 1.0, 0.5)
    x = torch.randn(2, 4, 5, 5)
    ids = torch.tensor([0, 2])
    assert torch.equal(norm(x, ids), norm(x, torch.eye(3)[ids]))
    half = norm(x, torch.tensor([[0.5, 0.0, 0.5], [0.5, 0.0, 0.5]]))
    assert torch.allclose(half, (norm(x, torch.tensor([0, 0])) + norm(x, torch.tensor([2, 2]))) / 2, atol=1e-6)
    assert not torch.allclose(half, norm(x, torch.tensor([0, 0])))


def test_learning_rate_decay_is_linear_to_zero_and_survives_resume(tmp_path):
    from fashiongen.training.train_gan import learning_rate_factor

    assert [learning_rate_factor(step, 0, 10) for step in (0, 9)] == [1.0, 1.0]  # 0: constant
    assert [learning_rate_factor(step, 6, 10) for step in (0, 5, 6, 8, 9)] == [1.0, 1.0, 1.0, 0.5, 0.25]
    assert learning_rate_factor(12, 6, 10) == 0.0 and learning_rate_factor(3, 10, 10) == 1.0

    data = class_folder_dataset(tmp_path / "data", per_class=12)
    config = TrainGANConfig(data=str(data), out=str(tmp_path / "run"), resolution=16, z_dim=8, g_width=16,
                            d_width=8, batch_size=4, max_steps=2, log_every=1, sample_every=100, checkpoint_every=2,
                            cache=str(tmp_path / "cache"), min_class_images=1, threads=1, lr_g=1e-3, lr_d=2e-3)
    run = train(config)
    resumed = train(TrainGANConfig(**{**config.__dict__, "max_steps": 6, "lr_decay_start": 2}), resume=True)
    factors = [json.loads(line)["lr_factor"] for line in (resumed / "metrics.jsonl").read_text().splitlines()]
    assert factors == [1.0, 1.0, 1.0, 0.75, 0.5, 0.25]
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    assert state["optimizer"]["generator"]["param_groups"][0]["lr"] == pytest.approx(0.25e-3)
    assert state["optimizer"]["discriminator"]["param_groups"][0]["lr"] == pytest.approx(0.5e-3)


def test_cli_resume_uses_the_stored_config(tmp_path):
    from fashiongen.training.runs import parse_trainer_cli
    from fashiongen.training.train_gan import PRESETS

    run = tmp_path / "run"
    run.mkdir()
    stored = TrainGANConfig(**{**PRESETS["dcgan"], "out": str(run), "max_steps": 100})
    (run / "config.json").write_text(json.dumps(stored.__dict__))
    config, resume, _ = parse_trainer_cli(TrainGANConfig, PRESETS, "", ["--out", str(run), "--resume",
                                                                        "--max-steps", "300"])
    assert resume and config.arch == "dcgan" and config.loss == "bce" and config.max_steps == 300
    fresh, _, _ = parse_trainer_cli(TrainGANConfig, PRESETS, "", ["--out", str(run)])
    assert fresh.arch == "projection"  # without --resume the defaults (and preset) apply


def test_bilinear_upsampling_shares_weights_and_exports(tmp_path):
    # A branch may switch a nearest-upsampling run to bilinear and resume: same weights, other images.
    torch.manual_seed(0)
    nearest = GANConfig(num_classes=2, z_dim=8, resolution=16, g_width=16)
    bilinear = GANConfig(**{**nearest.__dict__, "upsample": "bilinear"})
    first = build_generator(nearest).eval()
    second = build_generator(bilinear).eval()
    second.load_state_dict(first.state_dict())  # strict: every key matches
    z, classes = torch.randn(2, 8), torch.tensor([0, 1])
    assert not torch.allclose(first(z, classes), second(z, classes))
    export_trend(second, bilinear, ["a", "b"], tmp_path / "g.onnx", "test")  # asserts ONNX parity itself
    with pytest.raises(ValueError, match="upsample"):
        GANConfig(num_classes=2, upsample="cubic")


def test_widening_a_run_keeps_its_output_and_resumes(tmp_path):
    # A run grows its generator in place (16 -> more channels at the top levels) and goes on training.
    from fashiongen.training.widen import widen_generator_weights, widen_run

    torch.manual_seed(0)
    narrow = GANConfig(num_classes=2, z_dim=8, resolution=32, g_width=16, g_min_width=4)
    wide = GANConfig(**{**narrow.__dict__, "g_min_width": 8})
    first = build_generator(narrow)
    for module in first.modules():  # trained-like class gains, so the comparison is not of near-zeros
        if isinstance(module, torch.nn.Embedding):
            torch.nn.init.normal_(module.weight, 1.0, 0.3)
    second = build_generator(wide)
    second.load_state_dict(widen_generator_weights(first.state_dict(), narrow, wide))
    assert second.out_conv.weight.shape[1] == 8 > first.out_conv.weight.shape[1] == 4
    z, classes = torch.randn(5, 8), torch.tensor([0, 1, 0, 1, 1])
    for mode in ("train", "eval"):
        first.train(mode == "train"), second.train(mode == "train")
        with torch.no_grad():
            assert torch.allclose(first(z, classes), second(z, classes), atol=1e-6)
    # The zeroed weights (new channels -> old outputs) get gradients at once: the new channels learn.
    second.train()
    second(z, classes).square().mean().backward()
    assert second.out_conv.weight.grad[:, 4:].abs().sum() > 0
    with pytest.raises(ValueError, match="g_min_width"):
        widen_generator_weights(first.state_dict(), narrow, GANConfig(**{**narrow.__dict__, "g_width": 32}))

    data = class_folder_dataset(tmp_path / "data", per_class=12)
    config = TrainGANConfig(data=str(data), out=str(tmp_path / "run"), resolution=16, z_dim=8, g_width=16,
                            g_min_width=4, d_width=8, batch_size=4, max_steps=2, log_every=1, sample_every=100,
                            checkpoint_every=2, cache=str(tmp_path / "cache"), min_class_images=1, threads=1)
    run = train(config)
    before = torch.load(run / "checkpoint.pt", weights_only=True)
    widen_run(run, 8)
    grown = torch.load(run / "checkpoint.pt", weights_only=True)
    assert grown["config"]["g_min_width"] == 8 and grown["widened"] == [{"step": 2, "g_min_width": 8}]
    assert json.loads((run / "config.json").read_text())["g_min_width"] == 8
    assert grown["ema"]["out_conv.weight"].shape[1] == 8 and grown["step"] == before["step"]
    assert torch.equal(grown["model"]["discriminator"]["linear.weight_orig"],
                       before["model"]["discriminator"]["linear.weight_orig"])
    resumed = train(TrainGANConfig(**{**config.__dict__, "g_min_width": 8, "max_steps": 4}), resume=True)
    after = torch.load(resumed / "checkpoint.pt", weights_only=True)
    assert after["step"] == 4 and not torch.equal(after["model"]["generator"]["out_conv.weight"],
                                                  grown["model"]["generator"]["out_conv.weight"])
    generator, gan, _, _ = load_generator(resumed / "checkpoint.pt")
    assert gan.g_min_width == 8 and generator(torch.randn(2, 8), torch.tensor([0, 1])).shape == (2, 3, 16, 16)


def test_bfloat16_channels_last_resumes_a_float32_run_and_tracks_it(tmp_path, monkeypatch):
    # A long float32 run may continue at about half the CPU cost per step: same weights and
    # optimiser state, bfloat16 forward passes, NHWC tensors; the run stays a float32 model.
    # (Forced on: this test checks the numerics, also on a CPU that only emulates bfloat16.)
    monkeypatch.setattr(train_gan, "native_bfloat16", lambda device: True)
    data = class_folder_dataset(tmp_path / "data", per_class=12)
    common = dict(data=str(data), resolution=16, z_dim=8, g_width=16, d_width=8, batch_size=4, log_every=1,
                  sample_every=100, checkpoint_every=2, cache=str(tmp_path / "cache"), min_class_images=1, threads=1)
    base = train(TrainGANConfig(**common, out=str(tmp_path / "base"), max_steps=2))
    for name in ("fp32", "bf16"):
        (tmp_path / name).mkdir()
        for file in base.iterdir():
            (tmp_path / name / file.name).write_bytes(file.read_bytes())
    fp32 = train(TrainGANConfig(**common, out=str(tmp_path / "fp32"), max_steps=3), resume=True)
    bf16 = train(TrainGANConfig(**common, out=str(tmp_path / "bf16"), max_steps=3, precision="bfloat16",
                                channels_last=True), resume=True)
    exact = torch.load(fp32 / "checkpoint.pt", weights_only=True)["model"]["generator"]
    state = torch.load(bf16 / "checkpoint.pt", weights_only=True)
    assert state["step"] == 3 and json.loads((bf16 / "config.json").read_text())["precision"] == "bfloat16"
    before = torch.load(base / "checkpoint.pt", weights_only=True)["model"]["generator"]
    moved, gap = 0.0, 0.0
    for key, value in state["model"]["generator"].items():
        assert value.dtype == exact[key].dtype  # weights stay float32
        if value.is_floating_point() and "running" not in key:
            moved += (exact[key] - before[key]).abs().sum().item()
            gap += (value - exact[key]).abs().sum().item()
    # One step in bfloat16 lands near the float32 step (the same data and noise): off by about 14 % of
    # the step here, where channels-last alone in float32 is off by under 1 % (summation order), so
    # the lower bound shows bfloat16 really ran.
    assert 0.03 * moved < gap < 0.3 * moved
    generator, gan, _, _ = load_generator(bf16 / "checkpoint.pt")
    path = tmp_path / "bf16.onnx"
    export_trend(generator, gan, ["Dress", "Hat"], path, "bf16 test")  # parity-checked in float32
    assert path.is_file()
    with pytest.raises(ValueError, match="precision"):
        train(TrainGANConfig(**common, out=str(tmp_path / "bad"), max_steps=1, precision="float16"))


def test_bfloat16_run_goes_on_in_float32_where_it_would_be_emulated(tmp_path, monkeypatch, capsys):
    # A bfloat16 run resumed on a CPU without AVX512-BF16/AMX would take ~10x longer per step.
    monkeypatch.setattr(train_gan, "native_bfloat16", lambda device: False)
    data = class_folder_dataset(tmp_path / "data", per_class=12)
    run = train(TrainGANConfig(data=str(data), resolution=16, z_dim=8, g_width=16, d_width=8, batch_size=4,
                               sample_every=100, checkpoint_every=1, cache=str(tmp_path / "cache"),
                               min_class_images=1, threads=1, out=str(tmp_path / "run"), max_steps=1,
                               precision="bfloat16", channels_last=True))
    assert "training in float32" in capsys.readouterr().out
    config = json.loads((run / "config.json").read_text())
    assert config["precision"] == "float32" and config["channels_last"] is True
    assert torch.load(run / "checkpoint.pt", weights_only=True)["step"] == 1


def test_training_curve_figure_draws_the_recorded_points():
    from benchmarks.gan_curve import CURVE, MAIN, PANEL, draw_curves
    curve = json.loads(CURVE.read_text())
    for run in curve["runs"].values():
        steps = [point["steps"] for point in run]
        assert steps == sorted(set(steps))  # one point per snapshot, in training order
        assert all(point["fd"] > curve["floor_fd"] and 0 <= point["probe"] <= 1 for point in run)
    assert curve["shipped_steps"] in [point["steps"] for point in curve["runs"]["main"]]
    image = np.asarray(draw_curves(curve))
    assert image.shape == (PANEL[1], 3 * PANEL[0], 3)
    assert (image == MAIN).all(axis=-1).sum() > 500  # the main run's line is drawn


def test_equal_compute_table_compares_at_the_same_compute():
    from benchmarks.gan_curve import equal_compute_rows, interpolate, shipped_rows
    curve = {"step_cost_ratio": {"a machine": 2.0},
             "shipped_steps": 20,
             "runs": {"main": [{"steps": 10, "fd": 100.0}, {"steps": 20, "fd": 60.0}],
                      "dcgan": [{"steps": 20, "fd": 200.0}, {"steps": 40, "fd": 100.0}]}}
    assert interpolate(curve["runs"]["main"], 15) == 80.0
    assert interpolate(curve["runs"]["main"], 25) is None  # never extrapolated
    rows = equal_compute_rows(curve)
    # 20 baseline steps = 10 main steps (FD 100 against 200); 40 = 20 main steps (60 against 100).
    assert [(row["baseline_steps"], row["main_fd"], round(row["lower"], 6)) for row in rows] == [(20, 100.0, 0.5),
                                                                                               (40, 60.0, 0.4)]
    [goal] = shipped_rows(curve)  # the shipped model (20 main steps) costs 40 baseline steps
    assert goal["baseline_steps"] == 40 and goal["baseline_fd"] == 100.0 and round(goal["lower"], 6) == 0.4
    curve["runs"]["dcgan"] = curve["runs"]["dcgan"][:1]  # the baseline has not trained that far yet
    assert shipped_rows(curve)[0]["baseline_fd"] is None


def test_growing_a_run_doubles_its_resolution_and_resumes(tmp_path):
    # A 64 px run grows to 128 px in place: the grown discriminator of an image is exactly the old
    # one of the image averaged down, the generator's new block starts as a 2x upsampling, and the
    # run goes on training at the new resolution.
    import torch.nn.functional as F

    from fashiongen.training.grow import (_spectral_vectors, grow_discriminator_weights, grow_generator_weights,
                                          grow_run, grown_config)

    torch.manual_seed(0)
    small = GANConfig(num_classes=2, z_dim=8, resolution=16, g_width=16, g_min_width=4, d_width=8, aux_classifier=True)
    big = grown_config(small)
    assert (big.resolution, big.d_grown) == (32, 1)
    old_d = build_discriminator(small)
    _spectral_vectors(old_d)  # a trained run's power iteration has converged; a fresh one's has not
    new_d = build_discriminator(big)
    new_d.load_state_dict(grow_discriminator_weights(old_d.state_dict(), small))
    image, classes = torch.rand(5, 3, 32, 32) * 2 - 1, torch.tensor([0, 1, 0, 1, 1])
    old_d.eval(), new_d.eval()
    with torch.no_grad():
        assert torch.allclose(new_d(image, classes), old_d(F.avg_pool2d(image, 2), classes), atol=1e-5)
    new_d.train()
    new_d(image, classes).sum().backward()
    # The old block's zero columns for the new channels get gradients at once (then the new block's
    # weights do, from the next step, as those columns leave zero).
    assert new_d.blocks[1].conv1.weight_orig.grad[:, 3:].abs().sum() > 0

    old_g, new_g = build_generator(small), build_generator(big)
    new_g.load_state_dict(grow_generator_weights(old_g.state_dict(), small))
    features = []
    new_g.blocks[-1].register_forward_hook(lambda module, inputs, output: features.append((inputs[0], output)))
    new_g.eval()
    with torch.no_grad():
        assert new_g(torch.randn(5, 8), classes).shape == (5, 3, 32, 32)
    block_in, block_out = features[0]
    assert torch.allclose(block_out, F.interpolate(block_in, scale_factor=2.0, mode="nearest"), atol=1e-6)
    with pytest.raises(ValueError, match="projection"):
        grown_config(GANConfig(num_classes=2, arch="dcgan"))

    data = class_folder_dataset(tmp_path / "data", per_class=12)
    config = TrainGANConfig(data=str(data), out=str(tmp_path / "run"), resolution=16, z_dim=8, g_width=16,
                            g_min_width=4, d_width=8, batch_size=4, max_steps=2, log_every=1, sample_every=100,
                            checkpoint_every=2, cache=str(tmp_path / "cache"), min_class_images=1, threads=1)
    run = train(config)
    grow_run(run)
    grown = torch.load(run / "checkpoint.pt", weights_only=True)
    assert grown["grown"] == [{"step": 2, "resolution": 32}] and grown["step"] == 2
    # Adam's moments carried by name: every trained parameter keeps its state, the new front block has none.
    names = [name for name, _ in build_discriminator(grown_config(config.gan_config(2))).named_parameters()]
    carried = grown["optimizer"]["discriminator"]["state"]
    assert sorted(carried) == [index for index, name in enumerate(names) if not name.startswith("blocks.0.")]
    stored = json.loads((run / "config.json").read_text())
    assert (stored["resolution"], stored["d_grown"]) == (32, 1)
    resumed = train(TrainGANConfig(**{**config.__dict__, "resolution": 32, "d_grown": 1, "max_steps": 4}), resume=True)
    after = torch.load(resumed / "checkpoint.pt", weights_only=True)
    assert after["step"] == 4
    generator, gan, _, _ = load_generator(resumed / "checkpoint.pt")
    assert gan.resolution == 32 and generator(torch.randn(2, 8), torch.tensor([0, 1])).shape == (2, 3, 32, 32)


def test_evaluation_compares_generators_at_one_resolution():
    # A 64 px and a 128 px generator are scored against the same real photos: samples are resized.
    from fashiongen.metrics.evaluate_gan import generate

    generator = build_generator(GANConfig(num_classes=2, z_dim=8, resolution=16, g_width=16, g_min_width=4)).eval()
    ids = np.array([0, 1, 1])
    native = generate(generator, 8, ids, seed=0)
    enlarged = generate(generator, 8, ids, seed=0, resolution=32)
    assert native.shape == (3, 16, 16, 3) and enlarged.shape == (3, 32, 32, 3) and enlarged.dtype == np.uint8
    # The same samples, only resized: downsampling the enlarged ones comes back close to the originals.
    from fashiongen.images import resize
    back = np.stack([resize(image, (16, 16)) for image in enlarged]).astype(int)
    assert np.abs(back - native.astype(int)).mean() < 8


def test_gan_spectrum_cell_amplitude_reads_grey_levels():
    """A pattern of known amplitude reads back at that amplitude, on and off the Nyquist lines."""
    from benchmarks.gan_spectrum import cell_amplitude, power_spectrum

    side = 32
    x = np.arange(side)
    columns = 128.0 + 3.0 * (-1.0) ** x[None, :] * np.ones((side, 1))        # alternate columns, 3 levels
    wave = 128.0 + 5.0 * np.cos(2 * np.pi * 8 * x[:, None] / side) * np.ones((1, side))  # 8 cycles down (whole levels), 5 peak
    images = np.stack([columns, wave]).round().astype(np.uint8)[..., None].repeat(3, axis=-1)
    power_columns, power_wave = power_spectrum(images[:1]), power_spectrum(images[1:])
    assert abs(cell_amplitude(power_columns, 0, -side // 2) - 3.0) < 1e-6
    assert abs(cell_amplitude(power_wave, 8, 0) - 5.0 / np.sqrt(2)) < 1e-6   # the RMS of a cosine
    assert cell_amplitude(power_wave, 0, -side // 2) < 1e-6
