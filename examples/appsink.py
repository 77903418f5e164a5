#!/usr/bin/python3
"""appsink.py: r128norm inside a Python application (PyGObject).

A dim, low-contrast test picture goes through r128norm; the application
pulls every normalized frame from an appsink as a numpy array, reads the
element's running statistics (the running-mean / running-var properties)
and its bus messages, and changes a property while playing (strength from
1 to 0.5 halfway: the output moves halfway back towards the input).

  /usr/bin/python3 examples/appsink.py [FRAMES]      (default 60)

Prints one line per 10 frames and a last line "frames N mean R/G/B ...".
Needs Debian's python3-gi, python3-gst-1.0 and python3-numpy, and the
r128norm plugin where GStreamer finds it (installed, or GST_PLUGIN_PATH).
"""
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import numpy as np  # noqa: E402

WIDTH, HEIGHT = 160, 120


def main():
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 60
    Gst.init(None)
    pipeline = Gst.parse_launch(
        "videotestsrc num-buffers=%d pattern=smpte ! "
        "video/x-raw,format=RGB,width=%d,height=%d,framerate=30/1 ! "
        "videobalance brightness=-0.25 contrast=0.5 ! "
        "r128norm name=norm post-messages=true ! "
        "appsink name=sink sync=false max-buffers=4" % (frames, WIDTH,
                                                         HEIGHT))
    norm = pipeline.get_by_name("norm")
    sink = pipeline.get_by_name("sink")
    bus = pipeline.get_bus()
    pipeline.set_state(Gst.State.PLAYING)

    n = 0
    messages = 0
    means = []
    while True:
        sample = sink.emit("pull-sample")     # None at EOS
        if sample is None:
            break
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        # RGB rows of WIDTH * 3 bytes are padded to a multiple of 4
        stride = len(info.data) // HEIGHT
        rgb = np.frombuffer(info.data, np.uint8).reshape(
            HEIGHT, stride)[:, :WIDTH * 3].reshape(HEIGHT, WIDTH, 3)
        means.append(rgb.reshape(-1, 3).mean(axis=0) / 255.0)
        buf.unmap(info)
        n += 1

        # Messages wait on the bus until the application takes them.
        while True:
            msg = bus.pop_filtered(Gst.MessageType.ELEMENT |
                                   Gst.MessageType.ERROR)
            if msg is None:
                break
            if msg.type == Gst.MessageType.ERROR:
                err, _ = msg.parse_error()
                sys.exit("error: %s" % err.message)
            s = msg.get_structure()
            if s.get_name() == "r128norm":
                messages += 1

        if n == frames // 2:
            norm.set_property("strength", 0.5)
            print("frame %d: set strength=0.5" % n)
        if n % 10 == 0:
            rm = list(norm.get_property("running-mean"))
            rv = list(norm.get_property("running-var"))
            print("frame %3d: output mean R/G/B %s | running-mean %s | "
                  "running-stddev %s" % (
                      n, "/".join("%.3f" % v for v in means[-1]),
                      "/".join("%.3f" % v for v in rm),
                      "/".join("%.3f" % v ** 0.5 for v in rv)))

    pipeline.set_state(Gst.State.NULL)
    first = np.mean(means[1:frames // 2], axis=0)
    print("frames %d mean R/G/B %s (strength 1) %s (strength 0.5), "
          "%d r128norm messages" % (
              n, "/".join("%.3f" % v for v in first),
              "/".join("%.3f" % v for v in means[-1]), messages))


if __name__ == "__main__":
    main()
