#!/usr/bin/env python3
"""Decode throughput of Cuboid beside its peers, in one sitting, on the very same files.

    swift build -c release && python3 Scripts/bench_vs_peers.py

1. Writes the files the peer scripts time, with the peers' own generators and writers
   (../shared/peers/bench_pointcloud.py make_sweep + Open3D/numpy writers; bench_images.py
   make_frame + Pillow at PNG level 6 / JPEG q90) into a temporary folder.
2. Runs the peer scripts bench_pointcloud.py and bench_images.py (their own timing: one warm-up,
   5 runs looped to >= 0.2 s, median).
3. Runs `cuboid bench decode --json` on the same files (the same timing method).
4. Prints a markdown table: median seconds of each side, the ratio peer/Cuboid, and the target.
Needs the peers' requirements (pip install -r ../shared/peers/requirements.txt; apt libusb-1.0-0).
"""
import json
import os
import subprocess
import sys
import tempfile

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
PEERS = os.path.join(ROOT, "..", "shared", "peers")
sys.path.insert(0, PEERS)

# (our file, peer case, target ratio peer/ours or None, what is compared)
POINT_CLOUD_CASES = [
    ("cloud_bin.pcd", "open3d_read_pcd_binary", 5.0, "PCD binary read, file"),
    ("cloud_comp.pcd", "open3d_read_pcd_binary_compressed", 3.0, "PCD binary_compressed read, file"),
    ("cloud_ascii.pcd", "open3d_read_pcd_ascii", None, "PCD ascii read, file"),
    ("cloud_bin.ply", "open3d_read_ply_binary", 2.0, "PLY binary read, file"),
    ("000000.bin", "numpy_read_fromfile_kitti_bin", None, "KITTI .bin read, file (target: >= 2 GB/s)"),
]


def write_inputs(folder):
    import numpy as np
    import open3d as o3d
    from PIL import Image
    import bench_images
    import bench_pointcloud

    pts = bench_pointcloud.make_sweep()
    pcd = o3d.geometry.PointCloud(o3d.utility.Vector3dVector(pts[:, :3].astype(np.float64)))
    for name, kw in (("cloud_bin.pcd", dict(write_ascii=False, compressed=False)),
                     ("cloud_ascii.pcd", dict(write_ascii=True, compressed=False)),
                     ("cloud_comp.pcd", dict(write_ascii=False, compressed=True)),
                     ("cloud_bin.ply", dict(write_ascii=False, compressed=False))):
        o3d.io.write_point_cloud(os.path.join(folder, name), pcd, print_progress=False, **kw)
    pts.tofile(os.path.join(folder, "000000.bin"))
    images = []
    for name, width, height in bench_images.FRAMES:
        pil = Image.fromarray(bench_images.make_frame(width, height))
        for fmt, kw in (("png", dict(compress_level=6)), ("jpg", dict(quality=90))):
            path = os.path.join(folder, f"{name}.{fmt}")
            with open(path, "wb") as f:
                f.write(bench_images.pil_encode(pil, "PNG" if fmt == "png" else "JPEG", **kw))
            images.append((name, fmt, path))
    return images


def peer_lines(script):
    out = subprocess.run([sys.executable, os.path.join(PEERS, script)], capture_output=True, text=True, check=True).stdout
    result = {}
    for line in out.splitlines():
        if line.startswith("case="):
            fields = dict(kv.split("=", 1) for kv in line.split() if "=" in kv)
            result[fields["case"]] = float(fields["seconds"])
    return result


def ours(paths):
    cuboid = os.path.join(ROOT, ".build", "release", "cuboid")
    out = subprocess.run([cuboid, "bench", "decode", "--json", *paths], capture_output=True, text=True, check=True).stdout
    return {os.path.basename(o["path"]): o for o in map(json.loads, out.splitlines())}


def main():
    with tempfile.TemporaryDirectory() as folder:
        images = write_inputs(folder)
        peers = peer_lines("bench_pointcloud.py")
        peers.update(peer_lines("bench_images.py"))
        mine = ours([os.path.join(folder, f) for f, *_ in POINT_CLOUD_CASES] + [p for *_, p in images])

    rows = []
    for file, case, target, label in POINT_CLOUD_CASES:
        o = mine[file]
        ratio = peers[case] / o["seconds_file"]
        extra = f"{o['mb_per_second_file'] / 1000:.2f} GB/s" if file.endswith(".bin") else ""
        rows.append((label, peers[case], o["seconds_file"], ratio, target, extra))
    for name, fmt, path in images:
        o = mine[os.path.basename(path)]
        for side, key in (("bytes", "seconds_memory"), ("file", "seconds_file")):
            case = f"{name}_decode_{fmt}_pillow_{side}"
            rows.append((f"{name} {fmt.upper()} decode, {side} (vs Pillow)", peers[case], o[key], peers[case] / o[key], 0.95, ""))

    print("| case | peer median ms | Cuboid median ms | peer / Cuboid | target | note |")
    print("|---|---:|---:|---:|---:|---|")
    missed = 0
    for label, peer, mine_s, ratio, target, extra in rows:
        ok = "" if target is None else ("met" if ratio >= target else "MISSED")
        missed += ok == "MISSED"
        print(f"| {label} | {peer * 1e3:.3f} | {mine_s * 1e3:.3f} | {ratio:.2f}x | "
              f"{'' if target is None else f'>= {target}x'} {ok} | {extra} |")
    kitti = mine["000000.bin"]["mb_per_second_file"] / 1000
    print(f"\nKITTI .bin read: {kitti:.2f} GB/s (target >= 2 GB/s: {'met' if kitti >= 2 else 'MISSED'})")
    return 1 if missed or kitti < 2 else 0


if __name__ == "__main__":
    sys.exit(main())
