#!/usr/bin/env python3
"""Fidelity numbers between two images, or two folders of frames with the same file names.

  compare.py A B [--json | --brief]

Over every channel value of every pixel of the whole set it prints: the share of values that
differ by at most 1 level and by at most 3 levels (%), the largest absolute difference, and the
PSNR in dB (peak 255 for 8-bit images, 65535 for 16-bit). With --json it prints one JSON object
instead (psnr_db is null when the images are identical), with --brief a single line. Exit 0 when the comparison was made,
2 when it could not be (unreadable file, different names or sizes).

Needs only numpy and cv2.
"""
import argparse
import json
import math
import os
import sys

import cv2
import numpy as np

IMAGE_EXTS = (".png", ".jpg", ".jpeg", ".bmp", ".tif", ".tiff", ".ppm", ".pgm", ".webp")


def fail(msg):
    print(f"compare: {msg}", file=sys.stderr)
    sys.exit(2)


def pairs(a, b):
    """The (name, path in A, path in B) triples to compare."""
    if os.path.isdir(a) != os.path.isdir(b):
        fail(f"{a} and {b} must both be files or both be folders")
    if not os.path.isdir(a):
        return [(os.path.basename(a), a, b)]
    names_a = {n for n in os.listdir(a) if n.lower().endswith(IMAGE_EXTS)}
    names_b = {n for n in os.listdir(b) if n.lower().endswith(IMAGE_EXTS)}
    if names_a != names_b:
        only_a, only_b = sorted(names_a - names_b), sorted(names_b - names_a)
        fail(f"folders differ: {len(only_a)} only in {a} {only_a[:3]}, "
             f"{len(only_b)} only in {b} {only_b[:3]}")
    if not names_a:
        fail(f"no images in {a}")
    return [(n, os.path.join(a, n), os.path.join(b, n)) for n in sorted(names_a)]


def read(path):
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None:
        fail(f"cannot read {path}")
    return img


def compare(a, b):
    count = within1 = within3 = max_diff = 0
    sq_sum = 0.0
    peak = 255
    worst_name, worst_mse = None, -1.0
    todo = pairs(a, b)
    for name, pa, pb in todo:
        ia, ib = read(pa), read(pb)
        if ia.shape != ib.shape or ia.dtype != ib.dtype:
            fail(f"{name}: {ia.shape} {ia.dtype} vs {ib.shape} {ib.dtype}")
        if ia.dtype == np.uint16:
            peak = 65535
        diff = np.abs(ia.astype(np.int64) - ib.astype(np.int64))
        sq = float(np.square(diff, dtype=np.float64).sum())
        count += diff.size
        within1 += int(np.count_nonzero(diff <= 1))
        within3 += int(np.count_nonzero(diff <= 3))
        max_diff = max(max_diff, int(diff.max()))
        sq_sum += sq
        if sq / diff.size > worst_mse:
            worst_name, worst_mse = name, sq / diff.size
    mse = sq_sum / count
    return {
        "files": len(todo),
        "values": count,
        "within1_pct": 100.0 * within1 / count,
        "within3_pct": 100.0 * within3 / count,
        "max_abs_diff": max_diff,
        "psnr_db": None if mse == 0 else 10.0 * math.log10(peak * peak / mse),
        "worst_file": worst_name,
    }


def main():
    parser = argparse.ArgumentParser(description="Fidelity numbers between two images or folders.")
    parser.add_argument("a")
    parser.add_argument("b")
    form = parser.add_mutually_exclusive_group()
    form.add_argument("--json", action="store_true", help="print one JSON object")
    form.add_argument("--brief", action="store_true", help="print one line")
    args = parser.parse_args()
    r = compare(args.a, args.b)
    if args.json:
        print(json.dumps(r))
        return
    psnr = "inf (identical)" if r["psnr_db"] is None else f"{r['psnr_db']:.2f} dB"
    if args.brief:
        print(f"{r['files']} files: within 1 level {r['within1_pct']:.3f} %, within 3 levels "
              f"{r['within3_pct']:.3f} %, max diff {r['max_abs_diff']}, PSNR {psnr}")
        return
    print(f"files: {r['files']}, channel values: {r['values']}")
    print(f"within 1 level: {r['within1_pct']:.3f} %")
    print(f"within 3 levels: {r['within3_pct']:.3f} %")
    print(f"max abs diff: {r['max_abs_diff']}")
    print(f"PSNR: {psnr}")
    print(f"worst file: {r['worst_file']}")


if __name__ == "__main__":
    main()
