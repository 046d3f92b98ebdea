"""A training checkpoint rebuilt from a shipped segmenter ONNX, so a run can start from the shipped network.

    python -m fashiongen.training.segmenter_from_onnx --onnx checkpoints/garment_segmenter.onnx \
        --training-set runs/segmenter-pack.npz --out runs/segmenter-shipped/checkpoint.pt
    python -m fashiongen.training.train_segmenter --preset small-gaps --init-from runs/segmenter-shipped/checkpoint.pt ...

Why: a segmenter's training checkpoint holds its fine-tuned VGG16 block (about 80 MB with the
optimiser), too large to commit, so a fresh machine has only the shipped ONNX. That file holds every
weight the app computes with: convolutions as int8 with a per-channel scale, and the decoder's
batch norms folded into the convolution before them by the exporter (weight W' = W * g / s, bias b').

The fold cannot be undone exactly: only W' and b' are known, not the batch norm's scale g, statistics
and shift. Batch norm in training normalises by the batch's own statistics, so putting W' in the
convolution and an identity batch norm beside it would give a different network as soon as training
starts. Instead each convolution gets W = c W', with c per output channel giving it the spread of a
trained decoder's weights (W' can be 25 times smaller, and Adam's steps do not scale with a weight), and
its batch norm is calibrated on training views: with m and s the mean and standard deviation of W' x
over those views (per channel), it gets running mean c m, running variance (c s)^2 - eps, scale s and
shift m + b'. In eval mode that is exactly W' x + b' (the shipped network); in training mode, where a
batch's statistics are close to c m and c s, it is close to it too.

The frozen VGG16 blocks are not taken from the file (the trainer rebuilds them from the float ImageNet
weights, as it did for the shipped network); :func:`parity_error` compares the rebuilt network, its
weights rounded to the file's int8 grid, with onnxruntime.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import numpy_helper

from fashiongen.training.runs import _known_fields, save_slim_checkpoint
from fashiongen.training.segmenter_networks import GarmentSegmenter, build_segmenter

# Standard deviation given to each output channel of a convolution whose batch norm was folded. The
# folded weight W' = W g / s says nothing of W's scale; W' itself can be 25 times smaller than a fresh
# convolution, and PyTorch's initial spread is about 0.01, both of which let Adam's steps (about the
# learning rate per weight) rewrite the network in a few hundred steps (measured: held-out loss 0.10 ->
# 0.44 in 250 steps at lr 5e-4). A decoder trained 10,000 steps at lr 1e-3 (the shipped one's first
# run) has wandered about lr * sqrt(steps) = 0.1 from its start, so its weights have about this spread.
DECODER_WEIGHT_SPREAD = 0.1


def onnx_convolutions(path: str | Path) -> list[tuple[np.ndarray, np.ndarray | None]]:
    """(weight (C_out, C_in, k, k) float32, bias (C_out,) float32 or None) of every Conv node of the
    file in graph order, int8 weights dequantized (weight_int8 * weight_scale per output channel)."""
    model = onnx.load(str(path))
    stored = {item.name: numpy_helper.to_array(item) for item in model.graph.initializer}
    dequantized = {}
    for node in model.graph.node:
        if node.op_type == "DequantizeLinear":
            quantized, scale = stored[node.input[0]], stored[node.input[1]]
            dequantized[node.output[0]] = quantized.astype(np.float32) * scale.reshape(-1, 1, 1, 1)
    convolutions = []
    for node in model.graph.node:
        if node.op_type != "Conv":
            continue
        weight = dequantized.get(node.input[1], stored.get(node.input[1]))
        bias = stored[node.input[2]] if len(node.input) > 2 else None
        convolutions.append((weight.astype(np.float32), None if bias is None else bias.astype(np.float32)))
    return convolutions


def _conv_modules(model: GarmentSegmenter) -> list[tuple[torch.nn.Conv2d, torch.nn.BatchNorm2d | None]]:
    """The network's convolutions in forward order, each with the batch norm that follows it (or None)."""
    pairs = []
    for block in model.vgg.blocks[:model.config.last_block]:
        pairs += [(layer, None) for layer in block if isinstance(layer, torch.nn.Conv2d)]
    sequences = [model.top] + [layer for decoder in model.decoders.values() for layer in decoder]
    pairs += [(sequence[0], sequence[1]) for sequence in sequences]
    return pairs + [(model.out, None)]


def load_onnx_weights(model: GarmentSegmenter, path: str | Path, calibration_batches,
                      spread: float = DECODER_WEIGHT_SPREAD) -> GarmentSegmenter:
    """Put the trained weights of the ONNX file at ``path`` into ``model`` (built with the file's
    architecture; its frozen VGG16 blocks are left as they are) and calibrate its batch norms on
    ``calibration_batches``, an iterable of (B, S, S, 3) uint8 RGB view tensors. Returns it in eval mode."""
    convolutions = onnx_convolutions(path)
    pairs = _conv_modules(model)
    if len(convolutions) != len(pairs):
        raise ValueError(f"{path} has {len(convolutions)} convolutions, a segmenter with last_block "
                         f"{model.config.last_block} and widths {model.config.widths} has {len(pairs)}")
    frozen_blocks = model.vgg.blocks[:model.config.tune_from - 1]
    # index of the first trained convolution: the ones before it are frozen ImageNet weights
    trained_from = sum(isinstance(layer, torch.nn.Conv2d) for block in frozen_blocks for layer in block)
    folded = []  # (conv, batch norm, c) to calibrate
    with torch.no_grad():
        for index, ((weight, bias), (conv, norm)) in enumerate(zip(convolutions, pairs)):
            if tuple(weight.shape) != tuple(conv.weight.shape):
                raise ValueError(f"convolution {index} of {path} is {weight.shape}, the network's is "
                                 f"{tuple(conv.weight.shape)}")
            if index < trained_from:
                continue  # frozen ImageNet weights: the float originals, as the trainer always uses
            if norm is None:
                conv.weight.copy_(torch.from_numpy(weight))
                conv.bias.copy_(torch.from_numpy(bias))
                continue
            # The batch norm after it makes each output channel's scale free, and the scale sets how far
            # Adam moves the network per step (by about the learning rate per weight, whatever its size):
            # so each channel is given the spread a trained decoder weight has (``spread``), and the norm
            # undoes it.
            weight = torch.from_numpy(weight)
            scale = spread / weight.reshape(len(weight), -1).std(1).clamp(min=1e-12)   # c, per output channel
            conv.weight.copy_(weight * scale.reshape(-1, 1, 1, 1))
            # Until calibrated: divide by c and add b', so the eval output is the file's meanwhile.
            norm.running_mean.zero_()
            norm.running_var.copy_(scale * scale - norm.eps)
            norm.weight.fill_(1.0)
            norm.bias.copy_(torch.from_numpy(bias))
            folded.append((conv, norm, scale))
    _calibrate(model.eval(), folded, calibration_batches)
    return model


def _calibrate(model: GarmentSegmenter, folded: list, calibration_batches) -> None:
    """Set each (conv, batch norm) of ``folded`` from the per-channel statistics of the convolution's
    output over the views (eval mode: the output of every layer stays the file's throughout)."""
    sums = {id(conv): [0.0, 0.0, 0] for conv, _, _ in folded}

    def record(conv, _inputs, output):
        values = output.detach().double().transpose(0, 1).reshape(output.shape[1], -1)
        total = sums[id(conv)]
        total[0] = total[0] + values.sum(1)
        total[1] = total[1] + (values * values).sum(1)
        total[2] += values.shape[1]

    hooks = [conv.register_forward_hook(record) for conv, _, _ in folded]
    try:
        with torch.no_grad():
            for views in calibration_batches:
                model(views.permute(0, 3, 1, 2).float() / 255)
    finally:
        for hook in hooks:
            hook.remove()
    with torch.no_grad():
        for conv, norm, scale in folded:
            total, squares, count = sums[id(conv)]
            if count == 0:
                raise ValueError("no calibration views")
            mean = total / count
            std = (squares / count - mean * mean).clamp(min=float(norm.eps)).sqrt()
            norm.running_mean.copy_(mean.float())
            norm.running_var.copy_((std * std - norm.eps).float())
            norm.weight.copy_((std / scale).float())   # (c W' x - c m) / (c s) * s + m + b' = W' x + b'
            norm.bias.add_((mean / scale).float())


def parity_error(model: GarmentSegmenter, path: str | Path) -> float:
    """Largest |onnxruntime - torch| garment probability on the export's parity inputs, with a copy of
    ``model`` rounded to the int8 grid the file stores (every convolution, frozen blocks included)."""
    import copy

    from export.onnx_export import parity
    from export.segmenter import GarmentSegmenterExport, parity_inputs, round_conv_weights_to_int8

    rounded = copy.deepcopy(model).eval()
    round_conv_weights_to_int8(rounded)
    wrapper = GarmentSegmenterExport(rounded).eval()
    return max(parity(wrapper, path, inputs) for inputs in parity_inputs(model.config.multiple))


def main(argv: list[str] | None = None) -> int:
    from fashiongen.training.train_segmenter import TrainSegmenterConfig, _draw_batch, _trained_state, training_set

    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--onnx", default="checkpoints/garment_segmenter.onnx")
    parser.add_argument("--training-set", default="", help="a segmenter pack to draw calibration views from "
                        "(default: built from the photos, as the file's training config says)")
    parser.add_argument("--batches", type=int, default=16, help="calibration batches of the file's batch size")
    parser.add_argument("--out", default="runs/segmenter-shipped/checkpoint.pt")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--spread", type=float, default=DECODER_WEIGHT_SPREAD,
                        help="standard deviation given to the decoder's convolutions (their batch norms undo it)")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    metadata = {prop.key: prop.value for prop in onnx.load(args.onnx, load_external_data=False).metadata_props}
    if "config" not in metadata:
        raise SystemExit(f"{args.onnx} records no training config: not a segmenter exported by export.segmenter")
    config = TrainSegmenterConfig(**_known_fields(TrainSegmenterConfig, json.loads(metadata["config"])))
    if args.training_set:
        config = dataclasses.replace(config, training_set=args.training_set)
    items, cutouts, backgrounds = training_set(config)
    rng = np.random.default_rng(0)
    batches = (torch.from_numpy(_draw_batch(items, cutouts, backgrounds, config, rng)[0]) for _ in range(args.batches))
    model = load_onnx_weights(build_segmenter(config.segmenter_config())[0], args.onnx, batches, args.spread)
    error = parity_error(model, args.onnx)
    if error > 1e-4:
        print(f"rebuilt network differs from {args.onnx} by {error:.2e}: not written", file=sys.stderr)
        return 1
    # The trainer's checkpoint format without an optimiser: a run started from it with --init-from makes its own.
    source = f"rebuilt from {args.onnx} (int8 weights, batch norms calibrated on {args.batches} x {config.batch_size} views)"
    Path(args.out).parent.mkdir(parents=True, exist_ok=True)
    path = save_slim_checkpoint(args.out, model={key: value.cpu() for key, value in _trained_state(model).items()},
                                config=dataclasses.asdict(config), step=int(metadata.get("step", 0)),
                                extra={"weights_source": source})
    print(f"wrote {path}: max |onnxruntime - torch| = {error:.2e}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
