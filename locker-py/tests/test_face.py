"""FaceEngine, Embedding and Gallery on the real models and photos, and the GIL release."""

import threading
import time

import pytest

import locker


def test_detect_embed_verify(engine, photos):
    a1, a2, b = photos("Cate_Blanchett", 1), photos("Cate_Blanchett", 2), photos("Al_Sharpton", 1)
    faces = engine.detect(a1)
    assert faces and faces[0].w > 20 and faces[0].score > 0.5 and len(faces[0].landmarks) == 5
    e1, e2, eb = engine.embed(a1), engine.embed(a2), engine.embed(b)
    assert len(e1) == 128
    assert e1.cosine(e2) > e1.cosine(eb)
    assert engine.verify(a2, e1) >= engine.verify_threshold
    with pytest.raises(locker.FaceMismatch) as info:
        engine.verify(b, e1)
    assert info.value.code == 405


def test_image_errors(engine):
    with pytest.raises(locker.ImageUnreadable):
        engine.embed(b"not an image")
    with pytest.raises(locker.ImageEmpty):
        engine.detect(b"")
    with pytest.raises(locker.ValidationError):
        engine.embed(b"x", pick="random")


def test_no_face_in_a_blank_image(engine):
    # A 200x200 grey PNG made by the QR renderer's sibling: encode a flat image by hand.
    import struct
    import zlib

    width = height = 200
    raw = b"".join(b"\x00" + b"\x80" * width for _ in range(height))
    def chunk(tag, data):
        return struct.pack(">I", len(data)) + tag + data + struct.pack(">I", zlib.crc32(tag + data))
    png = b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0))
    png += chunk(b"IDAT", zlib.compress(raw)) + chunk(b"IEND", b"")
    assert engine.detect(png) == []
    with pytest.raises(locker.FaceNotFound) as info:
        engine.embed(png)
    assert info.value.code == 400


def test_missing_models_raise_face_model_error():
    with pytest.raises(locker.FaceModelError):
        locker.FaceEngine("/nonexistent/models")


def test_embedding_bytes_round_trip_and_validation(engine, photos):
    e = engine.embed(photos("Cate_Blanchett", 1))
    again = locker.Embedding.from_bytes(e.to_bytes())
    assert again.cosine(e) == pytest.approx(1.0, abs=1e-6)
    assert locker.Embedding(e.values).cosine(e) == pytest.approx(1.0, abs=1e-6)
    with pytest.raises(locker.ValidationError):
        locker.Embedding([0.0] * 128)
    with pytest.raises(locker.ValidationError):
        locker.Embedding([1.0] * 3)
    with pytest.raises(locker.ValidationError):
        locker.Embedding.from_bytes(b"123")


def test_gallery_add_identify_remove(engine, photos):
    gallery = locker.Gallery()
    gallery.add("cate", engine.embed(photos("Cate_Blanchett", 1)))
    gallery.add("al", engine.embed(photos("Al_Sharpton", 1)))
    assert len(gallery) == 2 and sorted(gallery.ids()) == ["al", "cate"]
    match = gallery.identify(engine.embed(photos("Cate_Blanchett", 2)), threshold=0.28)
    assert match is not None and match.id == "cate" and match.score >= 0.28
    assert gallery.identify(engine.embed(photos("Cate_Blanchett", 2)), threshold=1.01) is None
    gallery.remove("cate")
    assert len(gallery) == 1
    with pytest.raises(locker.NotFound):
        gallery.remove("cate")
    with pytest.raises(locker.ValidationError):
        gallery.add("", engine.embed(photos("Al_Sharpton", 2)))


def test_two_threads_embed_at_once_with_the_gil_released(engine, photos):
    """Two threads embed concurrently while a third runs pure Python. With the GIL held
    during inference, the Python counter could not move while an embed call is inside Rust;
    released, it advances during every call."""
    images = [photos("Cate_Blanchett", 1), photos("Al_Sharpton", 1)]
    expected = [engine.embed(img) for img in images]
    ticks = 0
    stop = threading.Event()

    def spin():
        nonlocal ticks
        while not stop.is_set():
            ticks += 1

    progress = [[], []]
    results = [[], []]
    spans = [[], []]

    def worker(i):
        for _ in range(4):
            before, t0 = ticks, time.perf_counter()
            results[i].append(engine.embed(images[i]))
            spans[i].append((t0, time.perf_counter()))
            progress[i].append(ticks - before)

    spinner = threading.Thread(target=spin)
    spinner.start()
    threads = [threading.Thread(target=worker, args=(i,)) for i in range(2)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    stop.set()
    spinner.join()

    for i in range(2):
        assert all(r.cosine(expected[i]) > 0.9999 for r in results[i]), "concurrent results differ"
    # Python kept running while Rust embedded: the counter moved a lot during the calls.
    assert min(p for ps in progress for p in ps) > 100, progress
    # The two workers were inside embed() at the same time at least once.
    overlap = any(a0 < b1 and b0 < a1 for a0, a1 in spans[0] for b0, b1 in spans[1])
    assert overlap, spans
