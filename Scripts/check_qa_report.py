#!/usr/bin/env python3
"""Checks a `cuboid qa` report folder: every page's images and links resolve inside the folder, every
picture is a PNG with a real size, no page loads anything from outside, and every miss and extra in
report.json has its pictures; every bird's-eye picture's overlay states its scale and the white scale
bar is drawn in the PNG where and as long as the overlay says (metres x pixels per metre); the tasker
pages list the findings costliest first (data-cost never rises; by frame: within each frame), each
with a link to its frame's page; then, when Chromium is installed, renders the index, each tasker
page (tall) and one frame page headless to PNG screenshots (in --screenshots DIR, default
REPORT_DIR-screenshots). Usage: check_qa_report.py REPORT_DIR [--screenshots DIR]"""
import glob
import json
import os
import re
import shutil
import struct
import subprocess
import sys
import zlib


def read_png(path):
    """(width, height, rows of RGB bytes) of an 8-bit RGB or RGBA, non-interlaced PNG."""
    data = open(path, "rb").read()
    position, chunks, header = 8, [], None
    while position < len(data):
        length, kind = struct.unpack(">I4s", data[position:position + 8])
        body = data[position + 8:position + 8 + length]
        if kind == b"IHDR":
            header = struct.unpack(">IIBBBBB", body)
        elif kind == b"IDAT":
            chunks.append(body)
        position += 12 + length
    width, height, depth, colour, _, _, interlace = header
    if depth != 8 or colour not in (2, 6) or interlace:
        return None
    channels = 3 if colour == 2 else 4
    raw = zlib.decompress(b"".join(chunks))
    stride = width * channels
    rows, previous = [], bytearray(stride)
    for y in range(height):
        kind = raw[y * (stride + 1)]
        line = bytearray(raw[y * (stride + 1) + 1:(y + 1) * (stride + 1)])
        for x in range(stride):
            a = line[x - channels] if x >= channels else 0
            b = previous[x]
            c = previous[x - channels] if x >= channels else 0
            if kind == 1:
                line[x] = (line[x] + a) & 255
            elif kind == 2:
                line[x] = (line[x] + b) & 255
            elif kind == 3:
                line[x] = (line[x] + (a + b) // 2) & 255
            elif kind == 4:
                p = a + b - c
                pa, pb, pc = abs(p - a), abs(p - b), abs(p - c)
                line[x] = (line[x] + (a if pa <= pb and pa <= pc else b if pb <= pc else c)) & 255
        rows.append(bytes(line) if channels == 3 else bytes(v for k, v in enumerate(line) if k % 4 != 3))
        previous = line
    return width, height, rows


args = [a for a in sys.argv[1:] if not a.startswith("--screenshots")]
folder = args[0]
screenshots = None
if "--screenshots" in sys.argv:
    screenshots = sys.argv[sys.argv.index("--screenshots") + 1]
    args.remove(screenshots)
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
# Scale bars: each overlay's bar, checked in its picture's pixels (white along the bar, and its length
# metres x pixels per metre).
scale_bars = 0
for page in pages:
    text = open(page, encoding="utf-8").read()
    for picture, svg in re.findall(r'<span class="bev"[^>]*><img src="([^"]+)"[^>]*>(<svg[^>]*>)', text):
        attributes = dict(re.findall(r'(data-[a-z0-9-]+)="([^"]+)"', svg))
        try:
            ppm, metres = float(attributes["data-pixels-per-metre"]), float(attributes["data-scale-metres"])
            x1, x2, y = float(attributes["data-scale-x1"]), float(attributes["data-scale-x2"]), float(attributes["data-scale-y"])
        except KeyError as missing:
            failures.append(f"{page}: {picture}: overlay without {missing}")
            continue
        if abs((x2 - x1) - metres * ppm) > 0.6:
            failures.append(f"{page}: {picture}: scale bar {x2 - x1:.1f} px for {metres} m at {ppm} px/m")
        if scale_bars < 8:  # decoding is slow in Python: the first 8 pictures
            decoded = read_png(os.path.join(folder, picture))
            if decoded:
                width, height, rows = decoded
                row = rows[int(round(y))]
                white = sum(1 for x in range(int(x1) + 1, int(x2) - 1) if row[3 * x:3 * x + 3] == b"\xff\xff\xff")
                if white < 0.95 * (int(x2) - int(x1) - 2):
                    failures.append(f"{page}: {picture}: the scale bar is not drawn at y {y} from {x1} to {x2} ({white} white pixels)")
        if re.search(r'class="scale"[^>]*>[0-9]+ m<', text) is None:
            failures.append(f"{page}: no scale bar label")
        scale_bars += 1
# Order: findings costliest first (within each frame when grouped by frame), each linked to its frame's page.
ordered = 0
for page in pages:
    if not os.path.basename(page).startswith("tasker-"):
        continue
    text = open(page, encoding="utf-8").read()
    body = text.split('id="doubtful"')[-1]
    groups = re.split(r'<h3 class="frame-group"', body)
    costs_seen = []
    for group in groups:
        costs = [float(c) for c in re.findall(r'class="finding"[^>]*data-cost="([0-9.]+)"', group)]
        if any(b > a + 1e-9 for a, b in zip(costs, costs[1:])):
            failures.append(f"{page}: findings not costliest first: {costs[:10]}")
        costs_seen += costs
        ordered += len(costs)
    for row in re.findall(r'<div class="finding".*?</div>\n', body, re.S):
        if "<img" in row and "full bird&#39;s-eye view" not in row and "full bird's-eye view" not in row:
            failures.append(f"{page}: a finding with pictures has no link to its frame's page")
            break
report = json.load(open(os.path.join(folder, "report.json")))
for tasker in report["taskers"]:
    for finding in tasker["findings"]:
        if finding["kind"] in ("missed", "extra") and not finding["pictures"]:
            failures.append(f"{tasker['name']}: {finding['message']} has no picture")
browser = shutil.which("chromium") or shutil.which("chromium-browser")
shots = []
if browser:
    out = screenshots or folder.rstrip("/") + "-screenshots"
    os.makedirs(out, exist_ok=True)
    frames = [p for p in pages if os.path.basename(p).startswith("frame-")]
    chosen = [(p, "1400,2400") for p in pages if not os.path.basename(p).startswith("frame-")]
    chosen = [(p, "1400,9000" if os.path.basename(p).startswith("tasker-") else size) for p, size in chosen] + [(p, "1400,1700") for p in frames[:1]]
    for page, size in chosen:
        shot = os.path.join(out, os.path.basename(page).replace(".html", ".png"))
        subprocess.run([browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", f"--window-size={size}",
                        f"--screenshot={shot}", "file://" + os.path.abspath(page)], check=True, capture_output=True, timeout=120)
        if not os.path.isfile(shot) or os.path.getsize(shot) < 1000:
            failures.append(f"{page}: Chromium made no screenshot")
        shots.append(shot)
for failure in failures:
    print("FAIL", failure)
findings = sum(len(t["findings"]) for t in report["taskers"])
print(f"{'FAIL' if failures else 'ok'} report {folder}: {len(pages)} pages, {images} images all resolving to PNGs, {findings} findings; "
      + f"{scale_bars} scale bars match their pictures, {ordered} findings costliest first; "
      + (f"Chromium screenshots: {', '.join(shots)}" if browser else "Chromium not installed, no screenshots"))
sys.exit(1 if failures else 0)
