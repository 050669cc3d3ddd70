#!/usr/bin/env python3
"""Checks `cuboid qa` against independent references on the same inputs, to 1e-9.

1. Detection (per class: TP, FP, FN, precision, recall, mean IoU) for BEV IoU, 3D IoU and centre
   distance: areas from shapely, matching by scipy's linear_sum_assignment (forbidden pairs priced
   out, so the matching has the most pairs above the threshold, then the highest total IoU).
2. Tracking (MOTA, MOTP, IDF1, identity switches, fragmentations): py-motmetrics fed the distance
   matrices 1 - BEV IoU (NaN below the class threshold), computed with shapely.
3. COCO-style AP on 2D boxes: pycocotools' COCOeval (AP@[.5:.95], AP50, AP75 per category).
4. nuScenes detection (`--metric nuscenes`): nuscenes-devkit's `accumulate`, `calc_ap` and `calc_tp`
   fed DetectionBox objects of the same boxes (a nuScenes-format pair: gold and a perturbed tasker with
   scores, four classes, barrier's heading modulo 180 degrees): AP at 0.5, 1, 2, 4 m, mAP, ATE, ASE, AOE.
5. HOTA (`--metric hota`): TrackEval's HOTA (HOTA, DetA, AssA, LocA) and CLEAR (MOTA, MOTP, switches)
   fed the same BEV IoU similarities, on the random scene and on KITTI tracking sequence 0000 with
   its PointRCNN detections as the tasker (linked into tracks here), when ../shared/data is present.

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
from nuscenes.eval.common.data_classes import EvalBoxes
from nuscenes.eval.common.utils import center_distance
from nuscenes.eval.detection.algo import accumulate, calc_ap, calc_tp
from nuscenes.eval.detection.data_classes import DetectionBox
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval
from scipy.optimize import linear_sum_assignment

# TrackEval 1.3.0 still uses the aliases numpy 2 removed (np.float, np.int, np.bool); restore them
# before importing it. They are the Python types the aliases always were.
for _alias, _type in (("float", float), ("int", int), ("bool", bool)):
    if _alias not in np.__dict__:
        setattr(np, _alias, _type)
import trackeval  # noqa: E402
from shapely.geometry import Polygon

CLASSES = {"Car": (4.4, 1.85, 1.55, 0.7), "Pedestrian": (0.75, 0.7, 1.75, 0.5), "Cyclist": (1.8, 0.65, 1.7, 0.5)}
TOLERANCE = 1e-9
SHARED = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "shared", "data")


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


NUSCENES_CLASSES = {"car": (4.6, 1.9, 1.7), "pedestrian": (0.7, 0.7, 1.75), "barrier": (0.5, 2.5, 1.0), "traffic_cone": (0.4, 0.4, 1.0)}
NUSCENES_DISTANCES = (0.5, 1.0, 2.0, 4.0)


def quaternion(yaw):
    return [math.cos(yaw / 2), 0.0, 0.0, math.sin(yaw / 2)]


def make_nuscenes_pair(rng, samples=40):
    """Gold and a perturbed, scored tasker as nuScenes results: {token: [(class, (x,y,z,l,w,h,yaw), score)]}."""
    gold, tasker = {}, {}
    names = list(NUSCENES_CLASSES)
    for k in range(samples):
        token = f"sample{k:03d}"
        gold[token], tasker[token] = [], []
        for _ in range(rng.integers(3, 15)):
            cls = names[rng.integers(0, len(names))]
            l, w, h = np.array(NUSCENES_CLASSES[cls]) * rng.uniform(0.85, 1.15, 3)
            box = (*rng.uniform([-50, -50], [50, 50]), rng.uniform(-1, 1), l, w, h, rng.uniform(-math.pi, math.pi))
            gold[token].append((cls, box, 1.0))
            if rng.random() < 0.85:
                sigma = rng.choice([0.1, 0.4, 1.2, 2.5])  # some within 0.5 m, some only within 4 m, some beyond
                noisy = (box[0] + rng.normal(0, sigma), box[1] + rng.normal(0, sigma), box[2] + rng.normal(0, 0.1),
                         box[3] * rng.uniform(0.8, 1.2), box[4] * rng.uniform(0.8, 1.2), box[5] * rng.uniform(0.9, 1.1),
                         math.remainder(box[6] + rng.normal(0, 0.2) + (math.pi if rng.random() < 0.1 else 0), 2 * math.pi))
                tasker[token].append((cls, noisy, float(rng.uniform(0.2, 1.0))))
        for _ in range(rng.poisson(2)):
            cls = names[rng.integers(0, len(names))]
            l, w, h = NUSCENES_CLASSES[cls]
            tasker[token].append((cls, (*rng.uniform([-50, -50], [50, 50]), 0.0, l, w, h, rng.uniform(-math.pi, math.pi)),
                                  float(rng.uniform(0.0, 0.7))))
    return gold, tasker


def write_nuscenes_results(path, frames):
    results = {token: [{"sample_token": token, "translation": [b[0], b[1], b[2]], "size": [b[4], b[3], b[5]], "rotation": quaternion(b[6]),
                        "velocity": [0.0, 0.0], "detection_name": cls, "detection_score": score, "attribute_name": ""}
                       for cls, b, score in boxes] for token, boxes in frames.items()}
    meta = {"use_camera": False, "use_lidar": True, "use_radar": False, "use_map": False, "use_external": False}
    with open(path, "w") as out:
        json.dump({"meta": meta, "results": results}, out)


def eval_boxes(frames, gold):
    boxes = EvalBoxes()
    for token, entries in frames.items():
        boxes.add_boxes(token, [DetectionBox(sample_token=token, translation=(b[0], b[1], b[2]), size=(b[4], b[3], b[5]), rotation=quaternion(b[6]),
                                             velocity=(0.0, 0.0), detection_name=cls, detection_score=-1.0 if gold else score,
                                             attribute_name="")
                                for cls, b, score in entries])
    return boxes


def check_nuscenes(cuboid, rng, workdir):
    gold, tasker = make_nuscenes_pair(rng)
    gold_path, tasker_path = os.path.join(workdir, "gold-nuscenes.json"), os.path.join(workdir, "tasker-nuscenes.json")
    write_nuscenes_results(gold_path, gold)
    write_nuscenes_results(tasker_path, tasker)
    config = {"version": 1, "match": "center-distance", "classes": {c: {"threshold": 0.5, "distance": 2.0} for c in NUSCENES_CLASSES},
              "known": [], "classMap": {}, "metrics": ["nuscenes"]}
    config_path = os.path.join(workdir, "config-nuscenes.json")
    with open(config_path, "w") as out:
        json.dump(config, out)
    report = run_qa(cuboid, ["--gold", gold_path, "--gold-format", "nuscenes", "--labels", "tasker=" + tasker_path, "--labels-format", "nuscenes",
                             "--config", config_path], workdir)
    gt_boxes, pred_boxes = eval_boxes(gold, True), eval_boxes(tasker, False)
    classes = {c["category"]: c for c in report["classes"]}
    aps, errors = [], {"trans_err": [], "scale_err": [], "orient_err": []}
    for name in NUSCENES_CLASSES:
        ours = classes[name]["nuScenes"]
        reference = [calc_ap(accumulate(gt_boxes, pred_boxes, name, center_distance, d), 0.1, 0.1) for d in NUSCENES_DISTANCES]
        for d, value, ref in zip(NUSCENES_DISTANCES, ours["averagePrecisions"], reference):
            check(f"nuScenes {name} AP@{d} m", value, ref)
        check(f"nuScenes {name} mean AP", ours["meanAveragePrecision"], float(np.mean(reference)))
        aps.append(float(np.mean(reference)))
        data = accumulate(gt_boxes, pred_boxes, name, center_distance, 2.0)
        line = []
        for key, metric in (("translationError", "trans_err"), ("scaleError", "scale_err"), ("orientationError", "orient_err")):
            ref = None if name == "traffic_cone" and metric == "orient_err" else calc_tp(data, 0.1, metric)
            check(f"nuScenes {name} {metric}", ours[key], ref)
            if ref is not None:
                errors[metric].append(ref)
            line.append(f"{metric} {ours[key]:.6f}" if ours[key] is not None else f"{metric} n/a")
        print(f"ok nuScenes {name}: AP " + ", ".join(f"{d:g} m {v:.6f}" for d, v in zip(NUSCENES_DISTANCES, ours["averagePrecisions"]))
              + ", " + ", ".join(line) + " (nuscenes-devkit accumulate/calc_ap/calc_tp)")
    mean = report["nuScenesMean"]
    check("nuScenes mAP", mean["meanAveragePrecision"], float(np.mean(aps)))
    for key, metric in (("translationError", "trans_err"), ("scaleError", "scale_err"), ("orientationError", "orient_err")):
        check(f"nuScenes mean {metric}", mean[key], float(np.mean(errors[metric])))
    boxes = sum(len(v) for v in gold.values()), sum(len(v) for v in tasker.values())
    print(f"ok nuScenes mAP {mean['meanAveragePrecision']:.6f}, mATE {mean['translationError']:.6f}, mASE {mean['scaleError']:.6f}, "
          f"mAOE {mean['orientationError']:.6f} ({len(gold)} samples, {boxes[0]} gold, {boxes[1]} scored boxes)")


# KITTI object AP, written here from the devkit's definition (evaluate_object.cpp; eval.py of
# kitti-object-eval-python): an independent reference, there being no package of the official code.
KITTI_LEVELS = ((0, 0.15, 40.0), (1, 0.3, 25.0), (2, 0.5, 25.0))  # max occlusion, max truncation, min height
KITTI_NEIGHBOURS = {"Car": "Van", "Pedestrian": "Person_sitting"}
KITTI_THRESHOLDS = {"Car": 0.7, "Pedestrian": 0.5, "Cyclist": 0.5}


def read_kitti(path):
    """KITTI object lines: dicts with name, truncated, occluded, bbox, dims (h, w, l), loc, ry, score."""
    objects = []
    with open(path) as handle:
        for line in handle:
            f = line.split()
            if len(f) < 15:
                continue
            objects.append({"name": f[0], "truncated": float(f[1]), "occluded": int(float(f[2])), "bbox": [float(v) for v in f[4:8]],
                            "dims": [float(v) for v in f[8:11]], "loc": [float(v) for v in f[11:14]], "ry": float(f[14]),
                            "score": float(f[15]) if len(f) > 15 else None})
    return objects


def image_overlap(a, b, over_a=False):
    w = min(a[2], b[2]) - max(a[0], b[0])
    h = min(a[3], b[3]) - max(a[1], b[1])
    if w <= 0 or h <= 0:
        return 0.0
    inter = w * h
    area_a = (a[2] - a[0]) * (a[3] - a[1])
    return inter / area_a if over_a else inter / (area_a + (b[2] - b[0]) * (b[3] - b[1]) - inter)


def camera_footprint(o):
    """Ground-plane footprint in the camera frame (x, z), the devkit's toPolygon."""
    h, w, l = o["dims"]
    x, z, ry = o["loc"][0], o["loc"][2], o["ry"]
    c, s = math.cos(ry), math.sin(ry)
    return Polygon([(x + c * dx + s * dz, z - s * dx + c * dz) for dx, dz in ((l / 2, w / 2), (l / 2, -w / 2), (-l / 2, -w / 2), (-l / 2, w / 2))])


def kitti_overlap(det, gt, criterion):
    if criterion == "iou-2d":
        return image_overlap(det["bbox"], gt["bbox"])
    pa, pb = camera_footprint(det), camera_footprint(gt)
    inter = pa.intersection(pb).area
    return inter / (pa.area + pb.area - inter)


def kitti_frame_statistics(gts, dets, ignored_gt, ignored_det, dontcare, overlaps, min_overlap, criterion, thresh, compute_fp):
    assigned = [False] * len(dets)
    below = [compute_fp and d["score"] < thresh for d in dets]
    tp = fp = fn = 0
    tp_scores = []
    for i in range(len(gts)):
        if ignored_gt[i] == -1:
            continue
        chosen, valid, best, on_ignored = -1, None, 0.0, False
        for j, d in enumerate(dets):
            if ignored_det[j] == -1 or assigned[j] or below[j]:
                continue
            o = overlaps[j][i]
            if o <= min_overlap:
                continue
            if not compute_fp:
                if valid is None or d["score"] > valid:
                    chosen, valid = j, d["score"]
            elif ignored_det[j] == 0 and (o > best or on_ignored):
                chosen, valid, best, on_ignored = j, 1, o, False
            elif valid is None and ignored_det[j] == 1:
                chosen, valid, on_ignored = j, 1, True
        if valid is None:
            fn += ignored_gt[i] == 0
        elif ignored_gt[i] == 1 or ignored_det[chosen] == 1:
            assigned[chosen] = True
        else:
            tp += 1
            tp_scores.append(dets[chosen]["score"])
            assigned[chosen] = True
    if compute_fp:
        free = [j for j in range(len(dets)) if not assigned[j] and ignored_det[j] == 0 and not below[j]]
        fp = len(free)
        if criterion == "iou-2d":  # DontCare areas hold 2D boxes only
            fp -= sum(1 for j in free if any(image_overlap(dets[j]["bbox"], dc, over_a=True) > min_overlap for dc in dontcare))
    return tp, fp, fn, tp_scores


def kitti_ap(frames, cls, level, criterion):
    """R40 and R11 of one class at one level over [(gold objects, detections)]; the counted gold."""
    max_occ, max_trunc, min_height = level
    min_overlap = KITTI_THRESHOLDS[cls]
    prepared, n_gt, scores = [], 0, []
    for gold, dets in frames:
        ignored_gt = []
        for g in gold:
            valid = 1 if g["name"] == cls else 0 if KITTI_NEIGHBOURS.get(cls) == g["name"] else -1
            hard = g["occluded"] > max_occ or g["truncated"] > max_trunc or g["bbox"][3] - g["bbox"][1] <= min_height
            ignored_gt.append(0 if valid == 1 and not hard else 1 if valid == 0 or valid == 1 else -1)
            n_gt += ignored_gt[-1] == 0
        ignored_det = [1 if abs(d["bbox"][3] - d["bbox"][1]) < min_height else 0 if d["name"] == cls else -1 for d in dets]
        dontcare = [g["bbox"] for g in gold if g["name"] == "DontCare"]
        overlaps = [[kitti_overlap(d, g, criterion) if ignored_gt[i] != -1 and ignored_det[j] != -1 else 0.0 for i, g in enumerate(gold)]
                    for j, d in enumerate(dets)]
        prepared.append((gold, dets, ignored_gt, ignored_det, dontcare, overlaps))
        scores += kitti_frame_statistics(gold, dets, ignored_gt, ignored_det, dontcare, overlaps, min_overlap, criterion, 0, False)[3]
    # Score thresholds at 41 recall steps.
    thresholds, current = [], 0.0
    ordered = sorted(scores, reverse=True)
    for i, score in enumerate(ordered):
        left = (i + 1) / n_gt
        right = (i + 2) / n_gt if i < len(ordered) - 1 else left
        if right - current < current - left and i < len(ordered) - 1:
            continue
        thresholds.append(score)
        current += 1 / 40.0
    precision = np.zeros(41)
    for t, thresh in enumerate(thresholds):
        tp = fp = 0
        for frame in prepared:
            a, b, _, _ = kitti_frame_statistics(*frame, min_overlap, criterion, thresh, True)
            tp, fp = tp + a, fp + b
        precision[t] = tp / (tp + fp)
    for t in range(len(thresholds)):
        precision[t] = precision[t:].max()
    return float(precision[1:].sum() / 40), float(precision[0::4].sum() / 11), n_gt


def check_kitti(cuboid, root, frames, criterion, workdir, label):
    """Compares `--metric kitti` with the reference on KITTI label_2 and pred_label_2 style folders."""
    report = run_qa(cuboid, ["--gold", os.path.join(root, "label_2"), "--gold-format", "kitti", "--labels", "tasker=" + os.path.join(root, "pred_label_2"),
                             "--labels-format", "kitti", "--dataset", root, "--match", criterion, "--metric", "kitti"], workdir)
    pairs = [(read_kitti(os.path.join(root, "label_2", f + ".txt")), read_kitti(os.path.join(root, "pred_label_2", f + ".txt"))) for f in frames]
    classes = {c["category"]: c for c in report["classes"]}
    names = ("easy", "moderate", "hard")
    for cls in KITTI_THRESHOLDS:
        ours = classes[cls]["kitti"]
        references = [kitti_ap(pairs, cls, level, criterion) for level in KITTI_LEVELS]
        if all(n == 0 for _, _, n in references):
            check(f"KITTI {label} {criterion} {cls}: no gold at any level", 0 if ours is None else 1, 0)
            continue
        line = []
        for name, level, (r40, r11, n) in zip(names, ours, references):
            check(f"KITTI {label} {criterion} {cls} {name} counted", level["counted"], n)
            check(f"KITTI {label} {criterion} {cls} {name} R40", level["r40"], r40)
            check(f"KITTI {label} {criterion} {cls} {name} R11", level["r11"], r11)
            line.append(f"{name} R40 {level['r40']:.6f} R11 {level['r11']:.6f} ({n} gold)")
        print(f"ok KITTI {label} {criterion} {cls}: " + ", ".join(line) + " (reference from the devkit's definition)")


def make_kitti_pair(rng, root, calib, frames=60):
    """A KITTI object folder with gold (occlusion, truncation, DontCare, Van, Person_sitting) and scored predictions."""
    for sub in ("label_2", "pred_label_2", "calib"):
        os.makedirs(os.path.join(root, sub), exist_ok=True)
    kinds = {"Car": (1.5, 1.6, 3.9), "Van": (2.2, 1.9, 5.0), "Pedestrian": (1.75, 0.6, 0.8), "Person_sitting": (1.2, 0.6, 0.8),
             "Cyclist": (1.7, 0.6, 1.8)}
    names = list(kinds)
    line = lambda o, score=None: (f"{o['name']} {o['truncated']:.2f} {o['occluded']} -10 " + " ".join(f"{v:.2f}" for v in o["bbox"]) + " "
                                  + " ".join(f"{v:.2f}" for v in (*o["dims"], *o["loc"], o["ry"])) + ("" if score is None else f" {score:.4f}"))
    for f in range(frames):
        name = f"{f:06d}"
        with open(calib) as src, open(os.path.join(root, "calib", name + ".txt"), "w") as dst:
            dst.write(src.read())
        gold, preds = [], []
        for _ in range(rng.integers(2, 12)):
            cls = names[rng.choice(len(names), p=[0.45, 0.12, 0.2, 0.08, 0.15])]
            h, w, l = np.array(kinds[cls]) * rng.uniform(0.9, 1.1, 3)
            z = rng.uniform(5, 60)
            x = rng.uniform(-0.6, 0.6) * z
            box_h = 720 * h / z  # a pinhole camera's height in pixels
            u, v = 620 + 720 * x / z, 175 + 720 * 1.65 / z - box_h / 2
            bw = 720 * max(w, l) / z * rng.uniform(0.6, 1.0)
            bbox = [u - bw / 2, v - box_h / 2, u + bw / 2, v + box_h / 2]
            o = {"name": cls, "truncated": float(rng.choice([0.0, 0.0, 0.0, 0.1, 0.25, 0.4, 0.7])), "occluded": int(rng.choice(4, p=[0.45, 0.3, 0.15, 0.1])), "bbox": bbox,
                 "dims": [h, w, l], "loc": [x, 1.65, z], "ry": rng.uniform(-math.pi, math.pi)}
            gold.append(o)
            if rng.random() < 0.85:
                noise = rng.normal(0, [1.2, 0.8, 1.2, 0.8]) * (1 if rng.random() < 0.7 else 4)
                pred_cls = cls if cls in KITTI_THRESHOLDS else ("Car" if cls == "Van" else "Pedestrian") if rng.random() < 0.5 else None
                if pred_cls:
                    preds.append(({**o, "name": pred_cls, "bbox": [a + b for a, b in zip(bbox, noise)],
                                   "loc": [x + rng.normal(0, 0.08), 1.65, z + rng.normal(0, 0.12)], "ry": o["ry"] + rng.normal(0, 0.05)},
                                  float(rng.uniform(0.1, 1.0))))
        for _ in range(rng.integers(0, 3)):
            u, v, bw, bh = rng.uniform(100, 1100), rng.uniform(150, 200), rng.uniform(20, 90), rng.uniform(15, 40)
            gold.append({"name": "DontCare", "truncated": -1, "occluded": -1, "bbox": [u, v, u + bw, v + bh], "dims": [-1, -1, -1],
                         "loc": [-1000, -1000, -1000], "ry": -10})
            if rng.random() < 0.6:  # a prediction inside the DontCare area
                cls = "Car" if rng.random() < 0.6 else "Pedestrian"
                preds.append(({"name": cls, "truncated": 0.0, "occluded": 0, "bbox": [u + 2, v + 1, u + bw - 2, v + bh - 1], "dims": list(kinds[cls]),
                               "loc": [rng.uniform(-10, 10), 1.65, rng.uniform(30, 60)], "ry": 0.0}, float(rng.uniform(0.1, 0.9))))
        for _ in range(rng.poisson(1.0)):
            cls = ("Car", "Pedestrian", "Cyclist")[rng.integers(0, 3)]
            h, w, l = kinds[cls]
            z = rng.uniform(5, 60)
            x = rng.uniform(-0.6, 0.6) * z
            u, v, bh = 620 + 720 * x / z, 175, 720 * h / z
            preds.append(({"name": cls, "truncated": 0.0, "occluded": 0, "bbox": [u - 20, v - bh / 2, u + 20, v + bh / 2], "dims": [h, w, l],
                           "loc": [x, 1.65, z], "ry": rng.uniform(-math.pi, math.pi)}, float(rng.uniform(0.0, 0.8))))
        with open(os.path.join(root, "label_2", name + ".txt"), "w") as out:
            out.write("".join(line(o) + "\n" for o in gold))
        with open(os.path.join(root, "pred_label_2", name + ".txt"), "w") as out:
            out.write("".join(line(o, score) + "\n" for o, score in preds))
    return [f"{f:06d}" for f in range(frames)]


def may_touch(a, b):
    """Whether two footprints can overlap: centres no further apart than their half diagonals (else IoU 0)."""
    return math.hypot(a[0] - b[0], a[1] - b[1]) <= (math.hypot(a[3], a[4]) + math.hypot(b[3], b[4])) / 2


def trackeval_data(gold, tasker, cls, similarity):
    """TrackEval's per-sequence input for one class: ids numbered from 0 and the similarity matrices."""
    gt_index, tr_index = {}, {}
    data = {"gt_ids": [], "tracker_ids": [], "similarity_scores": [], "num_timesteps": len(gold)}
    for f in sorted(gold):
        g = [(i, b) for i, c, b in gold[f] if c == cls]
        t = [(i, b) for i, c, b in tasker.get(f, []) if c == cls]
        data["gt_ids"].append(np.array([gt_index.setdefault(i, len(gt_index)) for i, _ in g], dtype=int))
        data["tracker_ids"].append(np.array([tr_index.setdefault(i, len(tr_index)) for i, _ in t], dtype=int))
        data["similarity_scores"].append(np.array([[similarity(b, a) if may_touch(a, b) else 0.0 for _, b in t] for _, a in g]).reshape(len(g), len(t)))
    data.update(num_gt_ids=len(gt_index), num_tracker_ids=len(tr_index), num_gt_dets=sum(len(x) for x in data["gt_ids"]),
                num_tracker_dets=sum(len(x) for x in data["tracker_ids"]))
    return data


def check_hota(gold, tasker, report, thresholds, label):
    """HOTA (HOTA, DetA, AssA, LocA) and CLEAR (MOTA, MOTP, switches) against TrackEval on the same BEV IoUs."""
    classes = {c["category"]: c for c in report["classes"]}
    for cls, threshold in thresholds.items():
        data = trackeval_data(gold, tasker, cls, bev_iou)
        hota = trackeval.metrics.HOTA().eval_sequence(data)
        clear = trackeval.metrics.CLEAR({"THRESHOLD": threshold, "PRINT_CONFIG": False}).eval_sequence(data)
        ours = classes[cls]["tracking"]
        for key, field in (("hota", "HOTA"), ("detA", "DetA"), ("assA", "AssA"), ("locA", "LocA")):
            check(f"HOTA {label} {cls} {field}", ours["hota"][key], float(np.mean(hota[field])))
        check(f"CLEAR {label} {cls} MOTA", ours["mota"], float(clear["MOTA"]))
        check(f"CLEAR {label} {cls} MOTP (TrackEval: mean IoU = 1 - motmetrics' MOTP)", 1 - ours["motp"], float(clear["MOTP"]))
        check(f"CLEAR {label} {cls} switches", ours["identitySwitches"], int(clear["IDSW"]))
        h = ours["hota"]
        print(f"ok HOTA {label} {cls}: HOTA {h['hota']:.6f} DetA {h['detA']:.6f} AssA {h['assA']:.6f} LocA {h['locA']:.6f}; "
              f"CLEAR MOTA {ours['mota']:.6f} MOTP {1 - ours['motp']:.6f} IDSW {ours['identitySwitches']} (TrackEval {trackeval.__version__})")


def link_detections(lines, gate=2.0):
    """Per-frame KITTI detections (no track ids) linked into tracks: each detection, by descending score,
    continues the nearest track of the previous frame within `gate` metres (camera x, z), else starts one."""
    by_frame = {}
    for fields in lines:
        by_frame.setdefault(int(fields[0]), []).append(fields)
    previous, next_id, out = [], 0, []
    for frame in sorted(by_frame):
        current = []
        for fields in sorted(by_frame[frame], key=lambda f: -float(f[17])):
            x, z = float(fields[13]), float(fields[15])
            free = [(math.hypot(x - px, z - pz), track) for track, px, pz in previous if track not in {t for t, _, _ in current}]
            near = min(free, default=None)
            if near is not None and near[0] < gate:
                track = near[1]
            else:
                track, next_id = next_id, next_id + 1
            current.append((track, x, z))
            out.append(" ".join([fields[0], str(track)] + fields[2:]))
        previous = current
    return out


def read_sustech(folder):
    frames = {}
    for name in sorted(os.listdir(folder)):
        with open(os.path.join(folder, name)) as handle:
            entries = json.load(handle)
        frames[int(name.split(".")[0])] = [(e["obj_id"], e["obj_type"], (e["psr"]["position"]["x"], e["psr"]["position"]["y"], e["psr"]["position"]["z"],
                                                                         e["psr"]["scale"]["x"], e["psr"]["scale"]["y"], e["psr"]["scale"]["z"],
                                                                         e["psr"]["rotation"]["z"])) for e in entries]
    return frames


def check_kitti_tracking(cuboid, root, workdir):
    """KITTI tracking 0000 gold against its PointRCNN Car detections linked into tracks; both converted to
    the lidar frame by `cuboid labels convert` so that TrackEval and `cuboid qa` see the same boxes."""
    with open(os.path.join(root, "detections", "label_02", "0000.txt")) as handle:
        lines = [line.split() for line in handle if line.strip()]
    tasker_kitti = os.path.join(workdir, "tracking-tasker.txt")
    with open(tasker_kitti, "w") as out:
        out.write("\n".join(link_detections(lines)) + "\n")
    calib = os.path.join(root, "training", "calib", "0000.txt")
    folders = {}
    for side, path in (("gold", os.path.join(root, "training", "label_02", "0000.txt")), ("tasker", tasker_kitti)):
        folders[side] = os.path.join(workdir, "tracking-" + side)
        subprocess.run([cuboid, "labels", "convert", path, folders[side], "--from", "kitti-tracking", "--to", "sustechpoints", "--calib", calib],
                       check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    config = {"version": 1, "classes": {"Car": {"threshold": 0.5}}, "known": ["Van", "Truck", "Pedestrian", "Person_sitting", "Cyclist", "Tram", "Misc", "DontCare"],
              "classMap": {}, "metrics": ["hota"]}
    config_path = os.path.join(workdir, "config-tracking.json")
    with open(config_path, "w") as out:
        json.dump(config, out)
    report = run_qa(cuboid, ["--gold", folders["gold"], "--gold-format", "sustechpoints", "--labels", "tasker=" + folders["tasker"],
                             "--labels-format", "sustechpoints", "--config", config_path], workdir)
    gold, tasker = read_sustech(folders["gold"]), read_sustech(folders["tasker"])
    check_hota(gold, tasker, report, {"Car": 0.5}, "kitti_tracking 0000 (PointRCNN)")


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
                                          "--config", os.path.join(workdir, "config.json"), "--match", criterion]
                            + (["--metric", "hota"] if criterion == "bev-iou" else []), workdir)
            check_detection(gold, tasker, report, criterion, measure)
            if criterion == "bev-iou":
                check_tracking(gold, tasker, report)
                check_hota(gold, tasker, report, {c: t for c, (_, _, _, t) in CLASSES.items()}, "random scene")
        check_coco(args.cuboid, rng, workdir)
        check_nuscenes(args.cuboid, rng, workdir)
        kitti = os.path.join(SHARED, "kitti_object", "training")
        if os.path.isdir(kitti):
            synthetic = os.path.join(workdir, "kitti-synthetic")
            frames = make_kitti_pair(rng, synthetic, os.path.join(kitti, "calib", "000001.txt"))
            for criterion in ("iou-2d", "bev-iou"):
                check_kitti(args.cuboid, synthetic, frames, criterion, workdir, "synthetic")
                check_kitti(args.cuboid, kitti, [f[:-4] for f in sorted(os.listdir(os.path.join(kitti, "pred_label_2")))], criterion, workdir,
                            "kitti_object")
        else:
            print(f"skipped: KITTI object checks ({kitti} not found)")
        tracking = os.path.join(SHARED, "kitti_tracking")
        if os.path.isdir(tracking):
            check_kitti_tracking(args.cuboid, tracking, workdir)
        else:
            print(f"skipped: KITTI tracking check ({tracking} not found)")
    if failures:
        print(f"FAIL: {failures} figure(s) differ from the references by more than {TOLERANCE}")
        sys.exit(1)
    print(f"all QA figures equal the references to {TOLERANCE}")


if __name__ == "__main__":
    main()
