#!/usr/bin/env python3
"""Measures `cuboid qa`'s gold check on synthetic drives.

For each drive (a `cuboid synth` folder with gold.openlabel.json), corrupts a share of the gold boxes
(default 5 %, seeded): each is moved by 1 m in a random horizontal direction, or shrunk to half its
size about its centre. Then runs `cuboid qa` with the corrupted gold as gold and the uncorrupted gold
as the tasker's labels, every class of the drive evaluated, and counts:

  corrupted gold flagged: corrupted gold boxes of which a finding says "gold doubtful" (target >= 95 %)
  untouched gold flagged: untouched gold boxes of which a finding says "gold doubtful" (target <= 1 %)

A second run (`tasker errors`) makes the tasker wrong instead, on gold that is right: the same share of
the tasker's boxes moved or shrunk and as many dropped; findings about that gold must not call it
doubtful. Its rate counts untouched gold boxes the tasker got wrong that are flagged (target <= 1 %).

Prints both rates per drive and exits 1 when a rate is outside its target.
Usage: check_gold_doubtful.py CUBOID DRIVE [DRIVE...] [--share 0.05] [--seed 1] [--out DIR]
"""
import argparse
import copy
import json
import math
import os
import random
import subprocess
import sys


def cuboids(openlabel):
    """(frame key, object id, cuboid entry) of every gold cuboid."""
    for frame_key, frame in openlabel["openlabel"]["frames"].items():
        for object_id, data in frame.get("objects", {}).items():
            for cuboid in data.get("object_data", {}).get("cuboid", []):
                yield frame_key, object_id, cuboid


def corrupt(entry, rng):
    """Moves the cuboid by 1 m horizontally or halves its size; returns the kind."""
    val = entry["val"]
    if rng.random() < 0.5:
        angle = rng.uniform(0, 2 * math.pi)
        val[0] += math.cos(angle)
        val[1] += math.sin(angle)
        return "moved"
    # OpenLABEL cuboid: x y z, quaternion (4), sizes (3); or x y z, rx ry rz, sizes.
    for k in range(len(val) - 3, len(val)):
        val[k] *= 0.5
    return "shrunk"


def run_qa(cuboid, gold, labels, drive, out, config):
    command = [cuboid, "qa", "--gold", gold, "--labels", "tasker=" + labels, "--sequence", drive, "--out", out, "--config", config,
               "--no-pictures", "--allow-empty"]
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode not in (0, 3):
        sys.exit(f"cuboid qa failed ({result.returncode}): {' '.join(command)}\n{result.stderr}")
    return json.load(open(os.path.join(out, "report.json")))


def flagged_gold(report):
    """(frame number, gold track) of every gold box some finding calls doubtful, and of every gold box in a finding."""
    flagged, mentioned = set(), set()
    for finding in report["taskers"][0]["findings"]:
        if finding.get("goldTrack") is None:
            continue
        key = (int(finding["frame"]), finding["goldTrack"])
        mentioned.add(key)
        if finding.get("goldCheck", {}).get("goldDoubtful"):
            flagged.add(key)
    return flagged, mentioned


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("cuboid")
    parser.add_argument("drives", nargs="+")
    parser.add_argument("--share", type=float, default=0.05)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", default="/tmp/cuboid-gold-doubtful")
    args = parser.parse_args()
    os.makedirs(args.out, exist_ok=True)
    failures = []
    for drive in args.drives:
        name = os.path.basename(drive.rstrip("/"))
        original = json.load(open(os.path.join(drive, "gold.openlabel.json")))
        types = {object_id: o["type"] for object_id, o in original["openlabel"]["objects"].items()}
        # Every class of the drive is evaluated (vehicles at BEV IoU 0.7, the rest at 0.5).
        vehicles = {"Car", "Van", "Truck", "Tram", "Bus"}
        config = {"classes": {t: {"threshold": 0.7 if t in vehicles else 0.5} for t in sorted(set(types.values()))}, "known": []}
        config_path = os.path.join(args.out, name + "-config.json")
        json.dump(config, open(config_path, "w"))
        everything = [(int(f), o) for f, o, _ in cuboids(original)]

        # 1. Gold corrupted, the tasker right.
        rng = random.Random(args.seed)
        corrupted_gold = copy.deepcopy(original)
        entries = list(cuboids(corrupted_gold))
        chosen = rng.sample(range(len(entries)), max(1, round(args.share * len(entries))))
        corrupted = {}
        for k in chosen:
            frame_key, object_id, entry = entries[k]
            corrupted[(int(frame_key), object_id)] = corrupt(entry, rng)
        gold_path = os.path.join(args.out, name + "-corrupted-gold.openlabel.json")
        json.dump(corrupted_gold, open(gold_path, "w"))
        report = run_qa(args.cuboid, gold_path, os.path.join(drive, "gold.openlabel.json"), drive, os.path.join(args.out, name + "-gold"), config_path)
        flagged, _ = flagged_gold(report)
        untouched = [key for key in everything if key not in corrupted]
        hit = sum(1 for key in corrupted if key in flagged)
        false = sum(1 for key in untouched if key in flagged)
        by_kind = {kind: (sum(1 for k, v in corrupted.items() if v == kind and k in flagged), sum(1 for v in corrupted.values() if v == kind))
                   for kind in ("moved", "shrunk")}
        detected, false_rate = hit / len(corrupted), false / max(1, len(untouched))
        print(f"{name}: corrupted gold flagged {hit}/{len(corrupted)} = {100 * detected:.1f} % (moved {by_kind['moved'][0]}/{by_kind['moved'][1]}, "
              f"shrunk {by_kind['shrunk'][0]}/{by_kind['shrunk'][1]}); untouched gold flagged {false}/{len(untouched)} = {100 * false_rate:.2f} %")
        missed = [key for key in corrupted if key not in flagged]
        if missed:
            print(f"  not flagged: " + ", ".join(f"frame {f} object {o} ({types[o]}, {corrupted[(f, o)]})" for f, o in missed[:8]))
        if detected < 0.95:
            failures.append(f"{name}: corrupted gold flagged {100 * detected:.1f} % < 95 %")
        if false_rate > 0.01:
            failures.append(f"{name}: untouched gold flagged {100 * false_rate:.2f} % > 1 %")

        # 2. Gold right, the tasker wrong: moved, shrunk or dropped boxes.
        rng = random.Random(args.seed + 1000)
        tasker = copy.deepcopy(original)
        frames = tasker["openlabel"]["frames"]
        entries = list(cuboids(tasker))
        chosen = rng.sample(range(len(entries)), max(2, round(2 * args.share * len(entries))))
        wrong = set()
        for n, k in enumerate(chosen):
            frame_key, object_id, entry = entries[k]
            wrong.add((int(frame_key), object_id))
            if n % 2 == 0:
                corrupt(entry, rng)
            else:
                del frames[frame_key]["objects"][object_id]
        tasker_path = os.path.join(args.out, name + "-tasker-errors.openlabel.json")
        json.dump(tasker, open(tasker_path, "w"))
        report = run_qa(args.cuboid, os.path.join(drive, "gold.openlabel.json"), tasker_path, drive, os.path.join(args.out, name + "-tasker"),
                        config_path)
        flagged, mentioned = flagged_gold(report)
        # Gold holding fewer than nearlyEmptyPoints returns is doubtful by definition (gold-nearly-empty):
        # the rate counts the gold that holds returns.
        points = {(int(f), o): next((n["val"] for n in original["openlabel"]["frames"][f]["objects"][o]["object_data"].get("num", [])
                                     if n["name"] == "num_points"), None) for f, o, _ in cuboids(original)}
        holding = [key for key in wrong if (points.get(key) or 0) >= 3]
        false = sum(1 for key in holding if key in flagged)
        rate = false / max(1, len(holding))
        print(f"{name}: tasker errors on right gold holding >= 3 returns: gold flagged {false}/{len(holding)} = {100 * rate:.2f} % "
              f"({len(mentioned & set(holding))} of them in findings; {sum(1 for key in wrong if key in flagged and key not in holding)} "
              f"nearly empty gold flagged of {len(wrong) - len(holding)})")
        if rate > 0.01:
            failures.append(f"{name}: right gold flagged on {100 * rate:.2f} % of the tasker's errors > 1 %")
    for failure in failures:
        print("FAIL", failure)
    print("FAIL" if failures else "ok", f"gold check on {len(args.drives)} drive(s)")
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
