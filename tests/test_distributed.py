"""Data-parallel training: two CPU processes (gloo) under torchrun keep identical replicas; resume alone."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import torch

from fashiongen.devtools import free_port
from tests.helpers import class_folder_dataset


def test_two_processes_keep_identical_replicas_and_resume_alone(tmp_path):
    data, run = class_folder_dataset(tmp_path / "data"), tmp_path / "run"
    flags = ["--data", str(data), "--out", str(run), "--resolution", "16", "--z-dim", "8", "--g-width", "16",
             "--d-width", "8", "--batch-size", "4", "--log-every", "1", "--sample-every", "100",
             "--checkpoint-every", "3", "--cache", str(tmp_path / "cache"), "--min-class-images", "1",
             "--threads", "1", "--device", "cpu"]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    launch = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
              "--master_port", str(free_port()), "-m", "fashiongen.training.train_gan"]
    result = subprocess.run(launch + flags + ["--max-steps", "3"], capture_output=True, text=True, timeout=300,
                            env=env)
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2, 3]  # rank 0 alone writes
    assert all(line["replica_spread"] == 0.0 for line in lines)  # the two replicas hold identical weights
    assert torch.load(run / "checkpoint.pt", weights_only=True)["step"] == 3
    # The checkpoint holds the unwrapped models: one process continues the two-process run.
    single = subprocess.run([sys.executable, "-m", "fashiongen.training.train_gan", *flags, "--max-steps", "4",
                             "--resume"], capture_output=True, text=True, timeout=300, env=env)
    assert single.returncode == 0, single.stderr[-3000:]
    assert torch.load(run / "checkpoint.pt", weights_only=True)["step"] == 4


def test_style_trainer_runs_data_parallel_too(tmp_path):
    data, run = class_folder_dataset(tmp_path / "data", per_class=4), tmp_path / "style-run"
    flags = ["--data", str(data), "--styles", "", "--out", str(run), "--crop", "32", "--batch-size", "2",
             "--sample-every", "100", "--checkpoint-every", "2", "--cache", str(tmp_path / "cache"),
             "--threads", "1", "--device", "cpu", "--max-steps", "2"]
    launch = [sys.executable, "-m", "torch.distributed.run", "--nproc_per_node", "2", "--master_addr", "127.0.0.1",
              "--master_port", str(free_port()), "-m", "fashiongen.training.train_style"]
    result = subprocess.run(launch + flags, capture_output=True, text=True, timeout=300,
                            env={**os.environ, "OMP_NUM_THREADS": "1"})
    assert result.returncode == 0, result.stdout[-2000:] + result.stderr[-3000:]
    lines = [json.loads(line) for line in (run / "metrics.jsonl").read_text().splitlines()]
    assert [line["step"] for line in lines] == [1, 2] and all(line["replica_spread"] == 0.0 for line in lines)
