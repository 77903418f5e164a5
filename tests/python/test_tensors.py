#!/usr/bin/python3
"""other/tensors through r128norm, checked against torch and numpy:
video in -> float32/float16 tensors out in hwc and chw, tensors in and out
of every type, float16 with float32-or-better arithmetic, caps errors."""
import sys

import numpy as np
import torch

from r128norm_run import Run, half_err, pack_rows, rel_err

RNG = np.random.default_rng(5)
EPS = 1e-5
results = []


def report(name, err, tol):
    ok = bool(err <= tol)
    results.append(ok)
    print("%-4s %-66s max err %.3g (tol %g)" % ("ok" if ok else "FAIL", name,
                                                err, tol))


def reference(x_norm, gamma, beta):
    """((x - mean) / sqrt(var + eps)) * gamma + beta per channel, x as
    (1, C, ...) in torch float64."""
    x = torch.tensor(x_norm, dtype=torch.float64)
    dims = tuple(range(2, x.dim()))
    mean = x.mean(dim=dims, keepdim=True)
    var = x.var(dim=dims, unbiased=False, keepdim=True)
    shape = (1, -1) + (1,) * len(dims)
    g = torch.tensor(gamma).view(shape)
    b = torch.tensor(beta).view(shape)
    return (((x - mean) / torch.sqrt(var + EPS)) * g + b).numpy()


def video_case(fmt, comps, rgb_index, layout, out_type, width=21, height=13):
    frame = RNG.integers(0, 256, (height, width, comps)).astype(np.uint8)
    channels = len(rgb_index)
    gamma = RNG.uniform(0.5, 2, channels)
    beta = RNG.uniform(-1, 1, channels)
    dims = ("%d:%d:%d:1" % (channels, width, height) if layout == "hwc"
            else "%d:%d:%d:1" % (width, height, channels))
    run = Run("video/x-raw,format=%s,width=%d,height=%d,framerate=30/1"
              % (fmt, width, height), [pack_rows(frame, comps)],
              {"stats": "frame", "tensor-layout": layout, "gamma": gamma,
               "beta": beta},
              out_caps="other/tensors,types=%s" % out_type)
    assert not run.errors, run.errors
    dtype = np.float32 if out_type == "float32" else np.float16
    out = np.frombuffer(run.outputs[0], dtype)
    check = out.size == channels * width * height
    report("%s -> %s %s: %d values" % (fmt, out_type, layout, out.size),
           0 if check else 1, 0)
    rgb = frame[..., rgb_index].astype(np.float64) / 255.0   # R, G, B order
    ref = reference(rgb.transpose(2, 0, 1)[None], gamma, beta)[0]   # C,H,W
    if layout == "hwc":
        out = out.reshape(height, width, channels).transpose(2, 0, 1)
    else:
        out = out.reshape(channels, height, width)
    if out_type == "float32":
        report("%s -> float32 %s equals torch, permuted" % (fmt, layout),
               rel_err(out, ref), 1e-5)
    else:
        report("%s -> float16 %s within half rounding (ulps)" % (fmt, layout),
               half_err(out, ref), 0.5 + 1e-6)


def gray16_case():
    width, height = 17, 9
    frame = RNG.integers(1000, 3000, (height, width, 1)).astype(np.uint16)
    run = Run("video/x-raw,format=GRAY16_LE,width=%d,height=%d,framerate=30/1"
              % (width, height), [pack_rows(frame, 2)], {"stats": "frame"},
              out_caps="other/tensors,types=float32")
    assert not run.errors, run.errors
    out = np.frombuffer(run.outputs[0], np.float32).reshape(1, height, width)
    ref = reference(frame.transpose(2, 0, 1)[None] / 65535.0, [1.0], [0.0])[0]
    report("GRAY16_LE -> float32 1:W:H:1, default gamma 1 beta 0",
           rel_err(out, ref), 1e-5)


def tensor_case(in_type, out_type, layout, channels=5, width=7, height=3):
    np_type = {"uint8": np.uint8, "int16": np.int16, "uint16": np.uint16,
               "float16": np.float16, "float32": np.float32}
    scale = {"uint8": 255.0, "int16": 32768.0, "uint16": 65535.0,
             "float16": 1.0, "float32": 1.0}[in_type]
    shape = (height, width, channels) if layout == "hwc" else (channels, height, width)
    if in_type.startswith("float"):
        data = (RNG.standard_normal(shape) * 3 + 100).astype(np_type[in_type])
    else:
        info = np.iinfo(np_type[in_type])
        data = RNG.integers(info.min, info.max, shape).astype(np_type[in_type])
    dims = ("%d:%d:%d:1" % (channels, width, height) if layout == "hwc"
            else "%d:%d:%d:1" % (width, height, channels))
    caps = ("other/tensors,format=static,num_tensors=1,types=%s,dimensions=%s,"
            "framerate=30/1" % (in_type, dims))
    run = Run(caps, [data], {"stats": "frame", "tensor-layout": layout},
              out_caps="other/tensors,types=%s" % out_type)
    assert not run.errors, run.errors
    out = np.frombuffer(run.outputs[0], np_type[out_type]).reshape(shape)
    x = data.astype(np.float64) / scale
    if layout == "hwc":
        x, out = x.transpose(2, 0, 1), out.transpose(2, 0, 1)
    ref = reference(x[None], np.ones(channels), np.zeros(channels))[0]
    name = "tensors %s -> %s %s C=%d" % (in_type, out_type, layout, channels)
    if out_type == "float32":
        report(name, rel_err(out, ref), 1e-5)
    elif out_type == "float16":
        report(name + " (half ulps)", half_err(out, ref), 0.5 + 1e-6)
    else:
        # integer out: z-scores saturate and round, within 1 LSB
        expected = np.clip(np.rint(ref * scale), np.iinfo(out.dtype).min,
                           np.iinfo(out.dtype).max)
        report(name + " (LSB)", float(np.max(np.abs(out - expected))), 1.0)


def float16_stats_case():
    """Mixed precision: half samples whose sum overflows half (and whose
    variance needs more than half's 11 bits) get exact statistics."""
    n = 4096
    data = (np.float16(1000.0) + RNG.integers(0, 8, n).astype(np.float16)
            * np.float16(0.5)).astype(np.float16)
    caps = ("other/tensors,format=static,num_tensors=1,types=float16,"
            "dimensions=1:%d:1:1,framerate=30/1" % n)
    run = Run(caps, [data], {"stats": "frame"},
              out_caps="other/tensors,types=float32")
    assert not run.errors, run.errors
    x = data.astype(np.float64)
    report("float16 in: running mean exact in double", abs(
        run.running_mean[0] - x.mean()) / x.mean(), 1e-12)
    report("float16 in: running var exact in double",
           abs(run.running_var[0] - x.var()) / x.var(), 1e-9)
    out = np.frombuffer(run.outputs[0], np.float32)
    report("float16 in -> float32 z-scores", rel_err(out, (x - x.mean())
                                                   / np.sqrt(x.var() + EPS)), 1e-5)


def half_edge_case():
    """float16 edge values in and out: subnormals, the largest half, -0,
    and non-finite samples that become beta."""
    values = np.array([6.0e-8, -6.0e-8, 6.1e-5, 65504, -65504, -0.0, 0.0, 1.0,
                       np.inf, np.nan, -np.inf, 3.0], np.float16)
    caps = ("other/tensors,format=static,num_tensors=1,types=float16,"
            "dimensions=1:%d:1:1,framerate=30/1" % values.size)
    run = Run(caps, [values], {"stats": "frame", "gamma": [0.25], "beta": [7.0]})
    assert not run.errors, run.errors
    out = np.frombuffer(run.outputs[0], np.float16)
    finite = np.isfinite(values)
    x = values[finite].astype(np.float64)
    ref = (x - x.mean()) / np.sqrt(x.var() + EPS) * 0.25 + 7.0
    report("float16 edge values normalized (half ulps)", half_err(out[finite], ref),
           0.5 + 1e-6)
    report("float16 Inf/NaN samples output as beta",
           float(np.max(np.abs(out[~finite].astype(np.float64) - 7.0))), 0.0)


def negotiation_case():
    run = Run("video/x-raw,format=I420,width=8,height=4,framerate=30/1",
              [bytes(48)], {}, out_caps="other/tensors,types=float32")
    said = any("other/tensors float32 or float16" in e for e in run.errors)
    report("I420 -> tensors refused with a message saying what is supported",
           0 if said else 1, 0)


def wide_tensor_case():
    """Feature vectors wider than video or audio: an embedding of 2048
    values normalized layer-wise as torch's LayerNorm with a weight and a
    bias per feature; 8 vectors of 4096 features a buffer per channel as
    BatchNorm1d in training mode; more channels than the limit refused
    with a message that names it."""
    n = 2048
    x = RNG.normal(3.0, 2.0, n).astype(np.float32)
    gamma = RNG.uniform(0.5, 2, n)
    beta = RNG.uniform(-1, 1, n)
    run = Run("other/tensors,format=static,num_tensors=1,types=float32,"
              "dimensions=%d,framerate=30/1" % n, [x],
              {"stats": "frame", "variant": "layer", "gamma": gamma,
               "beta": beta})
    assert not run.errors, run.errors
    out = np.frombuffer(run.outputs[0], np.float32)
    ref = torch.nn.functional.layer_norm(
        torch.tensor(x, dtype=torch.float64), (n,),
        torch.tensor(gamma), torch.tensor(beta), EPS).numpy()
    report("rank-1 float32 of %d features, layer: torch layer_norm" % n,
           rel_err(out, ref), 1e-5)

    c, batch = 4096, 8
    x = RNG.normal(0.0, 1.0, (batch, c)).astype(np.float32) \
        * RNG.uniform(0.1, 10, c).astype(np.float32)
    run = Run("other/tensors,format=static,num_tensors=1,types=float32,"
              "dimensions=(string)%d:%d,framerate=30/1" % (c, batch), [x],
              {"stats": "frame"})
    assert not run.errors, run.errors
    out = np.frombuffer(run.outputs[0], np.float32).reshape(batch, c)
    ref = torch.nn.functional.batch_norm(
        torch.tensor(x, dtype=torch.float64), None, None, training=True,
        eps=EPS).numpy()
    report("%d vectors of %d features, per channel: torch batch_norm"
           % (batch, c), rel_err(out, ref), 1e-5)

    run = Run("other/tensors,format=static,num_tensors=1,types=float32,"
              "dimensions=16385,framerate=30/1", [bytes(4 * 16385)], {})
    said = any("at most 16384 channels" in e and "16385" in e
               for e in run.errors)
    report("16385 channels refused with a message naming the limit",
           0 if said else 1, 0)


def main():
    for layout in ("hwc", "chw"):
        for out_type in ("float32", "float16"):
            video_case("RGB", 3, [0, 1, 2], layout, out_type)
        video_case("BGRx", 4, [2, 1, 0], layout, "float32")
        video_case("ARGB", 4, [1, 2, 3], layout, "float32")
        video_case("BGR", 3, [2, 1, 0], layout, "float32", 37, 5)
        video_case("RGBA", 4, [0, 1, 2], layout, "float16", 16, 16)
        # rows of more than 64 pixels, with a tail: the AVX-512 VBMI
        # kernel's steps of 64 samples, where the CPU has it
        video_case("BGRx", 4, [2, 1, 0], layout, "float16", 200, 6)
        video_case("RGB", 3, [0, 1, 2], layout, "float16", 129, 3)
    video_case("GRAY8", 1, [0], "hwc", "float32")
    video_case("GRAY8", 1, [0], "hwc", "float16", 150, 4)
    gray16_case()
    for layout in ("hwc", "chw"):
        for in_type in ("uint8", "int16", "uint16", "float16", "float32"):
            tensor_case(in_type, in_type, layout)
            if in_type != "float32":
                tensor_case(in_type, "float32", layout)
        tensor_case("uint8", "float16", layout, channels=3)
    tensor_case("float32", "float32", "hwc", channels=64, width=3, height=2)
    float16_stats_case()
    half_edge_case()
    wide_tensor_case()
    negotiation_case()
    failed = results.count(False)
    print("%d cases, %d failed" % (len(results), failed))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main())
