#!/usr/bin/env python3
"""Independent reference for the YuNet decoding in `locker-core/src/face/detect.rs`.

Runs `yunet_dynamic.onnx` with onnxruntime and decodes its outputs with numpy exactly as the
models README describes (OpenCV FaceDetectorYN), then writes `face_reference.json`, which
`tests/core_tests/face_inputs.rs` compares against our tract pipeline (boxes and landmarks within 2 px).

Preprocessing matches ours: PIL decode, bilinear resize to fit 320x320 keeping the aspect
ratio, pad bottom/right with zeros, NCHW BGR 0..255. Score threshold 0.6, NMS IoU 0.3.

    python3 -m venv /tmp/face-venv && /tmp/face-venv/bin/pip install onnxruntime numpy pillow
    /tmp/face-venv/bin/python locker-core/tests/core_tests/data/face_reference.py \
        --models ../shared/models --faces ../shared/faces > locker-core/tests/core_tests/data/face_reference.json
"""
import argparse
import json
import os

import numpy as np
import onnxruntime as ort
from PIL import Image

PHOTOS = [
    "Al_Sharpton/1.jpg",
    "Cate_Blanchett/2.jpg",
    "Condoleezza_Rice/3.jpg",
    "Brian_Lara/1.jpg",
    "Debbie_Reynolds/4.jpg",
]
SIZE = 320


def preprocess(path):
    img = Image.open(path).convert("RGB")
    w, h = img.size
    scale = min(SIZE / w, SIZE / h)
    nw, nh = round(w * scale), round(h * scale)
    resized = img.resize((nw, nh), Image.BILINEAR)
    canvas = np.zeros((SIZE, SIZE, 3), np.float32)
    canvas[:nh, :nw] = np.asarray(resized, np.float32)
    bgr = canvas[:, :, ::-1].transpose(2, 0, 1)[None].copy()
    return bgr, (nw / w + nh / h) / 2


def decode(outs, score_thr=0.6):
    faces = []
    for s in (8, 16, 32):
        cols = SIZE // s
        cls, obj = outs[f"cls_{s}"][0, :, 0], outs[f"obj_{s}"][0, :, 0]
        bbox, kps = outs[f"bbox_{s}"][0], outs[f"kps_{s}"][0]
        score = np.sqrt(np.clip(cls, 0, 1) * np.clip(obj, 0, 1))
        for i in np.nonzero(score >= score_thr)[0]:
            row, col = divmod(int(i), cols)
            cx, cy = (col + bbox[i, 0]) * s, (row + bbox[i, 1]) * s
            w, h = np.exp(bbox[i, 2]) * s, np.exp(bbox[i, 3]) * s
            lm = [[(kps[i, 2 * k] + col) * s, (kps[i, 2 * k + 1] + row) * s] for k in range(5)]
            faces.append((float(score[i]), [cx - w / 2, cy - h / 2, w, h], lm))
    faces.sort(key=lambda f: -f[0])
    kept = []
    for f in faces:
        if all(iou(f[1], k[1]) <= 0.3 for k in kept):
            kept.append(f)
    return kept


def iou(a, b):
    x0, y0 = max(a[0], b[0]), max(a[1], b[1])
    x1, y1 = min(a[0] + a[2], b[0] + b[2]), min(a[1] + a[3], b[1] + b[3])
    inter = max(0.0, x1 - x0) * max(0.0, y1 - y0)
    return inter / (a[2] * a[3] + b[2] * b[3] - inter)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--models", default="../shared/models")
    ap.add_argument("--faces", default="../shared/faces")
    args = ap.parse_args()
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    sess = ort.InferenceSession(os.path.join(args.models, "yunet_dynamic.onnx"), opts)
    names = [o.name for o in sess.get_outputs()]
    result = {"how": "tests/core_tests/data/face_reference.py: onnxruntime " + ort.__version__
              + " + numpy decoding per shared/models/README.md, 320x320 letterbox", "photos": {}}
    for rel in PHOTOS:
        x, scale = preprocess(os.path.join(args.faces, rel))
        outs = dict(zip(names, sess.run(None, {"input": x})))
        result["photos"][rel] = [
            {"score": round(s, 4),
             "bbox": [round(float(v) / scale, 2) for v in b],
             "landmarks": [[round(float(p) / scale, 2) for p in pt] for pt in lm]}
            for s, b, lm in decode(outs)
        ]
    print(json.dumps(result, indent=1))


if __name__ == "__main__":
    main()
