#!/usr/bin/python3
"""Make the pictures of docs/gallery.md (docs/images/gallery-*.png).

Each picture runs a pipeline from pipelines/ (or the variant it documents)
with a tee: one branch without r128norm, one or more through it, and grabs
the same frame from each.  The demo's pictures (demo-*.png) come from
scripts/demo.sh and are copied by --demo DIR.

  /usr/bin/python3 docs/gen-gallery.py [--out docs/images] [--demo out]

Run it against this checkout's build (as scripts/demo.sh does):
  GST_PLUGIN_SYSTEM_PATH_1_0= GST_PLUGIN_PATH_1_0=build/gst:$(pkg-config \\
    --variable=pluginsdir gstreamer-1.0) /usr/bin/python3 docs/gen-gallery.py
"""
import argparse
import os
import shutil
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import numpy as np  # noqa: E402

import matplotlib  # noqa: E402

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402

FRAME = 12  # which frame to show: after the running statistics settled


def grab(source, branches, frame=FRAME, width=320, height=None):
    """Run SOURCE (a gst-launch fragment ending in a video stream) into a
    tee; branch "input" shows it as it is, every (name, fragment) of
    BRANCHES goes through that fragment first.  Returns {name: RGB array}
    of frame number FRAME."""
    desc = source.replace("videotestsrc", "videotestsrc num-buffers=%d"
                          % (frame + 1)) + " ! tee name=t "
    names = ["input"] + [n for n, _ in branches]
    frags = [""] + [f + " ! " for _, f in branches]
    for n, f in zip(names, frags):
        desc += ("t. ! queue ! %s videoconvert ! video/x-raw,format=RGB ! "
                 "appsink name=%s sync=false " % (f, n))
    p = Gst.parse_launch(desc)
    got = {}

    def on_sample(sink, name):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        s = sample.get_caps().get_structure(0)
        w, h = s.get_value("width"), s.get_value("height")
        ok, info = buf.map(Gst.MapFlags.READ)
        stride = len(info.data) // h
        got[name] = np.frombuffer(info.data, np.uint8).reshape(
            h, stride)[:, :w * 3].reshape(h, w, 3).copy()
        buf.unmap(info)
        return Gst.FlowReturn.OK

    for n in names:
        sink = p.get_by_name(n)
        sink.set_property("emit-signals", True)
        sink.connect("new-sample", on_sample, n)
    run(p)
    return got


def run(p):
    bus = p.get_bus()
    p.set_state(Gst.State.PLAYING)
    msg = bus.timed_pop_filtered(120 * Gst.SECOND,
                                 Gst.MessageType.EOS | Gst.MessageType.ERROR)
    p.set_state(Gst.State.NULL)
    if msg is None or msg.type == Gst.MessageType.ERROR:
        err = msg.parse_error()[0].message if msg else "timeout"
        sys.exit("gen-gallery: %s" % err)


def panels(path, images, titles, caption):
    h, w = images[0].shape[:2]
    n = len(images)
    fig, axes = plt.subplots(1, n, figsize=(2.9 * n, 2.9 * h / w + 0.75))
    for ax, im, t in zip(np.atleast_1d(axes), images, titles):
        ax.imshow(im, interpolation="bilinear")
        ax.set_title(t, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.suptitle(caption, fontsize=9)
    fig.tight_layout()
    fig.savefig(path, dpi=90)
    plt.close(fig)
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def camera(out):
    src = ("videotestsrc pattern=smpte ! "
           "video/x-raw,width=320,height=180,format=RGBA,framerate=30/1 ! "
           "videobalance brightness=-0.35 contrast=0.4 hue=0.15 "
           "saturation=0.6")
    g = grab(src, [("after", "r128norm")])
    panels(os.path.join(out, "gallery-camera.png"),
           [g["input"], g["after"]],
           ["input: dim, low contrast, tinted", "r128norm (defaults)"],
           "pipelines/camera-auto-levels.sh: levels and white balance")


def thermal(out):
    src = ("videotestsrc pattern=ball foreground-color=0xff2a2a2a "
           "background-color=0xff202020 ! "
           "video/x-raw,format=GRAY16_LE,width=320,height=256,"
           "framerate=30/1")
    g = grab(src, [("after", "r128norm stats=running momentum=0.9")])
    panels(os.path.join(out, "gallery-thermal.png"),
           [g["input"], g["after"]],
           ["GRAY16 sensor values as they are", "r128norm in 16 bits"],
           "pipelines/thermal-gray16.sh: a narrow 16-bit band made visible")


def variants(out):
    # an orange veil over the picture: a warm colour cast
    caps = "video/x-raw,width=320,height=180,framerate=30/1"
    src = ("videotestsrc pattern=smpte ! %s ! veil.sink_0 "
           "videotestsrc pattern=solid-color foreground-color=0xffd08020 ! "
           "%s ! veil.sink_1 compositor name=veil sink_1::alpha=0.35 ! "
           "videoconvert ! video/x-raw,format=RGB ! "
           "videobalance brightness=-0.15 contrast=0.6" % (caps, caps))
    g = grab(src, [("per", "r128norm variant=per-channel"),
                   ("layer", "r128norm variant=layer")])
    panels(os.path.join(out, "gallery-variants.png"),
           [g["input"], g["per"], g["layer"]],
           ["input: dim, warm cast", "variant=per-channel",
            "variant=layer"],
           "per-channel levels R, G, B each (white balance too); "
           "layer shares one statistic (colours kept)")


def chroma(out):
    src = ("videotestsrc pattern=smpte ! "
           "video/x-raw,width=320,height=180,format=I420,framerate=30/1 ! "
           "videobalance brightness=-0.25 contrast=0.45 saturation=0.15")
    g = grab(src, [("default", "r128norm"),
                   ("gamma", 'r128norm gamma="<0.2>"')])
    panels(os.path.join(out, "gallery-yuv-chroma.png"),
           [g["input"], g["default"], g["gamma"]],
           ["I420 input: dim, nearly grey", "r128norm (default gamma)",
            'r128norm gamma="<0.2>"'],
           "YUV: by default chroma is recentred but never amplified; "
           "an explicit gamma amplifies it too")


def audio(out):
    """pipelines/microphone-dc-level.sh's signal, before and after."""
    desc = (
        "audiotestsrc num-buffers=20 freq=440 volume=0.02 "
        "samplesperbuffer=480 ! mix. "
        "audiotestsrc num-buffers=20 wave=square freq=0.01 volume=0.25 "
        "samplesperbuffer=480 ! mix. "
        "audiomixer name=mix ! audio/x-raw,format=S16LE,channels=1,"
        "rate=48000 ! tee name=t "
        "t. ! queue ! appsink name=input sync=false "
        "t. ! queue ! r128norm time-constant=2000000000 ! "
        "appsink name=after sync=false")
    p = Gst.parse_launch(desc)
    got = {"input": [], "after": []}

    def on_sample(sink, name):
        buf = sink.emit("pull-sample").get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        got[name].append(np.frombuffer(info.data, np.int16).copy())
        buf.unmap(info)
        return Gst.FlowReturn.OK

    for n in got:
        s = p.get_by_name(n)
        s.set_property("emit-signals", True)
        s.connect("new-sample", on_sample, n)
    run(p)
    x = np.concatenate(got["input"]) / 32768.0
    y = np.concatenate(got["after"]) / 32768.0
    t = np.arange(len(x)) / 48.0  # ms
    sel = (t >= 100) & (t < 120)
    fig, ax = plt.subplots(figsize=(6.4, 2.6))
    ax.plot(t[sel], x[sel], color="0.5",
            label="input: mean %.3f, RMS of the tone %.3f" % (
                x.mean(), x[sel].std()))
    ax.plot(t[sel], y[sel], color="tab:blue",
            label="r128norm: mean %.3f, RMS %.3f (about -20 dBFS)" % (
                y[sel].mean(), y[sel].std()))
    ax.axhline(0, color="0.8", lw=0.8)
    ax.set_xlabel("time (ms)")
    ax.set_ylabel("sample (full scale 1)")
    ax.set_title("pipelines/microphone-dc-level.sh: DC offset removed, "
                 "level set", fontsize=9)
    ax.legend(fontsize=7, loc="lower right")
    fig.tight_layout()
    path = os.path.join(out, "gallery-audio.png")
    fig.savefig(path, dpi=80)
    plt.close(fig)
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def plot(out):
    """tools/r128norm-plot on pink noise with a 1 s warmup."""
    import subprocess
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..",
                        "tools", "r128norm-plot")
    path = os.path.join(out, "gallery-plot.png")
    subprocess.run(
        [sys.executable, tool, "-o", path, "--title",
         "r128norm-plot: stereo pink noise, warmup=1s",
         "audiotestsrc", "num-buffers=150", "wave=pink-noise", "volume=0.1",
         "!", "audio/x-raw,channels=2,format=F32LE", "!",
         "r128norm", "warmup=1000000000", "!", "fakesink"],
        check=True, stdout=subprocess.DEVNULL)
    print("wrote %s (%d bytes)" % (path, os.path.getsize(path)))


def main():
    here = os.path.dirname(os.path.abspath(__file__))
    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--out", default=os.path.join(here, "images"))
    p.add_argument("--demo", help="copy demo-contact-sheet.png and "
                   "demo-stats.png from this directory (scripts/demo.sh "
                   "writes them to out/)")
    a = p.parse_args()
    Gst.init(None)
    if Gst.ElementFactory.find("r128norm") is None:
        sys.exit("gen-gallery: the r128norm element is not found")
    os.makedirs(a.out, exist_ok=True)
    for make in (camera, thermal, variants, chroma, audio, plot):
        make(a.out)
    if a.demo:
        for f in ("demo-contact-sheet.png", "demo-stats.png"):
            shutil.copy(os.path.join(a.demo, f), os.path.join(a.out, f))
            print("copied %s" % f)


if __name__ == "__main__":
    main()
