"""Does data-parallel training follow the single-process loss curve? (a measurement, not a test)

    python benchmarks/ddp_curves.py --steps 300

Trains the same small GAN config on the prepared data three times: one process (seed 0), one
process (seed 1: the noise yardstick) and two gloo processes under torchrun (seed 0, same global
batch). Prints the mean D and G losses over windows of steps for each, and the gap of the
two-process run and of the other seed to the first run.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np

from fashiongen.devtools import free_port


def run(out: Path, steps: int, seed: int, processes: int, cache: str) -> list[dict]:
    flags = ["--out", str(out), "--max-steps", str(steps), "--seed", str(seed), "--g-width", "32", "--d-width", "16",
             "--batch-size", "16", "--log-every", "1", "--sample-every", "100000", "--checkpoint-every", "100000",
             "--snapshot-every", "0", "--threads", "1", "--device", "cpu", "--cache", cache]
    if processes == 1:
        command = [sys.executable, "-m", "fashiongen.training.train_gan", *flags]
    else:
        command = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", str(processes), "--master_addr",
                   "127.0.0.1", "--master_port", str(free_port()), "-m", "fashiongen.training.train_gan", *flags]
    subprocess.run(command, check=True, capture_output=True, env={"OMP_NUM_THREADS": "1", **__import__("os").environ})
    return [json.loads(line) for line in (out / "metrics.jsonl").read_text().splitlines()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--window", type=int, default=50)
    parser.add_argument("--cache", default="runs/cache")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as folder:
        curves = {"1 process, seed 0": run(Path(folder) / "a", args.steps, 0, 1, args.cache),
                  "1 process, seed 1": run(Path(folder) / "b", args.steps, 1, 1, args.cache),
                  "2 processes, seed 0": run(Path(folder) / "c", args.steps, 0, 2, args.cache)}
    windows = range(0, args.steps, args.window)
    print(f"mean losses per {args.window} steps (G width 32, D width 16, global batch 16, 64 px prepared data)")
    print(f"{'run':<22}" + "".join(f"{f'{w + 1}-{w + args.window}':>16}" for w in windows))
    means = {}
    for name, lines in curves.items():
        d = np.array([line["loss_d"] for line in lines])
        g = np.array([line["loss_g"] for line in lines])
        means[name] = [(d[w:w + args.window].mean(), g[w:w + args.window].mean()) for w in windows]
        print(f"{name:<22}" + "".join(f"{f'D {a:.3f} G {b:.3f}':>16}" for a, b in means[name]))
    reference = np.array(means["1 process, seed 0"])
    for name in ("1 process, seed 1", "2 processes, seed 0"):
        gap = np.abs(np.array(means[name]) - reference).mean(axis=0)
        print(f"mean |gap| to 1 process, seed 0: {name}: D {gap[0]:.3f}, G {gap[1]:.3f}")
    spreads = [line.get("replica_spread", 0.0) for line in curves["2 processes, seed 0"]]
    print(f"largest replica spread in the 2-process run: {max(spreads)}")


if __name__ == "__main__":
    main()
