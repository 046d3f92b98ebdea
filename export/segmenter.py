"""Export the learned garment prior to ``checkpoints/garment_segmenter.onnx`` and check parity.

    python -m export.segmenter --checkpoint runs/segmenter/checkpoint.pt

Writes the ONNX file (input ``image`` (1, 3, H, W) RGB in [0, 1], H and W multiples of 16;
output ``probability`` (1, 1, H, W) in [0, 1]; metadata ``multiple``, ``provenance``) and the slim
PyTorch checkpoint of the head ``checkpoints/garment_segmenter.pt``. The frozen VGG16 inside is
most of the file, so its weights are stored as float16 and cast to float32 once, when
onnxruntime loads the model (the PyTorch side is rounded the same way, so parity is checked
against exactly the weights that ship). Fails if onnxruntime and PyTorch differ by more than 1e-4.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import onnx
import torch
from onnx import helper, numpy_helper

from export.model_card import write_model_cards
from export.onnx_export import check_parity, export_onnx
from fashiongen.training.runs import load_segmenter, save_slim_checkpoint

TOLERANCE = 1e-4
HALF_MIN_ELEMENTS = 4096  # weights at least this big are stored as float16 (biases stay float32)


def round_to_half(network: torch.nn.Module) -> torch.nn.Module:
    """Round every large weight to float16 precision in place (what :func:`store_as_half` keeps)."""
    with torch.no_grad():
        for parameter in network.parameters():
            if parameter.numel() >= HALF_MIN_ELEMENTS:
                parameter.copy_(parameter.half().float())
    return network


def store_as_half(path: str | Path) -> None:
    """Rewrite an ONNX file with its large float32 initializers as float16 plus a Cast back to float32."""
    model = onnx.load(str(path))
    graph = model.graph
    casts = []
    for initializer in list(graph.initializer):
        if initializer.data_type != onnx.TensorProto.FLOAT:
            continue
        values = numpy_helper.to_array(initializer)
        if values.size < HALF_MIN_ELEMENTS:
            continue
        name = initializer.name
        half = numpy_helper.from_array(values.astype(np.float16), f"{name}__half")
        graph.initializer.remove(initializer)
        graph.initializer.append(half)
        casts.append(helper.make_node("Cast", [half.name], [name], to=onnx.TensorProto.FLOAT, name=f"{name}__cast"))
    for position, node in enumerate(casts):  # before every consumer: nodes must stay topologically sorted
        graph.node.insert(position, node)
    onnx.checker.check_model(model)
    onnx.save_model(model, str(path), save_as_external_data=False)


def export_segmenter(network: torch.nn.Module, path: str | Path, provenance: str, multiple: int = 16) -> float:
    """Export (weights rounded to float16) and return the parity error; raises AssertionError above ``TOLERANCE``."""
    network = round_to_half(network.eval())
    export_onnx(network, (torch.rand(1, 3, 4 * multiple, 3 * multiple),), path, ["image"], ["probability"],
                {"image": {2: "H", 3: "W"}, "probability": {2: "H", 3: "W"}},
                {"multiple": str(multiple), "provenance": provenance})
    store_as_half(path)
    rng = np.random.default_rng(0)
    # A portrait photo's working size and another multiple of 16, to prove the spatial axes are dynamic.
    input_sets = [{"image": rng.random((1, 3, h, w), dtype=np.float32)} for h, w in ((12 * multiple, 9 * multiple),
                                                                                       (4 * multiple, 5 * multiple))]
    return check_parity(network, path, input_sets, TOLERANCE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default="runs/segmenter/checkpoint.pt", help="training or slim checkpoint")
    parser.add_argument("--out", default="checkpoints/garment_segmenter.onnx")
    parser.add_argument("--slim", default="checkpoints/garment_segmenter.pt", help="where to write the slim checkpoint")
    args = parser.parse_args(argv)
    network, state = load_segmenter(args.checkpoint)
    config = state["config"]
    pieces = state.get("pieces", ["?", "?"])
    provenance = (f"frozen VGG16 ({state.get('vgg', 'ImageNet weights')}) to relu5_3 + a head of width "
                  f"{state['segmenter']['width']} trained {state['step']} steps x batch {config['batch_size']} on "
                  f"{config['composites']} composites of {config['side']} px ({pieces[0]} garments and {pieces[1]} "
                  f"backgrounds cut from train-split photos)")
    if Path(args.slim).resolve() != Path(args.checkpoint).resolve():
        save_slim_checkpoint(args.slim, model=network.head.state_dict(), config=config, step=state["step"],
                             extra={key: state[key] for key in ("cpu_seconds", "segmenter", "vgg", "pieces")
                                    if key in state})
    try:
        error = export_segmenter(network, args.out, provenance)
    except AssertionError as failure:
        print(f"export FAILED: {failure}", file=sys.stderr)
        return 1
    size = Path(args.out).stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB), max |onnxruntime - torch| = {error:.2e} (limit {TOLERANCE:.0e})")
    print(f"model cards: {write_model_cards(Path(args.out).parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
