#!/usr/bin/python3
"""The gallery generator runs and makes non-trivial pictures; every link and
image in README.md and docs/*.md points at a file that exists; the pictures
in docs/images stay small (under 1.5 MB together)."""
import glob
import os
import re
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from png_check import check_png  # noqa: E402

SRC = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
LIMIT = 1536 * 1024


def main():
    failed = []
    tmp = tempfile.mkdtemp(prefix="r128norm-gallery-test-")
    r = subprocess.run(["/usr/bin/python3",
                        os.path.join(SRC, "docs", "gen-gallery.py"),
                        "--out", tmp], capture_output=True, text=True,
                       timeout=120)
    print(r.stdout, r.stderr)
    if r.returncode != 0:
        sys.exit("FAIL: docs/gen-gallery.py exited %d" % r.returncode)
    made = sorted(glob.glob(os.path.join(tmp, "*.png")))
    for path in made:
        check_png(path, min_w=300, min_h=150)
    committed = {os.path.basename(p) for p in
                 glob.glob(os.path.join(SRC, "docs", "images", "*.png"))}
    for path in made:
        if os.path.basename(path) not in committed:
            failed.append("%s is made but not in docs/images"
                          % os.path.basename(path))
    subprocess.run(["rm", "-rf", tmp])

    total = sum(os.path.getsize(p) for p in
                glob.glob(os.path.join(SRC, "docs", "images", "*")))
    print("docs/images: %d bytes" % total)
    if total > LIMIT:
        failed.append("docs/images holds %d bytes (limit %d)" % (total,
                                                                  LIMIT))

    pages = [os.path.join(SRC, "README.md")] + sorted(
        glob.glob(os.path.join(SRC, "docs", "*.md")))
    links = 0
    for page in pages:
        text = open(page).read()
        # drop fenced code blocks: their brackets are not links
        text = re.sub(r"```.*?```", "", text, flags=re.S)
        for target in re.findall(r"\]\(([^)\s]+)\)", text):
            if re.match(r"^[a-z]+:", target) or target.startswith("#"):
                continue
            path = os.path.normpath(os.path.join(os.path.dirname(page),
                                                 target.split("#")[0]))
            links += 1
            if not os.path.exists(path):
                failed.append("%s links to missing %s"
                              % (os.path.relpath(page, SRC), target))
    print("%d local links checked in %d pages" % (links, len(pages)))
    for f in failed:
        print("FAIL: " + f)
    sys.exit(1 if failed else 0)


if __name__ == "__main__":
    main()
