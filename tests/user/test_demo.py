#!/usr/bin/python3
"""The demo on a small input: it runs, writes two non-trivial PNGs, and every
number of its summary is what the saved bus messages give (recomputed here
independently of the demo's code)."""
import json
import math
import os
import re
import subprocess
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from png_check import check_png  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
FAILED = []


def check(cond, what):
    print("%s: %s" % ("ok" if cond else "FAIL", what))
    if not cond:
        FAILED.append(what)


def close(printed, value, decimals):
    return abs(printed - value) <= 0.5 * 10 ** -decimals + 1e-12


def main():
    out = tempfile.mkdtemp(prefix="r128norm-demo-test-")
    fps, seconds = 30, 2.0
    r = subprocess.run(
        ["/usr/bin/python3", os.path.join(SRC, "tools", "r128norm-demo"),
         "--out", out, "--seconds", str(seconds), "--size", "160x120",
         "--fps", str(fps)],
        capture_output=True, text=True, timeout=120)
    print(r.stdout)
    print(r.stderr, file=sys.stderr)
    check(r.returncode == 0, "demo exits 0")
    if r.returncode != 0:
        sys.exit(1)

    sheet = check_png(os.path.join(out, "demo-contact-sheet.png"))
    check_png(os.path.join(out, "demo-stats.png"))
    # The contact sheet's input column is darker than the outputs.
    w = sheet.shape[1]
    check(sheet[:, : w // 4].mean() < sheet[:, w // 4:].mean(),
          "contact sheet: the input column is the darkest")
    with open(os.path.join(out, "demo-video.stats")) as f:
        check("[r128norm]" in f.read(), "the frozen branch's stats-file")

    with open(os.path.join(out, "demo-messages.json")) as f:
        msgs = json.load(f)
    by = {}
    for m in msgs:
        by.setdefault(m["element"], []).append(m)
    for k in by:
        by[k].sort(key=lambda m: m["timestamp"])
    frames = int(round(seconds * fps))
    for b in ("frame", "running", "frozen"):
        check(len(by.get(b, [])) == frames,
              "%s: one message per frame (%d)" % (b, len(by.get(b, []))))
    check(len(by.get("audio", [])) >= int(seconds * 10),
          "audio: a message per 100 ms")

    lines = {m.group(1): m.group(2) for m in re.finditer(
        r"^((?:video|audio) \w+):\s+(.*)$", r.stdout, re.M)}
    num = r"(-?[\d.]+)"

    def video_line(label):
        m = re.match(r"mean R/G/B %s/%s/%s, spread %s, brightness range %s,"
                     r" flicker %s" % ((num,) * 6), lines.get(label, ""))
        check(m is not None, "summary has a '%s' line" % label)
        return [float(x) for x in m.groups()] if m else None

    def brightness(ms, field):
        return np.array([np.mean(m[field]) for m in ms])

    ms = by["running"]
    got = video_line("video in")
    if got:
        inp = np.array([m["mean"] for m in ms])
        want = list(inp.mean(axis=0)) + [
            np.mean([m["stddev"] for m in ms]),
            np.ptp(brightness(ms, "mean")),
            np.std(np.diff(brightness(ms, "mean")))]
        for i, (g, v) in enumerate(zip(got, want)):
            check(close(g, v, 4 if i == 5 else 3),
                  "video in field %d: printed %g, messages %g" % (i, g, v))
    for b in ("frame", "running", "frozen"):
        got = video_line("video " + b)
        if not got:
            continue
        ms = by[b]
        outp = np.array([m["out-mean"] for m in ms])
        want = list(outp.mean(axis=0)) + [
            np.mean([m["out-stddev"] for m in ms]),
            np.ptp(brightness(ms, "out-mean")),
            np.std(np.diff(brightness(ms, "out-mean")))]
        for i, (g, v) in enumerate(zip(got, want)):
            check(close(g, v, 4 if i == 5 else 3),
                  "video %s field %d: printed %g, messages %g" % (b, i, g,
                                                                  v))
    # What the element promises: frame output at beta 0.5 / gamma 0.2, and
    # the frame branch far steadier than the input.
    f = video_line("video frame")
    if f:
        check(all(abs(x - 0.5) < 0.01 for x in f[:3]),
              "stats=frame: every channel's output mean is 0.5")
        check(abs(f[3] - 0.2) < 0.01, "stats=frame: output spread 0.2")
        inp = video_line("video in")
        check(f[5] < inp[5] / 5, "stats=frame removes the flicker")

    am = by["audio"][1:]
    for label, mfield, sfield in (("audio in", "mean", "stddev"),
                                  ("audio out", "out-mean", "out-stddev")):
        m = re.match(r"mean L/R %s/%s, stddev L/R %s/%s \(%s dBFS\)"
                     % ((num,) * 5), lines.get(label, ""))
        check(m is not None, "summary has an '%s' line" % label)
        if not m:
            continue
        got = [float(x) for x in m.groups()]
        mean = np.mean([x[mfield] for x in am], axis=0)
        sd = np.mean([x[sfield] for x in am], axis=0)
        want = list(mean) + list(sd) + [20 * math.log10(sd[0])]
        for i, (g, v) in enumerate(zip(got, want)):
            check(close(g, v, 1 if i == 4 else 3),
                  "%s field %d: printed %g, messages %g" % (label, i, g, v))
    check(abs(float(lines["audio in"].split("mean L/R ")[1][:5]) - 0.1)
          < 0.005, "audio in: the DC offset 0.1 is seen")
    check(lines["audio out"].endswith("(-20.2 dBFS)"),
          "audio out: -20 dBFS RMS less epsilon's share (-20.2)")

    # The "what changed" line repeats numbers of the lines above.
    m = re.search(r"^what changed: +blue cast B-R %s -> %s \(running\), "
                  r"spread %s -> %s, flicker %s -> %s \(frame only\); "
                  r"audio DC %s -> %s, %s -> %s dBFS$" % ((num,) * 10),
                  r.stdout, re.M)
    check(m is not None, "summary has a 'what changed' line")
    if m:
        g = [float(x) for x in m.groups()]
        vi, vr = video_line("video in"), video_line("video running")
        vf = video_line("video frame")
        want = [vi[2] - vi[0], vr[2] - vr[0], vi[3], vr[3], vi[5], vf[5]]
        for i, (a, b) in enumerate(zip(g[:6], want)):
            check(abs(a - b) <= (0.00011 if i >= 4 else 0.0011),
                  "what changed field %d: %g vs %g" % (i, a, b))
        check(g[0] > 0.1 and abs(g[1]) < 0.02,
              "the blue cast is there before and gone after")
        ai = re.search(r"mean L/R %s/.*\(%s dBFS\)" % (num, num),
                       lines["audio in"]).groups()
        ao = re.search(r"mean L/R %s/.*\(%s dBFS\)" % (num, num),
                       lines["audio out"]).groups()
        check(g[6:] == [float(ai[0]), float(ao[0]), float(ai[1]),
                        float(ao[1])], "what changed: the audio numbers")

    if FAILED:
        print("%d checks failed" % len(FAILED))
        sys.exit(1)
    subprocess.run(["rm", "-rf", out])


if __name__ == "__main__":
    main()
