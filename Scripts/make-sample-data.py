#!/usr/bin/env python3
"""Writes SampleData/: a small synthetic lidar sweep and camera frame that the README demo and the
unit tests use, so they run on any machine without the (non-redistributable) public datasets.

    python3 Scripts/make-sample-data.py        # from the project root; needs only the Python stdlib

The sweep is ray-cast: 32 beams from +2 to -24.8 degrees elevation, 1 degree azimuth steps, a
sensor 1.73 m above a flat ground, three yaw-rotated car-sized boxes; nearest hit wins, so boxes
occlude the ground behind them. Coordinates follow Cuboid's lidar frame (x forward, y left, z up,
metres). The same script always writes the same bytes. The .bin and .png are written here; the
.pcd, .ply and .jpg are made from them by `cuboid convert`, so the sample files also exercise the
writers. (Issue 5's `cuboid synth` supersedes this with a full sensor simulator.)
"""
import math
import os
import struct
import subprocess
import zlib

OUT = "SampleData"
SENSOR_HEIGHT = 1.73
BOXES = [  # centre x, y (metres), yaw (radians), length, width, height
    (12.0, 3.5, 0.3, 4.2, 1.8, 1.5),
    (18.0, -4.0, -1.2, 4.5, 1.9, 1.6),
    (-9.0, 2.0, 2.9, 5.1, 2.0, 2.2),
]


def hit_box(origin, direction, box):
    """Distance along the ray to a yaw-rotated box standing on the ground, or None."""
    cx, cy, yaw, length, width, height = box
    c, s = math.cos(-yaw), math.sin(-yaw)
    ox, oy, oz = origin[0] - cx, origin[1] - cy, origin[2] + SENSOR_HEIGHT - height / 2
    o = (c * ox - s * oy, s * ox + c * oy, oz)
    d = (c * direction[0] - s * direction[1], s * direction[0] + c * direction[1], direction[2])
    near, far = -math.inf, math.inf
    for axis, half in enumerate((length / 2, width / 2, height / 2)):
        if abs(d[axis]) < 1e-12:
            if abs(o[axis]) > half:
                return None
            continue
        t1, t2 = (-half - o[axis]) / d[axis], (half - o[axis]) / d[axis]
        near, far = max(near, min(t1, t2)), min(far, max(t1, t2))
    return near if near <= far and near > 0 else None


def sweep():
    points = []
    for beam in range(32):
        elevation = math.radians(2.0 - beam * (26.8 / 31))
        for step in range(360):
            azimuth = math.radians(step * 1.0 - 180)
            d = (math.cos(elevation) * math.cos(azimuth), math.cos(elevation) * math.sin(azimuth), math.sin(elevation))
            best, intensity = None, 0.0
            if d[2] < 0:
                best, intensity = SENSOR_HEIGHT / -d[2], 0.25
            for box in BOXES:
                t = hit_box((0.0, 0.0, 0.0), d, box)
                if t is not None and (best is None or t < best):
                    best, intensity = t, 0.6
            if best is None or best > 60:
                continue
            # Deterministic millimetre-scale range noise.
            best += 0.01 * math.sin(beam * 12.9898 + step * 78.233)
            points.append((d[0] * best, d[1] * best, d[2] * best, intensity))
    return points


def png(width, height, rows):
    def chunk(kind, data):
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)
    raw = b"".join(b"\x00" + bytes(row) for row in rows)
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b"")


def frame(width=320, height=96):
    rows = []
    for y in range(height):
        row = []
        for x in range(width):
            if y < height * 0.45:
                r, g, b = 110 + y, 160 + y // 2, 235
            else:
                shade = 70 + (y - height * 0.45) * 0.8
                r = g = b = int(shade)
            for left, top, w, h, colour in ((60, 40, 50, 24, (180, 30, 30)), (200, 44, 40, 18, (30, 60, 170))):
                if left <= x < left + w and top <= y < top + h:
                    r, g, b = colour
            row += [int(r), int(g), int(b)]
        rows.append(row)
    return png(width, height, rows)


def main():
    os.makedirs(OUT, exist_ok=True)
    points = sweep()
    with open(os.path.join(OUT, "sweep.bin"), "wb") as f:
        f.write(b"".join(struct.pack("<4f", *p) for p in points))
    with open(os.path.join(OUT, "frame.png"), "wb") as f:
        f.write(frame())
    cuboid = ["swift", "run", "-c", "release", "cuboid", "convert"]
    subprocess.run(cuboid + [f"{OUT}/sweep.bin", f"{OUT}/sweep.pcd", "--to", "pcd-binary-compressed"], check=True)
    subprocess.run(cuboid + [f"{OUT}/sweep.bin", f"{OUT}/sweep.ply"], check=True)
    subprocess.run(cuboid + [f"{OUT}/frame.png", f"{OUT}/frame.jpg"], check=True)
    print(f"{len(points)} points")


if __name__ == "__main__":
    main()
