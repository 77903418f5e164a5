#!/usr/bin/python3
"""n-threads: frames of 1 Mpixel or more are split into bands of rows that
several threads share; the output and the running statistics are the same
bits for every thread count (integer and float samples alike)."""
import sys

import numpy as np

from r128norm_run import Run

RNG = np.random.default_rng(3)
failures = 0


def check(ok, what):
    global failures
    print("%-4s %s" % ("ok" if ok else "FAIL", what))
    failures += not ok


def compare(name, caps, frames, props):
    runs = {}
    for threads in (1, 2, 3, 0):
        run = Run(caps, frames, dict(props, **{"n-threads": threads}))
        assert not run.errors, run.errors
        runs[threads] = run
    one = runs[1]
    for threads in (2, 3, 0):
        other = runs[threads]
        same = (one.outputs == other.outputs
                and np.array_equal(one.running_mean, other.running_mean)
                and np.array_equal(one.running_var, other.running_var))
        check(same, "%s: n-threads=%d gives the bits of n-threads=1" % (name, threads))
    check(one.outputs[0] != frames[0].tobytes(), "%s: the frames were normalized" % name)


def main():
    w, h = 1024, 1024
    rgba = [RNG.integers(0, 256, (h, w, 4), dtype=np.uint8) for _ in range(3)]
    for stats in ("frame", "running"):
        compare("RGBA %dx%d stats=%s" % (w, h, stats),
                "video/x-raw,format=RGBA,width=%d,height=%d,framerate=30/1" % (w, h),
                rgba, {"stats": stats})
    tensor = [(RNG.standard_normal((3, h, w)) * 5 + 50).astype(np.float32)
              for _ in range(3)]
    compare("float32 tensor 3x%dx%d chw stats=frame" % (h, w),
            "other/tensors,format=static,num_tensors=1,types=float32,"
            "dimensions=%d:%d:3:1,framerate=30/1" % (w, h),
            tensor, {"stats": "frame", "tensor-layout": "chw"})
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
