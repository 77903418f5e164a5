"""Shared check: a PNG exists, has the expected size range and shows
something (not one flat colour)."""
import os

import numpy as np
from PIL import Image


def check_png(path, min_w=200, min_h=150, min_std=10.0):
    assert os.path.isfile(path), "%s was not written" % path
    size = os.path.getsize(path)
    assert size > 5000, "%s is only %d bytes" % (path, size)
    with Image.open(path) as im:
        assert im.format == "PNG", "%s is %s, not PNG" % (path, im.format)
        w, h = im.size
        arr = np.asarray(im.convert("RGB"), dtype=float)
    assert w >= min_w and h >= min_h, "%s is %dx%d" % (path, w, h)
    std = float(arr.std())
    assert std >= min_std, "%s is nearly flat (pixel stddev %.1f)" % (
        path, std)
    print("ok: %s %dx%d, %d bytes, pixel stddev %.1f" % (path, w, h, size,
                                                         std))
    return arr
