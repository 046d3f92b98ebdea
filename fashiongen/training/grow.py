"""Double a trained projection GAN's resolution in place (progressive growth from a 64 px run to 128 px).

    python -m fashiongen.training.grow --run runs/gan-128

A 128 px run from scratch costs about four times the CPU of the 64 px run that is already trained
(tens of CPU-hours), so this grows that run instead, keeping every trained weight:

- Generator: one more residual block (64 -> 128 px) before the output layers. Its residual branch
  starts at zero (last convolution zeroed) and its skip as the identity, so the block starts as a
  plain 2x nearest upsampling of the 64 px features; the trained output layers then draw on the
  upsampled features. That is the old output up to the output convolution's footprint (its 3x3
  kernel now spans 1.5 of the old pixels), not exactly it: a 3x3 kernel on a finer grid cannot
  equal the coarse one.
- Discriminator: one more residual block in front (128 -> 64 px, half the old first block's
  channels). Its skip passes the image, downsampled, into its first three channels and its residual
  branch writes only into the others; the old first block reads those three channels with its
  trained weights (the rest at zero). So the grown discriminator of an image starts exactly equal to
  the old one of the image averaged down to 64 px. The old block's zero columns get gradients at
  once (the new channels are not zero), so the new block learns from the step after.
  (Spectral norm rules out zeroing a whole convolution, so the zeros sit in rows and columns.)
- Adam's moments carry over by parameter name (padded with a zero first and the mean second moment
  where a weight grew); the new block's parameters start without state, as in a fresh run.

The run then trains on 128 px data with ``--resume`` (the config is rewritten: resolution doubled,
``d_grown`` + 1). Growing a discriminator's widths changes nothing about one that was never grown.
"""

from __future__ import annotations

import argparse
import dataclasses
import re
from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from fashiongen.training.gan_networks import GANConfig, build_discriminator, build_generator
from fashiongen.training.runs import CHECKPOINT_NAME, _known_fields, load_checkpoint, prepare_run_dir, save_checkpoint
from fashiongen.training.widen import padded_moments


def grown_config(config: GANConfig) -> GANConfig:
    """The same GAN at twice the resolution, its discriminator grown one block in front."""
    if config.arch != "projection":
        raise ValueError("only the projection architecture grows")
    return dataclasses.replace(config, resolution=config.resolution * 2, d_grown=config.d_grown + 1)


def grow_generator_weights(state: dict, old: GANConfig, seed: int = 0) -> dict:
    """Generator ``state_dict`` at ``old.resolution`` -> one at twice it (see the module docstring).

    ``seed`` fixes the new block's initialisation, so the live generator and its EMA copy grow alike.
    """
    new = grown_config(old)
    torch.manual_seed(seed)
    model = build_generator(new)
    block = model.blocks[-1]  # the new top block
    if block.conv1.in_channels != block.conv1.out_channels:
        raise ValueError("the new block must keep the channel count (g_min_width must floor the top levels)")
    with torch.no_grad():
        block.conv2.weight.zero_()
        block.conv2.bias.zero_()
        block.skip.weight.copy_(torch.eye(block.skip.in_channels)[:, :, None, None])
        block.skip.bias.zero_()
    grown = model.state_dict()
    for name, value in state.items():
        if grown[name].shape != value.shape:
            raise ValueError(f"{name}: {tuple(value.shape)} does not fit {tuple(grown[name].shape)}")
        grown[name] = value.clone()
    return grown


def _old_discriminator_name(name: str) -> str | None:
    """A grown discriminator's parameter name -> the trained one it comes from (None: new block)."""
    match = re.match(r"blocks\.(\d+)\.(.*)", name)
    if match is None:
        return name
    index = int(match.group(1))
    return None if index == 0 else f"blocks.{index - 1}.{match.group(2)}"


def _pad(old: torch.Tensor, shape: torch.Size) -> torch.Tensor:
    padded = torch.zeros(shape, dtype=old.dtype)
    padded[tuple(slice(0, size) for size in old.shape)] = old
    return padded


def _spectral_vectors(module: nn.Module, iterations: int = 100) -> None:
    """Converge spectral norm's power iteration for a new module's edited weights (u and v from scratch)."""
    with torch.no_grad():
        for sub in module.modules():
            if hasattr(sub, "weight_orig"):
                matrix = sub.weight_orig.reshape(sub.weight_orig.shape[0], -1)
                u = torch.randn(matrix.shape[0], generator=torch.Generator().manual_seed(0))
                for _ in range(iterations):
                    v = F.normalize(matrix.t() @ u, dim=0, eps=1e-12)
                    u = F.normalize(matrix @ v, dim=0, eps=1e-12)
                sub.weight_u.copy_(u)
                sub.weight_v.copy_(v)


def grow_discriminator_weights(state: dict, old: GANConfig, seed: int = 0) -> dict:
    """Discriminator ``state_dict`` at ``old.resolution`` -> one at twice it (see the module docstring)."""
    new = grown_config(old)
    torch.manual_seed(seed)
    model = build_discriminator(new)
    front = model.blocks[0]
    with torch.no_grad():
        front.conv2.weight_orig[:3].zero_()  # the residual branch stays off the image's channels
        front.conv2.bias[:3].zero_()
        front.skip.weight_orig.zero_()
        front.skip.weight_orig[:3, :, 0, 0] = torch.eye(3)
        front.skip.bias.zero_()
    _spectral_vectors(front)
    grown = model.state_dict()
    for name in grown:
        source = _old_discriminator_name(name)
        if source is None:
            continue
        if name.endswith("weight_v"):
            # The old first block's weight gains zero input columns: its right singular vector gains
            # zeros in the same places, so spectral norm's estimate (and the block) stay exactly as trained.
            weight = name[:-len("_v")] + "_orig"
            old_shape, new_shape = state[source[:-len("_v")] + "_orig"].shape, grown[weight].shape
            grown[name] = _pad(state[source].reshape(old_shape[1:]), new_shape[1:]).flatten()
        else:
            grown[name] = _pad(state[source], grown[name].shape)  # the old first block reads 3 of its inputs
    return grown


def _grow_adam(state: dict, new_names: list[str], old_names: list[str], shapes: list[torch.Size], rename) -> dict:
    """Adam state moved to the grown model's parameter order, by name (see the module docstring)."""
    old_index = {name: index for index, name in enumerate(old_names)}
    moved = {}
    for index, (name, shape) in enumerate(zip(new_names, shapes)):
        source = rename(name)  # None: a parameter of a new block, which starts without Adam state
        entry = state["state"].get(old_index[source]) if source in old_index else None
        if entry is not None:
            moved[index] = padded_moments(entry, shape)
    groups = [{**group, "params": list(range(len(new_names)))} for group in state["param_groups"]]
    return {"state": moved, "param_groups": groups}


def grow_run(run_dir: str | Path, seed: int = 0) -> Path:
    """Grow the run in ``run_dir`` (generator, EMA, discriminator, Adam states) to twice its resolution."""
    from fashiongen.training.train_gan import TrainGANConfig

    run_dir = Path(run_dir)
    state = load_checkpoint(run_dir / CHECKPOINT_NAME)
    config = TrainGANConfig(**_known_fields(TrainGANConfig, state["config"]))
    classes = list(state["classes"])
    old_gan = config.gan_config(len(classes))
    new_gan = grown_config(old_gan)
    bigger = dataclasses.replace(config, resolution=new_gan.resolution, d_grown=new_gan.d_grown)
    generator = grow_generator_weights(state["model"]["generator"], old_gan, seed)
    ema = grow_generator_weights(state["ema"], old_gan, seed) if state.get("ema") is not None else None
    discriminator = grow_discriminator_weights(state["model"]["discriminator"], old_gan, seed)

    def names_and_shapes(model: nn.Module) -> tuple[list[str], list[torch.Size]]:
        pairs = list(model.named_parameters())  # Adam's state order is the parameters' order
        return [name for name, _ in pairs], [parameter.shape for _, parameter in pairs]

    optimizer = {}
    for part, build in (("generator", build_generator), ("discriminator", build_discriminator)):
        old_names, _ = names_and_shapes(build(old_gan))
        new_names, shapes = names_and_shapes(build(new_gan))
        rename = _old_discriminator_name if part == "discriminator" else (lambda name: name)
        optimizer[part] = _grow_adam(state["optimizer"][part], new_names, old_names, shapes, rename)
    extras = {key: value for key, value in state.items() if key not in ("model", "ema", "optimizer", "config", "step")}
    extras["grown"] = list(state.get("grown", [])) + [{"step": state["step"], "resolution": new_gan.resolution}]
    save_checkpoint(run_dir, model={"generator": generator, "discriminator": discriminator}, ema=ema,
                    optimizer=optimizer, config=bigger, step=state["step"], extra=extras)
    return prepare_run_dir(run_dir, bigger, resume=True)  # rewrites config.json, so --resume picks it up


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--run", required=True, help="run folder whose checkpoint.pt is grown in place")
    parser.add_argument("--seed", type=int, default=0, help="initialisation of the new blocks")
    args = parser.parse_args(argv)
    print(f"grown: {grow_run(args.run, args.seed)}")


if __name__ == "__main__":
    main()
