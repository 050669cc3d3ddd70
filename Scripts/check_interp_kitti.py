#!/usr/bin/env python3
"""An independent world-frame straight-line fill of KITTI tracking gold, to check `cuboid interpolate
evaluate`'s `world-linear` figures against (so the baseline is not graded by the code it judges).

    python3 Scripts/check_interp_kitti.py ../shared/data/kitti_tracking/training [--sequence 0000] \
        [--every 5,10,20] [--cuboid .build/release/cuboid]

Reads label_02, calib and poses itself (numpy only, shapely for the polygon areas): each gold box
(KITTI camera frame: bottom centre, h w l, rotation_y) goes to the lidar frame through
(R0_rect Tr_velo_to_cam)^-1, centre raised by h/2, heading the box's length axis; then into a world
frame with the sweep's pose re-expressed relative to the first sweep (P0^-1 Pi, so world z is the
first sweep's up). Every K-th labelled frame keeps its boxes; per track, every frame between two
keyframes gets the straight line between them in the world (centre and size by frame number, yaw
along the shorter arc), mapped back into that frame's lidar frame; mean BEV IoU against the gold
there, over all scored boxes and over moving (gold centre > 1 m from its first, world frame) and
static tracks. With --cuboid, the same is run through `cuboid interpolate evaluate --methods
world-linear --json` and the script exits non-zero when a mean differs by more than 1e-4 (measured on 0000: 1e-5, the float32 label
and pose values) or the
scored counts differ.
"""
import argparse
import json
import math
import os
import subprocess
import sys

import numpy as np
import shapely


def read_calib(path):
    values = {}
    for line in open(path):
        if ":" in line:
            key, rest = line.split(":", 1)
            values[key.strip()] = np.array([float(v) for v in rest.split()])
    r0 = np.eye(4)
    r0[:3, :3] = values["R0_rect"].reshape(3, 3)
    velo = np.eye(4)
    velo[:3, :4] = values["Tr_velo_to_cam"].reshape(3, 4)
    return r0 @ velo  # rectified camera from lidar


def read_poses(path):
    poses = []
    for line in open(path):
        if line.strip():
            pose = np.eye(4)
            pose[:3, :4] = np.array([float(v) for v in line.split()]).reshape(3, 4)
            poses.append(pose)
    first = np.linalg.inv(poses[0])
    return [first @ p for p in poses]  # world = the first sweep's lidar frame


def read_gold(path, cam_from_lidar):
    """{frame: {track: (category, centre xyz lidar, heading unit vector lidar, l, w, h)}}."""
    lidar_from_cam = np.linalg.inv(cam_from_lidar)
    gold = {}
    for line in open(path):
        f = line.split()
        if len(f) < 17 or f[2] == "DontCare" or int(f[1]) < 0:
            continue
        frame, track, category = int(f[0]), f[1], f[2]
        h, w, l = float(f[10]), float(f[11]), float(f[12])
        bottom = np.array([float(f[13]), float(f[14]), float(f[15]), 1.0])
        ry = float(f[16])
        centre_cam = bottom + np.array([0.0, -h / 2, 0.0, 0.0])
        heading_cam = np.array([math.cos(ry), 0.0, -math.sin(ry), 0.0])
        centre = (lidar_from_cam @ centre_cam)[:3]
        heading = (lidar_from_cam @ heading_cam)[:3]
        gold.setdefault(frame, {})[track] = (category, centre, heading, l, w, h)
    return gold


def yaw_of(vector):
    return math.atan2(vector[1], vector[0])


def bev_polygon(x, y, l, w, yaw):
    c, s = math.cos(yaw), math.sin(yaw)
    pts = [(x + dx * c - dy * s, y + dx * s + dy * c) for dx, dy in ((l / 2, w / 2), (-l / 2, w / 2), (-l / 2, -w / 2), (l / 2, -w / 2))]
    return shapely.Polygon(pts)


def bev_iou(a, b):
    pa, pb = bev_polygon(*a), bev_polygon(*b)
    inter = pa.intersection(pb).area
    union = pa.area + pb.area - inter
    return inter / union if union > 0 else 0.0


def evaluate(gold, poses, k):
    frames = sorted(gold)
    keyframes = {frame for index, frame in enumerate(frames) if index % k == 0}
    # World keyframes per track: (frame, centre, yaw, l, w).
    world = {}
    for frame in frames:
        R, t = poses[frame][:3, :3], poses[frame][:3, 3]
        for track, (category, centre, heading, l, w, h) in gold[frame].items():
            wc, wh = R @ centre + t, R @ heading
            world.setdefault(track, []).append((frame, wc, yaw_of(wh), l, w))
    first_centre = {track: boxes[0][1] for track, boxes in world.items()}
    moving = {track for track, boxes in world.items()
              if max(np.hypot(*(b[1][:2] - first_centre[track][:2])) for b in boxes) > 1}
    keys = {track: [b for b in boxes if b[0] in keyframes] for track, boxes in world.items()}
    scores = {"all": [], "moving": [], "static": []}
    for frame in frames:
        if frame in keyframes:
            continue
        R, t = poses[frame][:3, :3], poses[frame][:3, 3]
        for track, (category, centre, heading, l, w, h) in gold[frame].items():
            ks = keys[track]
            before = [b for b in ks if b[0] < frame]
            after = [b for b in ks if b[0] > frame]
            if not before or not after:
                continue
            a, b = before[-1], after[0]
            s = (frame - a[0]) / (b[0] - a[0])
            c = a[1] + s * (b[1] - a[1])
            arc = math.remainder(b[2] - a[2], 2 * math.pi)
            yaw = a[2] + s * arc
            fl, fw = a[3] + s * (b[3] - a[3]), a[4] + s * (b[4] - a[4])
            # Back into this sweep's lidar frame.
            lc = R.T @ (c - t)
            lh = R.T @ np.array([math.cos(yaw), math.sin(yaw), 0.0])
            filled = (lc[0], lc[1], fl, fw, yaw_of(lh))
            truth = (centre[0], centre[1], l, w, yaw_of(heading))
            iou = bev_iou(filled, truth)
            scores["all"].append(iou)
            scores["moving" if track in moving else "static"].append(iou)
    return {name: (len(v), float(np.mean(sorted(v))) if v else None) for name, v in scores.items()}


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("training")
    parser.add_argument("--sequence", default="0000")
    parser.add_argument("--every", default="5,10,20")
    parser.add_argument("--cuboid")
    args = parser.parse_args()
    cam_from_lidar = read_calib(os.path.join(args.training, "calib", args.sequence + ".txt"))
    poses = read_poses(os.path.join(args.training, "poses", args.sequence + ".txt"))
    gold = read_gold(os.path.join(args.training, "label_02", args.sequence + ".txt"), cam_from_lidar)
    failures = 0
    for k in [int(v) for v in args.every.split(",")]:
        result = evaluate(gold, poses, k)
        text = "  ".join(f"{name} {mean:.4f} over {count}" for name, (count, mean) in result.items() if mean is not None)
        print(f"K={k:<3d} independent world-linear  {text}")
        if args.cuboid:
            out = subprocess.run([args.cuboid, "interpolate", "evaluate", args.training, "--every", str(k),
                                  "--methods", "world-linear", "--json"], capture_output=True, text=True, check=True)
            line = json.loads(out.stdout.strip().splitlines()[-1])
            theirs = {"all": (line["scored"], line["meanBEVIoU"]), "moving": (line["movingScored"], line.get("movingMeanBEVIoU")),
                      "static": (line["staticScored"], line.get("staticMeanBEVIoU"))}
            print(f"K={k:<3d} cuboid world-linear       " + "  ".join(
                f"{name} {mean:.4f} over {count}" for name, (count, mean) in theirs.items() if mean is not None))
            for name in result:
                (n1, m1), (n2, m2) = result[name], theirs[name]
                if n1 != n2 or (m1 is None) != (m2 is None) or (m1 is not None and abs(m1 - m2) > 1e-4):
                    print(f"MISMATCH K={k} {name}: independent {n1} {m1}, cuboid {n2} {m2}")
                    failures += 1
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
