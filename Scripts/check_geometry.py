#!/usr/bin/env python3
"""Cross-check Cuboid's geometry kernels against independent references, through the real binary.

    python3 Scripts/check_geometry.py [--cuboid .build/release/cuboid] [--pairs 100000]

1. IoU: seeded random pairs plus a degenerate set (identical, touching edges and corners, nested,
   zero size, 45 and 90 degree rotations, yaw at +-pi and 2 pi apart, huge and tiny coordinates)
   for 2d, bev and 3d, run through `cuboid iou --aligned`, compared with shapely polygon
   intersection areas (3D: shapely area x vertical overlap). Also a pairwise N x M block.
   Tolerance: 1e-9 absolute. Boxes far from the origin are given to shapely shifted back by an
   exact offset (IoU does not change under translation; GEOS loses digits there, Cuboid must not).
2. Assignment: `cuboid assign` against scipy.optimize.linear_sum_assignment on random rectangular
   matrices (identical pairs for continuous costs, equal totals with ties), and with a gate.
Exits non-zero on any disagreement. Needs numpy, shapely >= 2 and scipy.
"""
import argparse
import math
import os
import subprocess
import sys
import tempfile

import numpy as np
import shapely
from scipy.optimize import linear_sum_assignment

TOLERANCE = 1e-9


def corners(b):
    """(N,4,2) corners of BEV boxes (x, y, l, w, yaw), counter-clockwise."""
    x, y, l, w, t = b.T
    c, s = np.cos(t)[:, None], np.sin(t)[:, None]
    dx = np.array([0.5, -0.5, -0.5, 0.5])[None] * l[:, None]
    dy = np.array([0.5, 0.5, -0.5, -0.5])[None] * w[:, None]
    return np.stack([x[:, None] + dx * c - dy * s, y[:, None] + dx * s + dy * c], axis=-1)


def polygons(b):
    return shapely.polygons(corners(b))


def safe_ratio(inter, union):
    out = np.zeros_like(inter)
    np.divide(inter, union, out=out, where=union > 0)
    return out


def reference_bev(a, b, shift):
    a, b = a.copy(), b.copy()
    a[:, :2] -= shift
    b[:, :2] -= shift
    inter = shapely.area(shapely.intersection(polygons(a), polygons(b)))
    union = a[:, 2] * a[:, 3] + b[:, 2] * b[:, 3] - inter
    return safe_ratio(inter, union)


def reference_3d(a, b, shift):
    a, b = a.copy(), b.copy()
    a[:, :2] -= shift
    b[:, :2] -= shift
    area = shapely.area(shapely.intersection(polygons(a[:, [0, 1, 3, 4, 6]]), polygons(b[:, [0, 1, 3, 4, 6]])))
    dz = np.clip(np.minimum(a[:, 2] + a[:, 5] / 2, b[:, 2] + b[:, 5] / 2)
                 - np.maximum(a[:, 2] - a[:, 5] / 2, b[:, 2] - b[:, 5] / 2), 0, None)
    inter = area * dz
    union = a[:, 3] * a[:, 4] * a[:, 5] + b[:, 3] * b[:, 4] * b[:, 5] - inter
    return safe_ratio(inter, union)


def reference_2d(a, b, shift):
    a, b = a - np.tile(shift, 2), b - np.tile(shift, 2)
    pa = shapely.box(a[:, 0], a[:, 1], a[:, 2], a[:, 3])
    pb = shapely.box(b[:, 0], b[:, 1], b[:, 2], b[:, 3])
    inter = shapely.area(shapely.intersection(pa, pb))
    union = shapely.area(pa) + shapely.area(pb) - inter
    return safe_ratio(inter, union)


HEADERS = {"2d": "x1,y1,x2,y2", "bev": "x,y,l,w,yaw", "3d": "x,y,z,l,w,h,yaw"}


def write_table(path, kind, rows):
    with open(path, "w") as f:
        f.write(HEADERS[kind] + "\n")
        for row in rows:
            f.write(",".join(repr(float(v)) for v in row) + "\n")


def run_cuboid(cuboid, args):
    proc = subprocess.run([cuboid] + args, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"cuboid {' '.join(args)} failed ({proc.returncode}): {proc.stderr}")
    return proc.stdout


def cuboid_iou(cuboid, folder, kind, a, b, mode="--aligned"):
    pa, pb = os.path.join(folder, f"a_{kind}.csv"), os.path.join(folder, f"b_{kind}.csv")
    write_table(pa, kind, a)
    write_table(pb, kind, b)
    out = run_cuboid(cuboid, ["iou", pa, pb, "--kind", kind, mode])
    if mode == "--aligned":
        return np.array([float(v) for v in out.split()])
    return np.array([[float(v) for v in line.split(",")] for line in out.strip().split("\n")])


# ---------------------------------------------------------------- inputs

def random_bev(rng, n):
    """Half general pairs (40 m x 40 m), half near pairs (centres within 3 m), plus exact copies."""
    a = np.column_stack([rng.uniform(0, 40, n), rng.uniform(0, 40, n), rng.uniform(0.2, 6, n),
                         rng.uniform(0.2, 3, n), rng.uniform(-math.pi, math.pi, n)])
    b = np.column_stack([rng.uniform(0, 40, n), rng.uniform(0, 40, n), rng.uniform(0.2, 6, n),
                         rng.uniform(0.2, 3, n), rng.uniform(-math.pi, math.pi, n)])
    near = rng.random(n) < 0.5
    b[near, :2] = a[near, :2] + rng.uniform(-3, 3, (near.sum(), 2))
    same_yaw = rng.random(n) < 0.1  # parallel boxes: collinear edges
    b[same_yaw, 4] = a[same_yaw, 4]
    return a, b


def degenerate_bev():
    """(a, b, shift) rows where shapely gets the boxes moved by -shift."""
    s2 = math.sqrt(2)
    cases = [
        ((1, 2, 4, 2, 0.3), (1, 2, 4, 2, 0.3)),                     # identical
        ((0, 0, 4, 2, math.pi), (0, 0, 4, 2, -math.pi)),            # yaw +pi vs -pi
        ((3, -1, 4, 2, 0.4), (3, -1, 4, 2, 0.4 + 2 * math.pi)),     # 2 pi apart
        ((3, -1, 4, 2, 0.4), (3, -1, 4, 2, 0.4 - math.pi)),         # heading reversed
        ((0, 0, 2, 2, 0), (2, 0, 2, 2, 0)),                         # touching edges
        ((0, 0, 2, 2, 0), (2, 2, 2, 2, 0)),                         # touching corners
        ((0, 0, 2, 2, math.pi / 4), (s2, s2, 2, 2, math.pi / 4)),   # touching at 45 degrees
        ((0, 0, 4, 4, 0), (0.5, 0.5, 1, 1, 0.3)),                   # nested
        ((0.5, 0.5, 1, 1, 0), (0, 0, 4, 4, 1.0)),                   # nested, outer rotated
        ((0, 0, 2, 2, 0), (0, 0, 2, 2, math.pi / 4)),               # 45 degrees
        ((0, 0, 4, 2, 0), (0, 0, 4, 2, math.pi / 2)),               # 90 degrees
        ((0, 0, 4, 2, 0), (1, 1, 4, 2, -math.pi / 2)),              # -90 degrees, offset
        ((0, 0, 0, 2, 0.2), (0, 0, 4, 2, 0)),                       # zero length
        ((0, 0, 0, 0, 0), (0, 0, 0, 0, 0)),                         # both zero
        ((0, 0, 10, 1, 0), (0, 0, 10, 1, math.pi / 2)),             # cross
        ((1e7, -1e7, 4, 2, 0.3), (1e7 + 1, -1e7 + 0.5, 4, 2, 1.1)),  # huge
        ((5e8, 5e8, 4, 2, 0), (5e8, 5e8, 4, 2, math.pi / 2)),       # huge, 90 degrees
        ((1e-7, 0, 2e-6, 2e-6, 0), (1.1e-6, 0, 2e-6, 2e-6, 0.2)),   # tiny
    ]
    a = np.array([c[0] for c in cases], dtype=float)
    b = np.array([c[1] for c in cases], dtype=float)
    shift = np.where(np.abs(a[:, :2]) > 1e5, a[:, :2], 0.0)
    return a, b, shift


def to_3d(rng, bev, z_spread=1.0):
    n = len(bev)
    return np.column_stack([bev[:, 0], bev[:, 1], rng.uniform(-z_spread, z_spread, n), bev[:, 2], bev[:, 3],
                            rng.uniform(0.2, 3, n), bev[:, 4]])


def random_2d(rng, n):
    def boxes(m):
        x, y = rng.uniform(0, 1600, m), rng.uniform(0, 900, m)
        return np.column_stack([x, y, x + rng.uniform(0, 300, m), y + rng.uniform(0, 300, m)])
    a, b = boxes(n), boxes(n)
    near = rng.random(n) < 0.5
    b[near] = a[near] + rng.uniform(-40, 40, (near.sum(), 4))
    b[near, 2:] = np.maximum(b[near, 2:], b[near, :2])
    integer = rng.random(n) < 0.2  # pixel-aligned boxes: shared edges
    a[integer], b[integer] = np.round(a[integer]), np.round(b[integer])
    return a, b


def degenerate_2d():
    cases = [((0, 0, 10, 10), (0, 0, 10, 10)), ((0, 0, 10, 10), (10, 0, 20, 10)), ((0, 0, 10, 10), (10, 10, 20, 20)),
             ((0, 0, 10, 10), (2, 2, 4, 4)), ((1, 1, 1, 1), (1, 1, 1, 1)), ((0, 0, 10, 10), (5, 5, 5, 9)),
             ((1e9, 1e9, 1e9 + 3, 1e9 + 2), (1e9 + 1, 1e9, 1e9 + 4, 1e9 + 2)), ((0, 0, 1e-9, 1e-9), (0, 0, 2e-9, 1e-9))]
    a = np.array([c[0] for c in cases], dtype=float)
    b = np.array([c[1] for c in cases], dtype=float)
    shift = np.where(np.abs(a[:, :2]) > 1e5, a[:, :2], 0.0)
    return a, b, shift


# ---------------------------------------------------------------- checks

def compare(name, ours, reference):
    diff = np.abs(ours - reference)
    worst = float(diff.max()) if len(diff) else 0.0
    bad = int((diff > TOLERANCE).sum())
    print(f"{name}: {len(ours)} values, max |cuboid - reference| = {worst:.2e}, "
          f"{int((reference > 0).sum())} overlapping, {bad} over {TOLERANCE:g}")
    if bad:
        i = int(diff.argmax())
        print(f"  worst index {i}: cuboid {ours.flat[i]!r} reference {reference.flat[i]!r}")
    return bad == 0


def check_iou(cuboid, folder, pairs, rng):
    ok = True
    a, b = random_bev(rng, pairs)
    da, db, dshift = degenerate_bev()
    a_all, b_all = np.vstack([a, da]), np.vstack([b, db])
    shift = np.vstack([np.zeros((pairs, 2)), dshift])
    ok &= compare("bev aligned (random + degenerate)", cuboid_iou(cuboid, folder, "bev", a_all, b_all),
                  reference_bev(a_all, b_all, shift))
    a3, b3 = to_3d(rng, a_all), to_3d(rng, b_all)
    stacked = rng.random(len(a3)) < 0.05  # touching faces: b sits exactly on a
    b3[stacked, 2] = a3[stacked, 2] + (a3[stacked, 5] + b3[stacked, 5]) / 2
    ok &= compare("3d aligned (random + degenerate)", cuboid_iou(cuboid, folder, "3d", a3, b3),
                  reference_3d(a3, b3, shift))
    a2, b2 = random_2d(rng, pairs)
    d2a, d2b, d2shift = degenerate_2d()
    a2_all, b2_all = np.vstack([a2, d2a]), np.vstack([b2, d2b])
    shift2 = np.vstack([np.zeros((pairs, 2)), d2shift])
    ok &= compare("2d aligned (random + degenerate)", cuboid_iou(cuboid, folder, "2d", a2_all, b2_all),
                  reference_2d(a2_all, b2_all, shift2))
    # Pairwise blocks through the pruned N x M kernels, against every (row, column) pair flattened.
    for kind, boxes_a, boxes_b, reference in (("bev", a, b, reference_bev), ("3d", a3, b3, reference_3d)):
        pa, pb = boxes_a[:300], boxes_b[:400]
        ours = cuboid_iou(cuboid, folder, kind, pa, pb, "--pairwise")
        ref = reference(np.repeat(pa, len(pb), axis=0), np.tile(pb, (len(pa), 1)), np.zeros((len(pa) * len(pb), 2)))
        ok &= compare(f"{kind} pairwise 300 x 400", ours.ravel(), ref)
    return ok


def check_assignment(cuboid, folder, rng, count=150):
    ok = True
    identical = ties = gated = 0
    for k in range(count):
        rows, cols = int(rng.integers(1, 41)), int(rng.integers(1, 41))
        tied = k % 3 == 0
        cost = rng.integers(0, 5, (rows, cols)).astype(float) if tied else rng.uniform(-1, 5, (rows, cols))
        path = os.path.join(folder, "cost.csv")
        np.savetxt(path, cost, delimiter=",", fmt="%.17g")
        out = run_cuboid(cuboid, ["assign", path]).split()
        ours = sorted(tuple(int(v) for v in line.split(",")) for line in out)
        r, c = linear_sum_assignment(cost)
        theirs = sorted(zip(r.tolist(), c.tolist()))
        total_ours = sum(cost[i, j] for i, j in ours)
        total_theirs = cost[r, c].sum()
        if len(ours) != len(theirs) or abs(total_ours - total_theirs) > 1e-9:
            print(f"  assignment {rows}x{cols}: cuboid total {total_ours} ({len(ours)} pairs), scipy {total_theirs}")
            ok = False
        elif not tied and ours != theirs:
            print(f"  assignment {rows}x{cols}: same total but different pairs")
            ok = False
        elif tied:
            ties += 1
        else:
            identical += 1
        # Gate: scipy on the matrix with forbidden pairs priced out, then dropped.
        gate = 2.0
        big = 1e6
        priced = np.where(cost <= gate, cost, big)
        r, c = linear_sum_assignment(priced)
        keep = priced[r, c] < big
        out = run_cuboid(cuboid, ["assign", path, "--maximum-cost", str(gate)]).split()
        gated_ours = [tuple(int(v) for v in line.split(",")) for line in out]
        if len(gated_ours) != int(keep.sum()) or abs(sum(cost[i, j] for i, j in gated_ours) - cost[r[keep], c[keep]].sum()) > 1e-9:
            print(f"  gated assignment {rows}x{cols}: cuboid {len(gated_ours)} pairs, scipy {int(keep.sum())}")
            ok = False
        else:
            gated += 1
    print(f"assignment vs scipy.optimize.linear_sum_assignment: {count} matrices up to 40 x 40; "
          f"{identical} identical pair lists (continuous costs), {ties} equal totals (integer costs with ties), "
          f"{gated} gated matrices equal")
    return ok


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--cuboid", default=".build/release/cuboid")
    parser.add_argument("--pairs", type=int, default=100_000)
    args = parser.parse_args()
    rng = np.random.default_rng(20261121)
    with tempfile.TemporaryDirectory() as folder:
        ok = check_iou(args.cuboid, folder, args.pairs, rng)
        ok &= check_assignment(args.cuboid, folder, rng)
    print("geometry cross-check:", "PASS" if ok else "FAIL")
    sys.exit(0 if ok else 1)


if __name__ == "__main__":
    main()
