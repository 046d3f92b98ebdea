"""A candidate garment segmenter (or grower) against the shipped one, on the held-out fold's verdicts by eye.

    python benchmarks/mask_candidate.py --candidate runs/segmenter-next.onnx --out runs/candidate-next
    python benchmarks/mask_candidate.py --candidate-grower runs/grower-next.onnx --out runs/candidate-grower
    python benchmarks/mask_candidate.py --candidate-side 256 --out runs/candidate-side256

Every held-out photo (fold 0 of ``benchmarks/mask_checks.json``, never trained on) has a verdict on
the shipped mask: the ones listed in ``benchmarks/mask_checks_learned_heldout.json`` (judged by eye on
that mask, its digest checked here), the others right (GrabCut right, the shipped mask within IoU 0.98
of it; see that file's ``about``). The candidate's app mask (the whole pipeline, only the network
swapped: the segmenter with ``--candidate``, the growth step's second network with ``--candidate-grower``,
or both; ``--candidate-side``: the segmenter run at another size) is compared with the shipped one on each
photo:

- right masks it moves (IoU with the shipped mask below ``--moved``): each may be broken;
- wrong masks it moves: each may be fixed;
- mean IoU with the shipped mask over the right ones.

Only moved masks need judging by eye, so the sheets (dataset pixels, never commit) show those, one row
per photo: "photo | shipped mask | candidate mask" (outside the mask tinted), right ones first.
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

import numpy as np
from PIL import Image
from tqdm import tqdm

from fashiongen.garment_mask import SEGMENTER_FILE, LearnedSegmenter, garment_mask, shipped_grower_file
from fashiongen.images import make_grid, resize
from fashiongen.metrics.mask_benchmark import iou, tint
from fashiongen.metrics.mask_verdicts import fold_of, load_labels, mask_digest, work_photo

TILE = (180, 240)
ROWS_PER_SHEET = 8


def held_out_verdicts(labels: Path, judged: dict, fold: int = 0) -> dict[str, str]:
    """{photo name: "right" or "wrong" on the shipped mask} for every held-out photo: those in ``judged``
    (the learned-mask verdict file, loaded) with their verdict, the others right."""
    verdicts = {name: "right" for name in load_labels(labels)["checked"] if fold_of(name) == fold}
    for name, entry in judged["checked"].items():
        verdicts[name] = entry["verdict"]
    return verdicts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--candidate", default="", help="the candidate segmenter's ONNX file ('': the shipped one)")
    parser.add_argument("--candidate-grower", default="",
                        help="the candidate grower's ONNX file, for the candidate's mask only ('': the --grower one)")
    parser.add_argument("--candidate-side", type=int, default=0,
                        help="long side the candidate segmenter runs at (0: the side its file names)")
    parser.add_argument("--shipped", default=str(SEGMENTER_FILE))
    parser.add_argument("--grower", default=str(shipped_grower_file() or ""),
                        help="the growth step's second network, for both masks ('' for none; default: the committed one)")
    parser.add_argument("--data", default="../shared/data/clothing")
    parser.add_argument("--labels", default="benchmarks/mask_checks.json")
    parser.add_argument("--verdicts", default="benchmarks/mask_checks_learned_heldout.json")
    parser.add_argument("--moved", type=float, default=0.98, help="IoU with the shipped mask below which a mask moved")
    parser.add_argument("--out", default="runs/mask-candidate")
    args = parser.parse_args(argv)
    if not args.candidate and not args.candidate_grower and not args.candidate_side:
        parser.error("give --candidate, --candidate-grower, --candidate-side or several")
    grower = args.grower or None
    shipped = LearnedSegmenter(args.shipped, grower)
    candidate = LearnedSegmenter(args.candidate or args.shipped, args.candidate_grower or grower)
    if args.candidate_side:
        if args.candidate_side % candidate.multiple:
            parser.error(f"--candidate-side must be a multiple of {candidate.multiple}")
        candidate.side = args.candidate_side
    roles = (("segmenter", args.candidate), ("grower", args.candidate_grower))
    candidate_name = " with ".join(f"{role} {path}" for role, path in roles if path) or "the shipped networks"
    if args.candidate_side:
        candidate_name += f", segmenter at {args.candidate_side} px"
    verdict_file = json.loads(Path(args.verdicts).read_text())
    version, judged = verdict_file["mask_version"], verdict_file["checked"]
    if shipped.mask_version != version:
        raise SystemExit(f"{args.verdicts} judged {version}, but {args.shipped} makes {shipped.mask_version}")
    verdicts = held_out_verdicts(Path(args.labels), verdict_file)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    moved, overlaps, mismatched = {"right": [], "wrong": []}, {"right": [], "wrong": []}, []
    for name, verdict in tqdm(sorted(verdicts.items()), desc="held-out photos", dynamic_ncols=True):
        photo = work_photo(Path(args.data) / "images" / name)
        if photo is None:
            continue
        before = garment_mask(photo, segmenter=shipped)
        if name in judged and mask_digest(before) != judged[name]["mask_sha256"]:
            mismatched.append(name)  # not the mask judged: leave it out rather than guess its verdict
            continue
        after = garment_mask(photo, segmenter=candidate)
        overlap = iou(after, before)
        overlaps[verdict].append(overlap)
        if overlap < args.moved:
            moved[verdict].append((overlap, name, photo, before, after))
    rows = []
    for verdict in ("right", "wrong"):
        for overlap, name, photo, before, after in sorted(moved[verdict], key=lambda row: row[0]):
            rows.append({"photo": name, "shipped_verdict": verdict, "iou_with_shipped": round(overlap, 4),
                         "tiles": [resize(photo, TILE), resize(tint(photo, before), TILE), resize(tint(photo, after), TILE)]})
    for start in range(0, len(rows), ROWS_PER_SHEET):
        chunk = rows[start:start + ROWS_PER_SHEET]
        number = start // ROWS_PER_SHEET
        Image.fromarray(make_grid([tile for row in chunk for tile in row["tiles"]], 3)).save(out / f"moved-{number:02d}.png")
        (out / f"moved-{number:02d}.json").write_text(json.dumps(
            [{key: value for key, value in row.items() if key != "tiles"} for row in chunk], indent=1) + "\n")
    right, wrong = np.array(overlaps["right"]), np.array(overlaps["wrong"])
    print(f"\n{candidate_name} against {args.shipped} ({version}) on {len(right) + len(wrong)} held-out photos")
    print(f"{'shipped verdict':<18}{'photos':>8}{'moved':>8}{'mean IoU with shipped':>24}")
    for verdict, values in (("right", right), ("wrong", wrong)):
        print(f"{verdict:<18}{len(values):>8}{len(moved[verdict]):>8}{values.mean():>24.4f}")
    if mismatched:
        print(f"{len(mismatched)} judged masks no longer reproduce (left out): {mismatched[:5]}")
    print(f"sheets: {out}/moved-NN.png (photo | shipped | candidate; right ones first), names in moved-NN.json")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
