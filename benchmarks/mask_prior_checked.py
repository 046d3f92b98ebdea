"""Experiment (not shipped): a learned garment prior trained on hand-checked masks of real train photos.

    python benchmarks/mask_prior_checked.py train 2400 1200 2500   # real views, composites, head steps
    python benchmarks/mask_prior_checked.py eval


Stage "data": hand-checked photos (benchmarks/mask_checks.json) at 256 px with today's mask
(checked against the recorded digest). Stage "train": VGG16 features of augmented real photos
(right masks only, train fold) + composites of their cutouts; head trained on them. Stage "eval":
held-out fold; IoU against right masks, and a sheet of the wrong ones for the eye.
"""
import hashlib, json, math, pickle, sys, time
from pathlib import Path
import cv2, numpy as np, torch, torch.nn.functional as F
from PIL import Image
sys.path.insert(0, "benchmarks")
from mask_labels import load_labels, mask_digest
from fashiongen.garment_mask import garment_mask, DEFAULT_RULES, clean_mask, _border_band, _remove_gaps, _drop_frame_lines, GarmentNotFound, check_plausible
from fashiongen.images import load_image, resize_long_side, resize, make_grid
from fashiongen.metrics.mask_benchmark import CANVAS, cutout_of, background_from, tint, iou
from fashiongen.training.data import read_records
from fashiongen.training.segmenter_networks import FEATURE_TAPS, SegmenterConfig, SegmenterHead
from fashiongen.training.vgg import load_vgg16

OUT = Path("runs/segexp")
OUT.mkdir(parents=True, exist_ok=True)
torch.set_num_threads(1)

def fold_of(name):  # 0 = held out
    return int(hashlib.sha256(name.encode()).hexdigest(), 16) % 3

def data():
    cache = OUT / "checked.pkl"
    labels = load_labels()["checked"]
    have = pickle.loads(cache.read_bytes()) if cache.is_file() else {}
    records, _ = read_records("../shared/data/clothing", min_class_images=1)
    paths = {r.path.name: r.path for r in records}
    for name, entry in labels.items():
        if name in have:
            continue
        photo = resize_long_side(load_image(paths[name], max_side=1024), CANVAS[1])
        small = resize_long_side(photo, 256)
        mask = garment_mask(small)
        assert mask_digest(mask) == entry["mask_sha256"], name
        have[name] = dict(small=small, mask=mask, verdict=entry["verdict"], label=entry["label"])
    cache.write_bytes(pickle.dumps(have))
    return have

def jitter(image, rng):
    image = image.astype(np.float32) * rng.uniform(0.8, 1.2) * rng.uniform(0.92, 1.08, 3)
    return image

def real_sample(item, side, rng):
    """Random square view of a real photo with its right mask -> (side, side, 3) uint8, mask."""
    img, m = item["small"], item["mask"]
    h, w = m.shape
    s = int(min(h, w) * rng.uniform(0.85, 1.0)) if rng.random() < 0.7 else max(h, w)
    if s <= min(h, w):
        y, x = rng.integers(0, h - s + 1), rng.integers(0, w - s + 1)
        ci, cm = img[y:y + s, x:x + s], m[y:y + s, x:x + s]
    else:  # whole photo, letterboxed by edge replication
        py, px = (s - h) // 2, (s - w) // 2
        ci = cv2.copyMakeBorder(img, py, s - h - py, px, s - w - px, cv2.BORDER_REPLICATE)
        cm = cv2.copyMakeBorder(m, py, s - h - py, px, s - w - px, cv2.BORDER_CONSTANT, value=0)
    ci = cv2.resize(ci, (side, side), interpolation=cv2.INTER_AREA)
    cm = cv2.resize(cm, (side, side), interpolation=cv2.INTER_LINEAR)
    if rng.random() < 0.5:
        ci, cm = ci[:, ::-1], cm[:, ::-1]
    ci = np.clip(jitter(ci, rng) + rng.normal(0, rng.uniform(0, 3), ci.shape), 0, 255).astype(np.uint8)
    return ci, (cm > 0.5).astype(np.float32)

def main():
    stage = sys.argv[1]
    have = data()
    print({v: sum(1 for i in have.values() if i["verdict"] == v) for v in ("right", "wrong")}, "checked")
    train_items = [i for n, i in have.items() if fold_of(n) != 0 and i["verdict"] == "right"]
    test = {n: i for n, i in have.items() if fold_of(n) == 0}
    side = 144
    if stage == "train":
        sys.path.insert(0, ".")
        rng = np.random.default_rng(0)
        from fashiongen.training.train_segmenter_exp import make_composite  # from dc32a43
        cutouts = [cutout_of(i["small"], i["mask"], i["label"]) for i in train_items]
        backgrounds = [b for b in (background_from(i["small"], i["mask"], (192, 256)) for i in train_items) if b is not None]
        print(len(train_items), "train photos", len(backgrounds), "backgrounds")
        reals = int(sys.argv[2]); comps = int(sys.argv[3]); steps = int(sys.argv[4])
        vgg, source = load_vgg16("relu5_3")
        feats = {t: [] for t in FEATURE_TAPS}; targets = []; pics = []
        t0 = time.process_time()
        with torch.no_grad():
            for start in range(0, reals + comps, 32):
                batch = []
                for k in range(start, min(start + 32, reals + comps)):
                    if k < reals:
                        batch.append(real_sample(train_items[k % len(train_items)], side, rng))
                    else:
                        batch.append(make_composite(cutouts, backgrounds, side, rng, 0.3, 0.15))
                if len(pics) < 32:
                    pics += [np.concatenate([p[0], np.repeat((p[1][..., None] * 255).astype(np.uint8), 3, 2)], 1) for p in batch[:4]]
                x = torch.from_numpy(np.stack([p[0] for p in batch])).permute(0, 3, 1, 2).float() / 255
                out = vgg(x)
                for t in FEATURE_TAPS:
                    feats[t].append(out[t].half())
                targets.append(F.avg_pool2d(torch.from_numpy(np.stack([p[1] for p in batch]))[:, None], 4))
                if start % 320 == 0:
                    print("features", start, f"{time.process_time() - t0:.0f}s", flush=True)
        Image.fromarray(make_grid(pics, 4)).save(OUT / "train-samples.png")
        feats = {t: torch.cat(v) for t, v in feats.items()}; targets = torch.cat(targets)
        real_weight = torch.ones(len(targets)); 
        torch.manual_seed(0)
        head = SegmenterHead(SegmenterConfig(width=96))
        opt = torch.optim.AdamW(head.parameters(), 2e-3, weight_decay=1e-4)
        for step in range(steps):
            idx = torch.randint(0, len(targets), (32,))
            b = {t: v[idx].float() for t, v in feats.items()}; tg = targets[idx]
            if torch.rand(()) < 0.5:
                b = {t: v.flip(3) for t, v in b.items()}; tg = tg.flip(3)
            for g in opt.param_groups:
                g["lr"] = 2e-3 * 0.5 * (1 + math.cos(math.pi * step / steps))
            logits = head(b)
            p = torch.sigmoid(logits)
            dice = (1 - (2 * (p * tg).sum((1, 2, 3)) + 1) / (p.sum((1, 2, 3)) + tg.sum((1, 2, 3)) + 1)).mean()
            loss = F.binary_cross_entropy_with_logits(logits, tg) + dice
            opt.zero_grad(); loss.backward(); opt.step()
            if (step + 1) % 100 == 0:
                hit, truth = logits > 0, tg > 0.5
                print(step + 1, f"loss {loss.item():.3f} iou {((hit & truth).sum() / (hit | truth).sum()).item():.3f}", flush=True)
        torch.save({"head": head.state_dict(), "cpu_s": time.process_time() - t0, "source": source}, OUT / "head.pt")
        print(f"cpu {time.process_time() - t0:.0f}s")
    elif stage == "eval":
        vgg, _ = load_vgg16("relu5_3")
        head = SegmenterHead(SegmenterConfig(width=96)); head.load_state_dict(torch.load(OUT / (sys.argv[3] if len(sys.argv) > 3 else "head.pt"))["head"]); head.eval()
        def prob(small):
            h, w = small.shape[:2]; sc = 192 / max(h, w)
            size = (max(16, round(w * sc / 16) * 16), max(16, round(h * sc / 16) * 16))
            x = torch.from_numpy(cv2.resize(small, size, interpolation=cv2.INTER_AREA)).permute(2, 0, 1)[None].float() / 255
            with torch.no_grad():
                p = torch.sigmoid(F.interpolate(head(vgg(x)), size=x.shape[2:], mode="bilinear"))[0, 0].numpy()
            return cv2.resize(p, (w, h), interpolation=cv2.INTER_LINEAR)
        def seeded(small, p, rules=DEFAULT_RULES, bg_only=False):
            band = _border_band(small.shape[:2], rules)
            seeds = np.full(band.shape, cv2.GC_PR_FGD, np.uint8)
            seeds[p < 0.5] = cv2.GC_PR_BGD
            seeds[p < 0.05] = cv2.GC_BGD
            if not bg_only:
                sure = cv2.erode((p > 0.95).astype(np.uint8), np.ones((5, 5), np.uint8)).astype(bool)
                seeds[sure] = cv2.GC_FGD
            seeds[band] = cv2.GC_BGD
            bm, fm = np.zeros((1, 65)), np.zeros((1, 65))
            cv2.setRNGSeed(0)
            cv2.grabCut(cv2.cvtColor(small, cv2.COLOR_RGB2BGR), seeds, None, bm, fm, rules.iterations, cv2.GC_INIT_WITH_MASK)
            return clean_mask(np.isin(seeds, (cv2.GC_FGD, cv2.GC_PR_FGD)).astype(np.uint8), rules)
        def vote(gc, sd, p, low=0.25, high=0.75):
            out = gc.copy()
            for diff, keep_if in (((gc & ~sd), lambda m: m >= low), ((sd & ~gc), lambda m: m > high)):
                count, lab = cv2.connectedComponents(diff.astype(np.uint8), connectivity=8)
                for k in range(1, count):
                    region = lab == k
                    mean = float(p[region].mean())
                    if diff is not None and gc[region].any():  # removal candidate
                        if mean < low: out[region] = False
                    else:
                        if mean > high: out[region] = True
            return clean_mask(out.astype(np.uint8), DEFAULT_RULES) > 0
        methods = ["grabcut", "prior", "seeded", "vote", "gc&prior"]
        scores = {m: [] for m in methods}; tiles = []; broken = []
        for name, item in sorted(test.items()):
            small, gc = item["small"], item["mask"] > 0.5
            p = prob(small)
            outs = {"grabcut": gc, "prior": clean_mask((p > 0.5).astype(np.uint8), DEFAULT_RULES) > 0,
                    "seeded": seeded(small, p) > 0, "vote": None,
                    "gc&prior": clean_mask((gc & (cv2.dilate((p > 0.5).astype(np.uint8), np.ones((7, 7), np.uint8)) > 0)).astype(np.uint8), DEFAULT_RULES) > 0}
            outs["vote"] = vote(gc, outs["seeded"], p)
            if item["verdict"] == "right":
                for m in methods:
                    scores[m].append(iou(outs[m], gc))
                if min(iou(outs[m], gc) for m in ("seeded", "vote")) < 0.9:
                    row = [resize(tint(small, outs[m].astype(np.float32)), (120, 160)) for m in methods]
                    row.append(resize(np.repeat((p[..., None] * 255).astype(np.uint8), 3, 2), (120, 160)))
                    broken += row
            else:
                row = [resize(tint(small, outs[m].astype(np.float32)), (120, 160)) for m in methods]
                row.append(resize(np.repeat((p[..., None] * 255).astype(np.uint8), 3, 2), (120, 160)))
                tiles += row
        print(f"held-out right masks: {len(scores['grabcut'])}; wrong: {len(tiles) // 6}")
        for m in methods:
            v = np.array(scores[m]); print(f"{m:<10} IoU vs right mask {v.mean():.3f}  >=0.9 {(v >= 0.9).mean():.0%}")
        tag = sys.argv[2] if len(sys.argv) > 2 else ""
        Image.fromarray(make_grid(tiles, 6)).save(OUT / f"wrong-heldout{tag}.png")
        if broken:
            Image.fromarray(make_grid(broken, 6)).save(OUT / f"right-broken{tag}.png")

main()
