"""Training compute per step of each GAN preset, measured side by side (a benchmark, not a test).

    python benchmarks/gan_step_cost.py --steps 30 --rounds 2

"Equal compute" between the main recipe and the DCGAN baseline means equal CPU time on the same
machine. The long runs span machines of different speeds, so their recorded CPU-seconds are not
comparable across runs; what is comparable is steps, once the cost ratio of one step of each
preset is known. This script measures it: each preset trains ``--steps`` steps on the prepared
data (1 thread, CPU, after 3 warm-up steps), alternating presets over ``--rounds`` rounds, and
reports process CPU-seconds per step, the ratio, and the DCGAN steps that cost as much as N
main-recipe steps.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
from pathlib import Path

import torch

from fashiongen.training.runs import CHECKPOINT_NAME, load_checkpoint
from fashiongen.training.train_gan import PRESETS, TrainGANConfig, native_bfloat16, train


def cpu_seconds_per_step(preset: str, steps: int, cache: str, data: str) -> float:
    with tempfile.TemporaryDirectory() as folder:
        common = dict(data=data, cache=cache, device="cpu", threads=1, sample_every=10 ** 9,
                      checkpoint_every=10 ** 9, snapshot_every=0, log_every=10 ** 9)
        warm = TrainGANConfig(**{**PRESETS[preset], **common, "out": str(Path(folder) / "warm"), "max_steps": 3})
        train(warm)
        config = TrainGANConfig(**{**PRESETS[preset], **common, "out": str(Path(folder) / "run"), "max_steps": steps})
        # The checkpoint's cpu_seconds counts the training loop only (not data loading or the final sample sheet).
        return load_checkpoint(train(config) / CHECKPOINT_NAME)["cpu_seconds"] / steps


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=30)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--presets", default="main,dcgan")
    parser.add_argument("--cache", default="runs/cache")
    parser.add_argument("--data", default="../shared/data/clothing")
    args = parser.parse_args(argv)
    torch.set_num_threads(1)
    presets = args.presets.split(",")
    costs = {preset: [] for preset in presets}
    for _ in range(args.rounds):
        for preset in presets:
            costs[preset].append(cpu_seconds_per_step(preset, args.steps, args.cache, args.data))
    base = statistics.median(costs[presets[0]])
    print(f"\n{'preset':<12}{'CPU-s/step':>12}{'rounds':>30}{'ratio to ' + presets[0]:>18}")
    for preset in presets:
        median = statistics.median(costs[preset])
        rounds = ", ".join(f"{value:.3f}" for value in costs[preset])
        print(f"{preset:<12}{median:>12.3f}{rounds:>30}{median / base:>18.2f}")
    if any(PRESETS[preset].get("precision") == "bfloat16" for preset in presets) \
            and not native_bfloat16(torch.device("cpu")):
        print("note: this CPU has no native bfloat16, so the trainer ran the bfloat16 presets in float32")
    for preset in presets[1:]:
        ratio = base / statistics.median(costs[preset])
        print(f"equal compute: 1,000 {presets[0]} steps = {1000 * ratio:,.0f} {preset} steps")


if __name__ == "__main__":
    main()
