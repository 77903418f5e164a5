#!/usr/bin/python3
"""r128norm against what users would otherwise pick, measured in one run:
GStreamer's videobalance and volume (via build/tools/r128norm-bench-peers,
a GstHarness loop with identity subtracted), PyTorch's BatchNorm2d in
training and eval mode (one thread), and FFmpeg's normalize filter (when
ffmpeg is installed; pipeline time minus the same pipeline with -vf null).
Prints each comparison beside the target of issue #6 with PASS/FAIL.

  /usr/bin/python3 tools/r128norm-bench-peers.py [--quick]

Run from the repository root after building; uses this build's plugin.
"""
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
BUILD = os.path.join(ROOT, "build")


def gst_elements(quick):
    env = dict(os.environ)
    env["GST_PLUGIN_SYSTEM_PATH_1_0"] = ""
    env["GST_PLUGIN_PATH_1_0"] = os.path.join(BUILD, "gst") + ":" + \
        subprocess.run(["pkg-config", "--variable=pluginsdir", "gstreamer-1.0"],
                       capture_output=True, text=True).stdout.strip()
    env["GST_REGISTRY_1_0"] = os.path.join(BUILD, "bench-registry.bin")
    out = subprocess.run([os.path.join(BUILD, "tools", "r128norm-bench-peers")]
                         + (["--quick"] if quick else []), env=env,
                         capture_output=True, text=True, check=True).stdout
    return {k: float(v) for k, v in (line.split() for line in out.splitlines())}


def torch_batchnorm(quick):
    import torch
    torch.set_num_threads(1)
    frames = [torch.rand(1, 3, 1080, 1920) for _ in range(8)]
    bn = torch.nn.BatchNorm2d(3)
    result = {}
    for mode in ("train", "eval"):
        bn.train(mode == "train")
        times = []
        with torch.no_grad():
            for _ in range(3 if quick else 7):
                t0 = time.perf_counter()
                for f in frames:
                    bn(f)
                times.append((time.perf_counter() - t0) / len(frames))
        result[mode] = statistics.median(times) * 1e3
    return result


def ffmpeg_normalize(quick):
    ffmpeg = shutil.which("ffmpeg")
    if not ffmpeg:
        return None
    import numpy as np
    rng = np.random.default_rng(1)
    with tempfile.TemporaryDirectory() as tmp:
        raw = os.path.join(tmp, "frames.rgba")
        with open(raw, "wb") as f:
            for _ in range(8):
                f.write(rng.integers(0, 256, 1920 * 1080 * 4, np.uint8).tobytes())
        loops = 2 if quick else 5
        frames = 8 * (loops + 1)

        def run(vf):
            t0 = time.perf_counter()
            subprocess.run([ffmpeg, "-v", "error", "-threads", "1",
                            "-filter_threads", "1", "-stream_loop", str(loops),
                            "-f", "rawvideo", "-pix_fmt", "rgba", "-s",
                            "1920x1080", "-i", raw, "-vf", vf, "-f", "null",
                            "-"], check=True)
            return time.perf_counter() - t0

        costs = [(run("normalize") - run("null")) / frames
                 for _ in range(3 if quick else 5)]
    return statistics.median(costs) * 1e3


def main():
    quick = "--quick" in sys.argv
    g = gst_elements(quick)
    t = torch_batchnorm(quick)
    ff = ffmpeg_normalize(quick)
    rows = []

    def row(what, ours, theirs, target, better="faster"):
        ratio = theirs / ours if ours > 0 else float("inf")
        ok = ratio >= target
        rows.append((what, ours, theirs, ratio, target, ok))

    for mode in ("frozen", "running", "frame"):
        row("1080p RGBA: videobalance / r128norm stats=%s" % mode,
            g["rgba1080/r128norm-%s" % mode], g["rgba1080/videobalance"], 10.0)
    if ff is not None:
        for mode in ("running", "frame"):
            row("1080p RGBA: FFmpeg normalize / r128norm stats=%s" % mode,
                g["rgba1080/r128norm-%s" % mode], ff, 10.0)
    row("3x1080x1920 f32: BatchNorm2d train / r128norm stats=frame",
        g["tensor3x1080x1920/r128norm-frame"], t["train"], 5.0)
    row("3x1080x1920 f32: BatchNorm2d eval / r128norm stats=frozen",
        g["tensor3x1080x1920/r128norm-frozen"], t["eval"], 1.0)
    row("4K RGBA stats=frame: n-threads=1 / n-threads=2 (2 cores)",
        g["rgba4k/r128norm-frame-2-threads"],
        g["rgba4k/r128norm-frame-1-thread"], 1.6)
    # not a row of issue #6: what a second core adds to plain copying here
    row("(also) 4K RGBA memcpy: 1 thread / 2 threads (this machine)",
        g["rgba4k/memcpy-2-threads"], g["rgba4k/memcpy"], 1.0)
    # nor this: frame mode's memory traffic alone (a read pass, then a
    # read and write pass in place), what the machine allows the 4K row
    row("(also) 4K RGBA frame mode's traffic without arithmetic: "
        "1 thread / 2 threads (this machine)",
        g["rgba4k/frame-traffic-2-threads"],
        g["rgba4k/frame-traffic-1-thread"], 1.0)
    row("48 kHz stereo f32 10 ms: volume / r128norm (needs >= 1/1.5)",
        g["audio10ms/r128norm-running"], g["audio10ms/volume"], 1 / 1.5)
    # not rows of issue #6: the same comparison frozen, and on S16
    row("(also) 48 kHz stereo f32 10 ms: volume / r128norm stats=frozen",
        g["audio10ms/r128norm-frozen"], g["audio10ms/volume"], 1 / 1.5)
    row("(also) 48 kHz stereo S16 10 ms: volume / r128norm",
        g["audio10ms-s16/r128norm-running"], g["audio10ms-s16/volume"],
        1 / 1.5)
    row("(also) 48 kHz stereo S16 10 ms: volume / r128norm stats=frozen",
        g["audio10ms-s16/r128norm-frozen"], g["audio10ms-s16/volume"],
        1 / 1.5)
    # and on the other two sample formats of audio (S32: a sound card's)
    for fmt, name in (("s32", "S32"), ("f64", "f64")):
        for mode, label in (("running", ""), ("frozen", " stats=frozen")):
            row("(also) 48 kHz stereo %s 10 ms: volume / r128norm%s"
                % (name, label), g["audio10ms-%s/r128norm-%s" % (fmt, mode)],
                g["audio10ms-%s/volume" % fmt], 1 / 1.5)
    # and mono F32 and S16 (a microphone): 10 ms, 480 samples
    for fmt, name in (("", "f32"), ("-s16", "S16")):
        for mode, label in (("running", ""), ("frozen", " stats=frozen")):
            row("(also) 48 kHz mono %s 10 ms: volume / r128norm%s"
                % (name, label), g["audio10ms-mono%s/r128norm-%s" % (fmt, mode)],
                g["audio10ms-mono%s/volume" % fmt], 1 / 1.5)
    # and non-interleaved stereo F32 (an AAC decoder's), which volume does
    # not take: against volume on the same samples interleaved
    for mode, label in (("running", ""), ("frozen", " stats=frozen")):
        row("(also) 48 kHz stereo f32 non-interleaved 10 ms: volume "
            "(interleaved) / r128norm%s" % label,
            g["audio10ms-planar/r128norm-%s" % mode],
            g["audio10ms/volume"], 1 / 1.5)

    print("| comparison | r128norm ms | peer ms | peer / r128norm | target | |")
    print("|---|--:|--:|--:|--:|---|")
    for what, ours, theirs, ratio, target, ok in rows:
        print("| %s | %.4g | %.4g | %.2f | >= %.2f | %s |"
              % (what, ours, theirs, ratio, target, "PASS" if ok else "FAIL"))
    if ff is None:
        print("| FFmpeg normalize | | | | | not installed (apt-get install ffmpeg) |")
    print()
    print("memcpy of the same bytes in the same run: RGBA frame %.3f ms, "
          "f32 tensor %.3f ms, audio buffer %.5f ms; harness overhead per "
          "buffer %.4f ms (subtracted)" % (
              g["rgba1080/memcpy"], g["tensor3x1080x1920/memcpy"],
              g["audio10ms/memcpy"], g["audio10ms/harness-overhead"]))
    return 0


if __name__ == "__main__":
    sys.exit(main())
