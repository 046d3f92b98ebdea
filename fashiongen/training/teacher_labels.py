"""Training labels for the garment segmenter from an outside teacher network, filtered.

    python -m fashiongen.training.teacher_labels label --teacher /tmp/npk/imgly_medium.onnx --out runs/teacher --part 0 --parts 2
    # or only the photos a judged-only pack reads (1,249 of the 2,855 on the shared data):
    python -m fashiongen.training.teacher_labels label ... --only benchmarks/mask_checks.json \
        benchmarks/mask_checks_learned_train.json benchmarks/mask_checks_shipped_train.json \
        benchmarks/teacher_label_checks.json benchmarks/hand_masks.json
    python -m fashiongen.training.teacher_labels pack --labels runs/teacher --training-set runs/pack-teacher.npz
    python -m fashiongen.training.train_segmenter --preset small-gaps --training-set runs/pack-teacher.npz ...

Why: every label source tried for the segmenter (GrabCut's cutouts, hand checks, drawn clutter) taught
it what this project's own pipeline already knows, and its remaining failures are floors, shadows and
rugs beside or between garments, and sleeves or soles of the background's colours. A salient-object
network trained elsewhere on a large hand-labelled set (IS-Net, 1024 x 1024 input) knows those, but it
also keeps hangers and blankets and cuts along stripes (docs/garment-mask.md, thirty-first session).
So its answer is used only where it is sure and its change has the form of the things it gets right:

- removals: background the shipped mask keeps where the teacher is below ``sure_background``, pieces
  that reach the mask's outline (not a stripe inside it), at most ``max_share`` of the mask, mostly not
  of the garment's own colours, and at most ``max_removals`` of them (more is a print being cut);
- additions: pieces next to the mask (``min_contact`` of their outline) where the teacher is above
  ``sure_garment``, mostly of the garment's colours (a blanket, box or hanger is not), and not in the
  top ``hanger_band`` of the garment (a hanger's hook is the common addition there);
- a photo whose two opinions still differ after that (IoU below ``min_agreement``), or differ wholesale
  (below ``min_overlap``), gets no label at all: which one is right is not known.

Labels made this way are the output of running the teacher on this project's photos, not a part of
it: AGPL-3.0 section 2 leaves such output outside the licence. The teacher's weights are never
committed or served; the pack holds dataset pixels and stays under ``runs/``.
"""

from __future__ import annotations

import argparse
import json
import random
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from fashiongen.garment_mask import REMOVAL_RULES, _garment_coloured
from fashiongen.metrics.mask_benchmark import iou
from fashiongen.metrics.mask_verdicts import fold_of, mask_digest, work_photo


@dataclass(frozen=True)
class TeacherRules:
    """Which of the teacher's disagreements with the shipped mask become the label (module docstring)."""
    sure_background: float = 0.05
    sure_garment: float = 0.95
    max_share: float = 0.3          # a piece changes at most this share of the mask
    max_removals: int = 4           # more separate removed pieces: a striped or printed garment being cut
    min_contact: float = 0.15       # share of an added piece's outline next to the mask
    hanger_band: float = 0.15       # additions centred in this top share of the garment's height are dropped
    coloured_share: float = 0.5     # removals below it, additions at least it, of the garment's colours
    opening: int = 5                # disc diameter, pixels at the work size
    min_piece: int = 40             # pixels at the work size
    min_overlap: float = 0.6        # IoU of the two masks below which the photo gets no label
    min_agreement: float = 0.93     # IoU of the label with the teacher's mask below which it gets none


TEACHER_RULES = TeacherRules()


def _pieces(binary: np.ndarray, rules: TeacherRules) -> list[np.ndarray]:
    disc = cv2.getStructuringElement(cv2.MORPH_ELLIPSE, (rules.opening, rules.opening))
    opened = cv2.morphologyEx(binary.astype(np.uint8), cv2.MORPH_OPEN, disc)
    count, labels, stats, _ = cv2.connectedComponentsWithStats(opened, connectivity=8)
    return [labels == index for index in range(1, count) if stats[index, cv2.CC_STAT_AREA] >= rules.min_piece]


def teacher_label(mask: np.ndarray, teacher: np.ndarray, photo: np.ndarray,
                  rules: TeacherRules = TEACHER_RULES) -> np.ndarray | None:
    """The shipped ``mask`` (h, w) bool corrected by the ``teacher``'s (h, w) probability in [0, 1] on the
    (h, w, 3) uint8 RGB ``photo`` (:class:`TeacherRules`) -> (h, w) bool label, or None (no label)."""
    mask = mask.astype(bool)
    sure = teacher > 0.5
    if not mask.any() or iou(mask, sure) < rules.min_overlap:
        return None
    lab = cv2.cvtColor(photo, cv2.COLOR_RGB2LAB).astype(np.float32)
    candidates = (teacher < rules.sure_background) | (teacher > rules.sure_garment)
    # The garment's colours are taken where both opinions agree it is garment: the mask alone holds the
    # floor strip in question, and its colour would then count as the garment's.
    agreed = mask & sure
    if not agreed.any():
        return None
    coloured = _garment_coloured(lab, agreed, candidates, REMOVAL_RULES)
    area = mask.sum()
    ring = np.ones((3, 3), np.uint8)
    outside = cv2.dilate((~mask).astype(np.uint8), ring).astype(bool)
    removals = [piece for piece in _pieces(mask & (teacher < rules.sure_background), rules)
                if (piece & outside).any() and piece.sum() <= rules.max_share * area
                and coloured[piece].mean() < rules.coloured_share]
    label = mask.copy()
    if len(removals) <= rules.max_removals:
        for piece in removals:
            label[piece] = False
    rows = np.flatnonzero(mask.any(axis=1))
    hanger_line = rows[0] + rules.hanger_band * (rows[-1] - rows[0] + 1)
    touching = cv2.dilate(mask.astype(np.uint8), ring).astype(bool)
    for piece in _pieces(~mask & (teacher > rules.sure_garment), rules):
        outline = piece & ~cv2.erode(piece.astype(np.uint8), ring).astype(bool)
        if (piece.sum() <= rules.max_share * area
                and (outline & touching).sum() >= rules.min_contact * outline.sum()
                and np.nonzero(piece)[0].mean() >= hanger_line
                and coloured[piece].mean() >= rules.coloured_share):
            label[piece] = True
    return label if iou(label, sure) >= rules.min_agreement else None


def padded_probability(session, photo: np.ndarray, pad: float = 0.3, side: int = 1024) -> np.ndarray:
    """An IS-Net style teacher (onnxruntime ``session``, input "input" (1, 3, side, side) as (RGB - 128) / 256,
    output "output" (1, 1, side, side) in [0, 1]) on a (h, w, 3) uint8 RGB photo -> (h, w) float32.

    The photo is padded by ``pad`` of each side with its border pixels repeated: unpadded, the teacher
    drops garments that fill the frame (flat-laid tees, camouflage trousers; thirty-first session)."""
    height, width = photo.shape[:2]
    pad_y, pad_x = int(height * pad), int(width * pad)
    big = cv2.copyMakeBorder(photo, pad_y, pad_y, pad_x, pad_x, cv2.BORDER_REPLICATE)
    x = cv2.resize(big, (side, side), interpolation=cv2.INTER_LINEAR).astype(np.float32)
    out = session.run(["output"], {"input": ((x - 128) / 256).transpose(2, 0, 1)[None]})[0][0, 0]
    out = cv2.resize(out, (big.shape[1], big.shape[0]), interpolation=cv2.INTER_LINEAR)
    return np.clip(out[pad_y:pad_y + height, pad_x:pad_x + width], 0, 1).astype(np.float32)


def _train_photos(data: Path) -> list[str]:
    """Train-split photos outside the held-out fold, in a seeded order (so parts and limits are stable)."""
    from fashiongen.training.data import read_records, split_of

    records, _ = read_records(data)
    names = sorted(r.path.name for r in records if split_of(r.image_id) == "train" and fold_of(r.path.name) != 0)
    random.Random(33).shuffle(names)
    return names


def named_photos(files: list[Path]) -> set[str]:
    """Photo names that the ``checked`` or ``drawn`` entries of these JSON files name (verdicts, drawings)."""
    names = set()
    for file in files:
        saved = json.loads(file.read_text())
        names |= set(saved.get("checked", {})) | set(saved.get("drawn", {}))
    return names


def trusted_photos(files: list[Path]) -> dict[str, str | None]:
    """{photo: ``label_sha256`` of the mask judged or None} for the photos whose shipped mask a verdict file
    (``checked`` entries) judged right by eye. Older files name no digest: their verdicts stand for the
    shipped mask whatever it is now."""
    return {name: entry.get("label_sha256") for file in files
            for name, entry in json.loads(file.read_text())["checked"].items() if entry["verdict"] == "right"}


def label_photos(teacher: str, data: Path, out: Path, part: int, parts: int, limit: int,
                 only: set[str] | None = None, shipped_only: frozenset[str] | set[str] = frozenset()) -> int:
    """Per photo, ``out/<name>.npz`` with the teacher's probability and the shipped mask (uint8 / bool at the
    256 px work size); photos already done are skipped, so parts run side by side and resume. ``only``
    restricts it to those names (the ones a ``pack --judged-only`` reads: under half of the photos);
    photos in ``shipped_only`` get the shipped mask alone (a trusted photo's label is that mask, and the
    teacher is nine tenths of the time)."""
    import onnxruntime as ort

    from fashiongen.garment_mask import garment_mask, shipped_segmenter

    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    session = ort.InferenceSession(teacher, options, providers=["CPUExecutionProvider"])
    segmenter = shipped_segmenter()
    out.mkdir(parents=True, exist_ok=True)
    done = 0
    names = [name for name in _train_photos(data)[:limit] if only is None or name in only]
    for name in names[part::parts]:
        target = out / f"{name}.npz"
        photo = None if target.exists() else work_photo(data / "images" / name)
        if photo is None:
            continue
        saved = {"mask": garment_mask(photo, segmenter=segmenter) > 0.5}
        if name not in shipped_only:
            saved["teacher"] = np.round(padded_probability(session, photo) * 255).astype(np.uint8)
        np.savez_compressed(target, **saved)
        done += 1
    return done


def _chosen(verdict: dict, shipped: np.ndarray, teacher: np.ndarray) -> tuple[np.ndarray | None, str]:
    """(label, kind) for a photo the filter gives no label: whichever of the two masks a right ``verdict`` names."""
    if verdict.get("verdict") == "right":
        for mask in (shipped, teacher):
            if verdict.get("label_sha256") == mask_digest(mask):
                return mask, "chosen"
    return None, "no label"


def write_teacher_pack(labels: Path, data: Path, path: Path, repeat: int, trusted_files: list[Path],
                       rules: TeacherRules = TEACHER_RULES, checks: Path | None = None,
                       keep_same: bool = True, drawn: Path | None = None) -> dict[str, int]:
    """A segmenter pack (:mod:`fashiongen.training.segmenter_pack`) of every labelled photo: hand-checked
    right ones keep the shipped mask, the others get :func:`teacher_label` (changed ones ``repeat`` times).
    With ``checks`` (verdicts by eye on changed labels, ``benchmarks/teacher_label_checks.json``), a changed
    label judged wrong is left out, as is one whose digest no verdict names; a photo the filter gives no label
    gets the shipped or the teacher's (p > 0.5) mask where a verdict judged that one right ("chosen", ``repeat``
    times: these are the photos where the two opinions disagree). ``keep_same=False`` also leaves
    out the photos the filtered teacher does not change: their label is the shipped mask, which nobody judged
    (on the held-out fold it is wrong on 11 of the 247 such photos; thirty-fifth session).
    With ``drawn`` (masks drawn by hand over the two opinions, ``benchmarks/hand_masks.json``,
    :mod:`fashiongen.training.hand_masks`), a photo with a drawing gets it ("drawn", ``repeat`` times) when
    the drawing made again here has the digest that was judged; otherwise it is left out.
    A trusted verdict that names a ``label_sha256`` stands only for the mask with that digest.
    Returns the count of each kind."""
    from fashiongen.metrics.mask_benchmark import background_from
    from fashiongen.training.data import read_records
    from fashiongen.training.hand_masks import drawn_mask
    from fashiongen.training.segmenter_pack import write_pack

    records, _ = read_records(data)
    classes = {record.path.name: record.label for record in records}
    trusted = trusted_photos(trusted_files)
    verdicts = json.loads(checks.read_text())["checked"] if checks else None
    drawings = json.loads(drawn.read_text())["drawn"] if drawn else {}
    items, backgrounds = [], []
    counts = {"trusted": 0, "trusted, digest differs": 0, "same": 0, "changed": 0, "chosen": 0, "no label": 0,
              "judged wrong or unjudged": 0, "same, left out": 0, "drawn": 0, "drawn, digest differs": 0}
    for file in sorted(labels.glob("*.npz")):
        name = file.name[:-len(".npz")]
        photo = work_photo(data / "images" / name)
        if photo is None or name not in classes:
            continue
        with np.load(file) as saved:
            mask = saved["mask"]
            teacher = saved["teacher"] / 255.0 if "teacher" in saved else None
        if teacher is None and (name in drawings or name not in trusted):
            raise ValueError(f"{file} holds no teacher probability (labelled as trusted), but {name} is drawn or "
                             "not trusted, so its label needs one: delete the file and label the photo again")
        if name in drawings:
            label = drawn_mask(drawings[name], mask, teacher > 0.5, photo)
            kind = "drawn" if mask_digest(label) == drawings[name]["label_sha256"] else "drawn, digest differs"
            label = label if kind == "drawn" else None
        elif name in trusted:
            judged = trusted[name] in (None, mask_digest(mask))
            label, kind = (mask, "trusted") if judged else (None, "trusted, digest differs")
        else:
            label = teacher_label(mask, teacher, photo, rules)
            kind = "no label" if label is None else ("same" if (label == mask).all() else "changed")
            if kind == "changed" and verdicts is not None:
                verdict = verdicts.get(name, {})
                if verdict.get("label_sha256") != mask_digest(label) or verdict.get("verdict") != "right":
                    kind, label = "judged wrong or unjudged", None
            if kind == "no label" and verdicts is not None:
                label, kind = _chosen(verdicts.get(name, {}), mask, teacher > 0.5)
            if kind == "same" and not keep_same:
                kind, label = "same, left out", None
        counts[kind] += 1
        if label is None:
            continue
        truth = label.astype(np.float32)
        copies = repeat if kind in ("changed", "chosen", "drawn") else 1
        items += [{"photo": photo, "mask": truth, "label": classes[name], "name": name}] * copies
        background = background_from(photo, truth, (192, 256))
        if background is not None:
            backgrounds.append(background)
    write_pack(path, items, backgrounds)
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = parser.add_subparsers(dest="command", required=True)
    label = commands.add_parser("label", help="run the teacher and the shipped mask on train photos")
    label.add_argument("--teacher", required=True, help="the teacher's ONNX file (never committed)")
    label.add_argument("--out", required=True)
    label.add_argument("--part", type=int, default=0)
    label.add_argument("--parts", type=int, default=1)
    label.add_argument("--limit", type=int, default=100_000)
    label.add_argument("--only", nargs="*", default=None, help="label only the photos these verdict or drawing "
                       "files name (the trusted, checks and drawn files of a judged-only pack); the ones the "
                       "--trusted files judge right get the shipped mask alone")
    pack = commands.add_parser("pack", help="write the filtered labels as a segmenter pack")
    pack.add_argument("--labels", required=True)
    pack.add_argument("--training-set", required=True)
    pack.add_argument("--repeat", type=int, default=2, help="times a photo the teacher changed appears")
    pack.add_argument("--checks", default="", help="verdicts by eye on the changed labels (leave out the wrong ones) "
                      "and on the unlabelled photos (take the mask judged right)")
    pack.add_argument("--judged-only", action="store_true",
                      help="leave out the photos the teacher does not change (unjudged shipped masks)")
    pack.add_argument("--drawn", default="", help="masks drawn by hand on the photos both opinions get wrong "
                      "(benchmarks/hand_masks.json)")
    for command in (label, pack):
        command.add_argument("--data", default="../shared/data/clothing")
        command.add_argument("--trusted", nargs="*",
                             default=["benchmarks/mask_checks.json", "benchmarks/mask_checks_learned_train.json",
                                      "benchmarks/mask_checks_shipped_train.json"])
    args = parser.parse_args(argv)
    if args.command == "label":
        only = named_photos([Path(file) for file in args.only]) if args.only is not None else None
        shipped_only = set(trusted_photos([Path(file) for file in args.trusted])) if only is not None else set()
        done = label_photos(args.teacher, Path(args.data), Path(args.out), args.part, args.parts, args.limit,
                            only, shipped_only)
        print(f"{done} photos labelled")
    else:
        counts = write_teacher_pack(Path(args.labels), Path(args.data), Path(args.training_set), args.repeat,
                                    [Path(file) for file in args.trusted], checks=Path(args.checks) if args.checks else None,
                                    keep_same=not args.judged_only, drawn=Path(args.drawn) if args.drawn else None)
        print(f"{args.training_set}: {counts}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
