#!/usr/bin/env python3
"""Times the tools a QA lead would otherwise use, on a batch of the size `cuboid bench qa` scores,
beside `cuboid bench qa` in the same sitting, and prints the ratios.

- pycocotools COCOeval (bbox): evaluate + accumulate + summarize, one tasker, 1,000 images x 50 gold
  boxes and about as many scored boxes (2D IoU, AP over 10 thresholds).
- py-motmetrics: MOTAccumulator fed 1,000 frames of 50 x 50 IoU distance matrices (numpy, as
  mm.distances.iou_matrix computes them), then CLEAR MOT + IDF1, one tasker.

The batches are drawn here with numpy (seeded) with the same sizes and error rates as Cuboid's
SyntheticQABatch, not the same boxes. Usage: bench_qa_peers.py CUBOID_BINARY [--frames N]
"""
import argparse
import contextlib
import io
import re
import subprocess
import time

import motmetrics as mm
import numpy as np
from pycocotools.coco import COCO
from pycocotools.cocoeval import COCOeval


def batch(rng, frames, boxes):
    gold, labelled = [], []
    for f in range(frames):
        xy = rng.uniform(0, 900, (boxes, 2))
        wh = rng.uniform(6, 60, (boxes, 2))
        g = np.hstack([xy, wh])
        keep = rng.random(boxes) > 0.05
        t = g[keep] + rng.normal(0, 1.0, (keep.sum(), 4))
        t[:, 2:] = np.maximum(t[:, 2:], 1)
        extra = np.hstack([rng.uniform(0, 900, (2, 2)), rng.uniform(6, 60, (2, 2))])
        gold.append((g, rng.integers(1, 4, boxes), np.arange(boxes)))
        labelled.append((np.vstack([t, extra]), np.concatenate([gold[-1][1][keep], [1, 1]]),
                         np.concatenate([np.arange(boxes)[keep] + 1000, [5000 + 2 * f, 5001 + 2 * f]])))
    return gold, labelled


def time_pycocotools(gold, labelled):
    images = [{"id": f + 1, "file_name": f"{f:06d}.png", "width": 1000, "height": 1000} for f in range(len(gold))]
    annotations, results = [], []
    for f, ((g, gc, _), (t, tc, _)) in enumerate(zip(gold, labelled)):
        for box, c in zip(g, gc):
            annotations.append({"id": len(annotations) + 1, "image_id": f + 1, "category_id": int(c), "bbox": [float(v) for v in box],
                                "area": float(box[2] * box[3]), "iscrowd": 0})
        for box, c in zip(t, tc):
            results.append({"image_id": f + 1, "category_id": int(c), "bbox": [float(v) for v in box], "score": 0.5})
    dataset = {"images": images, "annotations": annotations, "categories": [{"id": k, "name": str(k)} for k in (1, 2, 3)]}
    with contextlib.redirect_stdout(io.StringIO()):
        ground = COCO()
        ground.dataset = dataset
        ground.createIndex()
        start = time.perf_counter()
        evaluation = COCOeval(ground, ground.loadRes(results), "bbox")
        evaluation.evaluate()
        evaluation.accumulate()
        evaluation.summarize()
    return time.perf_counter() - start


def iou_distances(a, b, max_distance=0.5):
    """1 - IoU of xywh boxes, NaN above max_distance (motmetrics' iou_matrix, which numpy 2 broke)."""
    ax2, ay2, bx2, by2 = a[:, 0] + a[:, 2], a[:, 1] + a[:, 3], b[:, 0] + b[:, 2], b[:, 1] + b[:, 3]
    w = np.clip(np.minimum(ax2[:, None], bx2[None]) - np.maximum(a[:, None, 0], b[None, :, 0]), 0, None)
    h = np.clip(np.minimum(ay2[:, None], by2[None]) - np.maximum(a[:, None, 1], b[None, :, 1]), 0, None)
    inter = w * h
    union = (a[:, 2] * a[:, 3])[:, None] + (b[:, 2] * b[:, 3])[None] - inter
    distance = 1 - inter / union
    distance[distance > max_distance] = np.nan
    return distance


def time_motmetrics(gold, labelled):
    start = time.perf_counter()
    accumulator = mm.MOTAccumulator(auto_id=True)
    for (g, _, gid), (t, _, tid) in zip(gold, labelled):
        accumulator.update(gid, tid, iou_distances(g, t))
    mm.metrics.create().compute(accumulator, metrics=["mota", "motp", "idf1", "num_switches", "num_fragmentations"], name="x")
    return time.perf_counter() - start


def cuboid_seconds(binary, frames, match):
    out = subprocess.run([binary, "bench", "qa", "--frames", str(frames), "--taskers", "1", "--match", match, "--repeat", "3"],
                         check=True, capture_output=True, text=True).stdout
    value, unit = re.search(r": ([0-9.]+) (ms|s),", out).groups()
    return float(value) / (1000 if unit == "ms" else 1), out.strip()


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cuboid")
    parser.add_argument("--frames", type=int, default=1000)
    args = parser.parse_args()
    gold, labelled = batch(np.random.default_rng(3), args.frames, 50)
    coco = time_pycocotools(gold, labelled)
    mot = time_motmetrics(gold, labelled)
    ours_2d, line_2d = cuboid_seconds(args.cuboid, args.frames, "iou-2d")
    ours_bev, line_bev = cuboid_seconds(args.cuboid, args.frames, "bev-iou")
    print(f"peer pycocotools COCOeval bbox, 1 tasker x {args.frames} frames x 50 boxes: {coco:.3f} s")
    print(f"peer motmetrics CLEAR MOT + IDF1, 1 tasker x {args.frames} frames x 50 boxes: {mot:.3f} s")
    print(line_2d)
    print(line_bev)
    print(f"ratio: cuboid qa iou-2d (every figure, AP, tracking, feedback) takes 1/{coco / ours_2d:.1f} of pycocotools' time for AP alone "
          f"and 1/{mot / ours_2d:.1f} of motmetrics' time for tracking alone (BEV IoU: 1/{mot / ours_bev:.1f})")


if __name__ == "__main__":
    main()
