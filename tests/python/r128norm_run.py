"""Drive the r128norm element from Python: push numpy arrays through
appsrc ! r128norm ! appsink and get the output arrays and the running
statistics back.  Used by the PyTorch conformance suite and the tools.

Run with /usr/bin/python3 (Debian's python3-gi and python3-gst-1.0).
"""
import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import numpy as np  # noqa: E402

Gst.init(None)

SECOND = Gst.SECOND


def set_props(element, props):
    """Set properties from a dict; lists become GstValueArrays and strings
    are parsed the way gst-launch parses them (enum nicks, arrays)."""
    for name, value in (props or {}).items():
        if isinstance(value, (list, tuple, np.ndarray)):
            element.set_property(name, Gst.ValueArray([float(v) for v in value]))
        elif isinstance(value, str):
            Gst.util_set_object_arg(element, name, value)
        else:
            element.set_property(name, value)


class Run:
    """One pipeline run.  `outputs` holds one bytes object per buffer."""

    def __init__(self, caps, buffers, props=None, out_caps=None,
                 duration=None):
        desc = ('appsrc name=src format=time caps="%s" ! r128norm name=norm ! '
                % caps)
        if out_caps:
            desc += '%s ! ' % out_caps
        desc += 'appsink name=sink sync=false'
        self.pipeline = Gst.parse_launch(desc)
        self.norm = self.pipeline.get_by_name("norm")
        src = self.pipeline.get_by_name("src")
        sink = self.pipeline.get_by_name("sink")
        set_props(self.norm, props)
        self.errors = []
        self.messages = []

        self.pipeline.set_state(Gst.State.PLAYING)
        pts = 0
        for data in buffers:
            raw = data.tobytes() if hasattr(data, "tobytes") else bytes(data)
            buf = Gst.Buffer.new_wrapped(raw)
            buf.pts = pts
            if duration is not None:
                buf.duration = duration
                pts += duration
            src.emit("push-buffer", buf)
        src.emit("end-of-stream")

        self.outputs = []
        while True:
            sample = sink.emit("pull-sample")
            if sample is None:
                break
            buf = sample.get_buffer()
            ok, info = buf.map(Gst.MapFlags.READ)
            self.outputs.append(bytes(info.data))
            buf.unmap(info)

        bus = self.pipeline.get_bus()
        while True:
            msg = bus.pop()
            if msg is None:
                break
            if msg.type == Gst.MessageType.ERROR:
                self.errors.append(msg.parse_error()[0].message)
            elif msg.type == Gst.MessageType.ELEMENT and \
                    msg.get_structure().get_name() == "r128norm":
                self.messages.append(msg.get_structure())
        self.running_mean = np.array(list(self.norm.get_property("running-mean")))
        self.running_var = np.array(list(self.norm.get_property("running-var")))
        self.pipeline.set_state(Gst.State.NULL)


def rel_err(out, ref):
    """Largest error of float output: relative where |ref| > 1, absolute
    below (SPEC 3's 1e-5 for normalized output)."""
    out = np.asarray(out, np.float64)
    ref = np.asarray(ref, np.float64)
    return float(np.max(np.abs(out - ref) / np.maximum(1.0, np.abs(ref))))


def half_err(out, ref):
    """Largest error of float16 output in units of half's rounding step at
    the reference: a correctly rounded result is within 0.5."""
    ref = np.asarray(ref, np.float64)
    exp = np.floor(np.log2(np.maximum(np.abs(ref), 2.0 ** -14)))
    ulp = 2.0 ** (exp - 10)
    return float(np.max(np.abs(np.asarray(out, np.float64) - ref) / ulp))


def video_stride(width, bytes_per_pixel):
    """GStreamer's default row stride for packed formats: rounded up to 4."""
    return (width * bytes_per_pixel + 3) & ~3


def pack_rows(frame, bytes_per_pixel):
    """(H, W, C) array -> bytes with GStreamer's row padding."""
    h, w = frame.shape[:2]
    stride = video_stride(w, bytes_per_pixel)
    raw = frame.reshape(h, -1).view(np.uint8)
    out = np.zeros((h, stride), np.uint8)
    out[:, :raw.shape[1]] = raw
    return out.tobytes()


def unpack_rows(data, height, width, channels, dtype):
    itemsize = np.dtype(dtype).itemsize
    stride = video_stride(width, channels * itemsize)
    rows = np.frombuffer(data, np.uint8).reshape(height, stride)
    used = rows[:, :width * channels * itemsize].copy()
    return used.view(dtype).reshape(height, width, channels)
