"""U^2-Netp as a garment segmenter: its shape, its weights read from a folded ONNX export, training and export."""

from __future__ import annotations

import dataclasses
import hashlib
import json

import numpy as np
import onnx
import pytest
import torch

from export.segmenter import export_segmenter
from fashiongen.garment_mask import LearnedSegmenter
from fashiongen.training import train_segmenter
from fashiongen.training.train_segmenter import (
    PRESETS,
    TrainSegmenterConfig,
    load_segmenter,
    segmentation_loss,
    train,
    veto_weights,
)
from fashiongen.training.u2netp import U2NETP_WHEEL, U2NetP, load_u2netp
from tests.test_segmenter import _labelled_dataset


def _random_u2netp(seed: int = 0) -> U2NetP:
    torch.manual_seed(seed)
    return U2NetP().eval()


def _folded_export(model: U2NetP, path) -> None:
    """Write ``model`` as rembg's file is laid out: input "input.1" normalised outside, seven sigmoid
    outputs, the stages' convolution weights under generated names, only side*/outconv named."""

    class Outputs(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.model = model

        def forward(self, x):  # x is already ImageNet-normalised, as rembg feeds it
            fused, sides = self.model.forward_with_sides(x * self.model.std + self.model.mean)
            return tuple(torch.sigmoid(t) for t in [fused] + sides)

    with torch.no_grad():
        torch.onnx.export(Outputs().eval(), (torch.rand(1, 3, 64, 64),), str(path), input_names=["input.1"],
                          opset_version=17, dynamo=False)
    proto = onnx.load(str(path))
    renames = {}
    for index, item in enumerate(proto.graph.initializer):
        name = item.name
        if name.startswith("model.sides."):
            renames[name] = f"side{int(name.split('.')[2]) + 1}.{name.split('.')[-1]}"
        elif name.startswith("model.fuse."):
            renames[name] = f"outconv.{name.split('.')[-1]}"
        else:
            renames[name] = str(2000 + index)
        item.name = renames[name]
    for node in proto.graph.node:
        node.input[:] = [renames.get(name, name) for name in node.input]
    onnx.save(proto, str(path))


def test_u2netp_keeps_the_input_size_and_splits_its_parameters():
    model = _random_u2netp()
    fused, sides = model.forward_with_sides(torch.rand(2, 3, 37, 50))  # not a multiple of 32: poolings round up
    assert fused.shape == (2, 1, 37, 50) and len(sides) == 6 and all(s.shape == fused.shape for s in sides)
    encoder, decoder = model.trainable_parameters()
    assert len({id(p) for p in encoder} | {id(p) for p in decoder}) == len(list(model.parameters()))
    assert not {id(p) for p in encoder} & {id(p) for p in decoder}
    truth = torch.zeros(2, 1, 37, 50)
    logits, loss = model.training_loss(torch.rand(2, 3, 37, 50), truth, lambda z, t: z.mean() * 0)
    side_bce = sum(torch.nn.functional.binary_cross_entropy_with_logits(s, truth) for s in
                   model.forward_with_sides(torch.rand(2, 3, 37, 50))[1])
    assert logits.shape == truth.shape and loss > 0 and side_bce > 0


def test_u2netp_weights_load_by_the_order_the_graph_runs_its_convolutions(tmp_path):
    original = _random_u2netp(1)
    path = tmp_path / "u2netp.onnx"
    _folded_export(original, path)
    loaded, source = load_u2netp(path, sha256=None)
    for (key, value), (other_key, other) in zip(original.state_dict().items(), loaded.state_dict().items()):
        assert key == other_key and torch.equal(value, other), key
    assert "u2netp.onnx" in source
    # The file's digest is checked by default: another file is refused, a missing one names the wheel.
    with pytest.raises(ValueError, match="not the U\\^2-Netp file"):
        load_u2netp(path)
    with pytest.raises(FileNotFoundError, match=U2NETP_WHEEL):
        load_u2netp(tmp_path / "missing.onnx")
    digest = hashlib.sha256(path.read_bytes()).hexdigest()  # the file's own digest is accepted and named
    assert digest[:12] in load_u2netp(path, sha256=digest)[1]


def test_u2netp_trains_resumes_and_exports_for_the_app(tmp_path, monkeypatch):
    monkeypatch.setattr(train_segmenter, "load_u2netp", lambda: (_random_u2netp(2), "random test weights"))
    data, labels = _labelled_dataset(tmp_path / "data")
    preset = {key: value for key, value in PRESETS["u2netp-gaps"].items() if key != "extra_backgrounds"}
    config = TrainSegmenterConfig(**{**preset, "data": data, "labels": labels, "out": str(tmp_path / "run"),
                                     "cache_dir": str(tmp_path / "cache"), "side": 32, "batch_size": 2,
                                     "max_steps": 2, "log_every": 1, "warmup_steps": 1, "threads": 1})
    run = train(config)
    state = torch.load(run / "checkpoint.pt", weights_only=True)
    assert state["step"] == 2 and set(state["model"]) == set(U2NetP().state_dict())  # every weight is trained
    assert torch.load(train(dataclasses.replace(config, max_steps=3), resume=True) / "checkpoint.pt",
                      weights_only=True)["step"] == 3
    model = load_segmenter(run / "checkpoint.pt")
    assert isinstance(model, U2NetP)
    with pytest.raises(ValueError, match="same --network"):
        train(TrainSegmenterConfig(data=data, labels=labels, out=str(tmp_path / "vgg"), cache_dir=str(tmp_path / "cache"),
                                   last_block=3, tune_from=3, widths="8,4", side=32, batch_size=2, max_steps=1,
                                   threads=1, init_from=str(run / "checkpoint.pt")))
    path = tmp_path / "segmenter.onnx"
    assert export_segmenter(model, path, {"provenance": "random U^2-Netp", "side": "64"}, int8=False) < 1e-4
    segmenter = LearnedSegmenter(path)
    assert segmenter.multiple == 32
    for shape in ((37, 53, 3), (5, 300, 3)):
        probability = segmenter.probability(np.random.default_rng(0).integers(0, 255, shape, dtype=np.uint8))
        assert probability.shape == shape[:2] and 0.0 <= probability.min() and probability.max() <= 1.0
    # the veto weighting asks the first network (here the exported file) about every view it trains on
    vetoed = train(dataclasses.replace(config, out=str(tmp_path / "veto"), veto_weight=4.0, veto_segmenter=str(path)))
    logged = [json.loads(line) for line in (vetoed / "metrics.jsonl").read_text().splitlines()]
    assert [entry["step"] for entry in logged] == [1, 2] and all(np.isfinite(entry["loss"]) for entry in logged)


def test_veto_weights_lift_only_the_first_networks_false_garment():
    truth = torch.tensor([1.0, 1.0, 0.0, 0.0]).reshape(1, 1, 2, 2)
    first = torch.tensor([0.9, 0.1, 0.9, 0.1]).reshape(1, 1, 2, 2)  # right, lost garment, false garment, right
    weight = veto_weights(first, truth, 4.0)
    assert weight.mean().item() == pytest.approx(1.0)
    raw = torch.tensor([1.0, 1.0, 1 + 4 * 0.9, 1 + 4 * 0.1])
    assert torch.allclose(weight.flatten(), raw / raw.mean())  # lost garment weighs as a right pixel
    logits = torch.tensor([2.0, -2.0, 2.0, -2.0]).reshape(1, 1, 2, 2)
    assert segmentation_loss(logits, truth, weight) > segmentation_loss(logits, truth)  # the false garment costs more
    assert segmentation_loss(logits, truth, torch.ones_like(truth)) == pytest.approx(segmentation_loss(logits, truth).item())


def test_grown_back_gives_back_a_part_only_where_both_networks_are_sure():
    from fashiongen.garment_mask import _grown_back

    mask = np.zeros((120, 100), np.uint8)
    mask[30:90, 30:70] = 1          # the body colour kept
    mask[55:60, 45:55] = 0          # a gap opened through it (background seen through the garment)
    first = np.zeros((120, 100), np.float32)
    second = np.zeros((120, 100), np.float32)
    first[30:90, 30:70] = second[30:90, 30:70] = 0.99
    first[40:60, 70:85] = second[40:60, 70:85] = 0.95   # a sleeve colour lost: both sure -> back
    first[40:60, 15:30] = 0.95                          # a sheet only the first network is sure of
    second[40:60, 15:30] = 0.3
    first[95:110, 40:60] = second[95:110, 40:60] = 0.95  # both sure, but apart from the garment
    first[30:50, 0:12] = second[30:50, 0:12] = 0.95      # both sure, in the border band, apart from the garment
    first[64:80, 70:100] = second[64:80, 70:100] = 0.95  # a cuff lost where the frame cuts it: back
    first[90:98, 68:94] = second[90:98, 68:94] = 0.95    # a strip touching the garment at its tip only
    grown = _grown_back(mask, first, second)
    assert grown[42:58, 72:83].all()                     # the sleeve is back
    assert grown[66:78, 72:100].all()                    # and the cuff that runs out of the frame
    assert not grown[40:60, 15:29].any()                 # one network alone does not add the sheet
    assert not grown[95:110, 40:60].any() and not grown[30:50, 0:12].any()
    assert not grown[55:60, 45:55].any()                 # holes are not filled: the gap stays open
    assert not grown[91:98, 72:94].any()                 # too little of its outline meets the garment
    assert np.array_equal(_grown_back(mask, first, np.zeros_like(second)), mask)


def test_sure_background_cut_takes_a_strip_only_where_both_networks_call_it_background():
    from fashiongen.garment_mask import DEFAULT_RULES, _sure_background_cut

    mask = np.zeros((120, 100), np.uint8)
    mask[20:100, 20:45] = mask[20:100, 55:80] = 1   # two trouser legs (or a pair of shoes)
    mask[60:100, 45:55] = 1                         # the floor between them, joined to both by GrabCut
    mask[30:50, 0:20] = 1                           # a cuff the frame cuts
    first = np.zeros((120, 100), np.float32)
    second = np.zeros((120, 100), np.float32)
    first[mask == 1] = second[mask == 1] = 0.95
    first[60:100, 45:55] = 0.3                      # the floor: doubtful to the first network,
    first[70:90, 46:54] = second[60:100, 45:55] = 0.05  # sure background at its middle to both
    first[30:50, 0:20] = second[30:50, 0:20] = 0.05     # both wrong about the cuff, at the frame
    first[20:40, 25:40] = 0.05                      # one network alone calls a panel background
    cut = _sure_background_cut(mask, first, second, DEFAULT_RULES)
    assert not cut[60:100, 45:55].any()             # the whole strip goes, not only its sure middle
    assert cut[20:100, 20:45].all() and cut[20:100, 55:80].all()  # the legs stay, the panel too
    assert cut[30:50, 0:20].all()                   # a core in the border band stays
    first[70:90, 46:54] = 0.3                       # no sure core: nothing goes
    assert np.array_equal(_sure_background_cut(mask, first, second, DEFAULT_RULES), mask)


def test_colour_stands_when_only_the_first_network_took_it_away():
    from fashiongen.garment_mask import DEFAULT_RULES, _colour_kept_when_outvoted
    colour = np.zeros((100, 100), np.uint8)
    colour[20:80, 25:75] = 1                       # a skirt colour found whole
    collapsed = np.zeros_like(colour)
    collapsed[40:45, 40:45] = 1                     # the corrected mask kept a speck of it
    second = colour.astype(np.float32) * 0.9        # the second network sees the skirt too
    assert np.array_equal(_colour_kept_when_outvoted(colour, collapsed, second, DEFAULT_RULES), colour)
    blanket = np.zeros_like(second)
    blanket[40:70, 40:60] = 0.9                     # it sees a smaller garment: colour's mask was the blanket
    assert np.array_equal(_colour_kept_when_outvoted(colour, collapsed, blanket, DEFAULT_RULES), collapsed)
    most = colour.copy()
    most[20:40] = 0                                 # two thirds kept: the corrections stand
    assert np.array_equal(_colour_kept_when_outvoted(colour, most, second, DEFAULT_RULES), most)


def test_the_app_mask_grows_with_a_second_network_and_says_so_in_its_version(tmp_path):
    from fashiongen.devtools import draw_garment
    from fashiongen.garment_mask import garment_mask, mask_version
    from fashiongen.pipeline import GROWER_MODEL, SEGMENTER_MODEL, Pipeline
    from tests.test_segmenter import _tiny_segmenter

    export_segmenter(_tiny_segmenter(), tmp_path / SEGMENTER_MODEL, {"provenance": "tiny", "side": "64"})
    export_segmenter(_random_u2netp(3), tmp_path / GROWER_MODEL, {"provenance": "random", "side": "64"}, int8=False)
    alone = Pipeline.from_checkpoints(tmp_path)
    assert alone.segmenter.grower is not None and "mask" not in alone.notices
    plain = LearnedSegmenter(tmp_path / SEGMENTER_MODEL)
    assert alone.mask_version.startswith(plain.mask_version + "+grown-2:") and mask_version(plain) == plain.mask_version
    assert "+cut-1:" in alone.mask_version and "+kept-1:" in alone.mask_version
    assert garment_mask(draw_garment(), segmenter=alone.segmenter).shape == (260, 200)
    # Without the grower's file the learned mask still runs, and the status says what is missing.
    (tmp_path / GROWER_MODEL).unlink()
    degraded = Pipeline.from_checkpoints(tmp_path)
    assert degraded.segmenter is not None and degraded.segmenter.grower is None
    assert degraded.mask_version == plain.mask_version
    assert "ExecutionProvider" in degraded.status()["mask"] and "parts colour lost" in degraded.status()["mask"]


def test_the_committed_grower_matches_its_pytorch_checkpoint():
    from pathlib import Path

    checkpoints = Path(__file__).resolve().parent.parent / "checkpoints"
    model = load_segmenter(checkpoints / "garment_grower.pt")
    assert isinstance(model, U2NetP)
    grower = LearnedSegmenter(checkpoints / "garment_grower.onnx")
    image = np.random.default_rng(0).random((1, 3, 192, 128), dtype=np.float32)
    with torch.no_grad():
        expected = torch.sigmoid(model(torch.from_numpy(image))).numpy()
    got = grower.model.run(image=image)["garment"]
    assert np.abs(got - expected).max() < 1e-4 and grower.multiple == 32 and grower.side == 192


def test_the_apps_skirt_example_keeps_its_mask_uploaded_at_another_size():
    # The first network does not see this flat design and, at 300 px, took 99 % of colour's mask away.
    from pathlib import Path

    import cv2
    from PIL import Image

    from fashiongen.garment_mask import automatic_mask, shipped_segmenter

    root = Path(__file__).resolve().parent.parent
    skirt = np.asarray(Image.open(root / "examples" / "garment-3-skirt-seed3.png").convert("RGB"))
    segmenter = shipped_segmenter()
    for side in (256, 300):
        upload = cv2.resize(skirt, (side, side), interpolation=cv2.INTER_CUBIC)
        assert automatic_mask(upload, segmenter=segmenter).mask.mean() > 0.6
