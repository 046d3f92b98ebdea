"""Train the class-conditional garment GAN.

    python -m fashiongen.training.train_gan --out runs/gan-main --max-steps 6000
    python -m fashiongen.training.train_gan --out runs/gan-main --max-steps 9000 --resume
    python -m fashiongen.training.train_gan --preset dcgan --out runs/gan-dcgan --max-steps 6000

``train(config) -> run_dir`` is the whole trainer; the CLI only fills the config.
"""

from __future__ import annotations

import copy
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
from fashiongen.training import distributed
from fashiongen.training.augment import diff_augment
from fashiongen.training.data import MIN_CLASS_IMAGES, load_split
from fashiongen.training.gan_losses import discriminator_loss, generator_loss
from fashiongen.training.gan_networks import (GANConfig, build_discriminator, build_generator,
                                              recompute_batchnorm_stats)
from fashiongen.training.tensors import signed_to_uint8, to_signed
from fashiongen.training.runs import (CHECKPOINT_NAME, MetricsLog, load_checkpoint, parse_trainer_cli, prepare_run_dir, save_checkpoint, save_slim_checkpoint)


@dataclass(frozen=True)
class TrainGANConfig:
    data: str = "../shared/data/clothing"   # images.csv folder or class-per-folder tree
    out: str = "runs/gan-main"              # run folder
    arch: str = "projection"                # "projection" (main) or "dcgan" (baseline)
    loss: str = "hinge"                     # "hinge" or "bce"
    diffaug: str = "color,translation,cutout"  # DiffAugment policy, "" for none
    class_loss_weight: float = 0.5          # auxiliary-classifier loss on D (real) and G (fake); 0 disables
    xflip: bool = True                      # random horizontal flips of real photos
    balance_classes: bool = True            # sample classes by 1/sqrt(frequency)
    resolution: int = 64                    # output side in pixels
    z_dim: int = 128                        # noise dimension
    g_width: int = 128                      # generator channels at 4x4
    g_min_width: int = 16                   # generator channels at the highest resolutions never fall below this
    d_width: int = 32                       # discriminator channels at full resolution
    d_grown: int = 0                        # resolution doublings grown into the run (set by training/grow.py)
    upsample: str = "nearest"               # generator upsampling, "nearest" or "bilinear" (projection arch)
    batch_size: int = 32                    # images per step
    lr_g: float = 2e-4                      # generator Adam learning rate
    lr_d: float = 2e-4                      # discriminator Adam learning rate
    beta1: float = 0.0                      # Adam beta1
    beta2: float = 0.99                     # Adam beta2
    lr_decay_start: int = 0                 # from this step both learning rates fall linearly to 0 at max_steps (0: constant)
    ema_decay: float = 0.999                # EMA of generator weights (0 disables)
    max_steps: int = 6000                   # train until this many steps in total
    log_every: int = 10                     # steps between metrics.jsonl lines
    sample_every: int = 500                 # steps between sample grids
    checkpoint_every: int = 250             # steps between checkpoints
    snapshot_every: int = 1000              # steps between EMA-generator snapshots kept for the training curve
    seed: int = 0                           # seeds data order, noise and init
    threads: int = 0                        # torch CPU threads (0: torch's default)
    device: str = "auto"                    # "auto", "cpu" or "cuda"
    precision: str = "float32"              # "float32", or "bfloat16": G and D forward passes under autocast
                                            # (weights, optimiser state, EMA and losses stay float32)
    channels_last: bool = False             # NHWC memory format for G, D and batches (faster oneDNN convolutions)
    cache: str = "runs/cache"               # decoded-dataset cache folder
    min_class_images: int = MIN_CLASS_IMAGES  # drop classes smaller than this

    def gan_config(self, num_classes: int) -> GANConfig:
        return GANConfig(num_classes=num_classes, arch=self.arch, z_dim=self.z_dim, resolution=self.resolution,
                         g_width=self.g_width, g_min_width=self.g_min_width, d_width=self.d_width,
                         d_grown=self.d_grown, upsample=self.upsample,
                         aux_classifier=self.arch == "projection" and self.class_loss_weight > 0)


PRESETS = {
    "main": {},
    # The design documents' baseline: DCGAN, BCE, no augmentation of any kind, no EMA.
    "dcgan": dict(arch="dcgan", loss="bce", diffaug="", xflip=False, balance_classes=False, ema_decay=0.0,
                  beta1=0.5, beta2=0.999, class_loss_weight=0.0, d_width=16),
    # The main recipe with twice the generator channels at 32x32 and 64x64 (16 -> 32); a run of the
    # main recipe grows into it in place with ``python -m fashiongen.training.widen``.
    "wide": dict(g_min_width=32),
    # The first release's recipe, kept for comparison: projection D without the auxiliary classifier.
    "projection": dict(class_loss_weight=0.0),
    # The main recipe at about half the CPU time per step (benchmarks/gan_step_cost.py): bfloat16
    # autocast (AVX512-BF16 / AMX or a GPU's tensor cores) and channels-last tensors.
    "main-bf16": dict(precision="bfloat16", channels_last=True),
}
# The baseline with the same speed-ups, so that both runs can use what the machine offers and
# equal compute still means equal CPU time (benchmarks/gan_step_cost.py measures both).
PRESETS["dcgan-bf16"] = dict(PRESETS["dcgan"], precision="bfloat16", channels_last=True)
PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16}


def sample_sheet(generator: torch.nn.Module, gan: GANConfig, classes: list[str], columns: int = 8,
                 seed: int = 1234) -> np.ndarray:
    """Fixed-seed grid: one row per class, ``columns`` noise vectors shared by every row."""
    device = next(generator.parameters()).device
    z = torch.randn(columns, gan.z_dim, generator=torch.Generator().manual_seed(seed))
    z = z.repeat(len(classes), 1).to(device)
    class_id = torch.arange(len(classes)).repeat_interleave(columns).to(device)
    with torch.no_grad():
        images = signed_to_uint8(generator(z, class_id))
    return make_grid(list(images), columns)


def learning_rate_factor(step: int, decay_start: int, max_steps: int) -> float:
    """Multiplier in [0, 1] of the base learning rates for the step about to run (0-based).

    1 until ``decay_start``, then linear to 0 at ``max_steps``: the projection-discriminator
    papers' schedule, applied here as a final phase of a long constant-rate run. ``decay_start``
    0 (or >= ``max_steps``) keeps the rates constant.
    """
    if decay_start <= 0 or decay_start >= max_steps or step < decay_start:
        return 1.0
    return max(0.0, (max_steps - step) / (max_steps - decay_start))


def native_bfloat16(device: torch.device) -> bool:
    """Whether ``device`` runs bfloat16 convolutions in hardware.

    Without it (a CPU with no AVX512-BF16 or AMX, e.g. AVX2 only) PyTorch emulates them: one step of
    the main recipe measured 27 CPU-s against 2.6 in float32 (benchmarks/gan_step_cost.py).
    """
    if device.type == "cuda":
        return torch.cuda.is_bf16_supported()
    if device.type == "cpu":
        return any(getattr(torch.cpu, name, lambda: False)()
                   for name in ("_is_avx512_bf16_supported", "_is_amx_tile_supported"))
    return False


def _autocast(config: TrainGANConfig, device: torch.device):
    """The forward passes' precision: a no-op context for float32."""
    dtype = PRECISIONS[config.precision]
    return torch.autocast(device.type, dtype=dtype or torch.float32, enabled=dtype is not None)


def _eval_copy(generator: torch.nn.Module, gan: GANConfig) -> torch.nn.Module:
    copy_ = copy.deepcopy(generator)
    recompute_batchnorm_stats(copy_, gan, batches=8)
    return copy_


def train(config: TrainGANConfig, resume: bool = False) -> Path:
    """Train (or resume) until ``config.max_steps``; returns the run folder.

    Under ``torchrun`` every rank runs this; see :mod:`fashiongen.training.distributed`.
    """
    if config.threads:
        torch.set_num_threads(config.threads)
    if config.precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {sorted(PRECISIONS)}, not {config.precision!r}")
    ranks, device = distributed.init(config.device)
    if config.precision == "bfloat16" and not native_bfloat16(device):
        # bfloat16 is a speed setting only (weights, optimiser and EMA stay float32), so a run
        # carried to a machine that would emulate it goes on in float32 instead of 10x slower.
        if ranks.is_main:
            print(f"bfloat16 is emulated on this {device.type} (no AVX512-BF16/AMX): training in float32")
        config = dataclasses.replace(config, precision="float32")
    if config.batch_size % ranks.world_size:
        raise ValueError(f"batch size {config.batch_size} must divide among {ranks.world_size} processes")
    torch.manual_seed(config.seed)  # the same initial weights on every rank
    images, labels, classes = load_split(config.data, "train", config.resolution, config.cache,
                                         config.min_class_images)
    gan = config.gan_config(len(classes))
    run_dir = Path(config.out)
    if ranks.is_main:
        run_dir = prepare_run_dir(config.out, config, resume)
        (run_dir / "classes.json").write_text(json.dumps(classes) + "\n")
        print(f"{config}\n{len(images)} training images, classes: {classes}, device: {device}, "
              f"processes: {ranks.world_size}")

    memory_format = torch.channels_last if config.channels_last else torch.contiguous_format
    generator = build_generator(gan).to(device, memory_format=memory_format)
    discriminator = build_discriminator(gan).to(device, memory_format=memory_format)
    ema = copy.deepcopy(generator).requires_grad_(False) if config.ema_decay > 0 else None
    optimizer_g = torch.optim.Adam(generator.parameters(), config.lr_g, betas=(config.beta1, config.beta2))
    optimizer_d = torch.optim.Adam(discriminator.parameters(), config.lr_d, betas=(config.beta1, config.beta2))
    step, cpu_before = 0, 0.0
    if resume and (run_dir / CHECKPOINT_NAME).exists():
        state = load_checkpoint(run_dir / CHECKPOINT_NAME)
        generator.load_state_dict(state["model"]["generator"])
        discriminator.load_state_dict(state["model"]["discriminator"])
        optimizer_g.load_state_dict(state["optimizer"]["generator"])
        optimizer_d.load_state_dict(state["optimizer"]["discriminator"])
        if ema is not None:
            ema.load_state_dict(state["ema"])
        step, cpu_before = state["step"], float(state.get("cpu_seconds", 0.0))
        if ranks.is_main:
            print(f"resumed from step {step}")
    # A fresh but reproducible data and noise stream per rank (and after resuming).
    torch.manual_seed(config.seed + step + 1_000_003 * ranks.rank)
    generator_ddp = distributed.wrap(generator, ranks, device)
    discriminator_ddp = distributed.wrap(discriminator, ranks, device)

    shard = np.arange(ranks.rank, len(labels), ranks.world_size)  # this rank's photos
    data = torch.from_numpy(images[shard])
    label_tensor = torch.from_numpy(labels[shard])
    counts = np.bincount(labels, minlength=len(classes)).astype(np.float64)
    weights = (counts[labels[shard]] ** -0.5) if config.balance_classes else np.ones(len(shard))
    weights = torch.from_numpy(weights / weights.sum())
    batch = config.batch_size // ranks.world_size  # this rank's share of the global batch
    log = MetricsLog(run_dir) if ranks.is_main else None
    cpu_start = time.process_time()  # training compute = this process's CPU time, summed over resumes
    progress = tqdm(total=config.max_steps, initial=step, desc=run_dir.name, dynamic_ncols=True,
                    disable=not ranks.is_main)
    while step < config.max_steps:
        rate = learning_rate_factor(step, config.lr_decay_start, config.max_steps)
        for optimizer, base in ((optimizer_g, config.lr_g), (optimizer_d, config.lr_d)):
            for group in optimizer.param_groups:
                group["lr"] = base * rate
        index = torch.multinomial(weights, batch, replacement=True)
        real = to_signed(data[index], device).contiguous(memory_format=memory_format)
        class_id = label_tensor[index].to(device)
        if config.xflip:
            flip = torch.rand(real.shape[0], 1, 1, 1, device=device) < 0.5
            real = torch.where(flip, real.flip(3), real)

        # Discriminator step: fake labels follow the real batch's labels; real and fake go through
        # D in one call (one forward per backward, as DDP wants).
        z = torch.randn(batch, gan.z_dim, device=device)
        with _autocast(config, device):
            with torch.no_grad():
                fake = generator_ddp(z, class_id).float()
            both = torch.cat([diff_augment(real, config.diffaug), diff_augment(fake, config.diffaug)])
            logits, class_logits = discriminator_ddp(both, class_id.repeat(2), with_classes=True)
        logits = logits.float()
        class_logits = class_logits.float() if class_logits is not None else None
        real_logits, fake_logits = logits[:batch], logits[batch:]
        loss_d = discriminator_loss(real_logits, fake_logits, config.loss)
        if class_logits is not None:
            loss_d = loss_d + config.class_loss_weight * F.cross_entropy(class_logits[:batch], class_id)
        optimizer_d.zero_grad(set_to_none=True)
        loss_d.backward()
        optimizer_d.step()

        # Generator step.
        z = torch.randn(batch, gan.z_dim, device=device)
        with _autocast(config, device):
            fake_logits_g, fake_classes = discriminator_ddp(
                diff_augment(generator_ddp(z, class_id).float(), config.diffaug), class_id, with_classes=True)
        loss_g = generator_loss(fake_logits_g.float(), config.loss)
        if fake_classes is not None:
            loss_g = loss_g + config.class_loss_weight * F.cross_entropy(fake_classes.float(), class_id)
        optimizer_g.zero_grad(set_to_none=True)
        loss_g.backward()
        optimizer_g.step()

        if ema is not None:
            # Ramp the decay up from 0 so the average never mixes in the untrained first steps.
            decay = min(config.ema_decay, (1.0 + step) / (10.0 + step))
            with torch.no_grad():
                for ema_param, param in zip(ema.parameters(), generator.parameters()):
                    ema_param.lerp_(param, 1.0 - decay)
                for ema_buffer, buffer in zip(ema.buffers(), generator.buffers()):
                    ema_buffer.copy_(buffer)
        step += 1
        progress.update(1)
        cpu_seconds = cpu_before + time.process_time() - cpu_start
        if step % config.log_every == 0:
            values = dict(loss_d=loss_d.item(), loss_g=loss_g.item(), d_real=real_logits.mean().item(),
                          d_fake=fake_logits.mean().item(), lr_factor=rate, cpu_seconds=cpu_seconds)
            if ranks.distributed:  # checked, not assumed: DDP keeps the replicas identical
                values["replica_spread"] = distributed.replica_spread([generator, discriminator], ranks)
            progress.set_postfix({key: f"{value:.3f}" for key, value in values.items()})
            if log is not None:
                log.write(step, **values)
        if not ranks.is_main:
            continue
        if step % config.sample_every == 0 or step == config.max_steps:
            sheet = sample_sheet(_eval_copy(ema if ema is not None else generator, gan), gan, classes)
            Image.fromarray(sheet).save(run_dir / f"fakes{step:06d}.png")
            generator.train()
        if step % config.checkpoint_every == 0 or step == config.max_steps:
            save_checkpoint(run_dir, model={"generator": generator.state_dict(),
                                            "discriminator": discriminator.state_dict()},
                            ema=ema.state_dict() if ema is not None else None,
                            optimizer={"generator": optimizer_g.state_dict(),
                                       "discriminator": optimizer_d.state_dict()},
                            config=config, step=step, extra={"classes": classes, "cpu_seconds": cpu_seconds})
        if config.snapshot_every and step % config.snapshot_every == 0:
            # Lean snapshots for the FD / probe curve: the generator alone (its EMA where there is one).
            snapshot = ema if ema is not None else generator
            save_slim_checkpoint(run_dir / f"snapshot-step{step:06d}.pt", model={"generator": snapshot.state_dict()},
                                 config=dataclasses.asdict(config), step=step,
                                 extra={"classes": classes, "cpu_seconds": cpu_seconds})
    progress.close()
    distributed.finish(ranks)
    return run_dir


def main(argv: list[str] | None = None) -> None:
    config, resume, dry_run = parse_trainer_cli(TrainGANConfig, PRESETS, __doc__, argv)
    if dry_run:
        print(json.dumps(dataclasses.asdict(config), indent=2))
        return
    print(f"run folder: {train(config, resume=resume)}")


if __name__ == "__main__":
    main()
