"""Learned garment segmenter: the network, its training views, a training smoke run with resume, int8 export parity."""

from __future__ import annotations

import dataclasses
import json
import shutil
from pathlib import Path

import numpy as np
import onnx
import pytest
import torch
from PIL import Image

from export.segmenter import export_segmenter, training_chain
from fashiongen.devtools import draw_garment
from fashiongen.garment_mask import DEFAULT_RULES, LearnedSegmenter, _learned_corrections, garment_mask, mask_version
from fashiongen.metrics.mask_benchmark import Cutout
from fashiongen.metrics.mask_verdicts import fold_of, mask_digest, work_photo
from fashiongen.training.segmenter_clutter import draw_hanger, draw_underlay
from fashiongen.training.segmenter_data import (banded_garment, composite_view, flat_garment, garment_gap,
                                                matched_background, printed_garment, real_view)
from fashiongen.training.segmenter_networks import GarmentSegmenter, SegmenterConfig
from fashiongen.training import segmenter_pack
from fashiongen.training.runs import save_slim_checkpoint
from fashiongen.training.train_segmenter import (BUDGET_PROBE_STEPS, TrainSegmenterConfig, fitted_max_steps, load_segmenter,
                                                 train, training_set)
from fashiongen.training.vgg import VGG16Features

TINY = SegmenterConfig(last_block=3, tune_from=3, widths=(8, 6, 4), finest_tap="relu1_2")


def _tiny_segmenter() -> GarmentSegmenter:
    torch.manual_seed(0)
    return GarmentSegmenter(VGG16Features("relu3_3"), TINY).eval()


def test_segmenter_shapes_and_frozen_blocks():
    model = _tiny_segmenter()
    logits = model(torch.rand(2, 3, 32, 24))
    assert logits.shape == (2, 1, 32, 24) and TINY.multiple == 4
    encoder, decoder = model.trainable_parameters()
    assert {id(p) for p in encoder} == {id(p) for p in model.vgg.blocks[2].parameters()}  # block 3 tuned, 1-2 frozen
    assert decoder and all(p.requires_grad for p in decoder)
    logits.mean().backward()
    assert all(p.grad is None for p in model.vgg.blocks[0].parameters())
    with pytest.raises(ValueError, match="widths"):
        GarmentSegmenter(VGG16Features("relu3_3"), SegmenterConfig(last_block=3, widths=(8,)))


def test_training_views_keep_image_and_mask_aligned():
    rng = np.random.default_rng(0)
    photo = np.full((80, 60, 3), 200, np.uint8)
    mask = np.zeros((80, 60), np.float32)
    mask[20:60, 15:45] = 1.0
    photo[mask > 0.5] = (30, 40, 70)  # dark on light: brightness survives exposure and hue jitter
    for _ in range(12):
        view, truth = real_view(photo, mask, 32, rng)
        assert view.shape == (32, 32, 3) and truth.shape == (32, 32) and set(np.unique(truth)) <= {0.0, 1.0}
        dark, inner = view.mean(axis=2) < 120, truth > 0.5
        assert inner.any() and (dark == inner).mean() > 0.95  # the garment's pixels are where the mask says
    cutout = Cutout(photo[20:60, 15:45].copy(), np.ones((40, 30), np.float32), "Shirt")
    image, truth = composite_view([cutout], [np.full((64, 48, 3), 90, np.uint8)], 40, rng, pair_share=1.0)
    assert image.shape == (40, 40, 3) and 0.05 < truth.mean() < 0.9
    printed, truth = composite_view([cutout], [np.full((64, 48, 3), 90, np.uint8)], 40, rng, pair_share=0.0,
                                    plain_share=0.0, garment_print_share=1.0)
    assert printed.shape == (40, 40, 3) and truth.mean() > 0.05


def test_printed_garment_prints_inside_the_mask_only():
    rng = np.random.default_rng(1)
    photo = np.full((80, 60, 3), 128, np.uint8)
    mask = np.zeros((80, 60), np.float32)
    mask[10:70, 10:50] = 1.0
    printed = printed_garment(photo, mask, rng)
    assert printed.shape == photo.shape and printed.dtype == np.uint8
    assert np.array_equal(printed[mask == 0], photo[mask == 0])
    assert printed[20:60, 20:40].std() > 10  # the flat grey garment now carries a pattern


def test_banded_garment_recolours_one_band_inside_the_mask_only():
    photo = np.full((80, 60, 3), 128, np.uint8)
    mask = np.zeros((80, 60), np.float32)
    mask[10:70, 10:50] = 1.0
    for seed in range(8):
        banded = banded_garment(photo, mask, np.random.default_rng(seed))
        changed = np.abs(banded.astype(int) - 128).max(axis=2) > 8
        assert banded.shape == photo.shape and not changed[mask == 0].any()
        assert 0.03 < changed[mask > 0].mean() < 0.5  # a band, not the whole garment
        rows, columns = np.nonzero(changed)
        # one band: it spans the garment's width (a waistband, hem or stripe) or its height (a side panel)
        assert np.ptp(columns) >= 30 or np.ptp(rows) >= 50


def test_garment_gap_cuts_a_shaded_gap_out_of_the_garment_only():
    mask = np.zeros((90, 70), np.float32)
    mask[10:80, 10:60] = 1.0
    cut = 0
    for seed in range(8):
        gapped, shade = garment_gap(mask, np.random.default_rng(seed))
        gap = (mask > 0.5) & (gapped < 0.5)
        assert gapped.shape == shade.shape == mask.shape and not (gapped > mask).any()  # only ever removes
        assert 0.65 <= shade.min() and shade.max() == 1.0 and (shade[gap] < 1.0).sum() >= 0.5 * gap.sum()
        cut += gap.any()
    assert cut >= 6
    cutout = Cutout(np.full((60, 40, 3), (200, 30, 30), np.uint8), np.ones((60, 40), np.float32), "Shirt")
    image, truth = composite_view([cutout], [np.full((64, 48, 3), 90, np.uint8)], 64, np.random.default_rng(0),
                                  pair_share=0.0, plain_share=0.0, garment_gap_share=1.0)
    ys, xs = np.nonzero(truth > 0.5)
    inside = np.zeros(truth.shape, bool)
    inside[ys.min() + 2:ys.max() - 1, xs.min() + 2:xs.max() - 1] = True
    seen = inside & (truth < 0.5)
    assert seen.sum() >= 10 and image[seen, 0].mean() < 150  # the background shows through the gap, labelled so


def test_matched_background_takes_a_garment_colour_and_keeps_its_texture():
    # a garment of two colour panels (red top, blue bottom) and a grey textured background
    piece = np.zeros((60, 40, 3), np.float32)
    piece[:30], piece[30:] = (200, 30, 30), (30, 40, 190)
    alpha = np.ones((60, 40), np.float32)
    rng = np.random.default_rng(0)
    background = (120 + 30 * rng.standard_normal((64, 64, 1)) * np.ones(3)).astype(np.float32)
    seen = set()
    for seed in range(12):
        matched = matched_background(background, piece, alpha, np.random.default_rng(seed))
        assert matched.shape == background.shape and matched.dtype == np.float32
        mean = matched.reshape(-1, 3).mean(axis=0)
        red, blue = np.array((200, 30, 30)), np.array((30, 40, 190))
        along = np.clip(np.dot(mean - red, blue - red) / np.dot(blue - red, blue - red), 0, 1)
        # the garment's colour at a point (a panel's, or a blend where the panels meet), not grey any more
        assert np.abs(mean - (red + along * (blue - red))).max() < 30 and np.ptp(mean) > 60
        seen.add("red" if along < 0.5 else "blue")
        luminance = matched.mean(axis=2)
        assert np.corrcoef(luminance.ravel(), background[..., 0].ravel())[0, 1] > 0.9  # its own texture kept
    assert len(seen) == 2  # sometimes one panel's colour, sometimes the other's
    cutout = Cutout(piece.astype(np.uint8), alpha, "Shirt")
    backgrounds = [np.full((64, 48, 3), 90, np.uint8)]
    off = composite_view([cutout], backgrounds, 64, np.random.default_rng(1), plain_share=0.0, matched_share=0.0)
    image, truth = composite_view([cutout], backgrounds, 64, np.random.default_rng(1), plain_share=0.0,
                                  matched_share=1.0)
    assert np.array_equal(truth, off[1])  # same garment, same place, same truth
    outside, before = image[truth < 0.5].astype(float).mean(axis=0), off[0][truth < 0.5].astype(float).mean(axis=0)
    assert np.ptp(before) < 15 and np.ptp(outside) > 60  # the grey background became red or blue


def test_flat_garment_fills_the_silhouette_with_one_colour():
    rng = np.random.default_rng(4)
    photo = rng.integers(0, 256, (80, 60, 3)).astype(np.uint8)  # a busy "garment" and background
    mask = np.zeros((80, 60), np.float32)
    mask[10:70, 10:50] = 1.0
    for seed in range(6):
        flat = flat_garment(photo, mask, np.random.default_rng(seed))
        assert flat.shape == photo.shape and np.array_equal(flat[mask == 0], photo[mask == 0])
        inner = flat[12:68, 12:48].reshape(-1, 3).astype(float)  # inside the outline
        # one colour with a faint shading at most, but for the drawn seams (thin lines, a small share)
        fill = np.median(inner, axis=0)
        near = np.abs(inner - fill).max(axis=1) < 0.5 * photo[mask > 0].astype(float).std()
        assert near.mean() > 0.8
        assert inner[near].std(axis=0).max() < 0.35 * photo[mask > 0].astype(float).std()


def test_hanger_stands_above_the_garment_and_clutter_is_background():
    placement = (30, 40, 40, 50)  # x0, y0, width, height
    for seed in range(8):
        image = np.full((100, 100, 3), 128, np.float32)
        draw_hanger(image, placement, np.random.default_rng(seed))
        changed = np.abs(image - 128).max(axis=2) > 1
        assert changed[:40, 35:65].any()  # the hook shows above the garment's top edge, near its middle
        assert not changed[:40, :35].any() and not changed[:40, 65:].any() and not changed[62:].any()
    high = np.full((100, 100, 3), 128, np.float32)
    draw_hanger(high, (30, 2, 40, 50), np.random.default_rng(0))
    assert (high == 128).all()  # no room above the garment: no hanger
    for seed in range(6):
        under = np.full((100, 100, 3), 128, np.float32)
        draw_underlay(under, [placement], [], np.random.default_rng(seed))
        assert np.abs(under[65, 50] - 128).max() > 1  # drawn under the garment's middle
        # A cloth (no photo textures given) is never flat: folds and grain, so a flat-coloured
        # garment drawing does not look like one.
        cloth = under[45:85, 35:65].mean(axis=2)
        assert cloth.std() / cloth.mean() > 0.06

    # In a composite both are background: the truth is the garment's alone, the same as without them.
    cutout = Cutout(np.full((40, 30, 3), (200, 40, 40), np.uint8), np.ones((40, 30), np.float32), "Shirt")
    views = [composite_view([cutout], [], 64, np.random.default_rng(3), pair_share=0.0, plain_share=1.0,
                            hanger_share=share, underlay_share=share) for share in (0.0, 1.0)]
    (plain, truth), (cluttered, cluttered_truth) = views
    assert np.array_equal(truth, cluttered_truth)
    outside = truth < 0.5
    assert (np.abs(plain.astype(int) - cluttered.astype(int)).max(axis=2)[outside] > 30).mean() > 0.05


def _labelled_dataset(root, count: int = 6) -> tuple[str, str]:
    """Drawn garments as a tiny photo folder and a verdict file judging today's mask of each "right"."""
    images = root / "images"
    images.mkdir(parents=True)
    checked = {}
    for index in range(count):
        name = f"garment-{index}.png"
        Image.fromarray(draw_garment(150, 200, seed=index)).save(images / name)
        mask = garment_mask(work_photo(images / name))
        checked[name] = {"label": "T-Shirt", "mask_sha256": mask_digest(mask), "verdict": "right"}
    labels = root / "checks.json"
    labels.write_text(json.dumps({"mask_version": "test", "checked": checked, "earlier": {}}))
    assert {fold_of(name) for name in checked} - {0}, "some photo must fall outside the held-out fold"
    return str(root), str(labels)


def test_training_smoke_and_resume(tmp_path):
    data, labels = _labelled_dataset(tmp_path / "data")
    config = TrainSegmenterConfig(data=data, labels=labels, out=str(tmp_path / "run"), cache_dir=str(tmp_path / "cache"),
                                  last_block=3, tune_from=3, widths="8,4", side=32, batch_size=2, max_steps=2,
                                  log_every=1, checkpoint_every=2, warmup_steps=1, threads=1)
    run = train(config)
    first = torch.load(run / "checkpoint.pt", weights_only=True)
    assert first["step"] == 2 and (run / "views.png").is_file()
    assert len((run / "metrics.jsonl").read_text().splitlines()) == 2
    assert not any(key.startswith("vgg.blocks.0.") for key in first["model"])  # frozen blocks are not stored
    moments = [value for entry in first["optimizer"]["state"].values() for key, value in entry.items() if key != "step"]
    assert moments and all(value.dtype == torch.bfloat16 for value in moments)  # lean: Adam's moments as bfloat16
    resumed = train(TrainSegmenterConfig(**{**json.loads((run / "config.json").read_text()), "max_steps": 3}), resume=True)
    assert torch.load(resumed / "checkpoint.pt", weights_only=True)["step"] == 3
    model = load_segmenter(resumed / "checkpoint.pt")
    assert model(torch.rand(1, 3, 16, 24)).shape == (1, 1, 16, 24)
    # Fine-tuning starts from that network (no learning here: the weights must arrive unchanged) ...
    start = tmp_path / "start.pt"
    shutil.copy(resumed / "checkpoint.pt", start)
    tuned_config = dataclasses.replace(config, out=str(tmp_path / "tuned"), init_from=str(start), max_steps=1,
                                       lr_encoder=0.0, lr_decoder=0.0, weight_decay=0.0)
    tuned = train(tuned_config)
    tuned_model = load_segmenter(tuned / "checkpoint.pt")
    weights = {key: value for key, value in model.state_dict().items() if key.endswith(".weight")}
    assert all(torch.equal(tuned_model.state_dict()[key], value) for key, value in weights.items())
    start.unlink()  # a resumed fine-tune needs only its own checkpoint (a fresh machine has no start file)
    assert torch.load(train(dataclasses.replace(tuned_config, max_steps=2), resume=True) / "checkpoint.pt",
                      weights_only=True)["step"] == 2
    # ... and refuses a different network.
    with pytest.raises(ValueError, match="different network"):
        train(dataclasses.replace(config, out=str(tmp_path / "other"), init_from=str(resumed / "checkpoint.pt"),
                                  widths="6,4"))


def test_ema_is_the_moving_average_of_the_trained_weights_and_survives_a_resume(tmp_path):
    data, labels = _labelled_dataset(tmp_path / "data")
    config = TrainSegmenterConfig(data=data, labels=labels, out=str(tmp_path / "plain"), cache_dir=str(tmp_path / "cache"),
                                  last_block=3, tune_from=3, widths="8,4", side=32, batch_size=2, max_steps=1,
                                  checkpoint_every=1, warmup_steps=1, threads=1, lr_decoder=1e-2)
    start = train(config) / "checkpoint.pt"
    with pytest.raises(ValueError, match="no ema weights"):
        load_segmenter(start, weights="ema")
    # From that start, with decay 0.5: after one step ema = (w0 + w1) / 2, after the resumed second (ema1 + w2) / 2.
    averaged = dataclasses.replace(config, out=str(tmp_path / "ema"), init_from=str(start), ema_decay=0.5)
    first = torch.load(train(averaged) / "checkpoint.pt", weights_only=True)
    second = torch.load(train(dataclasses.replace(averaged, max_steps=2), resume=True) / "checkpoint.pt",
                        weights_only=True)
    initial = torch.load(start, weights_only=True)["model"]
    moved = [key for key in initial if key.startswith("decoders") and key.endswith(".weight")
             and not torch.equal(initial[key], second["model"][key])]
    assert moved, "the decoder must have learnt something for the average to be tested"
    for key in moved:
        torch.testing.assert_close(first["ema"][key], (initial[key] + first["model"][key]) / 2)
        torch.testing.assert_close(second["ema"][key], (first["ema"][key] + second["model"][key]) / 2)
    ema_model = load_segmenter(Path(averaged.out) / "checkpoint.pt", weights="ema")
    assert torch.equal(ema_model.state_dict()[moved[0]], second["ema"][moved[0]])


def test_minutes_budget_ends_the_schedule_where_the_time_runs_out(tmp_path):
    assert fitted_max_steps(1000, 22, 0.5, 60.0) == 142     # 120 more steps fit a minute at 0.5 s
    assert fitted_max_steps(100, 22, 0.5, 600.0) == 100     # never longer than asked
    assert fitted_max_steps(100, 22, 0.5, -5.0) == 22       # the budget already spent: stop here
    data, labels = _labelled_dataset(tmp_path / "data")
    config = TrainSegmenterConfig(data=data, labels=labels, out=str(tmp_path / "run"), cache_dir=str(tmp_path / "cache"),
                                  last_block=3, tune_from=3, widths="8,4", side=32, batch_size=2, max_steps=400,
                                  log_every=100, checkpoint_every=100, warmup_steps=1, threads=1, minutes=1e-4)
    run = train(config)
    stop = 2 + BUDGET_PROBE_STEPS  # the budget (6 ms) is spent once the steps are timed
    assert torch.load(run / "checkpoint.pt", weights_only=True)["step"] == stop
    assert json.loads((run / "config.json").read_text())["max_steps"] == stop  # a resume keeps the shortened schedule


def test_pack_holds_the_training_set_and_trains_without_the_photos(tmp_path):
    data, labels = _labelled_dataset(tmp_path / "data")
    pack = tmp_path / "pack.npz"
    flags = ["--data", data, "--labels", labels, "--cache-dir", str(tmp_path / "cache"), "--training-set", str(pack)]
    segmenter_pack.main(flags)
    config = TrainSegmenterConfig(data=data, labels=labels, cache_dir=str(tmp_path / "cache"), training_set=str(pack))
    items, cutouts, backgrounds = training_set(dataclasses.replace(config, training_set=""))
    packed_items, packed_cutouts, packed_backgrounds = training_set(config)
    assert [i["name"] for i in packed_items] == [i["name"] for i in items] and len(packed_cutouts) == len(cutouts)
    for item, packed in zip(items, packed_items):
        assert np.abs(packed["photo"].astype(int) - item["photo"]).mean() < 3  # JPEG quality 95
        assert np.abs(packed["mask"] - item["mask"]).max() <= 0.5 / 255 + 1e-6 and packed["label"] == item["label"]
    assert [b.shape for b in packed_backgrounds] == [b.shape for b in backgrounds]
    # The photos are gone: training reads the pack alone, drawing views in a worker process.
    run = train(dataclasses.replace(config, data=str(tmp_path / "missing"), labels=str(tmp_path / "missing.json"),
                                    out=str(tmp_path / "run"), last_block=3, tune_from=3, widths="8,4", side=32,
                                    batch_size=2, max_steps=2, log_every=1, warmup_steps=1, threads=1, workers=1))
    assert torch.load(run / "checkpoint.pt", weights_only=True)["step"] == 2 and (run / "views.png").is_file()


def test_int8_export_parity(tmp_path):
    model = _tiny_segmenter()
    path = tmp_path / "segmenter.onnx"
    error = export_segmenter(model, path, {"provenance": "tiny test model", "side": "32"})
    assert error < 1e-4
    graph = onnx.load(str(path)).graph
    assert any(node.op_type == "DequantizeLinear" for node in graph.node)
    assert all(i.data_type != onnx.TensorProto.FLOAT for i in graph.initializer if len(i.dims) == 4)  # conv weights int8
    metadata = {p.key: p.value for p in onnx.load(str(path)).metadata_props}
    assert metadata["multiple"] == "4" and metadata["side"] == "32"


def test_learned_corrections_remove_paper_and_keep_colours_mask_when_the_network_sees_nothing():
    rng = np.random.default_rng(0)
    photo = np.full((60, 80, 3), 200, np.uint8)
    photo[10:50, 10:30] = (40, 60, 120)   # the garment
    photo[10:50, 30:45] = (250, 250, 245)  # a sheet of paper colour-only GrabCut kept beside it
    photo = np.clip(photo + rng.normal(0, 3, photo.shape), 0, 255).astype(np.uint8)
    grabcut = np.zeros((60, 80), np.uint8)
    grabcut[10:50, 10:45] = 1
    probability = np.zeros((60, 80), np.float32)
    probability[10:50, 10:30] = 0.99
    kept = _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)
    assert kept[12:48, 12:28].all() and not kept[10:50, 32:45].any()  # the paper goes, the garment stays
    assert not (kept & ~grabcut.astype(bool)).any()                       # nothing is added beside it
    nothing = _learned_corrections(photo, grabcut, np.zeros((60, 80), np.float32), DEFAULT_RULES)
    assert np.array_equal(nothing, grabcut)  # the network saw no garment: colour's mask stays


def test_learned_corrections_give_back_a_patch_cut_out_of_the_garment_itself():
    rng = np.random.default_rng(1)
    photo = np.full((60, 80, 3), 200, np.uint8)
    photo[10:50, 10:45] = (40, 60, 120)   # one garment; the network cuts its right part away
    photo[50:58, 10:28] = (230, 60, 40)   # a red card under its hem, also cut
    photo = np.clip(photo + rng.normal(0, 3, photo.shape), 0, 255).astype(np.uint8)
    grabcut = np.zeros((60, 80), np.uint8)
    grabcut[10:50, 10:45] = 1
    grabcut[50:58, 10:28] = 1
    probability = np.zeros((60, 80), np.float32)
    probability[10:50, 10:30] = 0.99
    kept = _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)
    assert kept[12:48, 12:43].all()       # the garment's own colour, no edge along the cut: it returns
    assert not kept[51:58, 10:28].any()   # another colour against a real edge: it stays removed


def test_learned_corrections_add_a_whole_garment_colour_lost_only_where_the_network_is_sure():
    rng = np.random.default_rng(2)
    photo = np.full((100, 80, 3), 200, np.uint8)
    photo[20:60, 8:32] = (40, 60, 120)     # a dark garment colour found
    photo[20:60, 48:72] = (240, 238, 232)  # a white one beside it that colour lost
    photo[86:100, 20:60] = (240, 238, 232)  # something white running out of the frame
    photo = np.clip(photo + rng.normal(0, 3, photo.shape), 0, 255).astype(np.uint8)
    grabcut = np.zeros((100, 80), np.uint8)
    grabcut[20:60, 8:32] = 1
    probability = np.zeros((100, 80), np.float32)
    probability[20:60, 8:32] = probability[20:60, 48:72] = probability[86:100, 20:60] = 0.99
    corrected = _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)
    assert corrected[22:58, 10:30].all() and corrected[22:58, 50:70].all()  # the lost garment comes in
    assert not corrected[88:100, 22:58].any()  # a piece reaching the frame is not a garment lying in the photo
    probability[20:60, 48:72] = 0.9  # likely, not sure: colour's mask stays as it was
    assert not _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)[20:60, 48:72].any()


def test_learned_corrections_add_a_lost_garment_whose_collar_alone_colour_found():
    rng = np.random.default_rng(4)
    photo = np.full((100, 80, 3), 200, np.uint8)
    photo[20:60, 8:32] = (40, 60, 120)      # a dark garment colour found
    photo[20:60, 48:72] = (240, 238, 232)   # a white one beside it...
    photo[20:25, 54:66] = (200, 60, 90)     # ...of which colour found only the pink collar
    photo = np.clip(photo + rng.normal(0, 3, photo.shape), 0, 255).astype(np.uint8)
    grabcut = np.zeros((100, 80), np.uint8)
    grabcut[20:60, 8:32] = grabcut[20:25, 54:66] = 1
    probability = np.zeros((100, 80), np.float32)
    probability[20:60, 8:32] = 0.99
    probability[20:60, 48:72] = 0.95        # likely enough for a whole piece apart from the rest
    corrected = _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)
    assert corrected[22:58, 10:30].all() and corrected[22:58, 50:70].all()  # the whole white garment comes in
    grabcut[20:40, 48:72] = 1  # colour found its upper half: colour's garment, whose edges are not grown
    assert not _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)[45:60, 48:72].any()


def test_learned_corrections_open_a_gap_the_network_sees_through_the_garment():
    rng = np.random.default_rng(3)
    photo = np.full((60, 80, 3), 200, np.uint8)
    photo[10:50, 10:50] = (40, 60, 120)   # a garment...
    photo[15:45, 28:33] = (196, 198, 202)  # ...with the grey sheet seen between a sleeve and its body
    photo = np.clip(photo + rng.normal(0, 3, photo.shape), 0, 255).astype(np.uint8)
    grabcut = np.zeros((60, 80), np.uint8)
    grabcut[10:50, 10:50] = 1             # colour's mask, its holes filled
    probability = np.zeros((60, 80), np.float32)
    probability[10:50, 10:50] = 0.99
    assert _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)[15:45, 28:33].all()  # network: garment
    probability[15:45, 28:33] = 0.1
    opened = _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)
    assert not opened[17:43, 29:32].any() and opened[12:48, 12:26].all() and opened[12:48, 35:48].all()
    photo[15:45, 28:33] = (44, 62, 118)    # the garment's own colour where the network saw none: it stays
    assert _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)[15:45, 28:33].all()
    photo[10:50, 10:50] = (225, 215, 200)  # a pale design with a dark stroke, no colour of the background
    photo[15:45, 28:33] = (20, 20, 25)
    assert _learned_corrections(photo, grabcut, probability, DEFAULT_RULES)[15:45, 28:33].all()


def test_learned_corrections_keep_colours_mask_when_the_network_sees_another_thing():
    rng = np.random.default_rng(4)
    photo = np.full((60, 80, 3), 200, np.uint8)
    photo[15:45, 10:35] = (40, 60, 120)   # the garment colour keeps...
    photo[20:60, 50:70] = (200, 40, 40)   # ...and something else, running out of the frame, the network sees
    photo = np.clip(photo + rng.normal(0, 3, photo.shape), 0, 255).astype(np.uint8)
    grabcut = np.zeros((60, 80), np.uint8)
    grabcut[15:45, 10:35] = 1
    probability = np.zeros((60, 80), np.float32)
    probability[20:60, 50:70] = 0.99
    assert np.array_equal(_learned_corrections(photo, grabcut, probability, DEFAULT_RULES), grabcut)


def _on_paper(seed: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """A drawn shirt with a sheet of white paper under its hem -> (photo, shirt, paper beside the shirt)."""
    photo = draw_garment(192, 256, seed=seed).copy()
    shirt = np.any(photo != photo[0, 0], axis=2)
    photo = np.clip(photo + np.random.default_rng(seed).normal(0, 4, photo.shape), 0, 255).astype(np.uint8)
    paper = np.zeros(shirt.shape, bool)
    paper[204:243, 86:163] = True
    paper &= ~shirt
    photo[paper] = 245
    return photo, shirt, paper


def test_shipped_segmenter_removes_paper_that_colour_keeps():
    segmenter = LearnedSegmenter()  # checkpoints/garment_segmenter.onnx, as the app loads it
    assert segmenter.side == 192 and segmenter.multiple == 8
    for seed in range(4):
        photo, shirt, paper = _on_paper(seed)
        colour_only = garment_mask(photo) > 0.5
        learned = garment_mask(photo, segmenter=segmenter) > 0.5
        assert colour_only[paper].mean() > 0.95          # the failure the network is there for
        assert learned[paper].mean() < 0.05 and learned[shirt].mean() > 0.75
        assert not (learned & ~colour_only).any()


def test_learned_segmenter_runs_any_photo_size(tmp_path):
    path = tmp_path / "segmenter.onnx"
    export_segmenter(_tiny_segmenter(), path, {"provenance": "tiny test model", "side": "40"})
    segmenter = LearnedSegmenter(path)
    for shape in ((37, 53, 3), (120, 90, 3), (5, 300, 3)):
        probability = segmenter.probability(np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8))
        assert probability.shape == shape[:2] and probability.dtype == np.float32
        assert 0.0 <= probability.min() and probability.max() <= 1.0
    assert segmenter.mask_version.startswith("learned-6:") and segmenter.mask_version != mask_version(None)
    mask = garment_mask(draw_garment(), segmenter=segmenter)  # a random network: the app still gets a mask
    assert mask.shape == (260, 200)


def test_pipeline_falls_back_to_grabcut_without_the_segmenter(tmp_path):
    from fashiongen.pipeline import Pipeline

    pipeline = Pipeline.from_checkpoints(tmp_path)  # an empty folder: no model loads
    assert pipeline.segmenter is None and "GrabCut" in pipeline.notices["mask"]
    assert pipeline.status()["mask"].startswith("unavailable") and pipeline.mask_version == mask_version(None)
    mask = pipeline.auto_mask(draw_garment()).mask
    assert np.array_equal(mask > 0.5, garment_mask(draw_garment()) > 0.5)


def test_shipped_pipeline_uses_the_segmenter_and_says_where_it_runs():
    from fashiongen.pipeline import Pipeline

    pipeline = Pipeline.from_checkpoints()
    assert pipeline.segmenter is not None and "mask" not in pipeline.notices
    assert pipeline.segmenter.grower is not None  # the committed U^2-Netp grows the mask
    assert "ExecutionProvider" in pipeline.status()["mask"]
    assert pipeline.mask_version == pipeline.segmenter.mask_version != mask_version(None)
    assert "+grown-2:" in pipeline.mask_version
    photo, _, paper = _on_paper(0)
    assert (pipeline.auto_mask(photo).mask > 0.5)[paper].mean() < 0.05


def test_export_names_the_runs_a_fine_tuned_segmenter_started_from(tmp_path):
    assert training_chain({"init_from": None}) == ""  # trained from ImageNet's VGG16: nothing to name
    first = save_slim_checkpoint(tmp_path / "first.pt", model={}, step=10000,
                                 config={"batch_size": 32, "side": 192, "init_from": None})
    second = save_slim_checkpoint(tmp_path / "second.pt", model={}, step=240,
                                  config={"batch_size": 12, "side": 192, "init_from": str(first)})
    chain = training_chain({"init_from": str(second)})
    assert chain == (f", fine-tuned from {second} (240 steps x 12 views of 192 px), "
                     f"itself from {first} (10000 steps x 32 views of 192 px)")
    assert training_chain({"init_from": str(tmp_path / "gone.pt")}).endswith("(not on this machine)")


def test_learned_mask_verdicts_join_the_labels_where_the_judged_mask_reproduces(tmp_path):
    data, labels = _labelled_dataset(tmp_path / "data")
    images = tmp_path / "data" / "images"
    segmenter = LearnedSegmenter()
    checked = {}
    for index in range(40, 48):  # drawn photos the GrabCut verdicts do not name
        name = f"hard-{index}.png"
        Image.fromarray(draw_garment(150, 200, seed=index)).save(images / name)
        mask = garment_mask(work_photo(images / name), segmenter=segmenter)
        checked[name] = {"label": "Shirt", "grabcut_verdict": "wrong", "verdict": "right", "mask_sha256": mask_digest(mask)}
    names = sorted(checked)
    checked[names[0]]["verdict"] = "wrong"
    # A photo the GrabCut verdicts already label right stays one label.
    twice = next(name for name in json.loads(Path(labels).read_text())["checked"] if fold_of(name) != 0)
    checked[twice] = {"label": "T-Shirt", "grabcut_verdict": "right", "verdict": "right",
                      "mask_sha256": mask_digest(garment_mask(work_photo(images / twice), segmenter=segmenter))}
    checked[names[1]]["mask_sha256"] = "0" * 16  # judged on a mask that no longer reproduces
    learned = tmp_path / "learned.json"
    learned.write_text(json.dumps({"mask_version": segmenter.mask_version, "checked": checked}))
    config = TrainSegmenterConfig(data=data, labels=labels, cache_dir=str(tmp_path / "cache"))
    base, _, _ = training_set(config)
    items, cutouts, _ = training_set(dataclasses.replace(config, learned_labels=str(learned)))
    added = [item["name"] for item in items[len(base):]]
    expected = [name for name in names[2:] if fold_of(name) != config.holdout_fold]
    assert expected and added == expected and len(cutouts) == len(items)
    assert [item["name"] for item in items[:len(base)]] == [item["name"] for item in base]
    assert [item["name"] for item in items].count(twice) == 1
    # A verdict file judged with another segmenter is refused rather than trained on other masks.
    learned.write_text(json.dumps({"mask_version": "learned-0:other", "checked": checked}))
    with pytest.raises(ValueError, match="learned-labels-segmenter"):
        training_set(dataclasses.replace(config, learned_labels=str(learned), cache_dir=str(tmp_path / "cache2")))


def test_a_run_can_start_from_the_shipped_onnx_batch_norms_unfolded(tmp_path):
    """The exporter folds each decoder batch norm into its convolution; the rebuilt network must
    compute what the file computes (eval) and, on the views it was calibrated on, the same in training."""
    from fashiongen.training.segmenter_from_onnx import load_onnx_weights, parity_error

    original = _tiny_segmenter()
    generator = torch.Generator().manual_seed(3)
    with torch.no_grad():  # batch norms far from identity, so an unfolding that ignores them fails
        for module in original.modules():
            if isinstance(module, torch.nn.BatchNorm2d):
                count = module.num_features
                module.running_mean.copy_(torch.randn(count, generator=generator))
                module.running_var.copy_(torch.rand(count, generator=generator) * 3 + 0.2)
                module.weight.copy_(torch.randn(count, generator=generator))
                module.bias.copy_(torch.randn(count, generator=generator))
    path = tmp_path / "segmenter.onnx"
    export_segmenter(original, path, {"provenance": "tiny test model", "side": "32"})

    rebuilt = _tiny_segmenter()
    with torch.no_grad():  # different trained weights, so only the file can make them agree
        for parameter in rebuilt.decoders.parameters():
            parameter.normal_(generator=generator)
    views = torch.from_numpy(np.random.default_rng(0).integers(0, 256, (4, 32, 24, 3), dtype=np.uint8))
    load_onnx_weights(rebuilt, path, [views, views])
    assert parity_error(rebuilt, path) < 1e-4
    assert torch.equal(rebuilt.vgg.blocks[0][0].weight, _tiny_segmenter().vgg.blocks[0][0].weight)  # frozen: float ImageNet
    images = views.permute(0, 3, 1, 2).float() / 255
    with torch.no_grad():
        served = rebuilt.eval()(images)
        trained = rebuilt.train()(images)  # batch statistics = the calibration's
    assert torch.allclose(served, trained, atol=1e-3)
    wrong = _tiny_segmenter()
    wrong.decoders.pop(list(wrong.decoders)[-1])  # one decoder level fewer than the file
    with pytest.raises(ValueError, match="convolutions"):
        load_onnx_weights(wrong, path, [views])
