"""Export the garment segmenter to ``checkpoints/garment_segmenter.onnx`` and check parity.

    python -m export.segmenter --checkpoint runs/segmenter/checkpoint.pt

Writes the ONNX file (input ``image`` (1, 3, S, S) RGB in [0, 1], output ``probability``
(1, 1, S, S) in [0, 1], S in the metadata ``side``) and the slim PyTorch checkpoint
``checkpoints/garment_segmenter.pt``; fails if onnxruntime and PyTorch differ by more than 1e-4.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

import numpy as np
import torch

from export.model_card import write_model_cards
from export.onnx_export import check_parity, export_onnx
from fashiongen.training.runs import load_segmenter, save_slim_checkpoint

TOLERANCE = 1e-4


def export_segmenter(network: torch.nn.Module, side: int, path: str | Path, provenance: str) -> float:
    """Export and return the parity error; raises AssertionError above ``TOLERANCE``."""
    network = network.eval()
    export_onnx(network, (torch.rand(1, 3, side, side),), path, ["image"], ["probability"],
                {"image": {2: "H", 3: "W"}, "probability": {2: "H", 3: "W"}},
                {"side": str(side), "provenance": provenance})
    rng = np.random.default_rng(0)
    # The app's square, and another size a multiple of 16 to prove the spatial axes are dynamic.
    input_sets = [{"image": rng.random((1, 3, h, w), dtype=np.float32)} for h, w in ((side, side), (64, 80))]
    return check_parity(network, path, input_sets, TOLERANCE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default="runs/segmenter/checkpoint.pt", help="training or slim checkpoint")
    parser.add_argument("--out", default="checkpoints/garment_segmenter.onnx")
    parser.add_argument("--slim", default="checkpoints/garment_segmenter.pt", help="where to write the slim checkpoint")
    args = parser.parse_args(argv)
    network, state = load_segmenter(args.checkpoint)
    config = state["config"]
    provenance = (f"U-Net {state['segmenter']['widths']}, {state['step']} steps x batch {config['batch_size']} of "
                  f"{config['side']} px composites (garments and backgrounds cut from train-split photos)")
    if Path(args.slim).resolve() != Path(args.checkpoint).resolve():
        save_slim_checkpoint(args.slim, model=network.state_dict(), config=config, step=state["step"],
                             extra={"cpu_seconds": state.get("cpu_seconds"), "segmenter": state["segmenter"]})
    try:
        error = export_segmenter(network, config["side"], args.out, provenance)
    except AssertionError as failure:
        print(f"export FAILED: {failure}", file=sys.stderr)
        return 1
    size = Path(args.out).stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB), max |onnxruntime - torch| = {error:.2e} (limit {TOLERANCE:.0e})")
    print(f"model cards: {write_model_cards(Path(args.out).parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
