"""Widen a trained projection generator without changing what it draws (Net2Net-style growth).

    python -m fashiongen.training.widen --run runs/gan-wide --g-min-width 32

The shipped recipe's generator falls to 16 channels at 32x32 and 64x64, which is where garment
texture is drawn. Retraining a wider one from scratch would throw away hours of CPU training, so
this grows a run in place: every old weight is kept, new channels start from the fresh model's
initialisation, and every weight from a new channel into an old one starts at zero. The widened
generator's output is then exactly the old one's (new channels exist but nothing reads them yet),
and the zero weights receive gradients at once (the new channels' activations are not zero), so
training grows them from the first step. The discriminator and its optimiser are untouched.
"""

from __future__ import annotations

import argparse
import dataclasses
from pathlib import Path

import torch
from torch import nn

from fashiongen.training.gan_networks import GANConfig, build_generator
from fashiongen.training.runs import CHECKPOINT_NAME, _known_fields, load_checkpoint, prepare_run_dir, save_checkpoint


def _grow(old: torch.Tensor, fresh: torch.Tensor, zero_new_inputs: bool) -> torch.Tensor:
    """``fresh`` with ``old`` in its leading slice; for a weight, new-input -> old-output entries zeroed."""
    if old.shape == fresh.shape:
        return old.clone()
    grown = fresh.clone()
    if zero_new_inputs:  # (out, in, ...): new inputs must not reach the old outputs yet
        grown[:old.shape[0], old.shape[1]:] = 0
    grown[tuple(slice(0, size) for size in old.shape)] = old
    return grown


def widen_generator_weights(state: dict, old: GANConfig, new: GANConfig, seed: int = 0) -> dict:
    """Generator ``state_dict`` for config ``old`` -> one for ``new`` (same except wider), same function.

    ``seed`` fixes the new channels' initialisation, so the live generator and its EMA copy grow alike.
    """
    if dataclasses.replace(old, g_min_width=new.g_min_width) != new or new.g_min_width < old.g_min_width:
        raise ValueError("only g_min_width may change, and only upwards")
    torch.manual_seed(seed)
    model = build_generator(new)
    weight_names = {f"{name}.weight" for name, module in model.named_modules()
                    if isinstance(module, (nn.Conv2d, nn.Linear))}
    fresh = model.state_dict()
    return {name: _grow(state[name], fresh[name], name in weight_names) for name in fresh}


def padded_moments(moments: dict, shape: torch.Size) -> dict:
    """One parameter's Adam state with its moments padded to ``shape`` (the old values in the leading slice).

    New entries get a zero first moment and the tensor's mean second moment, so their first
    updates are the size of the old ones' (a zero second moment would make them ~10x larger).
    """
    average = torch.zeros(shape, dtype=moments["exp_avg"].dtype)
    square = torch.full(shape, float(moments["exp_avg_sq"].mean()), dtype=moments["exp_avg_sq"].dtype)
    region = tuple(slice(0, size) for size in moments["exp_avg"].shape)
    average[region], square[region] = moments["exp_avg"], moments["exp_avg_sq"]
    return {**moments, "exp_avg": average, "exp_avg_sq": square}


def _widen_adam(state: dict, shapes: list[torch.Size]) -> dict:
    """Adam state of the generator with its moments padded to the widened shapes."""
    return {"state": {index: padded_moments(moments, shapes[index]) for index, moments in state["state"].items()},
            "param_groups": state["param_groups"]}


def widen_run(run_dir: str | Path, g_min_width: int, seed: int = 0) -> Path:
    """Widen the generator (live, EMA and its Adam state) of the run in ``run_dir`` in place."""
    from fashiongen.training.train_gan import TrainGANConfig

    run_dir = Path(run_dir)
    state = load_checkpoint(run_dir / CHECKPOINT_NAME)
    config = TrainGANConfig(**_known_fields(TrainGANConfig, state["config"]))
    wider = dataclasses.replace(config, g_min_width=g_min_width)
    classes = list(state["classes"])
    old_gan, new_gan = config.gan_config(len(classes)), wider.gan_config(len(classes))
    generator = widen_generator_weights(state["model"]["generator"], old_gan, new_gan, seed)
    ema = widen_generator_weights(state["ema"], old_gan, new_gan, seed) if state.get("ema") is not None else None
    shapes = [parameter.shape for parameter in build_generator(new_gan).parameters()]  # Adam's state order
    optimizer = {**state["optimizer"], "generator": _widen_adam(state["optimizer"]["generator"], shapes)}
    extras = {key: value for key, value in state.items() if key not in ("model", "ema", "optimizer", "config", "step")}
    extras["widened"] = list(state.get("widened", [])) + [{"step": state["step"], "g_min_width": g_min_width}]
    save_checkpoint(run_dir, model={**state["model"], "generator": generator}, ema=ema, optimizer=optimizer,
                    config=wider, step=state["step"], extra=extras)
    return prepare_run_dir(run_dir, wider, resume=True)  # rewrites config.json, so --resume picks the width up


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="run folder whose checkpoint.pt is widened in place")
    parser.add_argument("--g-min-width", type=int, required=True, help="new floor of the generator's channels")
    parser.add_argument("--seed", type=int, default=0, help="initialisation of the new channels")
    args = parser.parse_args(argv)
    print(f"widened: {widen_run(args.run, args.g_min_width, args.seed)}")


if __name__ == "__main__":
    main()
