#!/usr/bin/python3
"""End to end: a PyTorch BatchNorm layer's statistics go into a pipeline
and come back.  Nothing is trained: a model is built with known running
statistics, saved, exported with tools/r128norm-torch-stats, streamed through
r128norm with the properties the tool prints, and compared with the model in
eval mode; then the stats-file is imported back into a state_dict."""
import os
import subprocess
import sys
import tempfile

import numpy as np
import torch

from r128norm_run import Gst, pack_rows, unpack_rows

HERE = os.path.dirname(os.path.abspath(__file__))
TOOL = os.path.join(HERE, "..", "..", "tools", "r128norm-torch-stats")
failures = 0


def check(ok, what):
    global failures
    print("%-4s %s" % ("ok" if ok else "FAIL", what))
    failures += not ok


def main():
    rng = np.random.default_rng(7)
    tmp = tempfile.mkdtemp()
    model = torch.nn.Sequential(torch.nn.Identity(), torch.nn.BatchNorm2d(3))
    bn = model[1]
    with torch.no_grad():
        bn.running_mean.copy_(torch.tensor([0.3, 0.4, 0.5]))
        bn.running_var.copy_(torch.tensor([0.02, 0.05, 0.08]))
        bn.weight.copy_(torch.tensor([0.15, 0.2, 0.1]))
        bn.bias.copy_(torch.tensor([0.5, 0.45, 0.55]))
    ckpt = os.path.join(tmp, "model.pt")
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, ckpt)
    stats = os.path.join(tmp, "bn.stats")

    bad = subprocess.run([sys.executable, TOOL, "export", ckpt, "--prefix",
                          "bn9.", "-o", stats], capture_output=True, text=True)
    check(bad.returncode != 0 and "1." in bad.stderr,
          "a wrong prefix is refused and the available prefixes are named")

    out = subprocess.run([sys.executable, TOOL, "export", ckpt, "--prefix",
                          "1.", "-o", stats], capture_output=True, text=True,
                         check=True)
    props = out.stdout.strip()
    check(props.startswith("r128norm stats=frozen"), "tool prints: " + props)

    width, height = 23, 11
    frame = rng.integers(0, 256, (height, width, 3)).astype(np.uint8)
    pipeline = Gst.parse_launch(
        'appsrc name=src format=time caps="video/x-raw,format=RGB,width=%d,'
        'height=%d,framerate=30/1" ! %s ! appsink name=sink sync=false'
        % (width, height, props))
    src, sink = pipeline.get_by_name("src"), pipeline.get_by_name("sink")
    pipeline.set_state(Gst.State.PLAYING)
    src.emit("push-buffer", Gst.Buffer.new_wrapped(pack_rows(frame, 3)))
    src.emit("end-of-stream")
    sample = sink.emit("pull-sample")
    buf = sample.get_buffer()
    ok, info = buf.map(Gst.MapFlags.READ)
    got = unpack_rows(bytes(info.data), height, width, 3, np.uint8)
    buf.unmap(info)
    pipeline.set_state(Gst.State.NULL)

    model.eval()
    with torch.no_grad():
        x = torch.tensor(frame.transpose(2, 0, 1)[None] / 255.0)
        ref = model.double()(x)[0].numpy().transpose(1, 2, 0)
    ref = np.clip(np.rint(ref * 255), 0, 255)
    err = np.max(np.abs(got.astype(np.float64) - ref))
    check(err <= 1, "stream output equals the model in eval mode (max err "
          "%g LSB)" % err)

    back = os.path.join(tmp, "back.pt")
    subprocess.run([sys.executable, TOOL, "import", stats, "-o", back,
                    "--gamma", "0.15,0.2,0.1", "--beta", "0.5,0.45,0.55"],
                   check=True)
    fresh = torch.nn.BatchNorm2d(3)
    fresh.load_state_dict(torch.load(back))
    for key in ("running_mean", "running_var", "weight", "bias"):
        same = torch.equal(getattr(fresh, key), getattr(bn, key).float())
        check(same, "import restores %s exactly" % key)
    print("%d failures" % failures)
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
