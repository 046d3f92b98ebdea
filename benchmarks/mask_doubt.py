"""How well the app's "check the mask" warning picks out wrong automatic masks, on masks judged by eye.

    python benchmarks/mask_doubt.py            # about 20 minutes on two cores (877 photos)

The warning (:class:`fashiongen.garment_mask.AutoMask`'s ``doubtful``) fires where the first network's
probability stays far from the final mask along its outline (:func:`fashiongen.garment_mask.edge_doubt`
above ``DOUBT_RULES.threshold``). Two sets of photos whose shipped mask was judged by eye:

- **train**: photos the networks may have trained on, judged on the shipped mask
  (``benchmarks/mask_checks_shipped_train.json``'s right and wrong ones, and the ones of
  ``benchmarks/teacher_label_checks.json`` whose verdict is about the shipped mask). The threshold was
  set on these: the 80th percentile of the signal over the right ones (printed, to compare);
- **held-out**: fold 0 of ``benchmarks/mask_checks.json``, never trained on, every photo with its verdict
  on the shipped mask (``benchmarks/mask_candidate.py``'s ``held_out_verdicts``; a judged mask that no
  longer reproduces is left out and counted).

Printed per set and verdict: photos, how many the warning flags, and the ranking quality of the signal
(AUC: the chance a wrong mask scores above a right one). Then the same on 75 designs of the shipped trend
model and the app's 4 example garments, all on white, judged by eye
(``benchmarks/mask_checks_designs.json``), beside what the first network alone would flag there (on white
the second network judges the outline: ``DoubtRules``). No photo pixels are written.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from fashiongen.garment_mask import DOUBT_RULES, DoubtRules, automatic_mask, shipped_segmenter
from fashiongen.images import load_image
from fashiongen.metrics.mask_verdicts import mask_digest, work_photo
from mask_candidate import held_out_verdicts

ROOT = Path(__file__).resolve().parent.parent
_SEGMENTER = None


def train_verdicts(shipped_train: Path, teacher_checks: Path) -> dict[str, str]:
    """{photo: "right" or "wrong"} on the shipped mask, for the judged train photos (doubts left out)."""
    verdicts = {}
    for name, entry in json.loads(teacher_checks.read_text())["checked"].items():
        if entry.get("source") == "shipped":      # the shipped mask was the label judged
            verdicts[name] = entry["verdict"]
        elif entry.get("source") == "neither":    # both opinions judged wrong, the shipped mask among them
            verdicts[name] = "wrong"
    for name, entry in json.loads(shipped_train.read_text())["checked"].items():
        if entry["verdict"] in ("right", "wrong"):
            verdicts[name] = entry["verdict"]
    return verdicts


def _signal(job: tuple[str, str, str | None]) -> tuple[str, float | None, bool, bool]:
    """(photo path, name, digest judged or None) -> (name, edge doubt or None when no garment was found,
    whether the mask made is the one judged, whether the warning fires)."""
    global _SEGMENTER
    if _SEGMENTER is None:
        _SEGMENTER = shipped_segmenter()
    path, name, judged_digest = job
    photo = work_photo(Path(path))
    if photo is None:
        return name, None, False, False
    found = automatic_mask(photo, segmenter=_SEGMENTER)
    reproduces = judged_digest is None or mask_digest(found.mask) == judged_digest
    return name, found.edge_doubt, reproduces, found.warning is not None


def design_report(verdicts_file: Path) -> None:
    """The warning on the trend model's designs and the app's examples (white backgrounds), judged by eye,
    beside what the first network alone would flag there."""
    from fashiongen.pipeline import Pipeline
    from fashiongen.trends import enlarge

    judged = json.loads(verdicts_file.read_text())
    pipeline = Pipeline.from_checkpoints()
    if pipeline.sampler.model.sha256 != judged["trend_model_sha256"]:
        print(f"\n{verdicts_file} judged another trend model's designs: skipped")
        return
    pictures = {}
    for name in judged["checked"]:
        label, seed = name.rsplit("-", 1)
        pictures[name] = enlarge(pipeline.sampler.sample([label], 1, int(seed))[0].image, judged["side"])
    for name in judged["examples"]:
        pictures[name] = load_image(ROOT / "examples" / name)
    verdicts = {**judged["checked"], **judged["examples"]}
    first_only = DoubtRules(white_share=2.0)  # never "on white": the first network judges every outline
    counts = {}
    for name, picture in pictures.items():
        verdict = verdicts[name] if isinstance(verdicts[name], str) else verdicts[name]["verdict"]
        row = counts.setdefault(verdict, [0, 0, 0])
        row[0] += 1
        row[1] += automatic_mask(picture, segmenter=pipeline.segmenter).warning is not None
        row[2] += automatic_mask(picture, segmenter=pipeline.segmenter, doubt=first_only).warning is not None
    print(f"\n{'designs':<10}{'verdict':<9}{'designs':>8}{'flagged':>9}{'by the first network alone':>28}")
    for verdict in ("right", "slight", "wrong"):
        total, flagged, first = counts.get(verdict, [0, 0, 0])
        print(f"{'designs':<10}{verdict:<9}{total:>8}{flagged:>9}{first:>28}")


def auc(wrong: np.ndarray, right: np.ndarray) -> float:
    """Chance that a wrong mask's signal is above a right one's (ties count half)."""
    if not len(wrong) or not len(right):
        return float("nan")
    above = (wrong[:, None] > right[None]).mean()
    return float(above + 0.5 * (wrong[:, None] == right[None]).mean())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--labels", default="benchmarks/mask_checks.json")
    parser.add_argument("--verdicts", default="benchmarks/mask_checks_learned_heldout.json")
    parser.add_argument("--shipped-train", default="benchmarks/mask_checks_shipped_train.json")
    parser.add_argument("--teacher-checks", default="benchmarks/teacher_label_checks.json")
    parser.add_argument("--designs", default="benchmarks/mask_checks_designs.json",
                        help="verdicts on the trend model's designs and the app's examples")
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    judged_file = json.loads(Path(args.verdicts).read_text())
    if judged_file["mask_version"] != shipped_segmenter().mask_version:
        raise SystemExit(f"{args.verdicts} judged {judged_file['mask_version']}, not the shipped mask")
    sets = {"train": train_verdicts(Path(args.shipped_train), Path(args.teacher_checks)),
            "held-out": held_out_verdicts(Path(args.labels), judged_file)}
    images = Path(args.data) / "images"
    results = {}
    with ProcessPoolExecutor(args.workers) as pool:
        for name_set, verdicts in sets.items():
            jobs = [(str(images / name), name, judged_file["checked"].get(name, {}).get("mask_sha256")
                     if name_set == "held-out" else None) for name in sorted(verdicts)]
            results[name_set] = list(pool.map(_signal, jobs, chunksize=8))
    print(f"\nthe warning fires where no garment was found or the edge doubt (band {DOUBT_RULES.band} px at the work "
          f"size) is above {DOUBT_RULES.threshold} (the first network's; the second's above "
          f"{DOUBT_RULES.white_threshold} on a white background)")
    print(f"{'set':<10}{'verdict':<9}{'photos':>8}{'flagged':>9}{'share':>8}{'of them no garment':>20}")
    for name_set, rows in results.items():
        verdicts = sets[name_set]
        kept = [(name, value, warned) for name, value, reproduces, warned in rows if reproduces]
        values = {}
        for verdict in ("right", "wrong"):
            judged = [(value, warned) for name, value, warned in kept if verdicts[name] == verdict]
            values[verdict] = np.array([value for value, _ in judged if value is not None])
            no_garment = sum(value is None for value, _ in judged)  # warned too: "no garment was found"
            flagged = sum(warned for _, warned in judged)
            print(f"{name_set:<10}{verdict:<9}{len(judged):>8}{flagged:>9}{flagged / max(1, len(judged)):>8.1%}"
                  f"{no_garment:>20}")
        print(f"{name_set:<10}AUC {auc(values['wrong'], values['right']):.3f}; 80th percentile over right masks "
              f"{np.quantile(values['right'], 0.8):.3f}; {len(rows) - len(kept)} judged masks no longer reproduce")
    design_report(Path(args.designs))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
