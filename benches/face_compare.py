#!/usr/bin/env python3
"""What a user would pick instead of `locker-core::face`, timed on the same machine.

- onnxruntime, one thread: YuNet (`yunet_dynamic.onnx`, 1x3x320x320, as our `face/detect`)
  and MobileFaceNet (1x3x112x112, as our `face/embed`); preprocessing included, as in ours.
- 1:N top-5 over 1k/10k/100k/1M random unit vectors (128-d): numpy `gallery @ query` +
  `argpartition`, and FAISS `IndexFlatIP` (if it installs), both single-threaded.

Run (creates a venv on first use):

    python3 -m venv /tmp/face-venv
    /tmp/face-venv/bin/pip install onnxruntime numpy pillow faiss-cpu
    /tmp/face-venv/bin/python benches/face_compare.py
    cargo bench -p locker-benches -- face/

and divide. Prints the median of several runs in milliseconds.
"""
import os

for var in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
    os.environ[var] = "1"

import argparse  # noqa: E402
import io  # noqa: E402
import statistics  # noqa: E402
import time  # noqa: E402

import numpy as np  # noqa: E402
import onnxruntime as ort  # noqa: E402
from PIL import Image  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))
SHARED = os.path.join(HERE, "..", "..", "shared")


def median_ms(fn, runs=30, warmup=3):
    for _ in range(warmup):
        fn()
    times = []
    for _ in range(runs):
        t = time.perf_counter()
        fn()
        times.append((time.perf_counter() - t) * 1000)
    return statistics.median(times)


def session(path):
    opts = ort.SessionOptions()
    opts.intra_op_num_threads = 1
    opts.inter_op_num_threads = 1
    return ort.InferenceSession(path, opts, providers=["CPUExecutionProvider"])


def bench_models(models, faces):
    photo = Image.open(os.path.join(faces, "Al_Sharpton/1.jpg")).convert("RGB").resize((480, 480), Image.BILINEAR)
    canvas = Image.new("RGB", (640, 480), (120, 120, 120))
    canvas.paste(photo, (80, 0))
    buf = io.BytesIO()
    canvas.save(buf, "JPEG")
    image = np.asarray(Image.open(io.BytesIO(buf.getvalue())).convert("RGB"))

    det = session(os.path.join(models, "yunet_dynamic.onnx"))

    def detect():
        small = np.asarray(Image.fromarray(image).resize((320, 240), Image.BILINEAR), np.float32)
        x = np.zeros((1, 3, 320, 320), np.float32)
        x[0, :, :240, :] = small[:, :, ::-1].transpose(2, 0, 1)
        return det.run(None, {"input": x})

    emb = session(os.path.join(models, "mobilefacenet.onnx"))
    crop = np.asarray(Image.fromarray(image).resize((112, 112)), np.float32)
    mean, std = np.array([0.485, 0.456, 0.406], np.float32), np.array([0.229, 0.224, 0.225], np.float32)

    def embed():
        x = ((crop / 255.0 - mean) / std).transpose(2, 0, 1)[None].astype(np.float32)
        out = emb.run(None, {"input0": x})[0][0]
        return out / np.linalg.norm(out)

    print(f"onnxruntime {ort.__version__}, 1 thread")
    print(f"  detect  yunet 320x320 (+letterbox)   {median_ms(detect):8.3f} ms")
    print(f"  embed   mobilefacenet 112 (+norm)    {median_ms(embed):8.3f} ms")


def bench_search():
    try:
        import faiss

        faiss.omp_set_num_threads(1)
    except ImportError:
        faiss = None
        print("faiss not installed; numpy only")
    rng = np.random.default_rng(7)
    query = rng.random(128, dtype=np.float32) - 0.5
    query /= np.linalg.norm(query)
    print("1:N top-5, 128-d unit vectors, 1 thread (median ms)")
    for label, n in (("1k", 1_000), ("10k", 10_000), ("100k", 100_000), ("1M", 1_000_000)):
        gallery = rng.random((n, 128), dtype=np.float32) - 0.5
        gallery /= np.linalg.norm(gallery, axis=1, keepdims=True)

        def numpy_top5():
            scores = gallery @ query
            idx = np.argpartition(-scores, 5)[:5]
            return idx[np.argsort(-scores[idx])]

        runs = 10 if n >= 1_000_000 else 30
        line = f"  {label:>5}: numpy {median_ms(numpy_top5, runs):9.3f}"
        if faiss is not None:
            index = faiss.IndexFlatIP(128)
            index.add(gallery)
            q = query[None]
            line += f"   faiss IndexFlatIP {median_ms(lambda: index.search(q, 5), runs):9.3f}"
        print(line)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--models", default=os.environ.get("LOCKER_MODELS_DIR", os.path.join(SHARED, "models")))
    ap.add_argument("--faces", default=os.path.join(SHARED, "faces"))
    args = ap.parse_args()
    bench_models(args.models, args.faces)
    bench_search()


if __name__ == "__main__":
    main()
