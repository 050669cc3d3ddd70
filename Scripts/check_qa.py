#!/usr/bin/env python3
"""Checks `cuboid qa` against independent references on the same inputs, to 1e-9.

1. Detection (per class: TP, FP, FN, precision, recall, mean IoU) for BEV IoU, 3D IoU and centre
   distance: areas from shapely, matching by scipy's linear_sum_assignment (forbidden pairs priced
   out, so the matching has the most pairs above the threshold, then the highest total IoU).
2. Tracking (MOTA, MOTP, IDF1, identity switches, fragmentations): py-motmetrics fed the distance
   matrices 1 - BEV IoU (NaN below the class threshold), computed with shapely.
3. COCO-style AP on 2D boxes: pycocotools' COCOeval (AP@[.5:.95], AP50, AP75 per category).

The scenes are random (seeded): a few hundred tracks of cars, pedestrians and cyclists over 60 frames;
a tasker who keeps most boxes with noise, drops some, swaps identities, confuses classes and adds
extras. Usage: check_qa.py CUBOID_BINARY [--seed N]
"""
import argparse
import contextlib
import io
import json
import math
import os
import subprocess
import sys
import tempfile

import motmetrics as mm
import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from scipy.optimize import linear_sum_assignment
from shapely.geometry import Polygon

CLASSES = {"Car": (4.4, 1.85, 1.55, 0.7), "Pedestrian": (0.75, 0.7, 1.75, 0.5), "Cyclist": (1.8, 0.65, 1.7, 0.5)}
TOLERANCE = 1e-9


def footprint(box):
    x, y, _, l, w, _, yaw = box
    c, s = math.cos(yaw), math.sin(yaw)
    return Polygon([(x + c * dx - s * dy, y + s * dx + c * dy) for dx, dy in ((l / 2, w / 2), (-l / 2, w / 2), (-l / 2, -w / 2), (l / 2, -w / 2))])


def bev_iou(a, b):
    pa, pb = footprint(a), footprint(b)
    inter = pa.intersection(pb).area
    union = pa.area + pb.area - inter
    return inter / union if union > 0 else 0.0


def iou_3d(a, b):
    inter_area = footprint(a).intersection(footprint(b)).area
    dz = max(0.0, min(a[2] + a[5] / 2, b[2] + b[5] / 2) - max(a[2] - a[5] / 2, b[2] - b[5] / 2))
    inter = inter_area * dz
    union = a[3] * a[4] * a[5] + b[3] * b[4] * b[5] - inter
    return inter / union if union > 0 else 0.0


def centre_distance(a, b):
    return math.hypot(a[0] - b[0], a[1] - b[1])


def make_scene(rng, frames):
    """Gold and tasker boxes per frame: {frame: [(track, class, (x,y,z,l,w,h,yaw))]}."""
    gold = {f: [] for f in range(frames)}
    tasker = {f: [] for f in range(frames)}
    names = list(CLASSES)
    next_tasker_id = 1000
    for track in range(260):
        cls = names[rng.choice(3, p=[0.6, 0.25, 0.15])]
        l, w, h, _ = CLASSES[cls]
        size = np.array([l, w, h]) * rng.uniform(0.85, 1.15, 3)
        start, length = rng.integers(0, frames - 5), rng.integers(5, frames)
        pos = rng.uniform([-45, -45], [45, 45])
        yaw = rng.uniform(-math.pi, math.pi)
        speed = {"Car": 1.0, "Pedestrian": 0.12, "Cyclist": 0.45}[cls] * rng.uniform(0, 1.5)
        turn = rng.normal(0, 0.03)
        tasker_id = next_tasker_id
        next_tasker_id += 1
        switch_at = start + rng.integers(2, 10) if rng.random() < 0.15 else None
        confused = rng.random() < 0.05
        for f in range(start, min(frames, start + length)):
            box = (pos[0], pos[1], -1.0 + h / 2, size[0], size[1], size[2], math.remainder(yaw, 2 * math.pi))
            gold[f].append((track, cls, box))
            if rng.random() < 0.88:
                if switch_at is not None and f == switch_at:
                    tasker_id = next_tasker_id
                    next_tasker_id += 1
                sigma = 0.08 if cls == "Car" else 0.05
                noisy = (box[0] + rng.normal(0, sigma), box[1] + rng.normal(0, sigma), box[2] + rng.normal(0, 0.05),
                         box[3] * rng.uniform(0.9, 1.1), box[4] * rng.uniform(0.9, 1.1), box[5] * rng.uniform(0.93, 1.07),
                         math.remainder(box[6] + rng.normal(0, 0.05) + (math.pi if rng.random() < 0.03 else 0), 2 * math.pi))
                label = ("Pedestrian" if cls == "Cyclist" else "Cyclist" if cls == "Pedestrian" else "Car") if confused else cls
                tasker[f].append((tasker_id, label, noisy))
            pos = pos + speed * np.array([math.cos(yaw), math.sin(yaw)])
            yaw += turn
    for f in range(frames):
        for _ in range(rng.poisson(1.5)):
            cls = names[rng.integers(0, 3)]
            l, w, h, _ = CLASSES[cls]
            tasker[f].append((next_tasker_id, cls, (*rng.uniform([-45, -45], [45, 45]), -1.0 + h / 2, l, w, h, rng.uniform(-math.pi, math.pi))))
            next_tasker_id += 1
    return gold, tasker


def write_sustech(folder, frames):
    os.makedirs(folder, exist_ok=True)
    for f, objects in frames.items():
        entries = [{"obj_id": str(track), "obj_type": cls,
                    "psr": {"position": {"x": b[0], "y": b[1], "z": b[2]}, "scale": {"x": b[3], "y": b[4], "z": b[5]},
                            "rotation": {"x": 0, "y": 0, "z": b[6]}}} for track, cls, b in objects]
        with open(os.path.join(folder, f"{f:06d}.json"), "w") as out:
            json.dump(entries, out)


def run_qa(cuboid, args, workdir):
    out = os.path.join(workdir, "report")
    subprocess.run([cuboid, "qa", *args, "--out", out, "--no-pictures"], check=True, stdout=subprocess.DEVNULL)
    with open(os.path.join(out, "report.json")) as handle:
        return json.load(handle)["taskers"][0]


def assign(similarity, allowed):
    """Most allowed pairs, then the highest total similarity (forbidden pairs priced out)."""
    if similarity.size == 0:
        return []
    cost = np.where(allowed, -similarity, 1e6)
    rows, cols = linear_sum_assignment(cost)
    return [(r, c) for r, c in zip(rows, cols) if allowed[r, c]]


failures = 0


def check(name, ours, reference):
    global failures
    if ours is None and reference is None:
        return
    bad = ours is None or reference is None or abs(ours - reference) > TOLERANCE
    if bad:
        failures += 1
        print(f"FAIL {name}: cuboid {ours} reference {reference}")
    return not bad


def check_detection(gold, tasker, report, criterion, measure):
    classes = {c["category"]: c for c in report["classes"]}
    for cls, (_, _, _, threshold) in CLASSES.items():
        limit = 2.0
        tp = fp = fn = 0
        overlap = 0.0
        for f in gold:
            g = [b for _, c, b in gold[f] if c == cls]
            t = [b for _, c, b in tasker[f] if c == cls]
            if not t:
                fn += len(g)
                continue
            sim = np.array([[measure(a, b) for b in g] for a in t]).reshape(len(t), len(g))
            allowed = sim <= limit if criterion == "center-distance" else sim >= threshold
            pairs = assign(-sim if criterion == "center-distance" else sim, allowed)
            tp += len(pairs)
            fn += len(g) - len(pairs)
            fp += len(t) - len(pairs)
            overlap += sum(bev_iou(t[r], g[c]) if criterion == "center-distance" else sim[r, c] for r, c in pairs)
        d = classes[cls]["detection"]
        for key, value in (("truePositives", tp), ("falsePositives", fp), ("falseNegatives", fn)):
            check(f"{criterion} {cls} {key}", d[key], value)
        check(f"{criterion} {cls} precision", d["precision"], tp / (tp + fp) if tp + fp else None)  # n/a without labelled boxes
        check(f"{criterion} {cls} recall", d["recall"], tp / (tp + fn) if tp + fn else None)  # n/a without gold
        check(f"{criterion} {cls} meanIoU", d["meanIoU"], overlap / tp if tp else None)
        print(f"ok {criterion} {cls}: TP {tp} FP {fp} FN {fn}, mean IoU {overlap / max(tp, 1):.6f} (shapely + scipy)")


def check_tracking(gold, tasker, report):
    classes = {c["category"]: c for c in report["classes"]}
    for cls, (_, _, _, threshold) in CLASSES.items():
        acc = mm.MOTAccumulator(auto_id=True)
        for f in sorted(gold):
            g = [(i, b) for i, c, b in gold[f] if c == cls]
            t = [(i, b) for i, c, b in tasker[f] if c == cls]
            dist = np.full((len(g), len(t)), np.nan)
            for r, (_, a) in enumerate(g):
                for c, (_, b) in enumerate(t):
                    value = bev_iou(b, a)
                    if value >= threshold:
                        dist[r, c] = 1 - value
            acc.update([str(i) for i, _ in g], [str(i) for i, _ in t], dist)
        summary = mm.metrics.create().compute(acc, metrics=["mota", "motp", "idf1", "num_switches", "num_fragmentations"], name="x")
        ours = classes[cls]["tracking"]
        check(f"tracking {cls} MOTA", ours["mota"], float(summary["mota"].iloc[0]))
        check(f"tracking {cls} MOTP", ours["motp"], float(summary["motp"].iloc[0]))
        check(f"tracking {cls} IDF1", ours["idf1"], float(summary["idf1"].iloc[0]))
        check(f"tracking {cls} switches", ours["identitySwitches"], int(summary["num_switches"].iloc[0]))
        check(f"tracking {cls} fragmentations", ours["fragmentations"], int(summary["num_fragmentations"].iloc[0]))
        print(f"ok tracking {cls}: MOTA {ours['mota']:.6f} MOTP {ours['motp']:.6f} IDF1 {ours['idf1']:.6f} "
              f"switches {ours['identitySwitches']} fragmentations {ours['fragmentations']} (motmetrics {mm.__version__})")


def check_coco(cuboid, rng, workdir):
    names = list(CLASSES)
    images, gold_annotations, tasker_annotations = [], [], []
    for image in range(1, 121):
        images.append({"id": image, "file_name": f"{image:06d}.png", "width": 1242, "height": 375})
        for _ in range(rng.integers(0, 12)):
            w, h = rng.uniform(8, 200), rng.uniform(8, 150)
            box = [float(rng.uniform(0, 1242 - w)), float(rng.uniform(0, 375 - h)), float(w), float(h)]
            category = int(rng.integers(1, 4))
            gold_annotations.append({"id": len(gold_annotations) + 1, "image_id": image, "category_id": category, "bbox": box,
                                     "area": box[2] * box[3], "iscrowd": 0})
            if rng.random() < 0.85:
                noise = rng.normal(0, [0.06 * w, 0.06 * h, 0.08 * w, 0.08 * h])
                noisy = [box[0] + noise[0], box[1] + noise[1], max(1.0, box[2] + noise[2]), max(1.0, box[3] + noise[3])]
                tasker_annotations.append({"id": len(tasker_annotations) + 1, "image_id": image, "category_id": category,
                                           "bbox": [float(v) for v in noisy], "area": float(noisy[2] * noisy[3]), "iscrowd": 0,
                                           "score": float(rng.uniform(0.3, 1.0))})
        for _ in range(rng.poisson(1.2)):
            w, h = rng.uniform(8, 150), rng.uniform(8, 120)
            box = [float(rng.uniform(0, 1242 - w)), float(rng.uniform(0, 375 - h)), float(w), float(h)]
            tasker_annotations.append({"id": len(tasker_annotations) + 1, "image_id": image, "category_id": int(rng.integers(1, 4)),
                                       "bbox": box, "area": box[2] * box[3], "iscrowd": 0, "score": float(rng.uniform(0, 0.9))})
    categories = [{"id": k + 1, "name": n} for k, n in enumerate(names)]
    gold_path, tasker_path = os.path.join(workdir, "gold-coco.json"), os.path.join(workdir, "tasker-coco.json")
    with open(gold_path, "w") as out:
        json.dump({"images": images, "annotations": gold_annotations, "categories": categories}, out)
    with open(tasker_path, "w") as out:
        json.dump({"images": images, "annotations": tasker_annotations, "categories": categories}, out)
    report = run_qa(cuboid, ["--gold", gold_path, "--gold-format", "coco", "--labels", "tasker=" + tasker_path, "--labels-format", "coco",
                             "--match", "iou-2d"], workdir)
    results = [{k: v for k, v in a.items() if k != "id"} for a in tasker_annotations]
    rows, means = cocoeval_figures(report, gold_path, results)
    check("COCO classes scored", len(rows) // 3, len(names))
    for name, ours, reference in rows + means:
        check(name, ours, reference)
    print(f"ok COCO 2D AP: mAP[.5:.95] {means[0][1]:.6f} AP50 {means[1][1]:.6f} AP75 {means[2][1]:.6f} "
          f"({len(gold_annotations)} gold, {len(tasker_annotations)} scored boxes; pycocotools)")


def cocoeval_figures(report, gold_path, results):
    """The COCO figures of a `cuboid qa --match iou-2d` tasker report beside pycocotools' COCOeval of
    `results` (a list of result dicts, or a results file) on the COCO dataset `gold_path`, as
    (name, cuboid, pycocotools) rows: per class AP[.5:.95], AP50 and AP75, then their means over the
    classes cuboid scored (COCOeval restricted to those categories). Used by this script and by
    check_interop.py on Cuboid's own COCO exports."""
    with contextlib.redirect_stdout(io.StringIO()):
        ground = COCO(gold_path)
        evaluation = COCOeval(ground, ground.loadRes(results), "bbox")
        scored = [c for c in report["classes"] if c.get("averagePrecision")]
        ids = {c["name"]: c["id"] for c in ground.loadCats(ground.getCatIds())}
        evaluation.params.catIds = sorted(ids[c["category"]] for c in scored)
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    precision = evaluation.eval["precision"]  # [threshold, recall, category, area, maxDets]
    rows = []
    for c in scored:
        ours, k = c["averagePrecision"], evaluation.params.catIds.index(ids[c["category"]])
        values = precision[:, :, k, 0, 2]
        rows.append((f"COCO {c['category']} AP[.5:.95]", ours["cocoRange"], float(np.mean(values[values > -1]))))
        rows.append((f"COCO {c['category']} AP50", ours["coco50"], float(np.mean(precision[0, :, k, 0, 2]))))
        rows.append((f"COCO {c['category']} AP75", ours["coco75"], float(np.mean(precision[5, :, k, 0, 2]))))
    mean = lambda key: float(np.mean([c["averagePrecision"][key] for c in scored]))
    means = [("COCO mAP[.5:.95]", mean("cocoRange"), float(evaluation.stats[0])), ("COCO mAP50", mean("coco50"), float(evaluation.stats[1])),
             ("COCO mAP75", mean("coco75"), float(evaluation.stats[2]))]
    return rows, means


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cuboid")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    rng = np.random.default_rng(args.seed)
    gold, tasker = make_scene(rng, args.frames)
    with tempfile.TemporaryDirectory() as workdir:
        write_sustech(os.path.join(workdir, "gold"), gold)
        write_sustech(os.path.join(workdir, "tasker"), tasker)
        config = {"version": 1, "classes": {c: {"threshold": t, "distance": 2.0} for c, (_, _, _, t) in CLASSES.items()}, "known": []}
        with open(os.path.join(workdir, "config.json"), "w") as out:
            json.dump(config, out)
        boxes = sum(len(v) for v in gold.values()), sum(len(v) for v in tasker.values())
        print(f"scene: {args.frames} frames, {boxes[0]} gold boxes, {boxes[1]} tasker boxes (seed {args.seed})")
        for criterion, measure in (("bev-iou", bev_iou), ("iou-3d", iou_3d), ("center-distance", centre_distance)):
            report = run_qa(args.cuboid, ["--gold", os.path.join(workdir, "gold"), "--gold-format", "sustechpoints", "--labels",
                                          "tasker=" + os.path.join(workdir, "tasker"), "--labels-format", "sustechpoints",
                                          "--config", os.path.join(workdir, "config.json"), "--match", criterion], workdir)
            check_detection(gold, tasker, report, criterion, measure)
            if criterion == "bev-iou":
                check_tracking(gold, tasker, report)
        check_coco(args.cuboid, rng, workdir)
    if failures:
        print(f"FAIL: {failures} figure(s) differ from the references by more than {TOLERANCE}")
        sys.exit(1)
    print(f"all QA figures equal the references to {TOLERANCE}")


if __name__ == "__main__":
    main()
