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
(AUC: the chance a wrong mask scores above a right one). No photo pixels are written.
"""

from __future__ import annotations

import argparse
import json
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np

from fashiongen.garment_mask import DOUBT_RULES, automatic_mask, shipped_segmenter
from fashiongen.metrics.mask_verdicts import mask_digest, work_photo
from mask_candidate import held_out_verdicts

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


def _signal(job: tuple[str, str, str | None]) -> tuple[str, float | None, bool]:
    """(photo path, name, digest judged or None) -> (name, edge doubt or None when no garment was found,
    whether the mask made is the one judged)."""
    global _SEGMENTER
    if _SEGMENTER is None:
        _SEGMENTER = shipped_segmenter()
    path, name, judged_digest = job
    photo = work_photo(Path(path))
    if photo is None:
        return name, None, False
    found = automatic_mask(photo, segmenter=_SEGMENTER)
    reproduces = judged_digest is None or mask_digest(found.mask) == judged_digest
    return name, found.edge_doubt, reproduces


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
    threshold = DOUBT_RULES.threshold
    print(f"\nedge doubt > {threshold} flags the mask (band {DOUBT_RULES.band} px at the work size)")
    print(f"{'set':<10}{'verdict':<9}{'photos':>8}{'flagged':>9}{'share':>8}{'of them no garment':>20}")
    for name_set, rows in results.items():
        verdicts = sets[name_set]
        kept = [(name, value) for name, value, reproduces in rows if reproduces]
        values = {}
        for verdict in ("right", "wrong"):
            signal = [value for name, value in kept if verdicts[name] == verdict]
            values[verdict] = np.array([value for value in signal if value is not None])
            no_garment = sum(value is None for value in signal)  # warned too: "no garment was found"
            flagged = int((values[verdict] > threshold).sum()) + no_garment
            print(f"{name_set:<10}{verdict:<9}{len(signal):>8}{flagged:>9}{flagged / max(1, len(signal)):>8.1%}"
                  f"{no_garment:>20}")
        print(f"{name_set:<10}AUC {auc(values['wrong'], values['right']):.3f}; 80th percentile over right masks "
              f"{np.quantile(values['right'], 0.8):.3f}; {len(rows) - len(kept)} judged masks no longer reproduce")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
