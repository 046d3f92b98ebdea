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


def lean_optimizer_state(state: dict) -> dict:
    """An optimiser ``state_dict()`` with its floating-point state (Adam's moments) as bfloat16: half the
    size of a resumable checkpoint that is committed. ``load_state_dict`` casts it back to the
    parameters' dtype; the moments are running averages of noisy gradients, so 3 significant digits
    lose nothing a resumed run would notice."""
    def lean(value):
        return value.to(torch.bfloat16) if torch.is_tensor(value) and value.is_floating_point() and value.dim() else value

    return {**state, "state": {index: {key: lean(value) for key, value in entry.items()}
                               for index, entry in state["state"].items()}}


def load_checkpoint(path: str | Path) -> dict:
    return torch.load(Path(path), map_location="cpu", weights_only=True)


def save_slim_checkpoint(path: str | Path, *, model: dict, config: dict, step: int, extra: dict | None = None) -> Path:
    """The same format without optimiser or EMA: what ships in ``checkpoints/`` and what snapshots keep."""
    payload = {"model": model, "ema": None, "optimizer": {}, "config": config, "step": step, **(extra or {})}
    path = Path(path)
    temporary = path.with_suffix(".tmp")
    torch.save(payload, temporary)
    os.replace(temporary, path)
    return path


def _known_fields(config_class, values: dict) -> dict:
    names = {field.name for field in dataclasses.fields(config_class)}
    return {key: value for key, value in values.items() if key in names}


def load_generator(path: str | Path, use_ema: bool = True):
    """Rebuild the trend generator (eval mode, standing BN stats) from a checkpoint alone.

    Returns (generator, gan_config, classes, trainer_config_dict with "step" and "cpu_seconds").
    """
    from fashiongen.training.gan_networks import GANConfig, build_generator, recompute_batchnorm_stats

    state = load_checkpoint(path)
    classes = list(state["classes"])
    gan = GANConfig(num_classes=len(classes), **_known_fields(GANConfig, {**state["config"], "aux_classifier": False}))
    generator = build_generator(gan)
    weights = state["ema"] if use_ema and state.get("ema") is not None else state["model"]["generator"]
    generator.load_state_dict(weights)
    recompute_batchnorm_stats(generator, gan)
    return generator, gan, classes, {**state["config"], "step": state["step"], "cpu_seconds": state.get("cpu_seconds")}


def load_style_net(path: str | Path):
    """Rebuild the style network (eval mode, VGG16 loaded) from a checkpoint alone.

    Returns (network, style_net_config, checkpoint_state).
    """
    from fashiongen.training.style_networks import StyleNetConfig, build_style_net
    from fashiongen.training.vgg import load_vgg16

    state = load_checkpoint(path)
    config = StyleNetConfig(**_known_fields(StyleNetConfig, state["config"]))
    # Inference needs VGG16 only as deep as the network reads it (training's loss goes to relu4_3).
    vgg, _ = load_vgg16("relu3_3" if config.arch == "adain" else "relu4_3")
    net = build_style_net(config, vgg)
    missing, unexpected = net.load_state_dict(state["model"], strict=False)
    assert not unexpected and all(name.startswith("vgg.") for name in missing), (missing, unexpected)
    return net.eval(), config, state


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
    parser.add_argument("--resume", action="store_true",
                        help="continue the run in --out from its checkpoint, with its stored config.json "
                             "(flags given here still override it, e.g. --max-steps)")
    parser.add_argument("--dry-run", action="store_true", help="print the config and exit")
    args = parser.parse_args(argv)
    explicit = {field.name: getattr(args, field.name) for field in fields if getattr(args, field.name) is not None}
    base = presets[args.preset]
    stored = Path(explicit.get("out", config_class.out)) / "config.json"
    if args.resume and stored.is_file():
        names = {field.name for field in fields}
        base = {key: value for key, value in json.loads(stored.read_text()).items() if key in names}
    return config_class(**{**base, **explicit}), args.resume, args.dry_run
