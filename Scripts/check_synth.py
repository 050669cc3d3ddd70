#!/usr/bin/env python3
"""Checks a `cuboid synth` recording from its files alone, with numpy, independently of Cuboid's
own readers:

- every gold cuboid (OpenLABEL, quaternion) holds exactly `num_points` returns of the .bin sweep,
  and no return lies in two cuboids;
- gold 2D boxes equal the projection of the cuboid's 8 corners through the KITTI calibration
  (P_rect_02 R_rect_00 Tr_velo_to_cam), clipped to the image; people, projected as cylinders,
  lie inside it;
- the OXTS records, turned into poses with KITTI's devkit formula (Mercator at the first latitude,
  Rz(yaw) Ry(pitch) Rx(roll), relative to the first) and the IMU-to-Velodyne calibration, give the
  OpenLABEL ego poses;
- the KITTI tracking labels hold exactly the objects with a camera box;
- timestamps step by 1 / frame_rate.

    python3 Scripts/check_synth.py OUT          # OUT written by `cuboid synth`
Exits 1 on any failure.
"""
import json
import math
import os
import sys

import numpy as np


def read_pairs(path):
    values = {}
    for line in open(path):
        key, _, rest = line.partition(":")
        try:
            values[key.strip()] = np.array([float(v) for v in rest.split()])
        except ValueError:
            pass
    return values


def rigid(rt):
    m = np.eye(4)
    m[:3, :3] = rt["R"].reshape(3, 3)
    m[:3, 3] = rt["T"]
    return m


def quaternion_matrix(qx, qy, qz, qw):
    return np.array([
        [1 - 2 * (qy * qy + qz * qz), 2 * (qx * qy - qz * qw), 2 * (qx * qz + qy * qw)],
        [2 * (qx * qy + qz * qw), 1 - 2 * (qx * qx + qz * qz), 2 * (qy * qz - qx * qw)],
        [2 * (qx * qz - qy * qw), 2 * (qy * qz + qx * qw), 1 - 2 * (qx * qx + qy * qy)],
    ])


def oxts_poses(records):
    """KITTI devkit convertOxtsToPose."""
    er = 6378137.0
    scale = math.cos(records[0][0] * math.pi / 180)
    poses = []
    for lat, lon, alt, roll, pitch, yaw in records:
        t = [scale * lon * math.pi * er / 180, scale * er * math.log(math.tan((90 + lat) * math.pi / 360)), alt]
        rx = np.array([[1, 0, 0], [0, math.cos(roll), -math.sin(roll)], [0, math.sin(roll), math.cos(roll)]])
        ry = np.array([[math.cos(pitch), 0, math.sin(pitch)], [0, 1, 0], [-math.sin(pitch), 0, math.cos(pitch)]])
        rz = np.array([[math.cos(yaw), -math.sin(yaw), 0], [math.sin(yaw), math.cos(yaw), 0], [0, 0, 1]])
        pose = np.eye(4)
        pose[:3, :3] = rz @ ry @ rx
        pose[:3, 3] = t
        poses.append(pose)
    first = np.linalg.inv(poses[0])
    return [first @ p for p in poses]


def main(folder):
    failures = []
    scene = json.load(open(os.path.join(folder, "scene.json")))
    cam = read_pairs(os.path.join(folder, "calib_cam_to_cam.txt"))
    velo_to_cam = rigid(read_pairs(os.path.join(folder, "calib_velo_to_cam.txt")))
    imu_to_velo = rigid(read_pairs(os.path.join(folder, "calib_imu_to_velo.txt")))
    p2 = cam["P_rect_02"].reshape(3, 4)
    r0 = np.eye(4)
    r0[:3, :3] = cam["R_rect_00"].reshape(3, 3)
    width, height = (int(v) for v in cam["S_rect_02"])
    to_image = p2 @ r0 @ velo_to_cam

    gold = json.load(open(os.path.join(folder, "gold.openlabel.json")))["openlabel"]
    frames = sorted(gold["frames"].items(), key=lambda kv: int(kv[0]))
    names = [f["frame_properties"]["name"] for _, f in frames]

    records = []
    for name in names:
        values = [float(v) for v in open(os.path.join(folder, "oxts/data", name + ".txt")).read().split()]
        if len(values) != 30:
            failures.append(f"oxts {name}: {len(values)} values")
        records.append(values[:6])
    imu_poses = oxts_poses(records)

    stamps = [line.strip() for line in open(os.path.join(folder, "velodyne_points/timestamps.txt"))]
    seconds = [int(s[11:13]) * 3600 + int(s[14:16]) * 60 + float(s[17:]) for s in stamps]
    steps = np.diff(seconds)
    if len(steps) and np.max(np.abs(steps - 1 / scene["frame_rate"])) > 1e-6:
        failures.append(f"timestamps do not step by 1/{scene['frame_rate']} s")

    tracking = {}
    for line in open(os.path.join(folder, "label_02/0000.txt")):
        fields = line.split()
        tracking.setdefault(int(fields[0]), set()).add(fields[1])

    totals = {"points": 0, "cuboids": 0, "actor_points": 0, "boxes": 0, "max_pose_error": 0.0, "max_box_error": 0.0}
    for index, (key, frame) in enumerate(frames):
        name = names[index]
        raw = np.fromfile(os.path.join(folder, "velodyne_points/data", name + ".bin"), dtype="<f4").reshape(-1, 4)
        points = raw[:, :3].astype(np.float64)
        totals["points"] += len(points)
        inside_any = np.zeros(len(points), dtype=np.int32)
        seen = set()
        for object_id, entry in frame.get("objects", {}).items():
            data = entry["object_data"]
            val = data["cuboid"][0]["val"]
            center, (qx, qy, qz, qw), size = np.array(val[:3]), val[3:7], np.array(val[7:10])
            rotation = quaternion_matrix(qx, qy, qz, qw)
            local = (points - center) @ rotation
            inside = np.all(np.abs(local) <= size / 2, axis=1)
            inside_any += inside
            count = int(inside.sum())
            expected = int(next(n["val"] for n in data["num"] if n["name"] == "num_points"))
            totals["cuboids"] += 1
            totals["actor_points"] += count
            if count != expected:
                failures.append(f"frame {name}, object {object_id}: {count} returns inside, num_points says {expected}")
            if "bbox" in data:
                seen.add(object_id)
                box = np.array(data["bbox"][0]["val"])  # centre x, y, width, height
                box = np.array([box[0] - box[2] / 2, box[1] - box[3] / 2, box[0] + box[2] / 2, box[1] + box[3] / 2])
                corners = np.array([[sx, sy, sz] for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]) * size / 2
                world = corners @ rotation.T + center
                projected = (to_image @ np.c_[world, np.ones(8)].T).T
                if np.all(projected[:, 2] > 0.1):
                    pixels = projected[:, :2] / projected[:, 2:3]
                    reference = np.array([max(0, pixels[:, 0].min()), max(0, pixels[:, 1].min()),
                                          min(width, pixels[:, 0].max()), min(height, pixels[:, 1].max())])
                    category = gold["objects"][object_id]["type"]
                    totals["boxes"] += 1
                    if category in ("Pedestrian", "Person_sitting"):
                        if np.any(box[:2] < reference[:2] - 1e-6) or np.any(box[2:] > reference[2:] + 1e-6):
                            failures.append(f"frame {name}, object {object_id}: person box {box} outside {reference}")
                    else:
                        error = float(np.max(np.abs(box - reference)))
                        totals["max_box_error"] = max(totals["max_box_error"], error)
                        # The gold box comes from the upright world cuboid, this one from the
                        # sensor-frame cuboid: the same corners, up to rounding.
                        if error > 1e-6:
                            failures.append(f"frame {name}, object {object_id}: box {box} vs projected {reference}")
        if np.any(inside_any > 1):
            failures.append(f"frame {name}: {int((inside_any > 1).sum())} returns inside two cuboids")
        if seen != tracking.get(index, set()):
            failures.append(f"frame {name}: KITTI tracking ids {sorted(tracking.get(index, set()))} vs camera boxes {sorted(seen)}")
        matrix = np.array(frame["frame_properties"]["transforms"]["velodyne_to_odom"]["transform_src_to_dst"]["matrix4x4"]).reshape(4, 4)
        from_oxts = imu_poses[index] @ np.linalg.inv(imu_to_velo)
        error = float(np.max(np.abs(from_oxts - matrix)))
        totals["max_pose_error"] = max(totals["max_pose_error"], error)
        if error > 1e-6:
            failures.append(f"frame {name}: OXTS pose differs from OpenLABEL ego pose by {error}")

    print(f"check_synth: {len(frames)} frames, {totals['points']} returns ({totals['points'] // max(1, len(frames))} per sweep), "
          f"{totals['cuboids']} gold cuboids holding {totals['actor_points']} returns, {totals['boxes']} camera boxes "
          f"(max difference to corner projection {totals['max_box_error']:.2e} px), "
          f"OXTS poses vs OpenLABEL max difference {totals['max_pose_error']:.2e}")
    for failure in failures[:20]:
        print("FAIL", failure)
    print("check_synth:", "PASS" if not failures else f"FAIL ({len(failures)})")
    return 0 if not failures else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1]))
