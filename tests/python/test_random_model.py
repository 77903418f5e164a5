#!/usr/bin/python3
"""Random configurations through r128norm against a float64 numpy model of
SPEC sections 3 and 4, written from the SPEC and docs/ alone (neither lib/
nor the C reference of the gst-check tests is used).

Each case draws a stream (audio, tensor, packed RGB or gray video, YUV
video), its format, layout and size (from one sample to rows long enough
for the vector kernels), a configuration (variant, groups, stats,
momentum or time-constant, epsilon, strength, warmup, clip-sigma, running
values written before the start, the formats' default gamma and beta) and
one to three buffers (NaN and infinities in float input, constant
channels), then checks every output sample, the bytes no channel
describes, and the running values:
  float32/float64 output: 1e-5 relative (absolute below 1)
  float16 output: half an ulp of the exact value
  integer output: 1 LSB of the exact value rounded and saturated
  running values: 1e-6 relative

The model's conventions, beyond SPEC 3 (docs/library.md, docs/element.md):
  - a non-finite sample is output as a sample at the normalization mean m
    would be, m + s * (beta - m): beta at strength 1;
  - a channel is seeded by the first buffer that has finite samples of its
    own; a channel without finite samples in a buffer is normalized with
    its running values and not updated;
  - clip-sigma bounds are the running mean +- k * sqrt(running var + eps);
  - warmup and time-constant use the buffer's exact duration (frames /
    rate for audio, the buffer's duration for video and tensors).

  /usr/bin/python3 tests/python/test_random_model.py [seed] [cases]
"""
import sys

import gi
import numpy as np

from r128norm_run import Run, half_err, rel_err

gi.require_version("GstVideo", "1.0")
from gi.repository import GstVideo  # noqa: E402

FRAME_NS = 33_333_333
# numpy type, full scale (None: float, as it is)
TENSOR_TYPES = {"uint8": (np.uint8, 255.0), "int16": (np.int16, 32768.0),
                "uint16": (np.uint16, 65535.0), "float16": (np.float16, None),
                "float32": (np.float32, None)}
# numpy type, full scale (None: float), zero level
AUDIO_FORMATS = {"F32LE": (np.float32, None, 0), "F64LE": (np.float64, None, 0),
                 "S16LE": (np.int16, 32768.0, 0),
                 "S32LE": (np.int32, 2147483648.0, 0),
                 "U8": (np.uint8, 128.0, 128)}
# memory order of the R, G, B channels; None: alpha or padding
PACKED = {"RGB": [0, 1, 2], "BGR": [2, 1, 0], "RGBA": [0, 1, 2, None],
          "BGRx": [2, 1, 0, None], "xRGB": [None, 0, 1, 2],
          "ABGR": [None, 2, 1, 0], "GRAY8": [0], "GRAY16_LE": [0]}
YUV = ["I420", "YV12", "NV12", "NV21", "Y444", "Y42B"]


# ---- the model ----------------------------------------------------------

def model(buffers, cfg):
    """buffers: list of (x, finite, counts, seconds): x (N, C) normalized
    float64 (0 where not finite), finite (N, C) bool, counts per channel
    (samples the channel has; rows past it are absent).  Returns the
    normalized outputs and the running mean and variance (NaN: unseeded)."""
    C = cfg["channels"]
    rm = cfg["seed_mean"].copy()
    rv = cfg["seed_var"].copy()
    eps, elapsed, outs = cfg["epsilon"], 0.0, []
    for x, finite, counts, seconds in buffers:
        seeded = ~np.isnan(rm)
        xc = x
        if cfg["clip_sigma"] > 0:
            spread = cfg["clip_sigma"] * np.sqrt(np.where(seeded, rv, 0) + eps)
            lo = np.where(seeded, rm - spread, -np.inf)
            hi = np.where(seeded, rm + spread, np.inf)
            xc = np.clip(x, lo, hi)
        variant = cfg["variant"]
        if variant == "auto":
            variant = ("per-channel" if min(counts) >= cfg["min_samples"]
                       else "layer")
        groups = {"per-channel": C, "layer": 1, "group": cfg["groups"]}[variant]
        bm, bv, has = np.zeros(C), np.zeros(C), np.zeros(C, bool)
        for g in range(groups):
            members = slice(g * C // groups, (g + 1) * C // groups)
            values = xc[:, members][finite[:, members]]
            if values.size:
                bm[members], bv[members] = values.mean(), values.var()
                has[members] = True
        frame = has & (~seeded | (cfg["stats"] == "frame"))
        um = np.where(frame, bm, np.where(seeded, rm, 0.0))
        uv = np.where(frame, bv, np.where(seeded, rv, 0.0))
        s = cfg["strength"]
        if cfg["warmup"]:
            s *= min(1.0, elapsed / cfg["warmup"])
        gain = cfg["gamma"] / np.sqrt(uv + eps)
        gain = np.where(cfg["max_gain"] > 0, np.minimum(gain, cfg["max_gain"]), gain)
        y = (x - um) * gain + cfg["beta"]
        outs.append(np.where(finite, x + s * (y - x),
                             um + s * (cfg["beta"] - um)))
        m = cfg["momentum"]
        if cfg["time_constant"]:
            m = np.exp(-seconds / cfg["time_constant"])
        update = has & seeded & (cfg["stats"] != "frozen")
        rm = np.where(update, m * rm + (1 - m) * bm, rm)
        rv = np.where(update, m * rv + (1 - m) * bv, rv)
        first = has & ~seeded
        rm, rv = np.where(first, bm, rm), np.where(first, bv, rv)
        elapsed += seconds
    return outs, rm, rv


# ---- random streams -----------------------------------------------------

class Case:
    """One random stream.  The *_case() functions fill in: name, caps,
    out_caps (None: the element's output format is its input's), raw (the
    buffers pushed), model_in (what the model sees of each, see model()),
    duration (of a buffer, ns) and read(data, raw_in) -> a list of
    (samples, full scale or None, zero level): the output as (N, C), or
    one (N_c, 1) part per channel where channels differ in length."""

    def __init__(self, cfg):
        self.cfg = cfg
        self.out_caps = None
        self.raw, self.model_in = [], []


def channel_values(rng, n):
    kind = rng.integers(0, 3) if rng.random() < 0.2 else 0
    if kind == 0:
        return rng.standard_normal(n) * rng.uniform(0.01, 0.3) + rng.uniform(-0.3, 0.3)
    if kind == 1:
        return rng.uniform(0, 1, n)
    return np.full(n, rng.uniform(0, 1))        # a constant channel


def quantize(xn, dtype, scale, zero=0):
    if scale is None:
        return xn.astype(dtype)
    info = np.iinfo(dtype)
    return np.clip(np.rint(xn * scale + zero), info.min, info.max).astype(dtype)


def dequantize(a, scale, zero=0):
    return (a.astype(np.float64) - zero) / scale if scale else a.astype(np.float64)


def with_non_finite(rng, raw):
    if raw.dtype.kind == "f" and rng.random() < 0.2:
        for _ in range(rng.integers(1, 4)):
            raw[rng.integers(0, raw.shape[0]), rng.integers(0, raw.shape[1])] = \
                rng.choice([np.nan, np.inf, -np.inf])
    return raw


def add_model_input(case, raw, scale, zero, seconds):
    x = dequantize(raw, scale, zero)
    finite = np.isfinite(x)
    case.model_in.append((np.where(finite, x, 0.0), finite,
                          [raw.shape[0]] * raw.shape[1], seconds))


def audio_case(rng, cfg):
    case = Case(cfg)
    C = cfg["channels"]
    fmt = str(rng.choice(list(AUDIO_FORMATS)))
    out_fmt = fmt if fmt.startswith("F") or rng.random() < 0.6 else "F32LE"
    interleaved = bool(rng.random() < 0.7)
    n = int(rng.choice([1, 2, 15, 17, 100, 480, 1025]))
    layout = "interleaved" if interleaved else "non-interleaved"
    case.caps = ("audio/x-raw,format=%s,layout=%s,rate=48000,channels=%d%s"
                 % (fmt, layout, C, ",channel-mask=(bitmask)0" if C > 2 else ""))
    if out_fmt != fmt:
        case.out_caps = case.caps.replace(fmt, out_fmt)
    case.name = "audio %s->%s %s C=%d N=%d" % (fmt, out_fmt, layout, C, n)
    format_defaults(cfg, "audio")
    dtype, scale, zero = AUDIO_FORMATS[fmt]
    out_dtype, out_scale, out_zero = AUDIO_FORMATS[out_fmt]
    case.duration = int(n * 1e9 / 48000)     # the element counts frames
    for _ in range(cfg["buffers"]):
        xn = np.stack([channel_values(rng, n) for _ in range(C)], axis=1)
        raw = with_non_finite(rng, quantize(xn, dtype, scale, zero))
        add_model_input(case, raw, scale, zero, n / 48000)
        case.raw.append(raw if interleaved else np.ascontiguousarray(raw.T))

    def read(data, _):
        a = np.frombuffer(data, out_dtype)
        a = a.reshape(n, C) if interleaved else a.reshape(C, n).T
        return [(a, out_scale, out_zero)]
    case.read = read
    return case


def tensor_case(rng, cfg):
    case = Case(cfg)
    C = cfg["channels"]
    in_type = str(rng.choice(list(TENSOR_TYPES)))
    out_type = str(rng.choice([in_type, in_type, "float32", "float16"]))
    layout = str(rng.choice(["hwc", "chw"]))
    w = int(rng.choice([1, 2, 7, 31, 64, 65, 129, 300]))
    h = int(rng.choice([1, 2, 3, 17]))
    if C > 16:
        w, h = min(w, 7), min(h, 3)
    dims = (C, w, h) if layout == "hwc" else (w, h, C)
    case.caps = ("other/tensors,format=static,num_tensors=1,types=%s,"
                 "dimensions=%d:%d:%d:1,framerate=30/1" % ((in_type,) + dims))
    if out_type != in_type:
        case.out_caps = "other/tensors,types=%s" % out_type
    cfg["props"]["tensor-layout"] = layout
    format_defaults(cfg, "tensor")
    case.name = "tensor %s->%s %s C=%d W=%d H=%d" % (in_type, out_type,
                                                      layout, C, w, h)
    dtype, scale = TENSOR_TYPES[in_type]
    out_dtype, out_scale = TENSOR_TYPES[out_type]
    case.duration = FRAME_NS
    n = w * h
    for _ in range(cfg["buffers"]):
        xn = np.stack([channel_values(rng, n) for _ in range(C)], axis=1)
        raw = with_non_finite(rng, quantize(xn, dtype, scale))
        add_model_input(case, raw, scale, 0, FRAME_NS / 1e9)
        case.raw.append(raw if layout == "hwc" else np.ascontiguousarray(raw.T))

    def read(data, _):
        a = np.frombuffer(data, out_dtype)
        a = a.reshape(n, C) if layout == "hwc" else a.reshape(C, n).T
        return [(a, out_scale, 0)]
    case.read = read
    return case


def packed_video_case(rng, cfg):
    """RGB family and gray, GStreamer's rows padded to 4 bytes; alpha and
    padding bytes random, and they must come out unchanged."""
    case = Case(cfg)
    C = cfg["channels"]
    fmt = str(rng.choice([f for f in PACKED if (f.startswith("GRAY")) == (C == 1)]))
    order = PACKED[fmt]
    w = int(rng.choice([1, 2, 5, 33, 64, 67, 130]))
    h = int(rng.choice([1, 2, 3, 9]))
    to_tensor = bool(rng.random() < 0.3)
    case.caps = "video/x-raw,format=%s,width=%d,height=%d,framerate=30/1" % (fmt, w, h)
    if to_tensor:
        case.out_caps = "other/tensors,types=float32"
    case.name = "video %s%s W=%d H=%d" % (fmt, "->float32" if to_tensor else "", w, h)
    format_defaults(cfg, "tensor" if to_tensor else "video")
    dtype, scale = (np.uint16, 65535.0) if fmt == "GRAY16_LE" else (np.uint8, 255.0)
    size = np.dtype(dtype).itemsize
    row = w * len(order) * size
    stride = (row + 3) & ~3
    case.duration = FRAME_NS
    for _ in range(cfg["buffers"]):
        xn = np.stack([channel_values(rng, w * h) for _ in range(C)], axis=1)
        raw = quantize(np.clip(xn, 0, 1), dtype, scale)
        add_model_input(case, raw, scale, 0, FRAME_NS / 1e9)
        pixels = rng.integers(0, 256, (w * h, len(order))).astype(dtype)
        for j, c in enumerate(order):
            if c is not None:
                pixels[:, j] = raw[:, c]
        image = rng.integers(0, 256, (h, stride)).astype(np.uint8)
        image[:, :row] = pixels.reshape(h, -1).view(np.uint8)
        case.raw.append(image)

    def read(data, raw_in):
        if to_tensor:
            return [(np.frombuffer(data, np.float32).reshape(w * h, C), None, 0)]
        image = np.frombuffer(data, np.uint8).reshape(h, stride)
        if not np.array_equal(image[:, row:], raw_in[:, row:]):
            raise AssertionError("row padding changed")
        pixels = image[:, :row].copy().view(dtype).reshape(w * h, len(order))
        before = raw_in[:, :row].copy().view(dtype).reshape(w * h, len(order))
        for j, c in enumerate(order):
            if c is None and not np.array_equal(pixels[:, j], before[:, j]):
                raise AssertionError("alpha or padding bytes changed")
        return [(np.stack([pixels[:, order.index(c)] for c in range(C)],
                          axis=1), scale, 0)]
    case.read = read
    return case


def yuv_case(rng, cfg):
    """Planar and semi-planar YUV, GStreamer's default layout; chroma
    planes have fewer samples, and no byte outside the components may
    change."""
    case = Case(cfg)
    fmt = str(rng.choice(YUV))
    w = int(rng.choice([1, 2, 3, 5, 33, 64, 67, 130]))
    h = int(rng.choice([1, 2, 3, 9]))
    info = GstVideo.VideoInfo.new()
    info.set_format(getattr(GstVideo.VideoFormat, fmt), w, h)
    fi = info.finfo
    comps = []
    for c in range(3):
        cw, ch = -((-w) >> fi.w_sub[c]), -((-h) >> fi.h_sub[c])
        comps.append((cw, ch, info.offset[fi.plane[c]] + fi.poffset[c],
                      info.stride[fi.plane[c]], fi.pixel_stride[c]))
    n = comps[0][0] * comps[0][1]

    def positions(c):
        cw, ch, offset, stride, step = comps[c]
        return np.concatenate([offset + r * stride + np.arange(cw) * step
                               for r in range(ch)])
    case.caps = "video/x-raw,format=%s,width=%d,height=%d,framerate=30/1" % (fmt, w, h)
    case.name = "video %s W=%d H=%d" % (fmt, w, h)
    format_defaults(cfg, "yuv")
    case.duration = FRAME_NS
    described = np.zeros(info.size, bool)
    for c in range(3):
        described[positions(c)] = True
    for _ in range(cfg["buffers"]):
        data = rng.integers(0, 256, info.size).astype(np.uint8)
        x = np.zeros((n, 3))
        finite = np.zeros((n, 3), bool)
        for c in range(3):
            k = comps[c][0] * comps[c][1]
            v = quantize(np.clip(channel_values(rng, k), 0, 1), np.uint8, 255.0)
            data[positions(c)] = v
            x[:k, c], finite[:k, c] = v / 255.0, True
        case.model_in.append((x, finite, [cw * ch for cw, ch, *_ in comps],
                              FRAME_NS / 1e9))
        case.raw.append(data)

    def read(data, raw_in):
        out = np.frombuffer(data, np.uint8)
        if not np.array_equal(out[~described], raw_in[~described]):
            raise AssertionError("bytes outside the components changed")
        return [(out[positions(c)][:, None], 255.0, 0) for c in range(3)]
    case.read = read
    return case


# ---- configurations and checks ------------------------------------------

def random_config(rng, family):
    C = {"audio": int(rng.choice([1, 2, 3, 5, 8, 12, 64])),
         "tensor": int(rng.choice([1, 2, 3, 4, 5, 8, 16, 64])),
         "video": 3, "yuv": 3}[family]
    cfg = {"channels": C, "buffers": int(rng.integers(1, 4)),
           "stats": str(rng.choice(["frame", "running", "frozen"])),
           "variant": str(rng.choice(["per-channel", "layer", "group", "auto"])),
           "momentum": float(rng.choice([0.0, 0.5, 0.95, 1.0])),
           "epsilon": float(rng.choice([1e-5, 1e-3])),
           "strength": float(rng.choice([1.0, 1.0, 0.5])),
           "min_samples": int(rng.choice([16, 1000])),
           "time_constant": float(rng.choice([0, 0, 0.02, 0.1])),
           "warmup": float(rng.choice([0, 0, 0, 0.015, 0.06])),
           "clip_sigma": float(rng.choice([0, 0, 0, 1.5, 3.0]))}
    return cfg


def finish_config(rng, cfg):
    """Settings that depend on the channel count, and the properties."""
    C = cfg["channels"]
    divisors = [g for g in range(1, C + 1) if C % g == 0]
    cfg["groups"] = int(rng.choice(divisors)) if cfg["variant"] == "group" else 1
    cfg["gamma"] = rng.uniform(0.05, 1.5, C)
    cfg["beta"] = rng.uniform(-0.5, 0.5, C)
    cfg["max_gain"] = np.zeros(C)
    one_value = rng.random() < 0.3
    if one_value:
        cfg["gamma"][:], cfg["beta"][:] = cfg["gamma"][0], cfg["beta"][0]
    cfg["format_defaults"] = rng.random() < 0.15
    cfg["seed_mean"], cfg["seed_var"] = np.full(C, np.nan), np.full(C, np.nan)
    props = {"stats": cfg["stats"], "variant": cfg["variant"],
             "groups": cfg["groups"], "momentum": cfg["momentum"],
             "epsilon": cfg["epsilon"], "strength": cfg["strength"],
             "min-samples": cfg["min_samples"],
             "time-constant": int(cfg["time_constant"] * 1e9),
             "warmup": int(cfg["warmup"] * 1e9),
             "clip-sigma": cfg["clip_sigma"],
             "gamma": cfg["gamma"][:1] if one_value else cfg["gamma"],
             "beta": cfg["beta"][:1] if one_value else cfg["beta"]}
    if cfg["format_defaults"]:
        del props["gamma"], props["beta"]
    if rng.random() < 0.25:
        cfg["seed_mean"] = rng.uniform(0.0, 0.5, C)
        cfg["seed_var"] = rng.uniform(0.001, 0.05, C)
        props["running-mean"] = cfg["seed_mean"]
        props["running-var"] = cfg["seed_var"]
    cfg["props"].update(props)


def format_defaults(cfg, output):
    """Empty gamma and beta: the defaults of what leaves the element
    (SPEC 3), and YUV chroma's gain capped at 1 (docs/element.md)."""
    if not cfg["format_defaults"]:
        return
    gamma, beta = {"tensor": (1.0, 0.0), "video": (0.2, 0.5), "yuv": (0.2, 0.5),
                   "audio": (0.1, 0.0)}[output]
    cfg["gamma"][:], cfg["beta"][:] = gamma, beta
    if output == "yuv":
        cfg["max_gain"][1:] = 1.0


def make_case(rng):
    family = str(rng.choice(["audio", "tensor", "video", "yuv"]))
    cfg = random_config(rng, family)
    cfg["props"] = {}
    if family == "video":
        cfg["channels"] = 1 if rng.random() < 0.25 else 3   # gray or RGB
    finish_config(rng, cfg)
    make = {"audio": audio_case, "tensor": tensor_case,
            "video": packed_video_case, "yuv": yuv_case}[family]
    return make(rng, cfg)


def sample_error(got, ref, scale, zero):
    """(error, tolerance, unit) of output samples against the model."""
    if scale:
        info = np.iinfo(got.dtype)
        expected = np.clip(np.rint(ref * scale + zero), info.min, info.max)
        return float(np.max(np.abs(got - expected))), 1.0, " LSB"
    if got.dtype == np.float16:
        return half_err(got, ref), 0.5 + 1e-6, " half ulp"
    return rel_err(got, ref), 1e-5, ""


def check(case):
    """None when the element agrees with the model, else what differs."""
    cfg = case.cfg
    run = Run(case.caps, case.raw, cfg["props"], out_caps=case.out_caps,
              duration=case.duration)
    if run.errors:
        return "error: %s" % run.errors[0]
    if len(run.outputs) != len(case.raw):
        return "%d buffers out of %d" % (len(run.outputs), len(case.raw))
    outs, rm, rv = model(case.model_in, cfg)
    for b, (data, raw_in, ref) in enumerate(zip(run.outputs, case.raw, outs)):
        try:
            parts = case.read(data, raw_in)
        except AssertionError as e:
            return "buffer %d: %s" % (b, e)
        for c, (got, scale, zero) in enumerate(parts):
            columns = slice(None) if len(parts) == 1 else slice(c, c + 1)
            err, tol, unit = sample_error(got, ref[:len(got), columns], scale, zero)
            if not err <= tol:
                return "buffer %d: output off by %.3g%s (tolerance %g)" % (
                    b, err, unit, tol)
    seeded = ~np.isnan(rm)
    if not seeded.any():
        return None             # no running values yet: nothing to read
    if len(run.running_mean) != len(rm):
        return "running-mean has %d values, expected %d" % (
            len(run.running_mean), len(rm))
    for name, got, want, floor in (("mean", run.running_mean, rm, 1e-6),
                                   ("var", run.running_var, rv, 1e-12)):
        err = np.abs(got[seeded] - want[seeded]) / np.maximum(np.abs(want[seeded]), floor)
        if err.size and not err.max() <= 1e-6:
            return "running %s off by %.3g relative" % (name, err.max())
    return None


def describe(case):
    cfg = case.cfg
    keys = ("stats", "variant", "groups", "momentum", "time_constant",
            "epsilon", "strength", "warmup", "clip_sigma", "min_samples",
            "buffers")
    seeded = "running-mean" in cfg["props"]
    return "%s %s%s%s" % (case.name, " ".join("%s=%s" % (k, cfg[k]) for k in keys),
                          " seeded" if seeded else "",
                          " default-gamma-beta" if cfg["format_defaults"] else "")


def main():
    seed = int(sys.argv[1]) if len(sys.argv) > 1 else 20261127
    cases = int(sys.argv[2]) if len(sys.argv) > 2 else 2000
    rng = np.random.default_rng(seed)
    failed = 0
    for i in range(cases):
        case = make_case(rng)
        why = check(case)
        if why:
            failed += 1
            print("FAIL %d %s: %s" % (i, describe(case), why))
    print("seed %d: %d cases, %d failed" % (seed, cases, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
