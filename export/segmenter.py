"""Export the learned garment segmenter to ONNX and check parity.

    python -m export.segmenter --checkpoint runs/segmenter-busy/checkpoint.pt --out checkpoints/garment_segmenter.onnx

The app loads it from ``checkpoints/garment_segmenter.onnx`` (see docs/garment-mask.md for how it
was trained and measured) and falls back to colour-only GrabCut without it.

Convolution weights are stored as int8 with one float32 scale per output channel (a
DequantizeLinear in front of each convolution; inference still computes in float32), so the
4-block model fits in under 10 MB, the largest file Hugging Face Spaces takes without Git LFS.
Parity against the same network in PyTorch, with its weights rounded to the same int8 grid, is
checked at two sizes; the export fails above 1e-4. ``--float32`` keeps float32 weights.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from export.onnx_export import check_parity, export_onnx, store_initializers
from fashiongen.training.runs import load_checkpoint
from fashiongen.training.train_segmenter import segmenter_from_checkpoint

TOLERANCE = 1e-4
SERVING_SIDE = 192  # default long side the app runs the net at: within 160 px training views' scales (crops of 144-256 px)


class GarmentSegmenterExport(torch.nn.Module):
    """image (1, 3, H, W) RGB in [0, 1], H and W multiples of ``multiple`` -> garment (1, 1, H, W) in [0, 1]."""

    def __init__(self, model: torch.nn.Module):
        super().__init__()
        self.model = model

    def forward(self, image: torch.Tensor) -> torch.Tensor:
        return torch.sigmoid(self.model(image))


def _int8_per_channel(weight: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(C_out, ...) float32 -> (int8 weights, (C_out,) float32 scales), symmetric per output channel."""
    peak = np.abs(weight.reshape(weight.shape[0], -1)).max(axis=1)
    scale = np.where(peak > 0, peak / 127.0, 1.0).astype(np.float32)
    shape = (-1,) + (1,) * (weight.ndim - 1)
    return np.clip(np.round(weight / scale.reshape(shape)), -127, 127).astype(np.int8), scale


def round_conv_weights_to_int8(model: torch.nn.Module) -> None:
    """Round every convolution weight to its int8 grid (kept as float32), so PyTorch computes with
    exactly the weights the int8 file stores."""
    with torch.no_grad():
        for module in model.modules():
            if isinstance(module, torch.nn.Conv2d):
                quantized, scale = _int8_per_channel(module.weight.numpy())
                module.weight.copy_(torch.from_numpy(quantized.astype(np.float32) * scale.reshape(-1, 1, 1, 1)))


def _as_int8(initializer: onnx.TensorProto) -> tuple[list, onnx.NodeProto] | None:
    """A 4-D float32 weight (a convolution's) stored as int8 + per-channel scale + DequantizeLinear."""
    if initializer.data_type != onnx.TensorProto.FLOAT or len(initializer.dims) != 4:
        return None
    quantized, scale = _int8_per_channel(numpy_helper.to_array(initializer))
    names = [initializer.name + suffix for suffix in ("_int8", "_scale", "_zero")]
    stored = [numpy_helper.from_array(quantized, names[0]), numpy_helper.from_array(scale, names[1]),
              numpy_helper.from_array(np.zeros(len(scale), np.int8), names[2])]
    return stored, helper.make_node("DequantizeLinear", names, [initializer.name], axis=0)


def export_segmenter(model: torch.nn.Module, path: str | Path, metadata: dict, int8: bool = True) -> float:
    """Export and return the worst parity error over two sizes; raises AssertionError above ``TOLERANCE``."""
    if int8:
        round_conv_weights_to_int8(model)
    wrapper = GarmentSegmenterExport(model.eval()).eval()
    multiple = model.multiple
    export_onnx(wrapper, (torch.rand(1, 3, 4 * multiple, 3 * multiple),), path, ["image"], ["garment"],
                {"image": {2: "H", 3: "W"}, "garment": {2: "H", 3: "W"}}, {**metadata, "multiple": str(multiple)})
    if int8:
        store_initializers(Path(path), _as_int8)
    return check_parity(wrapper, path, parity_inputs(multiple), TOLERANCE)


def parity_inputs(multiple: int) -> list[dict[str, np.ndarray]]:
    """Random (1, 3, H, W) images in [0, 1], H and W multiples of ``multiple``: portrait and landscape,
    which prove the exported axes are dynamic."""
    rng = np.random.default_rng(0)
    return [{"image": rng.random((1, 3, height * multiple, width * multiple), dtype=np.float32)}
            for height, width in ((12, 9), (7, 11))]


def training_chain(config: dict, depth: int = 5, lead: str = "fine-tuned from") -> str:
    """", fine-tuned from A (S steps x B views of P px), itself from ...": the runs a fine-tuned
    segmenter started from (``--init-from``), read from their checkpoints where they are still on
    this machine, so the exported file says what it was trained on; "" for a run from ImageNet."""
    parent = config.get("init_from")
    if not parent or depth == 0:
        return ""
    if not Path(parent).is_file():
        return f", {lead} {parent} (not on this machine)"
    state = load_checkpoint(parent)
    earlier = state["config"]
    return (f", {lead} {parent} ({state['step']} steps x {earlier['batch_size']} views of "
            f"{earlier['side']} px){training_chain(earlier, depth - 1, 'itself from')}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default="runs/segmenter-busy/checkpoint.pt", help="training checkpoint")
    parser.add_argument("--out", default="checkpoints/garment_segmenter.onnx")
    parser.add_argument("--float32", action="store_true", help="store float32 weights (four times the size)")
    parser.add_argument("--ema", action="store_true", help="export the moving average of the weights (--ema-decay runs)")
    parser.add_argument("--side", type=int, default=SERVING_SIDE,
                        help="long side the app runs the net at (stored in the file; pick it with benchmarks/segmenter_eval.py --side)")
    args = parser.parse_args(argv)
    state = load_checkpoint(args.checkpoint)
    model = segmenter_from_checkpoint(state, args.checkpoint, "ema" if args.ema else "model")
    trainer = state["config"]
    views = (f"{state['step']} steps x {trainer['batch_size']} views of {trainer['side']} px from hand-checked masks "
             f"(fold {trainer['holdout_fold']} held out), {trainer.get('composite_share', 0) * 100:.0f} % composites"
             f"{training_chain(trainer)}")
    if trainer.get("network") == "u2netp":
        provenance = f"U^2-Netp, every layer fine-tuned, {views}; started from {state.get('weights_source', '')}"
    else:
        provenance = (f"VGG16 U-Net to block {trainer['last_block']} (blocks {trainer['tune_from']}+ fine-tuned), "
                      f"{views}; VGG16: {state.get('weights_source', '')}")
    metadata = {"side": str(args.side), "provenance": provenance, "weights": "fp32" if args.float32 else "int8",
                "config": json.dumps(trainer), "step": str(state["step"]),
                "weights_average": "ema" if args.ema else "none"}
    try:
        error = export_segmenter(model, args.out, metadata, int8=not args.float32)
    except AssertionError as failure:
        print(f"export FAILED: {failure}", file=sys.stderr)
        return 1
    size = Path(args.out).stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB), max |onnxruntime - torch| = {error:.2e} over two sizes (limit {TOLERANCE:.0e})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
