#!/usr/bin/env python3
"""Feed Cuboid's label exports to the tools users load them with, on the real data in ../shared/data.

Consumers: pycocotools (COCO gold and results, evaluation), motmetrics (MOT CSV), vcd (OpenLABEL
schema validation), datumaro (CVAT XML and Datumaro point cloud JSON), nuscenes-devkit (results JSON
and its Box class). Every check compares numbers with the source labels, not only that a file loads.
Usage: python3 Scripts/check_interop.py [path/to/cuboid]   (default .build/release/cuboid)
Exits non-zero on the first failed check.
"""
import json
import math
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DATA = os.path.join(os.path.dirname(ROOT), "shared", "data")
CUBOID = sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, ".build", "release", "cuboid")
KITTI = os.path.join(DATA, "kitti_object", "training")
OUT = tempfile.mkdtemp(prefix="cuboid-interop-")
failures = []


def cuboid(*args):
    result = subprocess.run([CUBOID, *args], capture_output=True, text=True)
    if result.returncode != 0:
        sys.exit(f"cuboid {' '.join(args)} failed ({result.returncode}): {result.stderr.strip()}")
    return result.stdout


def check(name, condition, detail=""):
    print(("ok   " if condition else "FAIL ") + name + (f": {detail}" if detail else ""))
    if not condition:
        failures.append(name)


def kitti_rows(folder, frames):
    rows = {}
    for frame in frames:
        with open(os.path.join(folder, frame + ".txt")) as f:
            rows[frame] = [line.split() for line in f if line.strip()]
    return rows


# --- OpenLABEL: the vcd package validates against the ASAM OpenLABEL 1.0 schema ---------------------
def openlabel():
    from vcd import core
    exports = {
        "kitti": cuboid_openlabel("kitti", os.path.join(KITTI, "label_2"), "--dataset", KITTI),
        "sustechpoints": cuboid_openlabel("sustechpoints", os.path.join(DATA, "sustechpoints", "label")),
        "nuscenes-info": cuboid_openlabel("nuscenes-info", next(os.path.join(DATA, "nuscenes", f) for f in os.listdir(os.path.join(DATA, "nuscenes")) if f.endswith(".pkl.json"))),
    }
    for source, path in exports.items():
        document = core.OpenLABEL()
        document.load_from_file(path, validation=True)
        objects = sum(len(frame.get("objects", {})) for frame in document.get_root()["frames"].values())
        with open(path) as f:
            raw = json.load(f)["openlabel"]
        check(f"vcd validates the OpenLABEL export of {source}", objects > 0 and document.get_num_objects() > 0,
              f"{document.get_num_objects()} objects, {objects} object-frames, {len(raw['frames'])} frames")
    # Cuboid quaternions are unit and sizes positive, as the schema cannot check.
    with open(exports["sustechpoints"]) as f:
        raw = json.load(f)["openlabel"]
    norms = [math.sqrt(sum(v * v for v in c["val"][3:7])) for frame in raw["frames"].values() for o in frame["objects"].values()
             for c in o["object_data"]["cuboid"]]
    check("OpenLABEL cuboid quaternions are unit", max(abs(n - 1) for n in norms) < 1e-12, f"{len(norms)} cuboids")


def cuboid_openlabel(source, path, *extra):
    out = os.path.join(OUT, source + ".openlabel.json")
    cuboid("labels", "convert", path, out, "--from", source, "--to", "openlabel", *extra)
    return out


# --- COCO: pycocotools loads gold and results, and its evaluation runs ------------------------------
def coco():
    from pycocotools.coco import COCO
    from pycocotools.cocoeval import COCOeval
    frames = ["000001", "000002"]
    gold_dir, pred_dir = os.path.join(OUT, "gold_2"), os.path.join(OUT, "pred_2")
    for d, src in [(gold_dir, "label_2"), (pred_dir, "pred_label_2")]:
        os.makedirs(d, exist_ok=True)
        for frame in frames:
            with open(os.path.join(KITTI, src, frame + ".txt")) as f, open(os.path.join(d, frame + ".txt"), "w") as g:
                g.write(f.read())
    gold, results = os.path.join(OUT, "gold.coco.json"), os.path.join(OUT, "results.coco.json")
    cuboid("labels", "convert", gold_dir, gold, "--from", "kitti", "--to", "coco", "--dataset", KITTI)
    cuboid("labels", "convert", pred_dir, results, "--from", "kitti", "--to", "coco", "--dataset", KITTI,
           "--reference", gold_dir, "--reference-format", "kitti")
    source = kitti_rows(gold_dir, frames)
    api = COCO(gold)
    check("pycocotools loads the COCO gold export", len(api.getAnnIds()) == sum(len(r) for r in source.values()),
          f"{len(api.getAnnIds())} annotations, {len(api.getImgIds())} images, {len(api.getCatIds())} categories")
    # Boxes are the label's own pixels: [left, top, right - left, bottom - top].
    first = api.loadAnns(api.getAnnIds(imgIds=[1]))[0]
    row = source["000001"][0]
    expected = [float(row[4]), float(row[5]), float(row[6]) - float(row[4]), float(row[7]) - float(row[5])]
    check("COCO bbox is the KITTI box in xywh", all(abs(a - b) < 1e-9 for a, b in zip(first["bbox"], expected)), f"{first['bbox']}")
    detections = api.loadRes(results)
    evaluation = COCOeval(api, detections, "bbox")
    evaluation.evaluate(); evaluation.accumulate(); evaluation.summarize()
    check("pycocotools evaluates the KITTI detector results", 0 < evaluation.stats[1] <= 1, f"AP50 {evaluation.stats[1]:.3f}")
    # Gold against itself (score 1): every box found, AP 1.
    with open(gold) as f:
        own = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0} for a in json.load(f)["annotations"]]
    perfect = COCOeval(api, api.loadRes(own), "bbox")
    perfect.evaluate(); perfect.accumulate(); perfect.summarize()
    check("gold scored against itself has AP50 1.0", abs(perfect.stats[1] - 1) < 1e-9, f"AP50 {perfect.stats[1]:.3f}")


# --- MOT: motmetrics reads the CSV ------------------------------------------------------------------
def mot():
    import numpy as np
    # motmetrics 1.4.0 (the newest release) still calls np.asfarray, which NumPy 2 removed; datumaro
    # needs NumPy >= 2.2, so the two share one environment only with this alias.
    if not hasattr(np, "asfarray"):
        np.asfarray = lambda a, dtype=float: np.asarray(a, dtype=dtype)
    import motmetrics as mm
    gold = os.path.join(OUT, "gold.mot.csv")
    cuboid("labels", "convert", os.path.join(DATA, "sustechpoints", "label"), os.path.join(OUT, "sus.openlabel.json"),
           "--from", "sustechpoints")
    cuboid("labels", "convert", os.path.join(KITTI, "label_2"), gold, "--from", "kitti", "--to", "mot", "--dataset", KITTI)
    frame = mm.io.loadtxt(gold, fmt="mot15-2D")
    total = sum(len(r) for r in kitti_rows(os.path.join(KITTI, "label_2"), ["000000", "000001", "000002", "000003", "007347"]).values())
    check("motmetrics reads the MOT export", len(frame) == total, f"{len(frame)} boxes in {frame.index.get_level_values(0).nunique()} frames")
    accumulator = mm.utils.compare_to_groundtruth(frame, frame, "iou", distth=0.5)
    summary = mm.metrics.create().compute(accumulator, metrics=["mota", "num_switches"], name="self")
    check("MOTA of the export against itself is 1", abs(summary["mota"]["self"] - 1) < 1e-12, f"MOTA {summary['mota']['self']}")


# --- datumaro: imports CVAT XML and the Datumaro point cloud JSON -----------------------------------
def datumaro():
    import datumaro as dm
    cvat_dir = os.path.join(OUT, "cvat")
    os.makedirs(cvat_dir, exist_ok=True)
    cvat = os.path.join(cvat_dir, "annotations.xml")
    cuboid("labels", "convert", os.path.join(KITTI, "label_2"), cvat, "--from", "kitti", "--to", "cvat", "--dataset", KITTI)
    # A CVAT export carries its images beside the XML; link the frames' own.
    os.makedirs(os.path.join(cvat_dir, "images"), exist_ok=True)
    for name in os.listdir(os.path.join(KITTI, "image_2")):
        os.symlink(os.path.join(KITTI, "image_2", name), os.path.join(cvat_dir, "images", name))
    dataset = dm.Dataset.import_from(cvat_dir, "cvat")
    boxes = [a for item in dataset for a in item.annotations if a.type == dm.AnnotationType.bbox]
    total = sum(len(r) for r in kitti_rows(os.path.join(KITTI, "label_2"), ["000000", "000001", "000002", "000003", "007347"]).values())
    check("datumaro imports the CVAT XML export", len(boxes) == total, f"{len(dataset)} items, {len(boxes)} boxes")
    # SUSTechPOINTS tracks as CVAT tracks: ids across frames survive.
    sus = os.path.join(DATA, "sustechpoints", "label")
    point_dir = os.path.join(OUT, "datumaro", "annotations")
    os.makedirs(point_dir, exist_ok=True)
    cuboid("labels", "convert", sus, os.path.join(point_dir, "default.json"), "--from", "sustechpoints", "--to", "datumaro")
    clouds = dm.Dataset.import_from(os.path.join(OUT, "datumaro"), "datumaro")
    cuboids = [a for item in clouds for a in item.annotations if a.type == dm.AnnotationType.cuboid_3d]
    with open(os.path.join(sus, "000965.json")) as f:
        first = json.load(f)[0]
    item = next(i for i in clouds if i.id == "000965")
    match = next(a for a in item.annotations if str(a.attributes.get("track_id")) == first["obj_id"])
    position = [first["psr"]["position"][k] for k in "xyz"]
    check("datumaro imports the Datumaro point cloud export", len(cuboids) == 87 and all(abs(a - b) < 1e-2 for a, b in zip(match.position, position)),
          f"{len(clouds)} items, {len(cuboids)} cuboids; track {first['obj_id']} at {match.position}")


# --- nuScenes: the devkit loads the results and its Box class agrees ---------------------------------
def nuscenes():
    import numpy as np
    from nuscenes.eval.common.loaders import load_prediction
    from nuscenes.eval.detection.data_classes import DetectionBox
    from nuscenes.utils.data_classes import Box
    from pyquaternion import Quaternion
    folder = os.path.join(DATA, "nuscenes")
    info = next(os.path.join(folder, f) for f in os.listdir(folder) if f.endswith(".pkl.json"))
    results = os.path.join(OUT, "results.nuscenes.json")
    cuboid("labels", "convert", info, results, "--from", "nuscenes-info", "--to", "nuscenes", "--drop-class", "ignore")
    boxes, meta = load_prediction(results, 500, DetectionBox)
    with open(info) as f:
        entry = json.load(f)["data_list"][0]
    kept = [i for i in entry["instances"] if i["bbox_label_3d"] >= 0]
    loaded = boxes[entry["token"]]
    check("nuscenes-devkit loads the results JSON", len(loaded) == len(kept), f"{len(loaded)} DetectionBoxes, meta {meta}")
    # The devkit's own chain: a LIDAR_TOP box through lidar2ego and ego2global.
    lidar2ego, ego2global = np.array(entry["lidar_points"]["lidar2ego"]), np.array(entry["ego2global"])
    worst = 0.0
    for instance, ours in zip(kept, loaded):
        x, y, z, l, w, h, yaw = instance["bbox_3d"]
        box = Box([x, y, z], [w, l, h], Quaternion(axis=[0, 0, 1], angle=yaw))
        for matrix in (lidar2ego, ego2global):
            box.rotate(Quaternion(matrix=matrix[:3, :3], atol=1e-6))
            box.translate(matrix[:3, 3])
        rotation = np.array(ours.rotation)
        worst = max(worst, float(np.abs(np.array(ours.translation) - box.center).max()),
                    float(np.abs(np.array(ours.size) - box.wlh).max()),
                    # q and -q are the same rotation.
                    min(float(np.abs(rotation - box.orientation.elements).max()), float(np.abs(rotation + box.orientation.elements).max())))
    check("results boxes equal the devkit's Box through lidar2ego and ego2global", worst < 1e-5, f"max difference {worst:.2e}")


if __name__ == "__main__":
    if not os.path.exists(os.path.join(DATA, "README.md")):
        sys.exit(f"{DATA} is missing: the interop check needs the shared real data")
    for step in (openlabel, coco, mot, datumaro, nuscenes):
        print(f"--- {step.__name__}")
        step()
    print(f"outputs in {OUT}")
    if failures:
        sys.exit(f"{len(failures)} interop check(s) failed: {', '.join(failures)}")
    print("all interop checks passed")
