#!/usr/bin/env python3
"""Geometry kernels of Cuboid beside their peers, in one sitting, on the peers' own inputs.

    swift build -c release && python3 Scripts/bench_geometry_vs_peers.py

1. Writes the peers' exact boxes as CSV with their own generators (bench_rotated_iou.make_boxes3d,
   seeds 2000 + n; bench_iou2d.make_boxes, seeds 1000 + n).
2. Runs `python3 ../shared/peers/run_all.py rotated iou2d interp` (numba 1 and 2 threads, shapely,
   numpy, pycocotools; one warm-up, 5 runs looped to >= 0.2 s, median).
3. Runs `cuboid bench iou --json` on the same boxes and `cuboid bench interp --json` (1000 tracks x
   100 frames with the peer's distribution, our own seeded draw), 1 and 2 threads, same timing method.
4. Prints a markdown table of medians and ratios against the issue's targets; exits 1 if one is missed.
Needs the peers' requirements (pip install -r ../shared/peers/requirements.txt).
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "..", "shared", "peers")
CUBOID = os.path.join(ROOT, ".build", "release", "cuboid")
sys.path.insert(0, PEERS)


def write_inputs(folder):
    import numpy as np
    import bench_iou2d
    import bench_rotated_iou

    def save(path, header, rows):
        np.savetxt(path, rows, delimiter=",", header=header, comments="", fmt="%.17g")

    for n in bench_rotated_iou.SIZES:
        rng = np.random.default_rng(2000 + n)
        a3, b3 = bench_rotated_iou.make_boxes3d(rng, n), bench_rotated_iou.make_boxes3d(rng, n)
        for name, boxes in (("a", a3), ("b", b3)):
            save(os.path.join(folder, f"{name}_3d_{n}.csv"), "x,y,z,l,w,h,yaw", boxes)
            save(os.path.join(folder, f"{name}_bev_{n}.csv"), "x,y,l,w,yaw", bench_rotated_iou.bev(boxes))
    for n in bench_iou2d.SIZES:
        rng = np.random.default_rng(1000 + n)
        a, b = bench_iou2d.make_boxes(rng, n), bench_iou2d.make_boxes(rng, n)
        for name, xywh in (("a", a), ("b", b)):
            corners = np.column_stack([xywh[:, 0], xywh[:, 1], xywh[:, 0] + xywh[:, 2], xywh[:, 1] + xywh[:, 3]])
            save(os.path.join(folder, f"{name}_2d_{n}.csv"), "x1,y1,x2,y2", corners)


def run_peers():
    out = subprocess.run([sys.executable, os.path.join(PEERS, "run_all.py"), "rotated", "iou2d", "interp"],
                         capture_output=True, text=True, check=True).stdout
    result = {}
    for line in out.splitlines():
        if line.startswith("case="):
            fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            result[(fields["case"], fields["n"])] = float(fields["seconds"])
    return result


def cuboid_json(args):
    out = subprocess.run([CUBOID, "bench", *args, "--json"], capture_output=True, text=True, check=True).stdout
    return json.loads(out)["seconds"]


def main():
    ours = {}
    with tempfile.TemporaryDirectory() as folder:
        write_inputs(folder)
        peers = run_peers()
        for kind, n in (("bev", 2000), ("3d", 2000), ("2d", 4000), ("bev", 500), ("3d", 500), ("2d", 1000)):
            for threads in (1, 2):
                a, b = (os.path.join(folder, f"{s}_{kind}_{n}.csv") for s in "ab")
                ours[(kind, n, threads)] = cuboid_json(["iou", a, b, "--kind", kind, "--threads", str(threads)])
    for threads in (1, 2):
        ours[("interp", 1000, threads)] = cuboid_json(["interp", "--threads", str(threads)])

    rows = []  # (label, peer seconds, ours seconds, ratio, target)
    for kind, label in (("bev", "BEV IoU"), ("3d", "3D IoU")):
        for n in (500, 2000):
            size = f"{n}x{n}"
            one, two = ours[(kind, n, 1)], ours[(kind, n, 2)]
            case = "bev_iou" if kind == "bev" else "iou3d"
            numba1, numba2 = peers[(f"{case}_numba_1thread", size)], peers[(f"{case}_numba_2threads", size)]
            target = 5.0 if n == 2000 else None
            rows.append((f"{label} {size}, 1 thread vs numba 1 thread", numba1, one, numba1 / one, target))
            rows.append((f"{label} {size}, 2 threads vs numba 2 threads", numba2, two, numba2 / two, None))
            rows.append((f"{label} {size}, 2 threads vs Cuboid 1 thread", one, two, one / two, 1.8 if n == 2000 else None))
            shapely = peers[(f"{case}_shapely_dense", size)]
            rows.append((f"{label} {size}, 1 thread vs shapely dense", shapely, one, shapely / one, None))
            if kind == "bev":
                tree = peers[("bev_iou_shapely_strtree", size)]
                rows.append((f"{label} {size}, 1 thread vs shapely STRtree", tree, one, tree / one, None))
    for n in (1000, 4000):
        size = f"{n}x{n}"
        numpy_s, coco = peers[("iou2d_numpy", size)], peers[("iou2d_pycocotools", size)]
        one, two = ours[("2d", n, 1)], ours[("2d", n, 2)]
        rows.append((f"2D IoU {size}, 1 thread vs numpy", numpy_s, one, numpy_s / one, 2.0 if n == 4000 else None))
        rows.append((f"2D IoU {size}, 2 threads vs numpy", numpy_s, two, numpy_s / two, None))
        rows.append((f"2D IoU {size}, 1 thread vs pycocotools", coco, one, coco / one, None))
    interp = peers[("keyframe_interp_numpy", "1000x100")]
    rows.append(("interpolation 1000x100, 1 thread vs numpy", interp, ours[("interp", 1000, 1)],
                 interp / ours[("interp", 1000, 1)], 10.0))
    rows.append(("interpolation 1000x100, 2 threads vs numpy", interp, ours[("interp", 1000, 2)],
                 interp / ours[("interp", 1000, 2)], None))

    print("| case | reference median ms | Cuboid median ms | ratio | target |")
    print("|---|---:|---:|---:|---|")
    missed = 0
    for label, peer, mine, ratio, target in rows:
        verdict = "" if target is None else (f">= {target}x met" if ratio >= target else f">= {target}x MISSED")
        missed += "MISSED" in verdict
        print(f"| {label} | {peer * 1e3:.3f} | {mine * 1e3:.3f} | {ratio:.2f}x | {verdict} |")
    return 1 if missed else 0


if __name__ == "__main__":
    sys.exit(main())
