#!/usr/bin/env python3
"""The users' recipe for colorizing with Zhang et al.'s Caffe model on OpenCV dnn, kept as it is.

This is the reference the tests and benchmarks compare the Rust tool against, so it follows the
tutorial step for step on purpose (float32 Lab, plain resizes, truncating cast to uint8); do not
"fix" it. The only departure: the result is converted Lab -> BGR for photos too, so that the file
cv2.imwrite writes has the true colours.

  recipe.py image --prototxt P --caffemodel C --points NPY INPUT OUTPUT.png
  recipe.py video --prototxt P --caffemodel C --points NPY [--width W] [--frames-dir DIR]
                  [--max-frames N] [--fps F] INPUT OUTPUT.avi

Needs only cv2 (OpenCV 4.x, which still has the Caffe importer) and numpy.
"""
import argparse
import os
import sys
import time

import cv2
import numpy as np


def load_net(prototxt, caffemodel, points):
    net = cv2.dnn.readNetFromCaffe(prototxt, caffemodel)
    pts = np.load(points).transpose().reshape(2, 313, 1, 1)
    net.getLayer(net.getLayerId("class8_ab")).blobs = [pts.astype("float32")]
    net.getLayer(net.getLayerId("conv8_313_rh")).blobs = [np.full([1, 313], 2.606, dtype="float32")]
    # net.forward() without a name returns the last layer's output. In this prototxt that is a
    # Silence layer fed by class8_ab, which OpenCV runs as a pass-through, so the tutorial's
    # forward() does give class8_ab's output (the ab prediction); refuse any other layout.
    names = net.getLayerNames()
    last = net.getLayer(net.getLayerId(names[-1]))
    if not (names[-1] == "class8_ab" or (last.type == "Silence" and names[-2] == "class8_ab")):
        sys.exit(f"recipe: net.forward() would return layer {names[-1]!r}, not class8_ab")
    return net


def colorize(net, bgr):
    """One photo or frame, BGR uint8 in, BGR uint8 out, exactly as the tutorial does it."""
    h, w = bgr.shape[:2]
    gray = cv2.cvtColor(bgr, cv2.COLOR_BGR2GRAY)
    rgb = cv2.cvtColor(gray, cv2.COLOR_GRAY2RGB)
    scaled = rgb.astype("float32") / 255.0
    lab = cv2.cvtColor(scaled, cv2.COLOR_RGB2LAB)
    resized = cv2.resize(lab, (224, 224))
    L = cv2.split(resized)[0]
    L -= 50
    net.setInput(cv2.dnn.blobFromImage(L))
    ab = net.forward()[0, :, :, :].transpose((1, 2, 0))
    ab = cv2.resize(ab, (w, h))
    L = cv2.split(lab)[0]
    out = cv2.cvtColor(np.concatenate((L[:, :, np.newaxis], ab), axis=2), cv2.COLOR_LAB2BGR)
    return (255 * np.clip(out, 0, 1)).astype("uint8")


def resize_to_width(frame, width):
    """What imutils.resize(frame, width=W) does: keep the aspect ratio, INTER_AREA."""
    h, w = frame.shape[:2]
    return cv2.resize(frame, (width, int(h * width / float(w))), interpolation=cv2.INTER_AREA)


def run_image(args, net):
    bgr = cv2.imread(args.input)
    if bgr is None:
        sys.exit(f"recipe: cannot read {args.input}")
    start = time.perf_counter()
    out = colorize(net, bgr)
    if not cv2.imwrite(args.output, out):
        sys.exit(f"recipe: cannot write {args.output}")
    secs = time.perf_counter() - start
    print(f"recipe: 1 frames in {secs:.2f} s, {1 / secs:.2f} frames/s", file=sys.stderr)


def run_video(args, net):
    cap = cv2.VideoCapture(args.input)
    if not cap.isOpened():
        sys.exit(f"recipe: cannot open {args.input}")
    fps = args.fps or cap.get(cv2.CAP_PROP_FPS) or 25.0
    if args.frames_dir:
        os.makedirs(args.frames_dir, exist_ok=True)
    writer = None
    n = 0
    start = time.perf_counter()
    while args.max_frames is None or n < args.max_frames:
        ok, frame = cap.read()
        if not ok:
            break
        if args.width:
            frame = resize_to_width(frame, args.width)
        out = colorize(net, frame)
        if writer is None:
            fourcc = cv2.VideoWriter_fourcc(*"MJPG")
            writer = cv2.VideoWriter(args.output, fourcc, fps, (out.shape[1], out.shape[0]), True)
            if not writer.isOpened():
                sys.exit(f"recipe: cannot write {args.output}")
        writer.write(out)
        if args.frames_dir:
            cv2.imwrite(os.path.join(args.frames_dir, f"frame_{n:06d}.png"), out)
        n += 1
    cap.release()
    if writer is not None:
        writer.release()
    secs = time.perf_counter() - start
    rate = n / secs if secs > 0 else 0.0
    print(f"recipe: {n} frames in {secs:.2f} s, {rate:.2f} frames/s", file=sys.stderr)
    if n == 0:
        sys.exit(f"recipe: no frames read from {args.input}")


def main():
    parser = argparse.ArgumentParser(description="The tutorial's colorization recipe (reference).")
    sub = parser.add_subparsers(dest="mode", required=True)
    for mode in ("image", "video"):
        p = sub.add_parser(mode)
        p.add_argument("--prototxt", required=True)
        p.add_argument("--caffemodel", required=True)
        p.add_argument("--points", required=True, help="pts_in_hull.npy")
        p.add_argument("input")
        p.add_argument("output")
    video = sub.choices["video"]
    video.add_argument("--width", type=int, help="resize frames to this width first (INTER_AREA)")
    video.add_argument("--frames-dir", help="also write each frame as frame_NNNNNN.png here")
    video.add_argument("--max-frames", type=int, help="stop after this many frames")
    video.add_argument("--fps", type=float, help="output frame rate (default: the source's)")
    args = parser.parse_args()

    net = load_net(args.prototxt, args.caffemodel, args.points)
    if args.mode == "image":
        run_image(args, net)
    else:
        run_video(args, net)


if __name__ == "__main__":
    main()
