#!/usr/bin/env python3
"""Feed Cuboid's label exports to the tools users load them with, on the real data in ../shared/data.

Consumers: pycocotools (COCO gold and results, evaluation), motmetrics (MOT CSV), vcd (OpenLABEL
schema validation; its scene library's placement of cuboids in odom; what a round trip through
interpolate and convert keeps), datumaro (CVAT XML and Datumaro point cloud JSON), nuscenes-devkit (results JSON
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


# --- OpenLABEL identity: a round trip through convert and interpolate keeps uids, frames, attributes -
def identity_document():
    """A file with uuid object uids, frames 3, 7 and 100, a nameless pedestrian whose cuboid is in the
    camera CAM_FRONT (absent from frame 7, so interpolation fills it), cuboid-level attributes (score,
    timestamp, source), object-level static data and ontology_uid, a vec velocity, stream uris,
    metadata, ontologies, contexts, actions, events and relations (also in frame 7).
    SampleData/openlabel/identity.openlabel.json is this document (the Swift tests read it)."""
    car, pedestrian, parked = ("6f1c2a9e-0b7d-4f7e-9a51-3c2d8e4b1a10", "b2e4d6f8-1a3c-4e5f-8a7b-9c0d1e2f3a4b",
                               "c3d5e7f9-2b4d-4f6a-9b8c-0d1e2f3a4b5c")
    relation = "e0a1b2c3-d4e5-4f60-8172-93a4b5c6d7e8"
    # The camera looks along the lidar's x: camera x right, y down, z forward.
    camera_pose = [0, 0, 1, 1.5, -1, 0, 0, 0.1, 0, -1, 0, -0.3, 0, 0, 0, 1]

    def lidar_cuboid(x, y, z, yaw=0.0, attributes=None):
        box = {"name": "box3D", "coordinate_system": "LIDAR", "val": [x, y, z, 0, 0, math.sin(yaw / 2), math.cos(yaw / 2), 4.2, 1.8, 1.5]}
        if attributes:
            box["attributes"] = attributes
        return box

    doc = {"openlabel": {
        "metadata": {"schema_version": "1.0.0", "annotator": "alice", "file_version": "7", "comment": "round trip"},
        "ontologies": {"0": "https://example.org/ontology"},
        "coordinate_systems": {"LIDAR": {"type": "sensor_cs", "parent": "", "children": ["CAM_FRONT"]},
                               "CAM_FRONT": {"type": "sensor_cs", "parent": "LIDAR", "children": [], "pose_wrt_parent": {"matrix4x4": camera_pose}}},
        "streams": {"LIDAR": {"type": "lidar", "uri": "sweeps/", "description": "roof lidar"},
                    "CAM_FRONT": {"type": "camera", "uri": "cam_front/", "stream_properties": {
                        "intrinsics_pinhole": {"width_px": 1920, "height_px": 1080, "camera_matrix_3x4": [1000, 0, 960, 0, 0, 1000, 540, 0, 0, 0, 1, 0]},
                        "sync": {"frame_shift": 0}}}},
        "objects": {car: {"name": "car-a", "type": "Car", "ontology_uid": "0", "object_data": {"text": [{"name": "make", "val": "volvo"}]}},
                    pedestrian: {"name": "", "type": "Pedestrian"},
                    parked: {"name": "", "type": "Car"}},
        "contexts": {"0": {"name": "weather", "type": "Weather", "context_data": {"text": [{"name": "sky", "val": "rain"}]}}},
        "actions": {"0": {"name": "", "type": "Crossing"}},
        "events": {"1": {"name": "", "type": "Brake", "frame_intervals": [{"frame_start": 7, "frame_end": 7}]}},
        "relations": {relation: {"name": "", "type": "isNear", "rdf_subjects": [{"uid": car, "type": "object"}],
                                 "rdf_objects": [{"uid": pedestrian, "type": "object"}]}},
        "frames": {},
    }}
    frames = doc["openlabel"]["frames"]
    for number, t in [(3, 0.3), (7, 0.7), (100, 10.0)]:
        objects = {car: {"object_data": {
            "cuboid": [lidar_cuboid(10 + 2 * t, 2.0, -0.8, 0.1, {"num": [{"name": "score", "val": 0.93}, {"name": "timestamp", "val": t}],
                                                                 "text": [{"name": "source", "val": "lidar-v2"}]})],
            "num": [{"name": "occlusion_ratio", "val": 0.25}], "boolean": [{"name": "parked", "val": False}],
            "vec": [{"name": "velocity", "val": [2.0, 0.0, 0.0]}], "text": [{"name": "colour", "val": "red"}]}}}
        if number != 7:
            objects[pedestrian] = {"object_data": {"cuboid": [{"name": "ped", "coordinate_system": "CAM_FRONT",
                                                               "val": [1.0, 0.5, 8.0 + 0.01 * number, 0, 0, 0, 1, 0.6, 1.7, 0.5]}]}}
        objects[parked] = {"object_data": {"cuboid": [lidar_cuboid(-5, -3, -0.7)]}}
        frames[str(number)] = {"objects": objects, "frame_properties": {"timestamp": t, "streams": {"LIDAR": {"stream_properties": {"sync": {"timestamp": t}}}}}}
    frames["7"]["relations"] = {relation: {}}
    frames["7"]["events"] = {"1": {"event_data": {"text": [{"name": "severity", "val": "high"}]}}}
    return doc


def json_differences(given, written, path="", skipping=("frame_intervals",)):
    """Where `written` does not hold everything `given` holds (numbers to 1e-9)."""
    if isinstance(given, dict):
        if not isinstance(written, dict):
            return [path + ": another type"]
        return [d for key in given if key not in skipping
                for d in ([f"{path}/{key} missing"] if key not in written else json_differences(given[key], written[key], f"{path}/{key}", skipping))]
    if isinstance(given, list):
        if not isinstance(written, list) or len(given) != len(written):
            return [f"{path}: {len(given)} elements, written {len(written) if isinstance(written, list) else '-'}"]
        return [d for k, (a, b) in enumerate(zip(given, written)) for d in json_differences(a, b, f"{path}[{k}]", skipping)]
    if isinstance(given, (int, float)) and not isinstance(given, bool):
        ok = isinstance(written, (int, float)) and not isinstance(written, bool) and abs(given - written) <= 1e-9
        return [] if ok else [f"{path}: {given} written {written}"]
    return [] if given == written else [f"{path}: {given} written {written}"]


def openlabel_roundtrip():
    """Writes the identity document, runs `cuboid interpolate` and `cuboid labels convert` (openlabel to
    openlabel) on it and loads both outputs with VCD (schema validation on): every object uid, frame
    number, name, type, attribute (object- and cuboid-level) and section must be there as VCD reads it."""
    from vcd import core
    document = identity_document()
    with open(os.path.join(ROOT, "SampleData", "openlabel", "identity.openlabel.json")) as f:
        check("SampleData's identity file is the document this check writes", json_differences(document, json.load(f)) == [])
    path = os.path.join(OUT, "identity.openlabel.json")
    with open(path, "w") as f:
        json.dump(document, f, indent=1)
    given = document["openlabel"]
    outputs = {"interpolate": os.path.join(OUT, "identity-interpolated.openlabel.json"),
               "convert": os.path.join(OUT, "identity-converted.openlabel.json")}
    cuboid("interpolate", path, "--out", outputs["interpolate"])
    cuboid("labels", "convert", path, outputs["convert"], "--from", "openlabel")
    for command, output in outputs.items():
        vcd = core.OpenLABEL()
        vcd.load_from_file(output, validation=True)
        objects = vcd.get_objects()
        check(f"{command}: VCD reads every object uid, name and type", {uid: (o["name"], o["type"]) for uid, o in objects.items()}
              == {uid: (o["name"], o["type"]) for uid, o in given["objects"].items()}, f"{len(objects)} objects")
        frames = sorted(int(k) for k in vcd.get_root()["frames"])
        check(f"{command}: frame numbers kept", frames == sorted(int(k) for k in given["frames"]), f"frames {frames}")
        # Every attribute of every object in every frame, as VCD looks it up by name.
        missing, compared = [], 0
        for number, frame in given["frames"].items():
            for uid, entry in frame["objects"].items():
                for kind, items in entry["object_data"].items():
                    for item in items:
                        data = vcd.get_object_data(uid, item["name"], int(number))
                        compared += 1
                        if data is None or json_differences(item, data) != []:
                            missing.append(f"frame {number} {uid} {kind} {item['name']}")
        check(f"{command}: VCD finds every object datum (cuboids with their coordinate system and attributes, num, text, boolean, vec)",
              compared > 0 and not missing, f"{compared} compared" + (f", missing {missing[:3]}" if missing else ""))
        static = {uid: {k: v for k, v in o.items() if k not in ("name", "type", "frame_intervals")} for uid, o in given["objects"].items()}
        check(f"{command}: object-level data kept (static object_data, ontology_uid)",
              all(json_differences(extra, objects[uid]) == [] for uid, extra in static.items()))
        sections = {"metadata": vcd.get_metadata(), "contexts": vcd.get_contexts(), "actions": vcd.get_actions(),
                    "events": vcd.get_events(), "relations": vcd.get_relations(), "ontologies": vcd.get_root().get("ontologies"),
                    "streams": vcd.get_streams()}
        lost = [name for name, section in sections.items() if json_differences(given[name], section or {}) != []]
        check(f"{command}: sections kept ({', '.join(sections)})", not lost, f"lost {lost}" if lost else "")
        # Everything else, structurally (interpolation adds its `interpolation` text attribute to each box).
        # (VCD keys frames by integer: through JSON text they are strings again.)
        differences = [d for d in json_differences(given, json.loads(json.dumps(vcd.get_root()))) if not d.endswith("/object_data/text: 1 elements, written 2")]
        check(f"{command}: the whole file comes back (structural comparison)", differences == [], "; ".join(differences[:3]))


# --- OpenLABEL poses: VCD's scene library places Cuboid's cuboids in odom where Cuboid does ---------
def openlabel_scene():
    """vcd.scl.Scene transforms every cuboid of a Cuboid-written file from the sensor into `odom` with
    the file's transforms read as ASAM OpenLABEL and VCD mean them; Cuboid's own placement is its ego
    pose (world from sensor: the `SENSOR_to_odom` matrix, X_odom = M X_sensor) applied to the
    cuboid's centre (through its camera's pose in the sensor for a cuboid kept in its camera). Files: the synthetic gold (SampleData, regenerated by Scripts/make-sample-data)
    and Cuboid's conversion of VCD's KITTI tracking file (GPS/IMU poses); parked cars of the synthetic
    gold (boolean `moving` false) must not move in odom across frames."""
    import numpy as np
    from vcd import core, scl
    kitti = os.path.join(OUT, "kitti_tracking_0000.openlabel.json")
    cuboid("labels", "convert", os.path.join(DATA, "openlabel", "vcd", "openlabel100_kitti_tracking_0000.json"), kitti,
           "--from", "openlabel", "--to", "openlabel", "--drop-class", "Egocar")
    for name, path in (("synthetic gold", os.path.join(ROOT, "SampleData", "sequence", "gold.openlabel.json")), ("KITTI tracking 0000", kitti)):
        document = core.OpenLABEL()
        document.load_from_file(path, validation=True)
        scene = scl.Scene(document)
        with open(path) as f:
            raw = json.load(f)["openlabel"]
        sensor = next(n for n, s in raw["streams"].items() if s["type"] == "lidar")
        worst, count, parked = 0.0, 0, {}
        for key, frame in raw["frames"].items():
            transform = frame["frame_properties"]["transforms"][sensor + "_to_odom"]
            ego = np.array(transform["transform_src_to_dst"]["matrix4x4"]).reshape(4, 4)
            for uid, entry in frame["objects"].items():
                for box in entry.get("object_data", {}).get("cuboid", []):
                    # A cuboid kept in the camera it came in: Cuboid's placement goes through the
                    # camera's pose in the sensor (its pose_wrt_parent, the sensor its parent).
                    system = raw["coordinate_systems"][box["coordinate_system"]]
                    placed = np.eye(4) if box["coordinate_system"] == sensor else np.array(system["pose_wrt_parent"]["matrix4x4"]).reshape(4, 4)
                    assert box["coordinate_system"] == sensor or system["parent"] == sensor
                    ours = (ego @ placed @ np.array(box["val"][:3] + [1.0]))[:3]
                    theirs = np.array(scene.transform_cuboid(box["val"], box["coordinate_system"], "odom", int(key))[:3], dtype=float)
                    worst = max(worst, float(np.abs(ours - theirs).max()))
                    count += 1
                    flags = {b["name"]: b["val"] for b in entry["object_data"].get("boolean", [])}
                    if flags.get("moving") is False:
                        parked.setdefault(uid, []).append(theirs)
        check(f"VCD's scene library places the cuboids of Cuboid's {name} in odom where Cuboid does", count > 0 and worst < 1e-6,
              f"{count} cuboids in {len(raw['frames'])} frames, max difference {worst:.2e} m")
        if parked:
            drift = max(float(np.abs(np.array(c) - c[0]).max()) for c in parked.values() if len(c) > 1)
            check(f"parked cars of Cuboid's {name} stay put in odom as VCD places them", drift < 1e-6,
                  f"{len(parked)} parked actors, max drift {drift:.2e} m")


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
    for step in (openlabel, openlabel_scene, openlabel_roundtrip, coco, mot, datumaro, nuscenes):
        print(f"--- {step.__name__}")
        step()
    print(f"outputs in {OUT}")
    if failures:
        sys.exit(f"{len(failures)} interop check(s) failed: {', '.join(failures)}")
    print("all interop checks passed")
