#!/usr/bin/env python3
"""The prelabel scoreboard: measures `cuboid prelabel --score` on every data set and compares it with
the committed file (Benchmarks/scoreboard.csv).

    python3 Scripts/scoreboard.py .build/release/cuboid --check Benchmarks/scoreboard.csv
    python3 Scripts/scoreboard.py .build/release/cuboid --write Benchmarks/scoreboard.csv
    python3 Scripts/scoreboard.py --check Benchmarks/scoreboard.csv --measured /tmp/measured.csv
    python3 Scripts/scoreboard.py --self-test

Each data set is pre-labelled once with `--score --no-previews --out WORK/out/NAME`; the figures are
read from OUT/score.json (written by `--score`), the prelabel's own lines are printed as they come
(the per-data-set summary, stage times and score lines CI logs show). Rows are
(data set, class, figure, value, gold): recall and precision at BEV IoU 0.5 and 0.7, MOTA and IDF1
where the sequence is tracked, the false boxes at IoU 0.5, and the Truck boxes written.

--check exits 1 when a gated figure (recall@0.5, recall@0.7, precision@0.5, precision@0.7, mota) is
more than TOLERANCE (0.02) below the file, when a row of the file is not measured (a data set or
class gone) or a gated figure became undefined; rows more than TOLERANCE above the file are printed
as "raise the scoreboard" hints. IDF1 and the counts (false@0.5, boxes) are reported, not gated: a
count has no 0.02 scale, and precision already gates false boxes.

Python standard library only. Writes nothing outside WORK (default /tmp/cuboid-scoreboard) and the
file given to --write / --measured-out; the data under ../shared is only read (temporary layouts are
symlinks in WORK, outputs go to WORK/out).
"""
import argparse
import csv
import io
import json
import os
import shutil
import subprocess
import sys
import time
import unittest

TOLERANCE = 0.02
GATED = ("recall@0.5", "recall@0.7", "precision@0.5", "precision@0.7", "mota")
REPORTED = ("idf1", "false@0.5", "boxes")
FIGURE_ORDER = GATED[:4] + ("mota", "idf1", "false@0.5", "boxes")
COLUMNS = ["dataset", "class", "figure", "value", "gold", "gated"]
SCENES = ("urban", "highway", "residential")
SEEDS = (None, 11, 12, 13)
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

HEADER = """\
# Cuboid prelabel scoreboard: what `cuboid prelabel --score` measures on each data set, per class.
# Re-measured by CI (`python3 Scripts/scoreboard.py .build/release/cuboid --check Benchmarks/scoreboard.csv`):
# CI fails when a gated figure (gated=yes) falls more than 0.02 below the value here, or a row is no
# longer measured. Rewritten with --write; raising or lowering it is a commit of its own that says why.
# figure: recall@T / precision@T at bird's-eye-view IoU T (gold within 40 m with >= 10 returns, KITTI
# ignore rules), mota (CLEAR MOT, IoU 0.5) and idf1 where tracked, false@0.5 = false boxes at IoU 0.5,
# boxes = Truck boxes written (Truck is not scored: every one of them counts, an upper bound of the
# false ones). gold = gold objects behind the figure (summed over frames). n/a = undefined.
"""


# ---------------------------------------------------------------- the data sets


def data_sets(data):
    """(name, how to make its input) in scoreboard order; `make(work)` returns (path, extra args)."""
    sets = []
    for seed in SEEDS:
        for scene in SCENES:
            name = f"synth-{scene}" + (f"-seed{seed}" if seed is not None else "")
            sets.append((name, lambda work, name=name, scene=scene, seed=seed: synth(work, name, scene, seed)))
    kitti = os.path.join(data, "kitti_object", "training")
    tracking = os.path.join(data, "kitti_tracking", "training")
    sets += [
        ("kitti-object", lambda work: (kitti, [])),
        ("kitti-object-007347", lambda work: (kitti_007347(work, kitti), [])),
        ("kitti-tracking-0000-tracked", lambda work: (tracking, [])),
        ("kitti-tracking-0000-untracked", lambda work: (tracking_untracked(work, tracking), ["--poses", "none"])),
        ("kitti-tracking-0000-estimated", lambda work: (tracking, ["--poses", "estimate"])),
        ("kitti-raw-0005-sweeps", lambda work: (raw_sweeps(work, data), ["--poses", "none"])),
        ("kitti-raw-0005-sweeps-estimated", lambda work: (raw_sweeps(work, data, "kitti-raw-0005-sweeps-estimated"), [])),
        ("sustechpoints", lambda work: (os.path.join(data, "sustechpoints"), [])),
        ("nuscenes", lambda work: (os.path.join(data, "nuscenes"), [])),
    ]
    return sets


def synth(work, name, scene, seed):
    """A 10-frame synthetic drive (its gold is gold.openlabel.json inside it)."""
    folder = os.path.join(work, "in", name)
    command = [BINARY, "synth", folder, "--scene", os.path.join(REPO, "SampleData", "scenes", scene + ".json"), "--frames", "10"]
    if seed is not None:
        command += ["--seed", str(seed)]
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return folder, []


def link(target, name):
    os.makedirs(os.path.dirname(name), exist_ok=True)
    os.symlink(os.path.abspath(target), name)


def kitti_007347(work, kitti):
    """KITTI object frame 007347 alone, its sweep cropped to the camera's view (velodyne_reduced/)."""
    root = os.path.join(work, "in", "kitti-007347")
    link(os.path.join(kitti, "velodyne_reduced", "007347.bin"), os.path.join(root, "velodyne", "007347.bin"))
    for folder, ext in (("calib", "txt"), ("label_2", "txt"), ("image_2", "png")):
        link(os.path.join(kitti, folder, f"007347.{ext}"), os.path.join(root, folder, f"007347.{ext}"))
    return root


def tracking_untracked(work, tracking):
    """KITTI tracking 0000 without its poses, so each sweep is detected alone: the same layout
    (training/velodyne/0000, calib/0000.txt, label_02/0000.txt) without poses/, run with `--poses
    none` (else prelabel estimates the poses from the sweeps)."""
    root = os.path.join(work, "in", "kitti-tracking-0000-untracked", "training")
    link(os.path.join(tracking, "velodyne", "0000"), os.path.join(root, "velodyne", "0000"))
    for folder in ("calib", "label_02"):
        link(os.path.join(tracking, folder, "0000.txt"), os.path.join(root, folder, "0000.txt"))
    return root


def raw_sweeps(work, data, name="kitti-raw-0005-sweeps"):
    """The 60 full 360-degree sweeps of KITTI raw drive 0005 (KITTI tracking 0000's frames 0-59) with
    that sequence's gold, in the KITTI raw form (velodyne_points/data, calib.txt, label_02/0000.txt);
    no poses: run untracked (`--poses none`) and, as a second data set, with the poses prelabel
    estimates by lidar odometry (its default there); scored inside camera 2's view (prelabel's default region there), which is
    all the gold covers."""
    root = os.path.join(work, "in", name)
    raw = os.path.join(data, "kitti_raw", "2011_09_26_drive_0005")
    link(os.path.join(raw, "velodyne_points", "data"), os.path.join(root, "velodyne_points", "data"))
    link(os.path.join(raw, "calib.txt"), os.path.join(root, "calib.txt"))
    link(os.path.join(data, "kitti_tracking", "training", "label_02", "0000.txt"), os.path.join(root, "label_02", "0000.txt"))
    return root


# ---------------------------------------------------------------- measuring


def fmt(value):
    if value is None:
        return "n/a"
    if isinstance(value, int):
        return str(value)
    return f"{value:.4f}"


def rows_from_score(dataset, score, truck_boxes):
    """Scoreboard rows of one OUT/score.json; `truck_boxes` counts the written Truck boxes when
    score.json does not score Truck."""
    rows = []
    for entry in score["classes"]:
        cls, gold = entry["class"], entry["gold"]
        by_iou = {round(t["iou"], 2): t for t in entry["thresholds"]}
        figures = []
        if gold > 0:
            for metric in ("recall", "precision"):
                for iou in (0.5, 0.7):
                    figures.append((f"{metric}@{iou}", by_iou[iou][metric]))
            if score.get("tracked"):
                figures += [("mota", entry.get("mota")), ("idf1", entry.get("idf1"))]
        figures.append(("false@0.5", by_iou[0.5]["fp"]))
        # JSON writes 0.0 as 0: fractions are floats, counts ints.
        figures = [(f, v if v is None or f == "false@0.5" else float(v)) for f, v in figures]
        rows += [row(dataset, cls, figure, value, gold) for figure, value in figures]
    if not any(entry["class"] == "Truck" for entry in score["classes"]):
        rows.append(row(dataset, "Truck", "boxes", truck_boxes, None))
    return rows


def row(dataset, cls, figure, value, gold):
    return {"dataset": dataset, "class": cls, "figure": figure, "value": fmt(value),
            "gold": "" if gold is None else str(gold), "gated": "yes" if figure in GATED else "no"}


def count_boxes(out, category):
    """Boxes of `category` in the written OpenLABEL labels (frame-object pairs with a cuboid)."""
    paths = [os.path.join(out, name) for name in sorted(os.listdir(out)) if name.endswith(".openlabel.json")]
    if not paths:
        raise SystemExit(f"{out}: no OpenLABEL labels written")
    with open(paths[0]) as file:
        document = json.load(file)["openlabel"]
    types = {key: value.get("type") for key, value in document.get("objects", {}).items()}
    count = 0
    for frame in document.get("frames", {}).values():
        for key, data in frame.get("objects", {}).items():
            cuboids = data.get("object_data", {}).get("cuboid", [])
            if types.get(key) == category and cuboids:
                count += len(cuboids)
    return count


def measure(binary, data, work, threads, only):
    """Runs prelabel on every data set; returns the rows and prints the prelabel's lines."""
    global BINARY
    BINARY = binary
    if os.path.exists(work):
        shutil.rmtree(work)
    os.makedirs(os.path.join(work, "out"))
    rows, failed = [], []
    started = time.monotonic()
    for name, make in data_sets(data):
        if only and name not in only:
            continue
        begun = time.monotonic()
        path, extra = make(work)
        out = os.path.join(work, "out", name)
        command = [binary, "prelabel", path, "--out", out, "--score", "--no-previews"] + extra
        if threads:
            command += ["--threads", str(threads)]
        print(f"-- {name}", flush=True)
        result = subprocess.run(command, stdout=subprocess.PIPE, text=True)
        sys.stdout.write(result.stdout)
        if result.returncode != 0:
            print(f"FAIL: {name}: {' '.join(command)} exited {result.returncode}", flush=True)
            failed.append(name)
            continue
        with open(os.path.join(out, "score.json")) as file:
            score = json.load(file)
        rows += rows_from_score(name, score, count_boxes(out, "Truck"))
        print(f"   ({time.monotonic() - begun:.1f} s)", flush=True)
    print(f"-- scoreboard measured in {time.monotonic() - started:.1f} s", flush=True)
    return rows, failed


# ---------------------------------------------------------------- the file


def read_rows(path):
    with open(path) as file:
        lines = [line for line in file if not line.startswith("#")]
    return list(csv.DictReader(lines))


def write_rows(path, rows, header=HEADER):
    text = io.StringIO()
    text.write(header)
    writer = csv.DictWriter(text, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    temporary = path + ".tmp"
    with open(temporary, "w") as file:
        file.write(text.getvalue())
    os.replace(temporary, path)


def number(text):
    return None if text in ("n/a", "") else float(text)


def compare(file_rows, measured_rows, tolerance=TOLERANCE):
    """(failures, hints, new): lines naming data set, class, figure, file value and measured value.
    A gated figure more than `tolerance` below the file, a file row not measured, or a gated figure
    that became undefined fails; any figure more than `tolerance` above the file is a hint."""
    measured = {(r["dataset"], r["class"], r["figure"]): r for r in measured_rows}
    known = set()
    failures, hints = [], []
    for r in file_rows:
        key = (r["dataset"], r["class"], r["figure"])
        known.add(key)
        label = f"{r['dataset']} {r['class']} {r['figure']}: file {r['value']}"
        if key not in measured:
            failures.append(label + ", not measured")
            continue
        was, now = number(r["value"]), number(measured[key]["value"])
        label += f", measured {measured[key]['value']}"
        if r["figure"] in GATED:
            if was is not None and now is None:
                failures.append(label + " (undefined)")
            elif was is not None and now < was - tolerance - 1e-9:
                failures.append(label + f" ({now - was:+.4f})")
            elif now is not None and (was is None or now > was + tolerance + 1e-9):
                hints.append(label + (f" ({now - was:+.4f})" if was is not None else ""))
        elif r["figure"] == "idf1" and now is not None and (was is None or now > was + tolerance + 1e-9):
            hints.append(label + (f" ({now - was:+.4f})" if was is not None else ""))
    new = [f"{r['dataset']} {r['class']} {r['figure']}: measured {r['value']}"
           for r in measured_rows if (r["dataset"], r["class"], r["figure"]) not in known]
    return failures, hints, new


def check(file_path, measured_rows):
    failures, hints, new = compare(read_rows(file_path), measured_rows)
    for line in hints:
        print("raise the scoreboard: " + line)
    for line in new:
        print("not in the scoreboard yet: " + line)
    for line in failures:
        print("FAIL: " + line)
    if failures:
        print(f"scoreboard: {len(failures)} figure(s) more than {TOLERANCE} below {file_path} or not measured; "
              "a change that lowers them rewrites the file (--write) in a commit of its own that says why")
        return 1
    print(f"scoreboard: every gated figure within {TOLERANCE} of {file_path} or above "
          f"({sum(1 for r in measured_rows if r['gated'] == 'yes')} gated rows, {len(hints)} rose)")
    return 0


# ---------------------------------------------------------------- self-test


class CompareTests(unittest.TestCase):
    """The check on the committed file against itself, doctored: it must be able to fail."""

    def setUp(self):
        self.rows = read_rows(os.path.join(REPO, "Benchmarks", "scoreboard.csv"))
        self.gated = [r for r in self.rows if r["gated"] == "yes" and number(r["value"]) is not None]
        self.assertTrue(self.gated, "the committed scoreboard has no gated figure")

    def doctored(self, key, delta):
        return [dict(r, value=fmt(number(r["value"]) + delta)) if (r["dataset"], r["class"], r["figure"]) == key
                else dict(r) for r in self.rows]

    def key(self, r):
        return (r["dataset"], r["class"], r["figure"])

    def test_unchanged_passes(self):
        self.assertEqual(compare(self.rows, self.rows), ([], [], []))

    def test_every_gated_figure_fails_when_it_falls_by_003(self):
        for r in self.gated:
            failures, _, _ = compare(self.doctored(self.key(r), +0.03), self.rows)
            self.assertEqual(len(failures), 1, r)
            self.assertIn(f"{r['dataset']} {r['class']} {r['figure']}", failures[0])

    def test_a_fall_of_002_passes_and_a_rise_is_a_hint(self):
        r = self.gated[0]
        self.assertEqual(compare(self.doctored(self.key(r), +0.02), self.rows)[0], [])
        failures, hints, _ = compare(self.doctored(self.key(r), -0.05), self.rows)
        self.assertEqual((failures, len(hints)), ([], 1))

    def test_precision_is_gated(self):
        r = next(r for r in self.gated if r["figure"].startswith("precision"))
        self.assertEqual(len(compare(self.doctored(self.key(r), +0.05), self.rows)[0]), 1)

    def test_reported_figures_are_not_gated(self):
        for r in self.rows:
            if r["figure"] in REPORTED and number(r["value"]) is not None:
                self.assertEqual(compare(self.doctored(self.key(r), +5), self.rows)[0], [], r)

    def test_a_data_set_not_measured_fails(self):
        dataset = self.rows[-1]["dataset"]
        measured = [r for r in self.rows if r["dataset"] != dataset]
        failures, _, _ = compare(self.rows, measured)
        self.assertEqual(len(failures), sum(1 for r in self.rows if r["dataset"] == dataset))

    def test_a_gated_figure_becoming_undefined_fails(self):
        r = self.gated[0]
        measured = [dict(m, value="n/a") if m is r else m for m in self.rows]
        self.assertEqual(len(compare(self.rows, measured)[0]), 1)

    def test_main_check_exits_1_on_a_doctored_file(self):
        doctored = os.path.join(os.environ.get("TMPDIR", "/tmp"), f"cuboid-scoreboard-selftest-{os.getpid()}.csv")
        try:
            write_rows(doctored, self.doctored(self.key(self.gated[0]), +0.05))
            self.assertEqual(check(doctored, self.rows), 1)
            write_rows(doctored, self.rows)
            self.assertEqual(check(doctored, self.rows), 0)
        finally:
            os.remove(doctored)


# ---------------------------------------------------------------- command line


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("binary", nargs="?", help="the cuboid binary (release build)")
    action = parser.add_mutually_exclusive_group(required=True)
    action.add_argument("--check", metavar="FILE", help="re-measure and compare with FILE (exit 1 on a fall)")
    action.add_argument("--write", metavar="FILE", help="re-measure and rewrite FILE")
    action.add_argument("--self-test", action="store_true", help="test the comparison on the committed file")
    parser.add_argument("--measured", metavar="CSV", help="compare this saved measurement instead of running the binary")
    parser.add_argument("--measured-out", metavar="CSV", help="also save the measurement here")
    parser.add_argument("--data", default=os.path.join(REPO, "..", "shared", "data"), help="the shared data (default ../shared/data)")
    parser.add_argument("--work", default="/tmp/cuboid-scoreboard", help="scratch folder, emptied first (default /tmp/cuboid-scoreboard)")
    parser.add_argument("--threads", type=int, help="--threads for cuboid prelabel (default: all cores)")
    parser.add_argument("--only", help="comma-separated data sets to measure (development; --check then reports the others missing)")
    args = parser.parse_args()

    if args.self_test:
        suite = unittest.defaultTestLoader.loadTestsFromTestCase(CompareTests)
        return 0 if unittest.TextTestRunner(stream=sys.stdout, verbosity=1).run(suite).wasSuccessful() else 1
    failed = []
    if args.measured:
        measured = read_rows(args.measured)
    else:
        if not args.binary:
            parser.error("the cuboid binary is needed to measure (or give --measured)")
        measured, failed = measure(os.path.abspath(args.binary), os.path.abspath(args.data), os.path.abspath(args.work),
                           args.threads, set(args.only.split(",")) if args.only else None)
    if args.measured_out:
        write_rows(args.measured_out, measured)
    if args.write:
        if failed:
            print(f"scoreboard: not written, {', '.join(failed)} could not be measured")
            return 1
        write_rows(args.write, measured)
        print(f"scoreboard: wrote {len(measured)} rows to {args.write}")
        return 0
    status = check(args.check, measured)
    if failed:
        print(f"scoreboard: {', '.join(failed)} could not be measured")
        return 1
    return status


if __name__ == "__main__":
    sys.exit(main())
