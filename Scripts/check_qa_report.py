#!/usr/bin/env python3
"""Checks a `cuboid qa` report folder: every page's images and links resolve inside the folder, every
picture is a PNG with a real size, no page loads anything from outside, and every miss and extra in
report.json has its pictures; then, when Chromium is installed, renders each page headless to a PNG
screenshot (beside the report, in DIR-screenshots/). Usage: check_qa_report.py REPORT_DIR"""
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys

folder = sys.argv[1]
failures = []
pages = sorted(glob.glob(os.path.join(folder, "*.html")))
images = 0
for page in pages:
    text = open(page, encoding="utf-8").read()
    if re.search(r"""(src|href)=["']?(https?:)?//""", text) or "<script" in text:
        failures.append(f"{page}: loads something from outside the folder")
    for kind, target in re.findall(r"""(src|href)="([^"#]+)\"""", text):
        path = os.path.join(folder, target)
        if not os.path.isfile(path):
            failures.append(f"{page}: broken {kind} {target}")
            continue
        if kind == "src":
            images += 1
            with open(path, "rb") as handle:
                head = handle.read(24)
            width, height = struct.unpack(">II", head[16:24]) if len(head) == 24 else (0, 0)
            if not head.startswith(b"\x89PNG\r\n\x1a\n") or width == 0 or height == 0:
                failures.append(f"{page}: {target} is not a PNG with a size")
report = json.load(open(os.path.join(folder, "report.json")))
for tasker in report["taskers"]:
    for finding in tasker["findings"]:
        if finding["kind"] in ("missed", "extra") and not finding["pictures"]:
            failures.append(f"{tasker['name']}: {finding['message']} has no picture")
browser = shutil.which("chromium") or shutil.which("chromium-browser")
shots = []
if browser:
    out = folder.rstrip("/") + "-screenshots"
    os.makedirs(out, exist_ok=True)
    for page in pages:
        shot = os.path.join(out, os.path.basename(page).replace(".html", ".png"))
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--window-size=1400,2400",
                        f"--screenshot={shot}", "file://" + os.path.abspath(page)], check=True, capture_output=True, timeout=120)
        if not os.path.isfile(shot) or os.path.getsize(shot) < 1000:
            failures.append(f"{page}: Chromium made no screenshot")
        shots.append(shot)
for failure in failures:
    print("FAIL", failure)
findings = sum(len(t["findings"]) for t in report["taskers"])
print(f"{'FAIL' if failures else 'ok'} report {folder}: {len(pages)} pages, {images} images all resolving to PNGs, {findings} findings; "
      + (f"Chromium screenshots: {', '.join(shots)}" if browser else "Chromium not installed, no screenshots"))
sys.exit(1 if failures else 0)
