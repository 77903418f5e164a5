#!/usr/bin/python3
"""Feed normalized camera frames to a PyTorch model, with no other element
between the camera and the model.

r128norm turns each RGB frame into a float32 CHW tensor normalized with
ImageNet's mean and std -- torchvision's ToTensor() + Normalize() -- in one
pass over the frame.  An appsink callback hands the tensor to a small model
defined here.  A second branch takes the raw frames and does the
torchvision-style preprocessing in torch, to show that the model sees
exactly that.

  /usr/bin/python3 pipelines/feed-model.py            # 30 frames
  /usr/bin/python3 pipelines/feed-model.py 5         # 5 frames
"""
import os
import sys

import gi

gi.require_version("Gst", "1.0")
from gi.repository import Gst  # noqa: E402

import numpy as np  # noqa: E402
import torch  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
BUILD = os.path.join(HERE, "..", "build", "gst")
if os.path.exists(os.path.join(BUILD, "libgstr128norm.so")) and \
        not os.environ.get("R128NORM_NO_BUILD_PATH"):
    os.environ["GST_PLUGIN_PATH_1_0"] = BUILD + ":" + os.environ.get(
        "GST_PLUGIN_PATH_1_0", "")

MEAN = [0.485, 0.456, 0.406]   # ImageNet statistics, as torchvision uses them
STD = [0.229, 0.224, 0.225]
SIZE = 224


def array(values):
    return "<%s>" % ", ".join(repr(v) for v in values)


class TinyNet(torch.nn.Module):
    """Stands in for a real model: conv, pool, a 4-way classifier."""

    def __init__(self):
        super().__init__()
        torch.manual_seed(0)
        self.features = torch.nn.Sequential(
            torch.nn.Conv2d(3, 8, 3, stride=2), torch.nn.ReLU(),
            torch.nn.AdaptiveAvgPool2d(1), torch.nn.Flatten())
        self.classify = torch.nn.Linear(8, 4)

    def forward(self, x):
        return self.classify(self.features(x))


def torchvision_style(rgb):
    """ToTensor() then Normalize(MEAN, STD), written out in torch."""
    x = torch.from_numpy(rgb).permute(2, 0, 1).double() / 255.0
    mean = torch.tensor(MEAN, dtype=torch.float64).view(3, 1, 1)
    std = torch.tensor(STD, dtype=torch.float64).view(3, 1, 1)
    return ((x - mean) / std)[None]


def main():
    Gst.init(None)
    frames = int(sys.argv[1]) if len(sys.argv) > 1 else 30
    pipeline = Gst.parse_launch(
        "videotestsrc num-buffers=%d pattern=ball ! "
        "video/x-raw,format=RGB,width=%d,height=%d,framerate=30/1 ! tee name=t "
        "t. ! queue ! r128norm stats=frozen epsilon=0 tensor-layout=chw "
        "running-mean=\"%s\" running-var=\"%s\" ! "
        "other/tensors,types=float32 ! appsink name=model emit-signals=true "
        "t. ! queue ! appsink name=raw emit-signals=true"
        % (frames, SIZE, SIZE, array(MEAN), array([s * s for s in STD])))
    net = TinyNet().eval()
    seen, raw = {}, {}

    def on_model_sample(sink):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        x = torch.frombuffer(bytearray(info.data), dtype=torch.float32)
        buf.unmap(info)
        x = x.view(1, 3, SIZE, SIZE)
        with torch.no_grad():
            scores = net(x)
        seen[buf.pts] = (x, scores)
        return Gst.FlowReturn.OK

    def on_raw_sample(sink):
        sample = sink.emit("pull-sample")
        buf = sample.get_buffer()
        ok, info = buf.map(Gst.MapFlags.READ)
        raw[buf.pts] = np.frombuffer(info.data, np.uint8).reshape(SIZE, SIZE, 3).copy()
        buf.unmap(info)
        return Gst.FlowReturn.OK

    pipeline.get_by_name("model").connect("new-sample", on_model_sample)
    pipeline.get_by_name("raw").connect("new-sample", on_raw_sample)
    pipeline.set_state(Gst.State.PLAYING)
    msg = pipeline.get_bus().timed_pop_filtered(
        Gst.CLOCK_TIME_NONE, Gst.MessageType.EOS | Gst.MessageType.ERROR)
    pipeline.set_state(Gst.State.NULL)
    if msg.type == Gst.MessageType.ERROR:
        print("error:", msg.parse_error()[0].message)
        return 1

    worst = 0.0
    for i, pts in enumerate(sorted(seen)):
        x, scores = seen[pts]
        reference = torchvision_style(raw[pts])
        diff = float((x.double() - reference).abs().max())
        with torch.no_grad():
            ref_scores = net(reference.float())
        worst = max(worst, diff)
        if i < 5 or i == len(seen) - 1:
            print("frame %2d: model scores %s | max |r128norm - torchvision "
                  "style| = %.2g" % (i, np.round(scores.numpy()[0], 4), diff))
        assert torch.allclose(scores, ref_scores, atol=1e-5)
    print("%d frames; the model saw torchvision-style preprocessing within %.2g "
          "(float32 rounding)" % (len(seen), worst))
    print("Got EOS from element \"pipeline0\".")
    return 0 if len(seen) == frames and worst < 1e-6 else 1


if __name__ == "__main__":
    sys.exit(main())
