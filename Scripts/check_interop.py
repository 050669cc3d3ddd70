#!/usr/bin/env python3
"""Feed Cuboid's label exports to the tools users load them with, on the real data in ../shared/data.

Consumers: pycocotools (COCO datasets and results, evaluation against cuboid qa), motmetrics (MOT15 CSV), TrackEval (MOT17 ground truth), vcd (OpenLABEL
schema validation; its scene library's placement of cuboids in odom; what a round trip through interpolate and
convert keeps), openlabel-checker (the ASAM OpenLABEL 1.0 schema and cross-reference checks on
every kind of OpenLABEL file Cuboid writes), datumaro (CVAT XML for images and video, CVAT's Kitti Raw and Sly Point Cloud folders, Datumaro point
cloud JSON), segments-ai (Segments.ai's label models and ego transform), nuscenes-devkit (results JSON
and its Box class). Every check compares numbers with the source labels, not only that a file loads.
Usage: python3 Scripts/check_interop.py [path/to/cuboid]   (default .build/release/cuboid)
Exits non-zero on the first failed check.
"""
import contextlib
import io
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



def vcd_scene(path):
    """An OpenLABEL file as VCD reads it (loaded with schema validation): VCD's scene library, the raw
    JSON's `openlabel` object and the name of its lidar stream."""
    from vcd import core, scl
    document = core.OpenLABEL()
    document.load_from_file(path, validation=True)
    with open(path) as f:
        raw = json.load(f)["openlabel"]
    return scl.Scene(document), raw, next(n for n, s in raw["streams"].items() if s["type"] == "lidar")


# --- OpenLABEL poses: VCD's scene library places Cuboid's cuboids in odom where Cuboid does ---------
def openlabel_scene():
    """vcd.scl.Scene transforms every cuboid of a Cuboid-written file from the sensor into `odom` with
    the file's transforms read as ASAM OpenLABEL and VCD mean them; Cuboid's own placement is its ego
    pose (world from sensor: the `SENSOR_to_odom` matrix, X_odom = M X_sensor) applied to the
    cuboid's centre (through its camera's pose in the sensor for a cuboid kept in its camera). Files: the synthetic gold (SampleData, regenerated by Scripts/make-sample-data)
    and Cuboid's conversion of VCD's KITTI tracking file (GPS/IMU poses); parked cars of the synthetic
    gold (boolean `moving` false) must not move in odom across frames."""
    import numpy as np
    kitti = os.path.join(OUT, "kitti_tracking_0000.openlabel.json")
    cuboid("labels", "convert", os.path.join(DATA, "openlabel", "vcd", "openlabel100_kitti_tracking_0000.json"), kitti,
           "--from", "openlabel", "--to", "openlabel", "--drop-class", "Egocar")
    for name, path in (("synthetic gold", os.path.join(ROOT, "SampleData", "sequence", "gold.openlabel.json")), ("KITTI tracking 0000", kitti)):
        scene, raw, sensor = vcd_scene(path)
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


# --- Odometry poses as OpenLABEL: VCD reads the estimated poses Cuboid wrote -----------------------
def odometry_openlabel():
    """`cuboid odometry --openlabel` on KITTI tracking 0000 (154 camera-cropped sweeps): VCD loads the
    file with schema validation and its scene library's transform from the lidar to `odom` at each
    frame is the pose `--out` wrote in KITTI odometry form (compared as matrices and on a point 50 m out)."""
    import numpy as np
    poses, path = os.path.join(OUT, "odometry-poses.txt"), os.path.join(OUT, "odometry-poses.openlabel.json")
    cuboid("odometry", os.path.join(DATA, "kitti_tracking", "training"), "--out", poses, "--openlabel", path)
    scene, raw, sensor = vcd_scene(path)
    with open(poses) as f:
        written = [np.vstack([np.array(line.split(), dtype=float).reshape(3, 4), [0, 0, 0, 1]]) for line in f if line.strip()]
    worst = 0.0
    for index, key in enumerate(sorted(raw["frames"], key=int)):
        transform = np.array(scene.get_transform(sensor, "odom", int(key))[0])  # (matrix, is_static)
        point = np.array([50.0, 10.0, -1.0, 1.0])
        worst = max(worst, float(np.abs(transform - written[index]).max()), float(np.abs(transform @ point - written[index] @ point).max()))
    check("VCD's scene library reads the odometry's OpenLABEL poses as the poses --out wrote",
          len(raw["frames"]) == len(written) == 154 and worst < 1e-9, f"{len(raw['frames'])} frames, {len(written)} poses, max difference {worst:.2e}")


# --- OpenLABEL as the standard's checker and VCD read every kind of file Cuboid writes -------------
def openlabel_written():
    """openlabel-checker (schema + cross-references: declared coordinate systems, streams, objects,
    frame intervals) finds 0 errors, and VCD loads with schema validation, on each kind of OpenLABEL
    file Cuboid writes: `cuboid synth` gold, a KITTI object and a KITTI tracking conversion (with the
    KITTI calibration inside), prelabel and interpolate output. The KITTI calibration must come back
    out: KITTI export from the OpenLABEL file without --calib/--dataset equals the source labels."""
    from openlabel_checker.core import check_file
    from openlabel_checker.models import Severity
    from vcd import core
    tracking = os.path.join(DATA, "kitti_tracking", "training")
    synth = os.path.join(OUT, "synth")
    cuboid("synth", synth, "--scene", os.path.join(ROOT, "SampleData", "scenes", "residential.json"), "--frames", "3")
    files = {"synthetic gold (cuboid synth)": os.path.join(synth, "gold.openlabel.json")}
    files["KITTI object conversion"] = cuboid_openlabel("kitti", os.path.join(KITTI, "label_2"), "--dataset", KITTI)
    files["KITTI tracking conversion"] = os.path.join(OUT, "kitti-tracking.openlabel.json")
    cuboid("labels", "convert", os.path.join(tracking, "label_02", "0000.txt"), files["KITTI tracking conversion"],
           "--from", "kitti-tracking", "--calib", os.path.join(tracking, "calib", "0000.txt"))
    cuboid("prelabel", synth, "-o", os.path.join(OUT, "prelabel-synth"))
    files["prelabel output (synthetic drive)"] = os.path.join(OUT, "prelabel-synth", "prelabels.openlabel.json")
    # The KITTI object folder's camera images are needed (prelabel projects into them); a damaged copy
    # of the shared data (empty PNGs) skips this file with the reason, any other failure fails.
    empty = [n for n in sorted(os.listdir(os.path.join(KITTI, "image_2"))) if os.path.getsize(os.path.join(KITTI, "image_2", n)) == 0]
    if empty:
        print(f"skip prelabel output (KITTI object): {len(empty)} empty images in {os.path.join(KITTI, 'image_2')} ({', '.join(empty)})")
    else:
        cuboid("prelabel", KITTI, "-o", os.path.join(OUT, "prelabel-kitti"))
        files["prelabel output (KITTI object)"] = os.path.join(OUT, "prelabel-kitti", "prelabels.openlabel.json")
    files["interpolate output (synthetic gold)"] = os.path.join(OUT, "interpolated-synth.openlabel.json")
    cuboid("interpolate", "run", files["synthetic gold (cuboid synth)"], "--out", files["interpolate output (synthetic gold)"])
    files["interpolate output (KITTI tracking)"] = os.path.join(OUT, "interpolated-tracking.openlabel.json")
    cuboid("interpolate", "run", os.path.join(tracking, "label_02", "0000.txt"), "--from", "kitti-tracking",
           "--calib", os.path.join(tracking, "calib", "0000.txt"), "--out", files["interpolate output (KITTI tracking)"])
    for name, path in files.items():
        report = check_file(path)
        errors = [i for i in report.issues if i.severity == Severity.ERROR]
        warnings = [i for i in report.issues if i.severity == Severity.WARNING]
        check(f"openlabel-checker finds 0 errors in Cuboid's {name}", not errors,
              f"{len(errors)} errors, {len(warnings)} warnings" + (f"; first: {errors[0].message} [{errors[0].path}]" if errors else ""))
        document = core.OpenLABEL()
        document.load_from_file(path, validation=True)
        check(f"VCD loads Cuboid's {name} with validation", document.get_num_objects() > 0,
              f"{document.get_num_objects()} objects, {len(document.get_root().get('frames', {}))} frames")
    # The calibration inside: camera streams with KITTI's projection matrices, and KITTI export without
    # a calibration equal to the source labels.
    with open(files["KITTI object conversion"]) as f:
        raw = json.load(f)["openlabel"]
    with open(os.path.join(KITTI, "calib", "000000.txt")) as f:
        p2 = next([float(v) for v in line.split()[1:]] for line in f if line.startswith("P2:"))
    written = raw["streams"]["image_2"]["stream_properties"]["intrinsics_pinhole"]["camera_matrix_3x4"]
    check("the KITTI object conversion carries P2 as image_2's camera_matrix_3x4", max(abs(a - b) for a, b in zip(written, p2)) < 1e-12,
          f"{len(raw['streams'])} streams, {len(raw['coordinate_systems'])} coordinate systems; "
          f"{sum('streams' in fr['frame_properties'] for fr in raw['frames'].values())} frames with their own calibration")
    total = sum(1 for rs in kitti_rows(os.path.join(KITTI, "label_2"), sorted(n[:-4] for n in os.listdir(os.path.join(KITTI, "label_2")))).values() for r in rs if r[0] != "DontCare")
    # VCD's scene library, through the written coordinate systems (and the frames' own transforms),
    # puts each cuboid in image_2 (the rectified camera-0 frame) at the KITTI label's centre.
    import numpy as np
    from vcd import scl
    document = core.OpenLABEL()
    document.load_from_file(files["KITTI object conversion"], validation=True)
    scene = scl.Scene(document)
    worst, placed = 0.0, 0
    for key, frame in raw["frames"].items():
        rows = [r for r in kitti_rows(os.path.join(KITTI, "label_2"), [frame["frame_properties"]["name"]]).popitem()[1] if r[0] != "DontCare"]
        cuboids = [o["object_data"]["cuboid"][0] for o in frame["objects"].values() if "cuboid" in o["object_data"]]
        for box, row in zip(cuboids, rows):
            centre = np.array(scene.transform_cuboid(box["val"], box["coordinate_system"], "image_2", int(key))[:3], dtype=float)
            worst = max(worst, float(np.abs(centre - np.array([float(row[11]), float(row[12]) - float(row[8]) / 2, float(row[13])])).max()))
            placed += 1
    check("VCD's scene library places the KITTI conversion's cuboids in image_2 at the KITTI labels' centres", placed == total and worst < 1e-9,
          f"{placed}/{total} cuboids, max difference {worst:.1e} m")
    back = os.path.join(OUT, "kitti-from-openlabel")
    cuboid("labels", "convert", files["KITTI object conversion"], back, "--from", "openlabel", "--to", "kitti")
    frames = sorted(n[:-4] for n in os.listdir(os.path.join(KITTI, "label_2")))
    source, ours = kitti_rows(os.path.join(KITTI, "label_2"), frames), kitti_rows(back, frames)
    same = sum(a[:15] == b for frame in frames for a, b in zip(source[frame], ours[frame]))
    rows = sum(len(r) for r in source.values())
    check("KITTI export of the OpenLABEL file without --calib (its own calibration) gives the source labels", same == rows,
          f"{same}/{rows} rows identical in {len(frames)} frames (2 calibrations)")


# --- VCD's KITTI tracking file read and written back as KITTI tracking -------------------------------
def openlabel_vcd_kitti_tracking():
    """VCD's conversion of KITTI tracking sequence 0000, converted by Cuboid to KITTI tracking and
    compared with the sequence's label_02: box by box (same frame, same track id), the largest
    difference over h, w, l, x, y, z, ry, and the track ids. VCD's file holds the boxes to two decimals
    (its values against label_02 are printed too: the difference is the file's, not the conversion's).
    Its ego poses (`vehicle-iso8855_to_odom` per frame) must reach every frame."""
    tracking = os.path.join(DATA, "kitti_tracking", "training")
    source = os.path.join(DATA, "openlabel", "vcd", "openlabel100_kitti_tracking_0000.json")
    out = os.path.join(OUT, "vcd-kitti-tracking-0000.txt")
    cuboid("labels", "convert", source, out, "--from", "openlabel", "--to", "kitti-tracking",
           "--calib", os.path.join(tracking, "calib", "0000.txt"), "--drop-class", "Egocar")

    def rows(path):
        found = {}
        with open(path) as f:
            for line in f:
                v = line.split()
                if v and v[2] != "DontCare":
                    found[(int(v[0]), v[1])] = (v[2], [float(x) for x in v[10:17]])
        return found
    gold, ours = rows(os.path.join(tracking, "label_02", "0000.txt")), rows(out)
    with open(out) as f:
        count = sum(1 for line in f if line.strip())
    with open(os.path.join(tracking, "label_02", "0000.txt")) as f:
        gold_count = sum(1 for line in f if line.strip())
    same_ids = sorted(gold) == sorted(ours) and all(gold[k][0] == ours[k][0] for k in gold)
    worst = max(max(abs(a - b) for a, b in zip(gold[k][1], ours[k][1])) for k in gold if k in ours) if ours else float("inf")
    # The file's own values (camera frame, centre at half height; val = x, y, z, rx, ry, rz, l, h, w)
    # as KITTI's h, w, l, x, y (bottom), z, ry.
    with open(source) as f:
        raw = json.load(f)["openlabel"]
    in_file = {}
    for key, frame in raw["frames"].items():
        for uid, entry in frame.get("objects", {}).items():
            for box in entry.get("object_data", {}).get("cuboid", []):
                v = box["val"]
                if v[-1] >= 0:
                    in_file[(int(key), uid)] = [v[7], v[8], v[6], v[0], v[1] + v[7] / 2, v[2], v[4]]
    file_vs_gold = max(max(abs(a - b) for a, b in zip(in_file[k], gold[k][1])) for k in in_file)
    ours_vs_file = max(max(abs(a - b) for a, b in zip(in_file[k], ours[k][1])) for k in in_file if k in ours)
    check("VCD's KITTI tracking file converts to label_02's rows with the same track ids", count == gold_count and same_ids,
          f"{count} rows (label_02 {gold_count}), {len(ours)} boxes keyed (frame, track id) = label_02's: {same_ids}")
    check("VCD's KITTI tracking boxes equal Cuboid's KITTI tracking export to the file's precision", ours_vs_file < 1e-5,
          f"Cuboid vs the file's values max {ours_vs_file:.1e} m; the file's values vs label_02 max {file_vs_gold:.4f}; "
          f"Cuboid vs label_02 max {worst:.4f} (VCD's file keeps two decimals)")
    # Without --calib: the calibration inside the file (CAM_LEFT, the cuboids' camera, as P2).
    own = os.path.join(OUT, "vcd-kitti-tracking-0000-own-calib.txt")
    cuboid("labels", "convert", source, own, "--from", "openlabel", "--to", "kitti-tracking", "--drop-class", "Egocar")
    mine = rows(own)
    own_vs_file = max(max(abs(a - b) for a, b in zip(in_file[k], mine[k][1])) for k in in_file if k in mine)
    check("VCD's KITTI tracking file converts with its own calibration (no --calib) to label_02's ids and the file's values",
          sorted(mine) == sorted(gold) and own_vs_file < 1e-5, f"{len(mine)} boxes, same (frame, track id) keys: {sorted(mine) == sorted(gold)}; "
          f"Cuboid vs the file's values max {own_vs_file:.1e} m")
    # Its poses: every frame of Cuboid's reading has an ego pose (VELO_TOP into odom through vehicle-iso8855).
    converted = os.path.join(OUT, "vcd-kitti-tracking-0000.openlabel.json")
    cuboid("labels", "convert", source, converted, "--from", "openlabel", "--to", "openlabel")
    with open(converted) as f:
        frames = json.load(f)["openlabel"]["frames"]
    posed = sum(any(t["dst"] == "odom" for t in fr["frame_properties"].get("transforms", {}).values()) for fr in frames.values())
    check("VCD's KITTI tracking file's poses are read", posed == len(raw["frames"]), f"{posed}/{len(raw['frames'])} frames with an ego pose")


# --- Every real OpenLABEL file in ../shared/data/openlabel read, or refused naming its byte ----------
def openlabel_shared():
    """Each file is read (its object count printed; Cuboid's OpenLABEL rewrite of it checked with
    openlabel-checker) or refused with a message giving the byte (one-line
    files) or line and the reason. Static object-level geometry counts: VCD's test_cuboids' valid
    static cuboid (object 0 alone; object 1's val is null, which the file is refused for) is read."""
    import re
    from openlabel_checker.core import check_file
    from openlabel_checker.models import Severity
    folder = os.path.join(DATA, "openlabel")
    for sub in sorted(os.listdir(folder)):
        for name in sorted(os.listdir(os.path.join(folder, sub))):
            if not name.endswith(".json"):
                continue
            path = os.path.join(folder, sub, name)
            result = subprocess.run([CUBOID, "labels", "convert", path, os.path.join(OUT, "shared-" + name), "--from", "openlabel"],
                                    capture_output=True, text=True)
            message = result.stderr.strip().splitlines()[-1] if result.stderr.strip() else ""
            if result.returncode == 0:
                # Cuboid's rewrite of it passes the standard's checker too.
                report = check_file(os.path.join(OUT, "shared-" + name))
                errors = [i for i in report.issues if i.severity == Severity.ERROR]
                check(f"{sub}/{name} read, and Cuboid's rewrite has 0 openlabel-checker errors", not errors,
                      message.split(": ")[-1] + (f"; {len(errors)} errors, first: {errors[0].message}" if errors else ""))
            else:
                check(f"{sub}/{name} refused naming the byte or line and the reason", re.search(r"(byte|line) \d+, .+", message) is not None, message)
    with open(os.path.join(folder, "vcd", "openlabel100_test_cuboids.json")) as f:
        document = json.load(f)
    objects = document["openlabel"]["objects"]
    document["openlabel"]["objects"] = {"0": objects["0"]}
    static = os.path.join(OUT, "static-cuboid.openlabel.json")
    with open(static, "w") as f:
        json.dump(document, f)
    out = os.path.join(OUT, "static-cuboid.kitti-free.openlabel.json")
    cuboid("labels", "convert", static, out, "--from", "openlabel")
    with open(out) as f:
        frames = json.load(f)["openlabel"]["frames"]
    boxes = [b["val"] for fr in frames.values() for o in fr["objects"].values() for b in o["object_data"].get("cuboid", [])]
    expected = objects["0"]["object_data"]["cuboid"][0]["val"][:3]
    check("a static object-level cuboid (VCD's test_cuboids object 0) is read", len(boxes) == 1 and max(abs(a - b) for a, b in zip(boxes[0][:3], expected)) < 1e-12,
          f"{len(boxes)} cuboid(s), centre {boxes[0][:3] if boxes else None}")


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
    check("pycocotools loads the COCO gold export", len(api.getAnnIds(iscrowd=False)) == sum(r[0] != "DontCare" for rows in source.values() for r in rows),
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
        own = [{"image_id": a["image_id"], "category_id": a["category_id"], "bbox": a["bbox"], "score": 1.0} for a in json.load(f)["annotations"] if a["iscrowd"] == 0]
    perfect = COCOeval(api, api.loadRes(own), "bbox")
    perfect.evaluate(); perfect.accumulate(); perfect.summarize()
    check("gold scored against itself has AP50 1.0", abs(perfect.stats[1] - 1) < 1e-9, f"AP50 {perfect.stats[1]:.3f}")
    coco_dataset(api, gold, gold_dir, pred_dir, results, source)


def coco_dataset(api, gold, gold_dir, pred_dir, results, source):
    """The COCO dataset export as COCO means it: images with KITTI's own sizes (read from image_2),
    DontCare regions as crowd regions (`iscrowd: 1`, one per category, as COCO's crowd regions belong
    to a category and KITTI's DontCare to all), and COCOeval of the results export on it equal to
    `cuboid qa --match iou-2d` on the KITTI label pair to 1e-9 (check_qa.py's cocoeval_figures: per
    class AP[.5:.95], AP50, AP75 and their means; qa leaves a class without scored boxes unscored,
    where COCOeval gives it 0)."""
    import check_qa
    from PIL import Image
    from pycocotools.cocoeval import COCOeval
    sizes = {}
    for image in api.loadImgs(api.getImgIds()):
        with Image.open(os.path.join(KITTI, "image_2", image["file_name"])) as picture:
            sizes[image["file_name"]] = (image["width"], image["height"]) == picture.size
    check("COCO images carry the KITTI images' sizes", len(sizes) == 2 and all(sizes.values()), f"{sizes}")
    regions = sum(1 for rows in source.values() for r in rows if r[0] == "DontCare")
    with open(gold) as f:
        crowd = [a for a in json.load(f)["annotations"] if a["iscrowd"] == 1]
    categories = len(api.getCatIds())
    check("DontCare regions are crowd regions in every category, not a category",
          len(crowd) == regions * categories and "DontCare" not in [c["name"] for c in api.loadCats(api.getCatIds())],
          f"{regions} regions x {categories} categories = {len(crowd)} crowd annotations")
    workdir = os.path.join(OUT, "qa-coco")
    report = check_qa.run_qa(CUBOID, ["--gold", gold_dir, "--gold-format", "kitti", "--labels", "pred=" + pred_dir, "--labels-format", "kitti",
                                      "--match", "iou-2d", "--dataset", KITTI, "--sequence", KITTI], workdir)
    rows, means = check_qa.cocoeval_figures(report, gold, results)
    worst = max(abs(ours - theirs) for _, ours, theirs in rows + means)
    with contextlib.redirect_stdout(io.StringIO()):
        full = COCOeval(api, api.loadRes(results), "bbox")
        full.evaluate(); full.accumulate()
    unscored = {c["category"] for c in report["classes"] if not c.get("averagePrecision")}
    zero = all(float(full.eval["precision"][:, :, full.params.catIds.index(c["id"]), 0, 2].max()) <= 0
               for c in api.loadCats(api.getCatIds()) if c["name"] in unscored and api.getAnnIds(catIds=[c["id"]], iscrowd=False))
    check("COCOeval of the COCO exports equals cuboid qa --match iou-2d on the KITTI pair", len(rows) > 0 and worst < 1e-9 and zero,
          f"{', '.join(f'{n} {o:.6f}' for n, o, _ in rows + means)}; max difference {worst:.1e}; unscored by qa: {sorted(unscored)}")
    # At scale: KITTI tracking 0000 (154 frames, 378 DontCare regions) against PointRCNN's detections,
    # without KITTI's neighbour classes (Van for Car), which COCO cannot express. DontCare regions are
    # COCO crowd regions: a box no gold takes is left out when the share of it inside one reaches the
    # IoU threshold, in both.
    tracking = os.path.join(DATA, "kitti_tracking")
    gold_file, detections = os.path.join(tracking, "training", "label_02", "0000.txt"), os.path.join(tracking, "detections", "label_02", "0000.txt")
    calib = ["--calib", os.path.join(tracking, "training", "calib", "0000.txt"), "--image-size", "1242x375"]
    tracking_gold, tracking_results = os.path.join(OUT, "tracking.coco.json"), os.path.join(OUT, "tracking-results.coco.json")
    cuboid("labels", "convert", gold_file, tracking_gold, "--from", "kitti-tracking", "--to", "coco", *calib)
    cuboid("labels", "convert", detections, tracking_results, "--from", "kitti-tracking", "--to", "coco", *calib,
           "--reference", gold_file, "--reference-format", "kitti-tracking")
    configuration = json.loads(cuboid("qa", "config"))
    for rule in configuration["classes"].values():
        rule["ignore"] = []
    config_path = os.path.join(OUT, "qa-no-neighbours.json")
    with open(config_path, "w") as f:
        json.dump(configuration, f)
    report = check_qa.run_qa(CUBOID, ["--gold", gold_file, "--gold-format", "kitti-tracking", "--labels", "det=" + detections, "--labels-format",
                                      "kitti-tracking", "--match", "iou-2d", "--config", config_path, *calib], os.path.join(OUT, "qa-tracking"))
    rows, means = check_qa.cocoeval_figures(report, tracking_gold, tracking_results)
    figures = rows + means
    worst = max(abs(o - t) for _, o, t in figures)
    check("COCOeval of the KITTI tracking exports (AP[.5:.95], AP50, AP75 per class and mean) equals cuboid qa --match iou-2d (no neighbour classes)",
          len(figures) > 3 and worst < 1e-9, f"{', '.join(f'{n} {o:.6f}' for n, o, _ in figures)}; max difference {worst:.1e}")


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
    mot17()


def mot17():
    """TrackEval's MotChallenge2DBox (benchmark MOT17, preprocessing on) reads the MOT16/17 ground-truth
    export of KITTI tracking sequence 0000 (every class, with its MOT17 class id; DontCare as distractor
    8 with flag 0) in the MOTChallenge folder layout, and scores its pedestrians against themselves
    (written as a MOTChallenge results file, the tracker layout): HOTA 1, MOTA 1. Cuboid reads the
    export back with the classes it wrote."""
    import numpy as np
    import trackeval
    tracking = os.path.join(DATA, "kitti_tracking", "training")
    root = os.path.join(OUT, "trackeval")
    sequence = "KITTI-0000"
    gt_dir = os.path.join(root, "gt", sequence)
    os.makedirs(os.path.join(gt_dir, "gt"), exist_ok=True)
    gt = os.path.join(gt_dir, "gt", "gt.txt")
    cuboid("labels", "convert", os.path.join(tracking, "label_02", "0000.txt"), gt, "--from", "kitti-tracking", "--to", "mot",
           "--mot-variant", "mot17", "--calib", os.path.join(tracking, "calib", "0000.txt"))
    with open(gt) as f:
        rows = [line.strip().split(",") for line in f if line.strip()]
    with open(os.path.join(tracking, "label_02", "0000.txt")) as f:
        source = [line.split() for line in f if line.strip()]
    frames = max(int(r[0]) for r in source) + 1
    with open(os.path.join(gt_dir, "seqinfo.ini"), "w") as f:
        f.write(f"[Sequence]\nname={sequence}\nimDir=img1\nframeRate=10\nseqLength={frames}\nimWidth=1242\nimHeight=375\nimExt=.png\n")
    os.makedirs(os.path.join(root, "seqmaps"), exist_ok=True)
    seqmap = os.path.join(root, "seqmaps", "MOT17-train.txt")
    with open(seqmap, "w") as f:
        f.write(f"name\n{sequence}\n")
    tracker_dir = os.path.join(root, "trackers", "self", "data")
    os.makedirs(tracker_dir, exist_ok=True)
    pedestrians = [r for r in rows if r[7] == "1" and r[6] == "1"]
    with open(os.path.join(tracker_dir, sequence + ".txt"), "w") as f:
        f.writelines(",".join(r[:6]) + ",1,-1,-1,-1\n" for r in pedestrians)
    kitti_classes = {"Pedestrian": "1", "Cyclist": "2", "Car": "3", "Van": "3", "DontCare": "8"}
    expected = sorted(kitti_classes[r[2]] for r in source)
    check("the MOT17 export holds every KITTI row with its MOT17 class", sorted(r[7] for r in rows) == expected and len(rows[0]) == 9,
          f"{len(rows)} rows, {len(pedestrians)} pedestrian boxes, classes {sorted(set(r[7] for r in rows))}")
    evaluator = trackeval.Evaluator({"USE_PARALLEL": False, "PRINT_RESULTS": False, "PRINT_CONFIG": False, "TIME_PROGRESS": False,
                                     "OUTPUT_SUMMARY": False, "OUTPUT_DETAILED": False, "PLOT_CURVES": False, "PRINT_ONLY_COMBINED": True})
    dataset = trackeval.datasets.MotChallenge2DBox({"GT_FOLDER": os.path.join(root, "gt"), "TRACKERS_FOLDER": os.path.join(root, "trackers"),
                                                    "BENCHMARK": "MOT17", "SPLIT_TO_EVAL": "train", "SKIP_SPLIT_FOL": True,
                                                    "SEQMAP_FILE": seqmap, "TRACKERS_TO_EVAL": ["self"], "PRINT_CONFIG": False})
    metrics = [trackeval.metrics.HOTA(), trackeval.metrics.CLEAR({"PRINT_CONFIG": False}), trackeval.metrics.Identity({"PRINT_CONFIG": False})]
    with contextlib.redirect_stdout(io.StringIO()):
        results, messages = evaluator.evaluate([dataset], metrics)
    scores = results["MotChallenge2DBox"]["self"][sequence]["pedestrian"]
    hota, mota = float(np.mean(scores["HOTA"]["HOTA"])), float(scores["CLEAR"]["MOTA"])
    counted = int(scores["CLEAR"]["CLR_TP"] + scores["CLEAR"]["CLR_FN"])
    check("TrackEval (MOT17) reads the MOT17 export and scores it against itself HOTA 1, MOTA 1",
          messages["MotChallenge2DBox"]["self"] == "Success" and counted == len(pedestrians) > 0 and abs(hota - 1) < 1e-12 and abs(mota - 1) < 1e-12,
          f"{counted} pedestrian boxes counted, HOTA {hota}, MOTA {mota}, IDF1 {scores['Identity']['IDF1']}")
    back = os.path.join(OUT, "mot17-back.openlabel.json")
    cuboid("labels", "convert", gt, back, "--from", "mot", "--to", "openlabel")
    with open(back) as f:
        document = json.load(f)["openlabel"]
    types = {}
    for frame in document["frames"].values():
        for uid in frame.get("objects", {}):
            name = document["objects"][uid]["type"]
            types[name] = types.get(name, 0) + 1
    written = {}
    for r in source:
        name = "Car" if r[2] == "Van" else r[2]
        written[name] = written.get(name, 0) + 1
    check("Cuboid reads the MOT17 export back with its classes (Van as MOT17's car)", types == written, f"{types}")


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


# --- CVAT: datumaro's importers (which CVAT uses) read the CVAT XML and CVAT 3D exports -----------
TRACKING = os.path.join(DATA, "kitti_tracking", "training")


def kitti_tracking_gold(calib_path=None, label_path=None):
    """KITTI tracking sequence 0000 without DontCare: per frame, (track id, class, 2D box, centre,
    size (l, w, h), length axis, up axis) in the velodyne frame, computed here from the calibration.
    Given a KITTI object label file and its calibration instead: that frame's boxes as frame 0 (track -1)."""
    import numpy as np
    tracking = label_path is None
    calib = {}
    with open(calib_path or os.path.join(TRACKING, "calib", "0000.txt")) as f:
        for line in f:
            if ":" in line or line.split():
                key, *values = line.replace(":", " ").split()
                calib[key] = np.array([float(v) for v in values])
    rect = calib["R_rect"].reshape(3, 3) if "R_rect" in calib else calib["R0_rect"].reshape(3, 3)
    tr = (calib["Tr_velo_cam"] if "Tr_velo_cam" in calib else calib["Tr_velo_to_cam"]).reshape(3, 4)
    cam_from_velo = np.eye(4)
    cam_from_velo[:3, :3] = rect @ tr[:, :3]
    cam_from_velo[:3, 3] = rect @ tr[:, 3]
    velo_from_cam = np.linalg.inv(cam_from_velo)
    frames = {}
    with open(label_path or os.path.join(TRACKING, "label_02", "0000.txt")) as f:
        for line in f:
            v = line.split()
            if not tracking and v:
                v = ["0", "-1"] + v
            if not v or v[2] == "DontCare":
                continue
            h, w, l, x, y, z, ry = map(float, v[10:17])
            centre = velo_from_cam @ np.array([x, y - h / 2, z, 1])
            length_axis = velo_from_cam[:3, :3] @ np.array([math.cos(ry), 0, -math.sin(ry)])
            up_axis = velo_from_cam[:3, :3] @ np.array([0, -1, 0])
            frames.setdefault(int(v[0]), []).append({"track": int(v[1]), "class": v[2], "box": list(map(float, v[6:10])),
                                                     "centre": centre[:3], "size": np.array([l, w, h]), "length_axis": length_axis, "up_axis": up_axis})
    return frames


def nearest_difference(values, candidates):
    """The largest absolute difference between `values` and the candidate (a list of numbers) nearest to it."""
    return min(max(abs(a - b) for a, b in zip(values, c)) for c in candidates)


def rotation_matrix(rx, ry, rz):
    """Cuboid's and CVAT's rotation from (roll, pitch, yaw): Rx Ry Rz."""
    import numpy as np
    cx, sx, cy, sy, cz, sz = math.cos(rx), math.sin(rx), math.cos(ry), math.sin(ry), math.cos(rz), math.sin(rz)
    return np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]]) @ np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]]) @ np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])


def cuboid_gold_error(gold, boxes):
    """Largest centre (m), size (m) and axis (unit vector) difference between a frame's gold cuboids and
    the (position, rotation, scale) triples of a file, each gold box matched to the nearest centre."""
    import numpy as np
    worst = 0.0
    for g in gold:
        position, rotation, scale = min(boxes, key=lambda b: float(np.linalg.norm(np.array(b[0]) - g["centre"])))
        r = rotation_matrix(*rotation)
        worst = max(worst, float(np.abs(np.array(position) - g["centre"]).max()), float(np.abs(np.array(scale) - g["size"]).max()),
                    float(np.abs(r[:, 0] - g["length_axis"]).max()), float(np.abs(r[:, 2] - g["up_axis"]).max()))
    return worst


def cvat_file_boxes(path):
    """{frame: [[xtl, ytl, xbr, ybr, ...]]} of a CVAT XML file, read with the standard library (outside boxes left out)."""
    import xml.etree.ElementTree as ET
    root = ET.parse(path).getroot()
    frames = {}
    for image in root.iter("image"):
        for box in image.iter("box"):
            frames.setdefault(int(image.get("id")), []).append([float(box.get(k)) for k in ("xtl", "ytl", "xbr", "ybr")])
    for track in root.iter("track"):
        for box in track.iter("box"):
            if box.get("outside") != "1":
                frames.setdefault(int(box.get("frame")), []).append([float(box.get(k)) for k in ("xtl", "ytl", "xbr", "ybr")])
    return frames


def cvat3d_file_cuboids(layout, folder):
    """{frame: [(position, rotation, scale)]} of a Kitti Raw or Sly Point Cloud export, read with the
    standard library, scale in CVAT's order (the box's x, y, z sizes; Kitti Raw's h, w, l as datumaro reads them)."""
    import xml.etree.ElementTree as ET
    frames = {}
    if layout == "kitti-raw":
        for tracklet in ET.parse(os.path.join(folder, "tracklet_labels.xml")).getroot().find("tracklets").findall("item"):
            scale = [float(tracklet.find(k).text) for k in ("h", "w", "l")]
            first = int(tracklet.find("first_frame").text)
            for k, pose in enumerate(tracklet.find("poses").findall("item")):
                if pose.find("truncation").text not in ("2", "99"):
                    frames.setdefault(first + k, []).append(([float(pose.find(n).text) for n in ("tx", "ty", "tz")],
                                                             [float(pose.find(n).text) for n in ("rx", "ry", "rz")], scale))
    else:
        with open(os.path.join(folder, "key_id_map.json")) as f:
            videos = json.load(f)["videos"]
        annotations = os.path.join(folder, "ds0", "ann")
        for name in os.listdir(annotations):
            with open(os.path.join(annotations, name)) as f:
                data = json.load(f)
            for figure in data["figures"]:
                g = figure["geometry"]
                frames.setdefault(videos[data["key"]], []).append(tuple([g[k][a] for a in "xyz"] for k in ("position", "rotation", "dimensions")))
    return frames


def cvat():
    import datumaro as dm
    from datumaro.components.annotation import COORDINATE_ROUNDING_DIGITS as DIGITS
    gold = kitti_tracking_gold()
    total = sum(len(v) for v in gold.values())
    tracks = {g["track"] for v in gold.values() for g in v}
    source = [os.path.join(TRACKING, "label_02", "0000.txt"), "--from", "kitti-tracking", "--calib", os.path.join(TRACKING, "calib", "0000.txt"),
              "--drop-class", "DontCare"]
    # Datumaro keeps coordinates to COORDINATE_ROUNDING_DIGITS (2) decimals, 2D ones as float32: what it
    # imports is compared with the file's numbers so rounded, and the file's numbers with the gold to 1e-6.
    def rounded(values):
        return [round(v, DIGITS) for v in values]

    def rounded32(values):
        import numpy as np
        return np.array(values, dtype=np.float32).round(DIGITS).tolist()
    # CVAT for images and CVAT for video (image boxes of camera 2, 1242 x 375).
    for layout in ("cvat", "cvat-video"):
        # A folder of its own: datumaro() links the real KITTI images into OUT/cvat/images, and a
        # placeholder written there would truncate the shared data through the link.
        folder = os.path.join(OUT, "tracking-" + layout)
        os.makedirs(os.path.join(folder, "images"))
        xml = os.path.join(folder, "annotations.xml")
        cuboid("labels", "convert", source[0], xml, *source[1:], "--to", layout, "--image-size", "1242x375")
        # An images export carries its images beside the XML; datumaro reads only their names and the
        # sizes the XML declares, so empty files stand for the frames' images (not in ../shared/data).
        for frame in range(154):
            # O_EXCL | O_NOFOLLOW: a new empty file, never an existing one or the target of a link.
            os.close(os.open(os.path.join(folder, "images", "%06d.png" % frame), os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW))
        written = cvat_file_boxes(xml)
        in_file = max(nearest_difference(g["box"], written[f]) for f in gold for g in gold[f])
        dataset = dm.Dataset.import_from(folder, "cvat")
        boxes = [(item, a) for item in dataset for a in item.annotations if a.type == dm.AnnotationType.bbox and not a.attributes.get("outside")]
        ids = {a.attributes.get("track_id") for _, a in boxes}
        # Datumaro holds the corners, the second as x + (xbr - xtl), rounded in float32.
        imported = max(nearest_difference(a.points, [rounded32((b[0], b[1], b[0] + (b[2] - b[0]), b[1] + (b[3] - b[1]))) for b in written[int(item.attributes["frame"])]])
                       for item, a in boxes)
        check(f"datumaro imports the {layout} export of KITTI tracking 0000 with every box and track",
              len(boxes) == total and len(ids) == len(tracks) and in_file < 1e-6 and imported < 1e-9,
              f"{len(boxes)} boxes of {total}, {len(ids)} track ids of {len(tracks)}; the file's corners within {in_file:.1e} px of the gold, "
              f"datumaro's corners within {imported:.1e} px of them at its {DIGITS} decimals (float32)")
    # Kitti Raw Format 1.0 and Sly Point Cloud Format 1.0 (cuboids in the velodyne frame).
    for layout, name in (("kitti-raw", "kitti_raw"), ("sly-pointcloud", "sly_pointcloud")):
        folder = os.path.join(OUT, "tracking-" + layout)
        cuboid("labels", "convert", source[0], folder, *source[1:], "--to", layout)
        written = cvat3d_file_cuboids(layout, folder)
        in_file = max(cuboid_gold_error(gold[f], written[f]) for f in gold)
        dataset = dm.Dataset.import_from(folder, name)
        cuboids = [(item, a) for item in dataset for a in item.annotations if a.type == dm.AnnotationType.cuboid_3d]
        ids = {a.attributes.get("track_id") for _, a in cuboids}
        imported = max(nearest_difference(a.position + a.rotation + a.scale, [rounded(p + r + s) for p, r, s in written[int(item.attributes["frame"])]])
                       for item, a in cuboids)
        check(f"datumaro imports the {layout} export of KITTI tracking 0000 with every cuboid and track",
              len(cuboids) == total and len(ids) == len(tracks) and in_file < 1e-6 and imported < 1e-9,
              f"{len(dataset)} frames, {len(cuboids)} cuboids of {total}, {len(ids)} track ids of {len(tracks)}; the file's centres, sizes "
              f"and axes within {in_file:.1e} of the calibration's own transform, datumaro's values within {imported:.1e} of them at its {DIGITS} decimals")

    # Pre-labels into a CVAT task: the sample drive's prelabel run in every CVAT format.
    out = os.path.join(OUT, "prelabel-cvat")
    cuboid("prelabel", os.path.join(ROOT, "SampleData", "sequence"), "--out", out, "--to", "openlabel,cvat-video,kitti-raw,sly-pointcloud", "--no-previews")
    with open(os.path.join(out, "prelabels.openlabel.json")) as f:
        openlabel = json.load(f)["openlabel"]
    total = sum(len(frame.get("objects", {})) for frame in openlabel["frames"].values())
    uids = len(openlabel["objects"])
    counts = {}
    for layout, name in (("kitti_raw", "kitti_raw"), ("sly_pointcloud", "sly_pointcloud")):
        dataset = dm.Dataset.import_from(os.path.join(out, layout), name)
        cuboids = [a for item in dataset for a in item.annotations if a.type == dm.AnnotationType.cuboid_3d]
        counts[layout] = (len(cuboids), len({a.attributes.get("track_id") for a in cuboids}))
    video = os.path.join(out, "video")
    os.makedirs(video)
    os.symlink(os.path.join(out, "cvat_video.xml"), os.path.join(video, "annotations.xml"))
    dataset = dm.Dataset.import_from(video, "cvat")
    boxes = [a for item in dataset for a in item.annotations if a.type == dm.AnnotationType.bbox and not a.attributes.get("outside")]
    written = sum(len(v) for v in cvat_file_boxes(os.path.join(out, "cvat_video.xml")).values())
    check("datumaro imports prelabel's CVAT exports of the sample drive with every box and track",
          all(c == (total, uids) for c in counts.values()) and len(boxes) == written > 0,
          f"{total} cuboids in {uids} tracks; kitti_raw {counts['kitti_raw']}, sly_pointcloud {counts['sly_pointcloud']}; "
          f"cvat-video {len(boxes)} of {written} image_02 boxes")

# --- Segments.ai: the segments-ai SDK's pydantic models read the label, its own ego transform agrees --
def segments_ai():
    import numpy as np
    from segments.typing import (Label, PointcloudCuboidLabelAttributes, PointcloudSequenceCuboidLabelAttributes,
                                 PointcloudSequenceSampleAttributes, Sample, TaskAttributes)
    from segments.utils import transform_label_to_ego_coordinates

    def load(folder):
        files = {}
        for name in ("label", "task_attributes", "frames"):
            with open(os.path.join(folder, name + ".json")) as f:
                files[name] = json.load(f)
        return files

    def heading(annotation):
        """The yaw of an annotation: its rotation's heading (the azimuth of its length axis) when it has one."""
        if annotation.rotation is None:
            return annotation.yaw
        q = annotation.rotation
        return math.atan2(2 * (q.qw * q.qz + q.qx * q.qy), 1 - 2 * (q.qy * q.qy + q.qz * q.qz))

    def angle(a, b):
        return abs(math.remainder(a - b, 2 * math.pi))

    def gold_error(gold, annotations):
        """Largest centre, size (m) and yaw (rad) difference between gold boxes and the annotations, each
        gold box matched to the annotation nearest its centre (gold's yaw: the azimuth of its length axis)."""
        worst = 0.0
        for g in gold:
            a = min(annotations, key=lambda a: float(np.linalg.norm(np.array([a.position.x, a.position.y, a.position.z]) - g["centre"])))
            worst = max(worst, float(np.abs(np.array([a.position.x, a.position.y, a.position.z]) - g["centre"]).max()),
                        float(np.abs(np.array([a.dimensions.x, a.dimensions.y, a.dimensions.z]) - g["size"]).max()),
                        angle(heading(a), math.atan2(g["length_axis"][1], g["length_axis"][0])))
        return worst

    # A sequence: KITTI tracking 0000's gold (no ego poses: the velodyne frame), against the calibration's own transform.
    gold = kitti_tracking_gold()
    total = sum(len(v) for v in gold.values())
    tracks = {g["track"] for v in gold.values() for g in v}
    folder = os.path.join(OUT, "tracking-segments-ai")
    cuboid("labels", "convert", os.path.join(TRACKING, "label_02", "0000.txt"), folder, "--from", "kitti-tracking",
           "--calib", os.path.join(TRACKING, "calib", "0000.txt"), "--drop-class", "DontCare", "--to", "segments-ai")
    files = load(folder)
    label = PointcloudSequenceCuboidLabelAttributes.model_validate(files["label"])
    task = TaskAttributes.model_validate(files["task_attributes"])
    names = {c.id: c.name for c in task.categories}
    annotations = [(f, a) for f, frame in enumerate(label.frames) for a in frame.annotations]
    classes_match = all(names[a.category_id] == min(gold[f], key=lambda g: float(np.linalg.norm(
        np.array([a.position.x, a.position.y, a.position.z]) - g["centre"])))["class"] for f, a in annotations)
    error = max(gold_error(gold[f], label.frames[f].annotations) for f in gold)
    check("segments-ai's PointcloudSequenceCuboidLabelAttributes reads the KITTI tracking 0000 export with every cuboid, track and class",
          len(label.frames) == 154 and len(annotations) == total and len({a.track_id for _, a in annotations}) == len(tracks)
          and classes_match and error < 1e-6,
          f"{len(label.frames)} frames, {len(annotations)} cuboids of {total}, {len({a.track_id for _, a in annotations})} track ids of "
          f"{len(tracks)}, {len(names)} categories; centres, sizes and yaws within {error:.1e} of the calibration's own transform")

    # One frame: a KITTI object label file is a single-frame cuboid label.
    frame = "000001"
    gold = kitti_tracking_gold(os.path.join(KITTI, "calib", frame + ".txt"), os.path.join(KITTI, "label_2", frame + ".txt"))[0]
    folder = os.path.join(OUT, "object-segments-ai")
    cuboid("labels", "convert", os.path.join(KITTI, "label_2", frame + ".txt"), folder, "--from", "kitti",
           "--calib", os.path.join(KITTI, "calib", frame + ".txt"), "--drop-class", "DontCare", "--to", "segments-ai")
    single = PointcloudCuboidLabelAttributes.model_validate(load(folder)["label"])
    error = gold_error(gold, single.annotations)
    check(f"segments-ai's PointcloudCuboidLabelAttributes reads the KITTI object {frame} export with every cuboid",
          len(single.annotations) == len(gold) and error < 1e-6,
          f"{len(single.annotations)} cuboids of {len(gold)}; centres, sizes and yaws within {error:.1e} of the calibration's own transform")

    # Pre-labels of a moving sensor: world coordinates through the ego poses. The SDK's own
    # transform_label_to_ego_coordinates, given the sample's ego poses from frames.json, must give back
    # the sensor-frame boxes of the same run's Sly Point Cloud export.
    out = os.path.join(OUT, "prelabel-segments-ai")
    cuboid("prelabel", os.path.join(ROOT, "SampleData", "sequence"), "--out", out, "--to", "sly-pointcloud,segments-ai", "--no-previews")
    files = load(os.path.join(out, "segments_ai"))
    frames = [dict(frame, pcd={"url": f"https://example.invalid/{frame['name']}.pcd", "type": "pcd"}) for frame in files["frames"]["frames"]]
    sample = Sample(uuid="cuboid-check", name="sequence", metadata={}, created_at="", created_by="", priority=0,
                    attributes=PointcloudSequenceSampleAttributes.model_validate({"frames": frames}))
    world = PointcloudSequenceCuboidLabelAttributes.model_validate(files["label"])
    label = Label(sample_uuid="cuboid-check", label_type="pointcloud-cuboid-sequence", label_status="PRELABELED", labelset="ground-truth",
                  attributes=world, created_at="", created_by="", updated_at="")
    ego = transform_label_to_ego_coordinates(sample, label).attributes
    sly = cvat3d_file_cuboids("sly-pointcloud", os.path.join(out, "sly_pointcloud"))
    moved = sum(1 for f in files["frames"]["frames"] if f.get("ego_pose", {}).get("position", {}).get("x", 0) != 0)
    worst = 0.0
    for f, frame in enumerate(ego.frames):
        for a in frame.annotations:
            position, rotation, scale = min(sly[f], key=lambda b: float(np.linalg.norm(np.array(b[0]) - [a.position.x, a.position.y, a.position.z])))
            worst = max(worst, float(np.abs(np.array(position) - [a.position.x, a.position.y, a.position.z]).max()),
                        float(np.abs(np.array(scale) - [a.dimensions.x, a.dimensions.y, a.dimensions.z]).max()), angle(heading(a), rotation[2]))
    count = sum(len(frame.annotations) for frame in ego.frames)
    check("segments-ai's transform_label_to_ego_coordinates brings prelabel's Segments.ai boxes of the sample drive back to its sensor-frame boxes",
          count == sum(len(v) for v in sly.values()) > 0 and moved == len(ego.frames) - 1 and worst < 1e-6,
          f"{len(ego.frames)} frames ({moved} with the sensor moved from the first), {count} cuboids; centres, sizes and yaws within {worst:.1e} "
          f"of the sly-pointcloud export's")


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
    for step in (openlabel, openlabel_scene, odometry_openlabel, openlabel_roundtrip, openlabel_written, openlabel_vcd_kitti_tracking, openlabel_shared, coco, mot, datumaro, cvat, segments_ai, nuscenes):
        print(f"--- {step.__name__}")
        step()
    print(f"outputs in {OUT}")
    if failures:
        sys.exit(f"{len(failures)} interop check(s) failed: {', '.join(failures)}")
    print("all interop checks passed")
