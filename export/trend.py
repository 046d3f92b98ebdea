"""Export the trend generator to ``checkpoints/trend_generator.onnx`` and check parity.

    python -m export.trend --checkpoint runs/gan-main/checkpoint.pt

Writes the ONNX file and a slim PyTorch checkpoint (EMA generator with standing BatchNorm
statistics, config, classes) to ``checkpoints/``; fails if onnxruntime and PyTorch differ by
more than 1e-4.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

import numpy as np
import torch

from export.model_card import write_model_cards
from export.onnx_export import check_parity, export_onnx
from fashiongen.prepare import PREPROCESS_NAME
from fashiongen.training.gan_networks import GANConfig
from fashiongen.training.runs import load_checkpoint, load_generator, save_slim_checkpoint

TOLERANCE = 1e-4


class TrendGeneratorExport(torch.nn.Module):
    """z (N, z_dim) float32, class_weights (N, K) float32 -> image (N, 3, R, R) float32 RGB in [0, 1].

    One-hot rows of ``class_weights`` draw one class; other rows mix classes (the app's
    "halfway between Dress and Skirt").
    """

    def __init__(self, generator: torch.nn.Module):
        super().__init__()
        self.generator = generator

    def forward(self, z: torch.Tensor, class_weights: torch.Tensor) -> torch.Tensor:
        return ((self.generator(z, class_weights) + 1.0) * 0.5).clamp(0.0, 1.0)


def export_trend(generator: torch.nn.Module, gan: GANConfig, classes: list[str], path: str | Path,
                 provenance: str) -> float:
    """Export and return the parity error; raises AssertionError above ``TOLERANCE``."""
    wrapper = TrendGeneratorExport(generator.eval()).eval()
    example = (torch.randn(2, gan.z_dim), torch.nn.functional.one_hot(torch.zeros(2, dtype=torch.long), len(classes)).float())
    export_onnx(wrapper, example, path, ["z", "class_weights"], ["image"],
                {"z": {0: "N"}, "class_weights": {0: "N"}, "image": {0: "N"}},
                {"classes": json.dumps(classes), "z_dim": str(gan.z_dim), "resolution": str(gan.resolution),
                 "provenance": provenance, "preprocess": PREPROCESS_NAME})
    rng = np.random.default_rng(0)
    input_sets = [{"z": rng.standard_normal((count, gan.z_dim)).astype(np.float32),
                   "class_weights": rng.dirichlet(np.ones(len(classes)), count).astype(np.float32)}
                  for count in (1, 7)]  # two batch sizes prove the batch axis is dynamic; mixed rows on purpose
    return check_parity(wrapper, path, input_sets, TOLERANCE)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoint", default="runs/gan-main/checkpoint.pt", help="training or slim checkpoint")
    parser.add_argument("--out", default="checkpoints/trend_generator.onnx")
    parser.add_argument("--slim", default="checkpoints/trend_generator.pt", help="where to write the slim checkpoint")
    args = parser.parse_args(argv)
    generator, gan, classes, trainer = load_generator(args.checkpoint)
    state = load_checkpoint(args.checkpoint)
    provenance = (f"{trainer['arch']} GAN, {trainer['loss']} loss, DiffAugment '{trainer['diffaug']}', "
                  f"class loss {trainer.get('class_loss_weight', 0.0)}, {trainer['step']} steps x batch "
                  f"{trainer['batch_size']} on {Path(trainer['data']).name} prepared by {PREPROCESS_NAME}")
    if Path(args.slim).resolve() != Path(args.checkpoint).resolve():
        save_slim_checkpoint(args.slim, model={"generator": generator.state_dict()}, config=state["config"],
                             step=state["step"], extra={"classes": classes, "cpu_seconds": state.get("cpu_seconds")})
    try:
        error = export_trend(generator, gan, classes, args.out, provenance)
    except AssertionError as failure:
        print(f"export FAILED: {failure}", file=sys.stderr)
        return 1
    size = Path(args.out).stat().st_size / 1e6
    print(f"wrote {args.out} ({size:.1f} MB), max |onnxruntime - torch| = {error:.2e} (limit {TOLERANCE:.0e})")
    print(f"model cards: {write_model_cards(Path(args.out).parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
