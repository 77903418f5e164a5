#!/usr/bin/python3
"""Conformance of r128norm with PyTorch's normalization layers.

Each case pushes data through appsrc ! r128norm ! appsink and computes the
same thing with torch in float64; it prints the case with its maximum error
and fails when any case is outside the SPEC's tolerance:
  float output: |out - ref| <= 1e-5 * max(1, |ref|)
  integer output: within 1 LSB of the reference rounded and saturated
  running statistics: 1e-6 relative (+1e-12 absolute)

  /usr/bin/python3 tests/python/test_torch_conformance.py [frame|frozen|running]

Conventions checked here (docs/conventions.md): PyTorch's momentum p is
r128norm's 1 - m; PyTorch's running_var takes the unbiased batch variance
(n / (n - 1)), r128norm's the biased one; integer samples are in normalized
units (video u8 v/255, u16 v/65535, audio s16 v/32768).
"""
import sys

import numpy as np
import torch

from r128norm_run import Run, pack_rows, rel_err, unpack_rows

torch.set_num_threads(1)
RNG = np.random.default_rng(20261125)
EPS = 1e-5
FLOAT_TOL = 1e-5
STATS_TOL = 1e-6

results = []


def report(group, name, err, tol, unit=""):
    ok = bool(err <= tol)
    results.append(ok)
    print("%-4s %-8s %-58s max err %.3g%s (tol %g)"
          % ("ok" if ok else "FAIL", group, name, err, unit, tol))


def float_err(out, ref):
    assert np.shape(out) == np.shape(ref), (np.shape(out), np.shape(ref))
    return rel_err(out, ref)


def lsb_err(out, ref_normalized, scale, lo, hi):
    ref = np.clip(np.rint(np.asarray(ref_normalized) * scale), lo, hi)
    return float(np.max(np.abs(np.asarray(out, np.float64) - ref)))


def audio_caps(fmt, channels):
    return ("audio/x-raw,format=%s,layout=interleaved,rate=48000,channels=%d"
            % (fmt, channels))


def random_audio(frames, channels, kind="random"):
    t = np.arange(frames)[:, None]
    offsets = RNG.uniform(-0.5, 0.5, channels)
    scales = RNG.uniform(0.01, 0.3, channels)
    if kind == "sine":
        freqs = RNG.uniform(0.001, 0.2, channels)
        x = np.sin(2 * np.pi * freqs * t) * scales + offsets
    else:
        x = RNG.standard_normal((frames, channels)) * scales + offsets
    return x


def torch_layer(layer, x_nct, weight=None, bias=None, train=True):
    """Apply a torch normalization layer in float64 to (1, C, ...)."""
    layer = layer.double()
    with torch.no_grad():
        if weight is not None and getattr(layer, "weight", None) is not None:
            layer.weight.copy_(torch.tensor(weight))
            layer.bias.copy_(torch.tensor(bias))
        layer.train(train)
        return layer(torch.tensor(x_nct, dtype=torch.float64)).numpy()


def affine(channels):
    return (RNG.uniform(0.5, 2.0, channels), RNG.uniform(-1.0, 1.0, channels))


# ---- stats=frame: training-mode layers on one buffer ---------------------

def frame_audio_layer(name, make_layer, channels, frames, fmt="F32LE",
                      variant="per-channel", groups=1, out_fmt=None,
                      use_affine=True, kind="random"):
    x = random_audio(frames, channels, kind)
    if fmt == "F32LE":
        data = x.astype(np.float32)
        xn = data.astype(np.float64)
    elif fmt == "F64LE":
        data = x
        xn = data
    else:  # S16LE
        data = np.clip(np.rint(x * 32768 * 0.5), -32768, 32767).astype(np.int16)
        xn = data / 32768.0
    w, b = affine(channels) if use_affine else (np.ones(channels),
                                                np.zeros(channels))
    run = Run(audio_caps(fmt, channels), [data],
              {"stats": "frame", "variant": variant, "groups": groups,
               "gamma": w, "beta": b, "epsilon": EPS},
              out_caps=audio_caps(out_fmt, channels) if out_fmt else None)
    assert not run.errors, run.errors
    out_dtype = {"F32LE": np.float32, "F64LE": np.float64}[out_fmt or fmt]
    out = np.frombuffer(run.outputs[0], out_dtype).reshape(frames, channels)
    ref = torch_layer(make_layer(channels), xn.T[None], w, b)[0].T
    report("frame", "%s %s C=%d T=%d" % (name, fmt + ("->" + out_fmt if out_fmt else ""),
                                         channels, frames),
           float_err(out, ref), FLOAT_TOL)


def frame_video(name, fmt, make_layer, width, height, variant="per-channel"):
    spec = {"GRAY8": (1, 1, np.uint8, 255.0), "GRAY16_LE": (1, 1, np.uint16, 65535.0),
            "RGB": (3, 3, np.uint8, 255.0), "RGBA": (4, 3, np.uint8, 255.0)}
    comps, channels, dtype, scale = spec[fmt]
    # a dim, low-contrast picture with some structure
    yy, xx = np.mgrid[0:height, 0:width]
    base = (np.sin(xx / 3.0)[..., None] * 0.1 + yy[..., None] / height * 0.2
            + RNG.uniform(0, 0.05, (height, width, comps)) + 0.1)
    frame = np.clip(np.rint(base * scale), 0, scale).astype(dtype)
    if comps == 4:
        frame[..., 3] = RNG.integers(0, 256, (height, width))
    w, b = RNG.uniform(0.1, 0.2, channels), RNG.uniform(0.4, 0.6, channels)
    caps = "video/x-raw,format=%s,width=%d,height=%d,framerate=30/1" % (fmt, width, height)
    run = Run(caps, [pack_rows(frame, comps * np.dtype(dtype).itemsize)],
              {"stats": "frame", "variant": variant, "gamma": w, "beta": b,
               "epsilon": EPS})
    assert not run.errors, run.errors
    out = unpack_rows(run.outputs[0], height, width, comps, dtype)
    xn = frame[..., :channels].astype(np.float64) / scale
    ref = torch_layer(make_layer(channels), xn.transpose(2, 0, 1)[None], w, b)[0]
    ref = ref.transpose(1, 2, 0)
    err = lsb_err(out[..., :channels], ref, scale, 0, scale)
    if comps == 4:
        alpha_changed = int(np.count_nonzero(out[..., 3] != frame[..., 3]))
        report("frame", "%s %s alpha untouched (bytes changed)" % (name, fmt),
               alpha_changed, 0)
    report("frame", "%s %s %dx%d" % (name, fmt, width, height), err, 1.0, " LSB")


def frame_cases():
    bn1 = lambda c: torch.nn.BatchNorm1d(c, eps=EPS)
    inorm = lambda c: torch.nn.InstanceNorm1d(c, eps=EPS, affine=True)
    for channels, frames in [(1, 480), (3, 479), (4, 1001), (6, 480), (64, 97)]:
        frame_audio_layer("BatchNorm1d", bn1, channels, frames)
    frame_audio_layer("BatchNorm1d sine", bn1, 6, 4801, kind="sine")
    for channels, frames in [(3, 480), (64, 33)]:
        frame_audio_layer("InstanceNorm1d", inorm, channels, frames)
    frame_audio_layer("BatchNorm1d", bn1, 6, 480, fmt="F64LE")
    frame_audio_layer("BatchNorm1d", bn1, 3, 480, fmt="S16LE", out_fmt="F32LE")
    frame_audio_layer("BatchNorm1d", bn1, 1, 441, fmt="S16LE", out_fmt="F32LE")
    for channels, groups in [(6, 2), (6, 3), (64, 8), (4, 4)]:
        frame_audio_layer("GroupNorm(%d)" % groups,
                          lambda c, g=groups: torch.nn.GroupNorm(g, c, eps=EPS),
                          channels, 480, variant="group", groups=groups)
    frame_audio_layer("GroupNorm(1)", lambda c: torch.nn.GroupNorm(1, c, eps=EPS),
                      4, 480, variant="layer")
    frame_audio_layer("LayerNorm((C,T))",
                      lambda c: torch.nn.LayerNorm((c, 480), eps=EPS,
                                                   elementwise_affine=False),
                      6, 480, variant="layer", use_affine=False)
    bn2 = lambda c: torch.nn.BatchNorm2d(c, eps=EPS)
    frame_video("BatchNorm2d", "GRAY8", bn2, 37, 23)
    frame_video("BatchNorm2d", "RGB", bn2, 31, 17)
    frame_video("BatchNorm2d", "RGBA", bn2, 16, 9)
    frame_video("BatchNorm2d", "GRAY16_LE", bn2, 33, 21)
    frame_video("GroupNorm(1)", "RGB", lambda c: torch.nn.GroupNorm(1, c, eps=EPS),
                29, 15, variant="layer")


# ---- stats=frozen: eval-mode BatchNorm with loaded statistics -----------

def frozen_audio(channels, frames):
    x = random_audio(frames, channels).astype(np.float32)
    rm = RNG.uniform(-0.5, 0.5, channels)
    rv = RNG.uniform(0.001, 0.2, channels)
    w, b = affine(channels)
    run = Run(audio_caps("F32LE", channels), [x, x[::-1].copy()],
              {"stats": "frozen", "running-mean": rm, "running-var": rv,
               "gamma": w, "beta": b, "epsilon": EPS})
    assert not run.errors, run.errors
    layer = torch.nn.BatchNorm1d(channels, eps=EPS).double()
    with torch.no_grad():
        layer.running_mean.copy_(torch.tensor(rm))
        layer.running_var.copy_(torch.tensor(rv))
    for i, data in enumerate([x, x[::-1].copy()]):
        out = np.frombuffer(run.outputs[i], np.float32).reshape(frames, channels)
        ref = torch_layer(layer, data.astype(np.float64).T[None], w, b,
                          train=False)[0].T
        report("frozen", "BatchNorm1d eval F32LE C=%d T=%d buffer %d"
               % (channels, frames, i), float_err(out, ref), FLOAT_TOL)
    report("frozen", "running values unchanged C=%d" % channels,
           float(np.max(np.abs(run.running_mean - rm))
                 + np.max(np.abs(run.running_var - rv))), 0.0)


def frozen_video(width, height):
    frame = RNG.integers(20, 120, (height, width, 3)).astype(np.uint8)
    rm = RNG.uniform(0.1, 0.4, 3)
    rv = RNG.uniform(0.01, 0.05, 3)
    w, b = RNG.uniform(0.1, 0.2, 3), RNG.uniform(0.4, 0.6, 3)
    caps = "video/x-raw,format=RGB,width=%d,height=%d,framerate=30/1" % (width, height)
    run = Run(caps, [pack_rows(frame, 3)],
              {"stats": "frozen", "running-mean": rm, "running-var": rv,
               "gamma": w, "beta": b, "epsilon": EPS})
    assert not run.errors, run.errors
    out = unpack_rows(run.outputs[0], height, width, 3, np.uint8)
    layer = torch.nn.BatchNorm2d(3, eps=EPS).double()
    with torch.no_grad():
        layer.running_mean.copy_(torch.tensor(rm))
        layer.running_var.copy_(torch.tensor(rv))
    xn = frame.astype(np.float64).transpose(2, 0, 1)[None] / 255.0
    ref = torch_layer(layer, xn, w, b, train=False)[0].transpose(1, 2, 0)
    report("frozen", "BatchNorm2d eval RGB %dx%d" % (width, height),
           lsb_err(out, ref, 255.0, 0, 255), 1.0, " LSB")


def frozen_cases():
    for channels, frames in [(1, 480), (3, 257), (6, 480), (64, 65)]:
        frozen_audio(channels, frames)
    frozen_video(31, 17)


# ---- running statistics after a sequence of buffers ---------------------

def running_audio(channels, frames, buffers, torch_momentum):
    m = 1.0 - torch_momentum
    data = [random_audio(frames, channels).astype(np.float32) for _ in range(buffers)]
    # seed with PyTorch's initial values so both start from the same place
    run = Run(audio_caps("F32LE", channels), data,
              {"stats": "frame", "momentum": m, "gamma": [1.0], "beta": [0.0],
               "running-mean": np.zeros(channels),
               "running-var": np.ones(channels), "epsilon": EPS})
    assert not run.errors, run.errors
    layer = torch.nn.BatchNorm1d(channels, eps=EPS, momentum=torch_momentum,
                                 affine=False).double()
    layer.train()
    with torch.no_grad():
        for x in data:
            layer(torch.tensor(x.astype(np.float64).T[None]))
    tm = layer.running_mean.numpy()
    tv = layer.running_var.numpy()
    n = frames
    mean_err = float(np.max(np.abs(run.running_mean - tm)
                            / (np.abs(tm) + 1e-12 / STATS_TOL)))
    # PyTorch folds in var * n/(n-1); r128norm the biased var.  With a
    # constant n both are geometric sums of the same batch variances:
    #   torch_var - m^K = n/(n-1) * (r128norm_var - m^K)
    decay = m ** buffers
    expected = decay + (run.running_var - decay) * n / (n - 1)
    var_err = float(np.max(np.abs(expected - tv) / (np.abs(tv) + 1e-12 / STATS_TOL)))
    report("running", "running_mean after %d buffers, p=%g C=%d"
           % (buffers, torch_momentum, channels), mean_err, STATS_TOL)
    report("running", "running_var (n/(n-1) mapped) after %d buffers C=%d"
           % (buffers, channels), var_err, STATS_TOL)


def running_video(width, height, buffers, torch_momentum):
    m = 1.0 - torch_momentum
    frames = [RNG.integers(0, 256, (height, width, 3)).astype(np.uint8)
              for _ in range(buffers)]
    caps = "video/x-raw,format=RGB,width=%d,height=%d,framerate=30/1" % (width, height)
    run = Run(caps, [pack_rows(f, 3) for f in frames],
              {"stats": "frame", "momentum": m, "running-mean": np.zeros(3),
               "running-var": np.ones(3), "epsilon": EPS})
    assert not run.errors, run.errors
    layer = torch.nn.BatchNorm2d(3, eps=EPS, momentum=torch_momentum,
                                 affine=False).double()
    layer.train()
    with torch.no_grad():
        for f in frames:
            layer(torch.tensor(f.astype(np.float64).transpose(2, 0, 1)[None] / 255.0))
    n = width * height
    decay = m ** buffers
    expected = decay + (run.running_var - decay) * n / (n - 1)
    tm, tv = layer.running_mean.numpy(), layer.running_var.numpy()
    report("running", "BatchNorm2d running_mean RGB %dx%d x%d" % (width, height, buffers),
           float(np.max(np.abs(run.running_mean - tm) / np.abs(tm))), STATS_TOL)
    report("running", "BatchNorm2d running_var RGB %dx%d x%d" % (width, height, buffers),
           float(np.max(np.abs(expected - tv) / np.abs(tv))), STATS_TOL)


def running_cases():
    running_audio(4, 480, 10, 0.1)
    running_audio(64, 97, 7, 0.01)
    running_audio(1, 33, 25, 0.5)
    running_video(31, 17, 5, 0.1)


GROUPS = {"frame": frame_cases, "frozen": frozen_cases, "running": running_cases}


def main(argv):
    names = argv[1:] or list(GROUPS)
    for name in names:
        GROUPS[name]()
    failed = results.count(False)
    print("%d cases, %d out of tolerance" % (len(results), failed))
    return 1 if failed or not results else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
