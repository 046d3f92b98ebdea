"""Train the arbitrary style transfer network.

    python -m fashiongen.training.train_style --out runs/style-main --max-steps 3000
    python -m fashiongen.training.train_style --out runs/style-main --max-steps 5000 --resume
    python -m fashiongen.training.train_style --preset cin --out runs/style-cin --max-steps 3000

Content: garment photos (train split). Styles: ``--styles`` images and drawn patterns, half each.
``train(config) -> run_dir`` is the whole trainer; the CLI only fills the config.
"""

from __future__ import annotations

import dataclasses
import json
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from PIL import Image
from tqdm import tqdm

from fashiongen.images import make_grid
from fashiongen.restyle import STYLE_SIDE
from fashiongen.training import distributed
from fashiongen.training.data import StyleSource, load_split
from fashiongen.training.runs import (CHECKPOINT_NAME, MetricsLog, load_checkpoint, parse_trainer_cli, prepare_run_dir, save_checkpoint)
from fashiongen.training.style_losses import content_loss, gram_style_loss, mean_std_style_loss, total_variation
from fashiongen.training.style_networks import PatchCritic, StyleNetConfig, build_style_net
from fashiongen.training.tensors import to_unit, unit_to_uint8
from fashiongen.training.vgg import gram_matrix, load_vgg16


@dataclass(frozen=True)
class TrainStyleConfig:
    data: str = "../shared/data/clothing"    # garment photos (content)
    styles: str = "../shared/data/styles"    # folder of style images ("" for drawn patterns only)
    out: str = "runs/style-main"             # run folder
    arch: str = "adain"                      # "adain" (main) or "cin" (conditional-norm variant)
    width: int = 16                          # transformer base width
    residual_blocks: int = 4                 # transformer residual blocks
    code_dim: int = 128                      # style code size
    style_size: int = STYLE_SIDE             # style image long side the serving side feeds the model
    crop: int = 128                          # training crop side
    batch_size: int = 4                      # pairs per step
    lr: float = 2e-4                         # Adam learning rate
    content_weight: float = 1.0              # relative relu3_3 content loss
    style_weight: float = 2.0                # relative Gram loss (relu1_2..relu4_3)
    moment_weight: float = 2.0               # relative mean/std style loss (AdaIN's), on the same taps
    tv_weight: float = 0.0                   # total variation
    identity_fraction: float = 0.25          # share of steps trained at strength 0 to reconstruct the content
    identity_weight: float = 5.0             # L1 weight of that reconstruction
    adversarial_weight: float = 0.0          # PatchGAN critic on output vs style crops (0: off)
    pattern_fraction: float = 0.5            # share of styles that are drawn patterns
    max_steps: int = 3000                    # train until this many steps in total
    sample_every: int = 250                  # steps between sample sheets
    checkpoint_every: int = 100              # steps between checkpoints
    seed: int = 0                            # seeds data order and init
    threads: int = 0                         # torch CPU threads (0: torch's default)
    device: str = "auto"                     # "auto", "cpu" or "cuda"
    cache: str = "runs/cache"                # decoded-dataset cache folder

    def net_config(self) -> StyleNetConfig:
        return StyleNetConfig(arch=self.arch, width=self.width, residual_blocks=self.residual_blocks,
                              code_dim=self.code_dim, style_size=self.style_size)


PRESETS = {
    "main": {},
    # Plain AdaIN training as published: mean/std style loss only, no Gram term, no identity steps.
    "adain-plain": dict(style_weight=0.0, moment_weight=4.0, identity_fraction=0.0),
    # Ghiasi-style conditional instance norm transformer (light, but slow to learn the conditioning).
    "cin": dict(arch="cin", lr=1e-3, style_weight=4.0, moment_weight=0.0),
    "adversarial": dict(adversarial_weight=0.05),
}
STYLE_TAPS = ("relu1_2", "relu2_2", "relu3_3", "relu4_3")
CONTENT_TAP = "relu3_3"


def _relative_content(output: dict, content: dict) -> torch.Tensor:
    return content_loss(output, content, CONTENT_TAP) / content[CONTENT_TAP].pow(2).mean().clamp_min(1e-8)


class _TrainingForward(torch.nn.Module):
    """The network's training forward as a module call, so DistributedDataParallel syncs its gradients."""

    def __init__(self, net: torch.nn.Module):
        super().__init__()
        self.net = net

    def forward(self, content, style_features, content_features, strength):
        return self.net.training_forward(content, style_features, content_features, strength)


def train(config: TrainStyleConfig, resume: bool = False) -> Path:
    """Train (or resume) until ``config.max_steps``; returns the run folder.

    Under ``torchrun`` every rank runs this; see :mod:`fashiongen.training.distributed`.
    """
    if config.threads:
        torch.set_num_threads(config.threads)
    ranks, device = distributed.init(config.device)
    if config.batch_size % ranks.world_size:
        raise ValueError(f"batch size {config.batch_size} must divide among {ranks.world_size} processes")
    torch.manual_seed(config.seed)  # the same initial weights on every rank
    # Content needs no labels: every garment photo of the train split counts, small classes too.
    contents, _, _ = load_split(config.data, "train", config.crop + config.crop // 4, config.cache, min_class_images=1,
                                 view="square")
    all_contents, contents = contents, contents[ranks.rank::ranks.world_size]  # everything; this rank's shard
    rng = np.random.default_rng([config.seed, ranks.rank])
    styles = StyleSource(config.styles, config.crop, config.pattern_fraction, rng)
    vgg, vgg_source = load_vgg16("relu4_3")
    vgg = vgg.to(device)
    net = build_style_net(config.net_config(), vgg).to(device)
    run_dir = Path(config.out)
    if ranks.is_main:
        run_dir = prepare_run_dir(config.out, config, resume)
        (run_dir / "vgg_source.txt").write_text(vgg_source + "\n")
        print(f"{config}\nVGG16 weights: {vgg_source}\n{len(contents)} content photos per process, "
              f"{len(styles.images)} style images, device: {device}, processes: {ranks.world_size}")
    trainable = [p for name, p in net.named_parameters() if not name.startswith("vgg.")]
    optimizer = torch.optim.Adam(trainable, config.lr)
    critic = PatchCritic().to(device) if config.adversarial_weight > 0 else None
    critic_optimizer = torch.optim.Adam(critic.parameters(), 2e-4, betas=(0.5, 0.99)) if critic else None
    step, compute_seconds = 0, 0.0
    if resume and (run_dir / CHECKPOINT_NAME).exists():
        state = load_checkpoint(run_dir / CHECKPOINT_NAME)
        net.load_state_dict(state["model"], strict=False)
        optimizer.load_state_dict(state["optimizer"]["net"])
        if critic is not None and "critic" in state["optimizer"]:
            critic.load_state_dict(state["critic"])
            critic_optimizer.load_state_dict(state["optimizer"]["critic"])
        step, compute_seconds = state["step"], float(state.get("compute_seconds", 0.0))
        rng = np.random.default_rng([config.seed + step, ranks.rank])
        styles.rng = rng
        if ranks.is_main:
            print(f"resumed from step {step}")
    forward = distributed.wrap(_TrainingForward(net), ranks, device)
    critic_ddp = distributed.wrap(critic, ranks, device) if critic is not None else None
    batch_size = config.batch_size // ranks.world_size  # this rank's share of the global batch

    # Fixed pairs for the sample sheets: the same garments and styles at every snapshot.
    fixed_rng = np.random.default_rng(1234)
    fixed = all_contents[fixed_rng.choice(len(all_contents), min(4, len(all_contents)), replace=False)]
    fixed_content = to_unit(fixed[:, :config.crop, :config.crop], device)
    fixed_styles = to_unit(np.stack([StyleSource(config.styles, config.crop, config.pattern_fraction,
                                                    np.random.default_rng(i)).sample() for i in range(len(fixed))]), device)
    log = MetricsLog(run_dir) if ranks.is_main else None
    progress = tqdm(total=config.max_steps, initial=step, desc=run_dir.name, dynamic_ncols=True,
                    disable=not ranks.is_main)
    while step < config.max_steps:
        started = time.time()
        index = rng.integers(0, len(contents), batch_size)
        top, left = rng.integers(0, contents.shape[1] - config.crop + 1, 2)
        batch = contents[index, top:top + config.crop, left:left + config.crop]
        if rng.random() < 0.5:
            batch = batch[:, :, ::-1]
        content = to_unit(batch, device)
        style = to_unit(np.stack([styles.sample() for _ in range(batch_size)]), device)
        # Every rank takes the same kind of step (identity or not): a shared draw from the step number.
        identity = np.random.default_rng([config.seed, step]).random() < config.identity_fraction
        strength = torch.full((batch_size,), 0.0 if identity else 1.0, device=device)
        with torch.no_grad():
            # One VGG pass over the style crop serves both the style code and the Gram targets
            # (the crop is already at training scale, so the model's own resize is skipped).
            style_features = vgg(style)
            content_features = vgg(content)
        output, content_target = forward(content, style_features, content_features, strength)
        output_features = vgg(output)
        values = {}
        if identity:
            loss = config.identity_weight * F.l1_loss(output, content) + _relative_content(output_features, content_target)
            values["identity_l1"] = F.l1_loss(output, content).item()
        else:
            style_grams = {tap: gram_matrix(style_features[tap]) for tap in STYLE_TAPS}
            loss_content = _relative_content(output_features, content_target)
            loss_style = gram_style_loss(output_features, style_grams, STYLE_TAPS)
            loss = config.content_weight * loss_content + config.style_weight * loss_style
            if config.moment_weight:
                loss = loss + config.moment_weight * mean_std_style_loss(output_features, style_features, STYLE_TAPS)
            if config.tv_weight:
                loss = loss + config.tv_weight * total_variation(output)
            if critic_ddp is not None:
                judged = critic_ddp(torch.cat([style, output.detach()]))  # one critic call per backward
                critic_loss = F.relu(1 - judged[:batch_size]).mean() + F.relu(1 + judged[batch_size:]).mean()
                critic_optimizer.zero_grad(set_to_none=True)
                critic_loss.backward()
                critic_optimizer.step()
                loss = loss - config.adversarial_weight * critic_ddp(output).mean()
                values["critic"] = critic_loss.item()
            values.update(content=loss_content.item(), style=loss_style.item())
        optimizer.zero_grad(set_to_none=True)
        loss.backward()
        optimizer.step()
        step += 1
        compute_seconds += time.time() - started
        progress.update(1)
        values["loss"] = loss.item()
        if ranks.distributed:  # checked, not assumed: DDP keeps the replicas identical
            values["replica_spread"] = distributed.replica_spread([net] + ([critic] if critic else []), ranks)
        progress.set_postfix({key: f"{value:.3f}" for key, value in values.items()})
        if not ranks.is_main:
            continue
        log.write(step, **values)
        if step % config.sample_every == 0 or step == config.max_steps:
            net.eval()
            with torch.no_grad():
                outputs = [net(fixed_content, fixed_styles.roll(shift, 0), torch.ones(len(fixed), device=device))
                           for shift in range(2)]
            tiles = unit_to_uint8(torch.cat([fixed_content, fixed_styles, *outputs]))
            Image.fromarray(make_grid(list(tiles), 4)).save(run_dir / f"pairs{step:06d}.png")
            net.train()
        if step % config.checkpoint_every == 0 or step == config.max_steps:
            model_state = {k: v for k, v in net.state_dict().items() if not k.startswith("vgg.")}
            save_checkpoint(run_dir, model=model_state, ema=None,
                            optimizer={"net": optimizer.state_dict(),
                                       **({"critic": critic_optimizer.state_dict()} if critic else {})},
                            config=config, step=step,
                            extra={"compute_seconds": compute_seconds, "vgg_source": vgg_source,
                                   "device": str(device), "threads": torch.get_num_threads(),
                                   **({"critic": critic.state_dict()} if critic else {})})
    progress.close()
    distributed.finish(ranks)
    return run_dir


def main(argv: list[str] | None = None) -> None:
    config, resume, dry_run = parse_trainer_cli(TrainStyleConfig, PRESETS, __doc__, argv)
    if dry_run:
        print(json.dumps(dataclasses.asdict(config), indent=2))
        return
    print(f"run folder: {train(config, resume=resume)}")


if __name__ == "__main__":
    main()
