"""Run folders and checkpoints, shared by every trainer.

A run folder holds ``config.json`` (the trainer config), ``metrics.jsonl`` (one JSON line per
logged step), sample sheets and ``checkpoint.pt``. The checkpoint format is written by
:func:`save_checkpoint` alone: ``{"model", "ema", "optimizer", "config", "step"}``.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import os
import time
from pathlib import Path
from typing import Any

import torch

CHECKPOINT_NAME = "checkpoint.pt"


def prepare_run_dir(out_dir: str | Path, config: Any, resume: bool) -> Path:
    """Create (or, on resume, reuse) the run folder and write ``config.json``."""
    run_dir = Path(out_dir)
    if run_dir.exists() and (run_dir / CHECKPOINT_NAME).exists() and not resume:
        raise FileExistsError(f"{run_dir} already holds a run; pass --resume to continue it or pick another --out")
    run_dir.mkdir(parents=True, exist_ok=True)
    (run_dir / "config.json").write_text(json.dumps(dataclasses.asdict(config), indent=2) + "\n")
    return run_dir


def save_checkpoint(run_dir: Path, *, model: dict, ema: dict | None, optimizer: dict, config: Any, step: int,
                    extra: dict | None = None) -> Path:
    """Write the checkpoint atomically (a crash mid-write never loses the previous one)."""
    payload = {"model": model, "ema": ema, "optimizer": optimizer, "config": dataclasses.asdict(config),
               "step": step, **(extra or {})}
    path = run_dir / CHECKPOINT_NAME
    temporary = path.with_suffix(".tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)
    return path


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(Path(path), map_location="cpu", weights_only=True)


class MetricsLog:
    """Appends one JSON line per call to ``metrics.jsonl``."""

    def __init__(self, run_dir: Path):
        self.path = run_dir / "metrics.jsonl"
        self.start = time.time()

    def write(self, step: int, **values: float) -> None:
        record = {"step": step, "time": round(time.time() - self.start, 2)}
        record.update({key: round(float(value), 5) for key, value in values.items()})
        with open(self.path, "a") as handle:
            handle.write(json.dumps(record) + "\n")


def pick_device(name: str) -> torch.device:
    """'auto' -> CUDA when available, else CPU."""
    if name == "auto":
        return torch.device("cuda" if torch.cuda.is_available() else "cpu")
    return torch.device(name)


def parse_trainer_cli(config_class, presets: dict, description: str, argv: list[str] | None = None):
    """Every field of the trainer's config dataclass as a flag, plus --preset, --resume, --dry-run.

    Returns (config, resume, dry_run). Flags override the preset, which overrides the defaults.
    """
    parser = argparse.ArgumentParser(description=description, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--preset", choices=sorted(presets), default="main")
    fields = dataclasses.fields(config_class)
    for field in fields:
        kind = field.type if isinstance(field.type, type) else eval(field.type)  # noqa: S307 - dataclass annotations
        if kind is bool:
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=lambda s: s.lower() in ("1", "true", "yes"))
        else:
            parser.add_argument(f"--{field.name.replace('_', '-')}", type=kind)
    parser.add_argument("--resume", action="store_true", help="continue the run in --out from its checkpoint")
    parser.add_argument("--dry-run", action="store_true", help="print the config and exit")
    args = parser.parse_args(argv)
    overrides = {**presets[args.preset],
                 **{field.name: getattr(args, field.name) for field in fields if getattr(args, field.name) is not None}}
    return config_class(**overrides), args.resume, args.dry_run
