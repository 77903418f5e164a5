#!/usr/bin/python3
"""r128norm-plot on a pipeline it runs and on saved gst-launch-1.0 -m output:
each writes a non-trivial PNG and counts the messages that are there."""
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from png_check import check_png  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
PLOT = os.path.join(SRC, "tools", "r128norm-plot")


def run(args, **kw):
    r = subprocess.run(args, capture_output=True, text=True, timeout=120,
                       **kw)
    print("$ %s\n%s%s" % (" ".join(args), r.stdout, r.stderr))
    assert r.returncode == 0, "exit status %d" % r.returncode
    return r.stdout


def main():
    tmp = tempfile.mkdtemp(prefix="r128norm-plot-test-")

    # 1. A pipeline: 100 buffers of 10 ms, messages every 100 ms -> 10;
    # post-messages is switched on by the tool.
    png = os.path.join(tmp, "pipeline.png")
    out = run(["/usr/bin/python3", PLOT, "-o", png,
               "audiotestsrc", "num-buffers=100", "samplesperbuffer=480",
               "wave=pink-noise", "volume=0.05", "!",
               "audio/x-raw,rate=48000,channels=2", "!", "r128norm", "!",
               "fakesink"])
    m = re.search(r"^r128norm0: (\d+) messages, (\d+) channels -> (.*)$",
                  out, re.M)
    assert m, "no summary line"
    assert int(m.group(1)) == 10, "expected 10 messages, got %s" % m.group(1)
    assert int(m.group(2)) == 2
    check_png(png, min_w=600, min_h=300)

    # 2. Saved gst-launch-1.0 -m output with two r128norm elements: one PNG
    # each, and the counts match the log.
    log = os.path.join(tmp, "run.log")
    with open(log, "w") as f:
        subprocess.run(
            ["gst-launch-1.0", "-m", "videotestsrc", "num-buffers=30",
             "pattern=ball", "!",
             "video/x-raw,format=I420,width=160,height=120,framerate=30/1",
             "!", "tee", "name=t",
             "t.", "!", "queue", "!", "r128norm", "name=fr", "stats=frame",
             "post-messages=true", "!", "fakesink",
             "t.", "!", "queue", "!", "r128norm", "name=ru",
             "post-messages=true", "interval=200000000", "!", "fakesink"],
            stdout=f, check=True, timeout=120)
    text = open(log).read()
    png = os.path.join(tmp, "log.png")
    out = run(["/usr/bin/python3", PLOT, "--log", log, "-o", png])
    for name in ("fr", "ru"):
        n = len(re.findall(r'from element "%s" \(element\): r128norm,' % name,
                           text))
        m = re.search(r"^%s: (\d+) messages, 3 channels -> (.*)$" % name,
                      out, re.M)
        assert m, "no summary line for %s" % name
        assert int(m.group(1)) == n and n > 0, (name, m.group(1), n)
        check_png(m.group(2), min_w=600, min_h=300)

    # --element picks one; standard input works.
    with open(log) as f:
        out = run(["/usr/bin/python3", PLOT, "--log", "-", "--element", "ru",
                   "-o", os.path.join(tmp, "ru.png")], stdin=f)
    assert out.startswith("ru: ") and out.count("\n") == 1, out
    check_png(os.path.join(tmp, "ru.png"), min_w=600, min_h=300)
    subprocess.run(["rm", "-rf", tmp])
    print("PASS")


if __name__ == "__main__":
    main()
