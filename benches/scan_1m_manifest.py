#!/usr/bin/env python3
"""`labelscope scan` of a manifest with 1,000,000 rows: wall time and peak memory.

Builds (once) a tree of 1,000 folders x 1,000 PNGs, hard links to 20 Fashion sample images
(ext4 allows 65,000 links per file), and a CSV manifest listing every one; then runs
`labelscope scan` on it with the page cache dropped first (when run as root) and again warm,
reading wall time and peak RSS from `/usr/bin/time -v`. Goal: under 10 s and 1 GB.

Usage: python3 benches/scan_1m_manifest.py [--labelscope PATH] [--dir /tmp/labelscope-1m]
"""
import argparse
import os
import re
import subprocess
import sys

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def build(root, rows):
    src = os.path.join(REPO, "sample_data", "fashion", "Bag")
    files = [os.path.join(src, f) for f in sorted(os.listdir(src))[:20]]
    manifest = os.path.join(root, "man.csv")
    if os.path.exists(manifest):
        return manifest
    with open(manifest + ".tmp", "w") as f:
        f.write("path,label\n")
        for n in range(rows):
            d, k = divmod(n, 1000)
            rel = f"imgs/{d:04}/{k:04}.png"
            path = os.path.join(root, rel)
            if k == 0:
                os.makedirs(os.path.dirname(path), exist_ok=True)
            if not os.path.exists(path):
                os.link(files[n // 60000], path)
            f.write(f"{rel},{'cat' if k % 2 else 'dog'}\n")
    os.rename(manifest + ".tmp", manifest)
    return manifest


def run(ls, manifest, cold):
    if cold and os.geteuid() == 0:
        subprocess.run(["sync"])
        with open("/proc/sys/vm/drop_caches", "w") as f:
            f.write("3")
    out = subprocess.run(["/usr/bin/time", "-v", ls, "scan", manifest],
                         capture_output=True, text=True)
    if out.returncode != 0:
        sys.exit(out.stderr)
    wall = re.search(r"Elapsed \(wall clock\) time \(h:mm:ss or m:ss\): (\S+)", out.stderr).group(1)
    m, s = wall.split(":")[-2:]
    rss = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", out.stderr).group(1))
    return float(m) * 60 + float(s), rss / 1024


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--labelscope", default=os.path.join(
        os.environ.get("CARGO_TARGET_DIR", os.path.join(REPO, "target")), "release", "labelscope"))
    ap.add_argument("--dir", default="/tmp/labelscope-1m")
    ap.add_argument("--rows", type=int, default=1_000_000)
    args = ap.parse_args()
    os.makedirs(args.dir, exist_ok=True)
    manifest = build(args.dir, args.rows)
    for name, cold in (("cold", True), ("warm", False)):
        secs, mib = run(args.labelscope, manifest, cold)
        print(f"scan {args.rows} rows ({name}): {secs:.2f} s, peak RSS {mib:.0f} MiB")


if __name__ == "__main__":
    main()
