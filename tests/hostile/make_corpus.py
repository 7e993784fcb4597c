#!/usr/bin/env python3
"""Writes the hostile-input corpus: small files of every kind the page and the CLI read (images,
weights, manifests, shards, tarballs, checkpoints, Teach project files), each crafted to lie, to be cut short or to be
a decompression bomb, and a few good ones beside them.

    python3 tests/hostile/make_corpus.py OUT_DIR

A file whose name starts with `ok-` must be accepted; every other must be refused with a clear
message. The output is the same on every run (fixed seeds), and nothing needs more than Python's
standard library. Weights and checkpoints are made from the shipped `weights/fast.bin`, so they
are written rather than committed (each is about 1 MB); everything else is a few KB at most.
"""

import gzip
import io
import json
import random
import struct
import sys
import tarfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
RECORD = 3073


def out(kind, name, data):
    path = OUT / kind / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)


# ---------------------------------------------------------------- images


def png_chunk(kind, data):
    body = kind + data
    return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))


def png(width, height, rows=None, depth=8, colour=2, extra=b"", idat=None):
    """A PNG; `rows` is the raw scanlines without filter bytes (zeros when None)."""
    channels = {0: 1, 2: 3, 3: 1, 4: 2, 6: 4}[colour]
    if idat is None:
        # Row by row, so an 8000x8000 image never exists uncompressed here either.
        row_bytes = (width * channels * depth + 7) // 8
        stream, parts, zero = zlib.compressobj(9), [], bytes(row_bytes)
        for y in range(height):
            row = rows[y * row_bytes : (y + 1) * row_bytes] if rows is not None else zero
            parts.append(stream.compress(b"\0" + row))
        idat = b"".join(parts) + stream.flush()
    ihdr = struct.pack(">IIBBBBB", width, height, depth, colour, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + png_chunk(b"IHDR", ihdr)
        + extra
        + png_chunk(b"IDAT", idat)
        + png_chunk(b"IEND", b"")
    )


def gif(screen, image, lzw=b"\x02\x02\x44\x01\x00"):
    head = b"GIF89a" + struct.pack("<HH", *screen) + b"\x80\x00\x00"
    palette = b"\xff\xff\xff\x00\x00\x00"
    desc = b"\x2c" + struct.pack("<HHHH", 0, 0, *image) + b"\x00"
    return head + palette + desc + lzw + b"\x3b"


def jpeg_header(width, height):
    """SOI, a quantisation table and a baseline frame header claiming the size; no scan."""
    dqt = b"\xff\xdb" + struct.pack(">H", 67) + b"\x00" + bytes([1] * 64)
    sof = b"\xff\xc0" + struct.pack(">HBHHB", 17, 8, height, width, 3)
    sof += b"\x01\x11\x00\x02\x11\x00\x03\x11\x00"
    return b"\xff\xd8" + dqt + sof


def bmp(width, height, pixels=b""):
    dib = struct.pack("<IiiHHIIiiII", 40, width, height, 1, 24, 0, len(pixels), 2835, 2835, 0, 0)
    head = b"BM" + struct.pack("<IHHI", 14 + 40 + len(pixels), 0, 0, 54)
    return head + dib + pixels


def images():
    rng = random.Random(1)
    noise = bytes(rng.randrange(256) for _ in range(64 * 64 * 3))
    good = png(64, 64, noise)
    out("images", "ok-noise-64.png", good)
    out("images", "ok-1x1.png", png(1, 1, b"\x80\x40\x20"))
    out("images", "ok-strip-1x5000.png", png(1, 5000))
    out("images", "ok-gray16-3x3.png", png(3, 3, bytes(18), depth=16, colour=0))
    out("images", "ok-rgba-5x5.png", png(5, 5, bytes(100), colour=6))
    palette = png_chunk(b"PLTE", b"\xff\x00\x00\x00\xff\x00")
    out("images", "ok-palette-4x4.png", png(4, 4, bytes([0, 1, 0, 1] * 4), colour=3, extra=palette))
    out("images", "ok-4000x4000.png", png(4000, 4000))
    out("images", "ok-1x1.gif", gif((1, 1), (1, 1)))
    out("images", "ok-2x2.bmp", bmp(2, 2, bytes(16)))
    # Decompression bombs: a few hundred bytes claiming billions of pixels.
    out("images", "bomb-100000x100000.png", png(100_000, 100_000, idat=zlib.compress(bytes(1000))))
    out("images", "bomb-8000x8000.png", png(8000, 8000))
    out("images", "bomb-2147483647x1.png", png(2**31 - 1, 1, idat=zlib.compress(bytes(100))))
    out("images", "bomb-65535x65535.gif", gif((65535, 65535), (65535, 65535)))
    out("images", "bomb-screen-1x1-image-65535.gif", gif((1, 1), (65535, 65535)))
    out("images", "bomb-65500x65500.jpg", jpeg_header(65500, 65500) + b"\xff\xd9")
    out("images", "bomb-20000x20000.jpg", jpeg_header(20000, 20000) + bytes(200) + b"\xff\xd9")
    out("images", "bomb-50000x50000.bmp", bmp(50000, 50000))
    out("images", "bomb-negative-height.bmp", bmp(30000, -(2**31 - 1)))
    vp8x = b"VP8X" + struct.pack("<I", 10) + b"\x00\x00\x00\x00" + (16383).to_bytes(3, "little") * 2
    vp8l = b"VP8L" + struct.pack("<I", 5) + b"\x2f" + struct.pack("<I", (16383) | (16383 << 14)) + b"\0"
    body = b"WEBP" + vp8x + vp8l
    out("images", "bomb-16384x16384.webp", b"RIFF" + struct.pack("<I", len(body)) + body)
    # An IDAT that inflates to 64 MB for a 1x1 image.
    out("images", "ok-idat-inflates-64mb.png", png(1, 1, idat=zlib.compress(bytes(64 << 20), 9)))
    # Broken in other ways.
    out("images", "truncated.png", good[: len(good) // 2])
    bad_crc = bytearray(good)
    bad_crc[29] ^= 0xFF
    out("images", "bad-crc.png", bytes(bad_crc))
    out("images", "zero-size.png", png(0, 0, idat=zlib.compress(b"")))
    out("images", "empty.jpg", b"")
    out("images", "text.png", b"hello, I am not an image\n")
    out("images", "html.png", b"<!doctype html><title>404</title>")
    out("images", "random-after-magic.png", b"\x89PNG\r\n\x1a\n" + rng.randbytes(2000))
    out("images", "random.jpg", b"\xff\xd8\xff" + rng.randbytes(2000))
    out("images", "svg.png", b'<svg xmlns="http://www.w3.org/2000/svg" width="9e9" height="9e9"/>')
    out("images", "tiff.tif", b"II*\x00\x08\x00\x00\x00" + bytes(64))
    out("images", "gif-no-frames.gif", b"GIF89a\x01\x00\x01\x00\x00\x00\x00\x3b")
    out("images", "jpeg-0x0.jpg", jpeg_header(0, 0) + b"\xff\xd9")
    out("images", "png-depth-3.png", png(2, 2, bytes(6), depth=3))


# ---------------------------------------------------------------- weights


def cbor(data, at=0):
    """The value at `at` of a CBOR item, and where it ends (the subset burnpack metadata uses)."""
    first = data[at]
    major, info = first >> 5, first & 31
    at += 1
    if info < 24:
        arg = info
    else:
        size = {24: 1, 25: 2, 26: 4, 27: 8}[info]
        arg = int.from_bytes(data[at : at + size], "big")
        at += size
    if major == 0:
        return arg, at
    if major == 1:
        return -1 - arg, at
    if major in (2, 3):
        raw = data[at : at + arg]
        return (raw if major == 2 else raw.decode()), at + arg
    if major == 4:
        items = []
        for _ in range(arg):
            item, at = cbor(data, at)
            items.append(item)
        return items, at
    if major == 5:
        items = {}
        for _ in range(arg):
            key, at = cbor(data, at)
            items[key], at = cbor(data, at)
        return items, at
    raise ValueError(f"CBOR major type {major} at {at}")


def pinhole_weights(header, burnpack):
    head = json.dumps(header).encode()
    return b"PINHOLE1" + struct.pack("<I", len(head)) + head + burnpack


def safetensors(tensors, metadata, dtype="F32", cast=None):
    """`tensors`: name -> (shape, f32 values). `cast` maps each value list to bytes."""
    header, blobs, at = {"__metadata__": metadata}, [], 0
    for name, (shape, values) in tensors.items():
        blob = cast(values) if cast else struct.pack(f"<{len(values)}f", *values)
        header[name] = {"dtype": dtype, "shape": shape, "data_offsets": [at, at + len(blob)]}
        blobs.append(blob)
        at += len(blob)
    head = json.dumps(header).encode()
    return struct.pack("<Q", len(head)) + head + b"".join(blobs)


def weights():
    shipped = (ROOT / "weights" / "fast.bin").read_bytes()
    (header_len,) = struct.unpack("<I", shipped[8:12])
    header = json.loads(shipped[12 : 12 + header_len])
    pack = shipped[12 + header_len :]
    (meta_len,) = struct.unpack("<I", pack[6:10])
    meta, _ = cbor(pack, 10)
    entries = meta["tensors"]
    data_len = max(e["data_offsets"][1] for e in entries.values())
    data_at = len(pack) - data_len
    data = pack[data_at:]

    def patched(old, new, count=1):
        assert len(old) == len(new) and old in pack
        return pinhole_weights(header, pack.replace(old, new, count))

    out("weights", "ok-fast.bin", shipped)
    out("weights", "dtype-f16-claims-i16.bin", patched(b"cF16", b"cI16"))
    out("weights", "dtype-f16-claims-u16.bin", patched(b"cF16", b"cU16"))
    out("weights", "dtype-f32-claims-i32.bin", patched(b"cF32", b"cI32"))
    out("weights", "dtype-f16-claims-f32.bin", patched(b"cF16", b"cF32"))
    out("weights", "dtype-all-claim-u8-ish.bin", patched(b"cF32", b"cI64", -1))
    first = b"Airbench.groups.0.conv1.weight\xa4edtypecF16eshape\x84\x18@"
    out("weights", "shape-lie.bin", patched(first, first[:-1] + b"A"))
    nan = pack[:data_at] + b"\xff" * len(data)
    out("weights", "all-nan.bin", pinhole_weights(header, nan))
    inf_f16 = pack[:data_at] + b"\x00\x7c" * (len(data) // 2)
    out("weights", "all-inf.bin", pinhole_weights(header, inf_f16))
    out("weights", "truncated-data.bin", shipped[: len(shipped) - 5000])
    out("weights", "truncated-header.bin", shipped[:40])
    out("weights", "magic-only.bin", b"PINHOLE1")
    out("weights", "header-length-4g.bin", b"PINHOLE1" + b"\xff\xff\xff\xff" + b"{}")
    out("weights", "header-not-json.bin", b"PINHOLE1" + struct.pack("<I", 5) + b"hello" + pack)
    out("weights", "preset-unknown.bin", pinhole_weights({**header, "preset": "giant"}, pack))
    out("weights", "preset-full-tensors-fast.bin", pinhole_weights({**header, "preset": "full"}, pack))
    out("weights", "classes-eleven.bin", pinhole_weights({**header, "classes": header["classes"] + ["x"]}, pack))
    out("weights", "burnpack-garbage.bin", pinhole_weights(header, b"NRUB\x01\x00" + random.Random(2).randbytes(4000)))
    out("weights", "burnpack-meta-length-4g.bin", pinhole_weights(header, b"NRUB\x01\x00\xff\xff\xff\xff" + pack[10:200]))
    out("weights", "burnpack-empty.bin", pinhole_weights(header, b""))
    out("weights", "checkpoint-magic.bin", b"PINHOLEC" + shipped[8:])

    # The same network as .safetensors, in f32 (good) and in the dtypes that must not load as is.
    def values(entry):
        raw = data[entry["data_offsets"][0] : entry["data_offsets"][1]]
        code = {"F16": "e", "F32": "f"}[entry["dtype"]]
        return list(struct.unpack(f"<{len(raw) // struct.calcsize(code)}{code}", raw))

    tensors = {name: (e["shape"], values(e)) for name, e in entries.items()}
    classes = json.dumps(header["classes"])
    metadata = {"pinhole.preset": "fast", "pinhole.classes": classes}
    out("weights", "ok-fast-f32.safetensors", safetensors(tensors, metadata))
    half = lambda v: struct.pack(f"<{len(v)}e", *v)
    out("weights", "ok-fast-f16.safetensors", safetensors(tensors, metadata, "F16", half))
    ints = lambda v: struct.pack(f"<{len(v)}i", *[int(x) for x in v])
    out("weights", "int32.safetensors", safetensors(tensors, metadata, "I32", ints))
    nans = {k: (s, [float("nan")] * len(v)) for k, (s, v) in tensors.items()}
    out("weights", "all-nan.safetensors", safetensors(nans, metadata))
    out("weights", "no-metadata.safetensors", safetensors(tensors, {}))
    out("weights", "preset-baseline.safetensors", safetensors(tensors, {**metadata, "pinhole.preset": "baseline"}))
    missing = dict(list(tensors.items())[1:])
    out("weights", "missing-tensor.safetensors", safetensors(missing, metadata))
    good = safetensors(tensors, metadata)
    out("weights", "truncated.safetensors", good[: len(good) // 2])
    out("weights", "header-length-huge.safetensors", struct.pack("<Q", 2**62) + b"{}")
    lying = json.loads(good[8 : 8 + struct.unpack("<Q", good[:8])[0]])
    first_name = next(k for k in lying if k != "__metadata__")
    lying[first_name]["data_offsets"] = [0, 2**40]
    head = json.dumps(lying).encode()
    out("weights", "offsets-past-end.safetensors", struct.pack("<Q", len(head)) + head + good[8 + struct.unpack("<Q", good[:8])[0]:])


# ---------------------------------------------------------------- manifests and shards


def records(count, seed, label=None):
    rng = random.Random(seed)
    return b"".join(
        bytes([rng.randrange(10) if label is None else label]) + rng.randbytes(3072)
        for _ in range(count)
    )


def manifest(shards, **fields):
    import hashlib

    body = {
        "format_version": 1,
        "dataset": "CIFAR-10",
        "class_names": ["airplane", "automobile", "bird", "cat", "deer", "dog", "frog", "horse", "ship", "truck"],
        "shards": shards,
    }
    body.update(fields)
    return json.dumps(body).encode()


def entry(file="train-000.bin", split="train", count=2, sha=None):
    import hashlib

    return {
        "file": file,
        "split": split,
        "records": count,
        # The hash of the two-record shard whatever the count claims (the count is the lie).
        "sha256": sha or hashlib.sha256(records(2, 3)).hexdigest(),
    }


def manifests():
    out("manifests", "ok-two-shards.json", manifest([entry(), entry("test-000.bin", "test")]))
    out("manifests", "records-usize-max.json", manifest([entry(count=2**64 - 1)]))
    out("manifests", "records-wrap-32-bit.json", manifest([entry(count=1_397_660)]))
    out("manifests", "records-sum-too-large.json", manifest([entry(f"t{i}.bin", count=60_000) for i in range(11)]))
    out("manifests", "records-negative.json", manifest([entry(count=-1)]))
    out("manifests", "records-zero.json", manifest([entry(count=0)]))
    for name, file in [
        ("path-protocol-relative", "//evil.example/x.bin"),
        ("path-backslashes", "\\\\evil\\x.bin"),
        ("path-escaped-climb", "%2e%2e/%2e%2e/x.bin"),
        ("path-absolute", "/etc/passwd"),
        ("path-data-url", "data:application/octet-stream;base64,AAAA"),
        ("path-climb", "../../x.bin"),
        ("path-scheme", "https://evil.example/x.bin"),
    ]:
        out("manifests", f"{name}.json", manifest([entry(file)]))
    out("manifests", "shards-too-many.json", manifest([entry(f"t{i}.bin") for i in range(10_001)]))
    out("manifests", "version-2.json", manifest([entry()], format_version=2))
    out("manifests", "classes-eleven.json", manifest([entry()], class_names=[str(i) for i in range(11)]))
    out("manifests", "no-training-shard.json", manifest([entry(split="test")]))
    out("manifests", "sha-short.json", manifest([entry(sha="abc")]))
    out("manifests", "unknown-field.json", manifest([entry()], extra=1))
    out("manifests", "nested-deep.json", b"[" * 100_000 + b"]" * 100_000)
    out("manifests", "html.json", b"<!doctype html><title>Not found</title>")
    out("manifests", "empty.json", b"")
    out("manifests", "too-large.json", manifest([entry()], dataset="x" * (4 << 20)))


def shards():
    good = records(2, 3)
    out("shards", "ok-two-records.bin", good)
    out("shards", "empty.bin", b"")
    out("shards", "one-byte.bin", b"\x01")
    out("shards", "one-short.bin", good[:-1])
    out("shards", "one-extra.bin", good + b"\x00")
    out("shards", "label-10.bin", records(2, 4, label=10))
    out("shards", "label-255.bin", records(1, 5, label=255))


# ---------------------------------------------------------------- tarballs


def tar_bytes(members, gnu_claims=None):
    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w", format=tarfile.GNU_FORMAT) as tar:
        for name, data in members:
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buffer.getvalue()


def gz(data, mtime=0):
    return gzip.compress(data, 6, mtime=mtime)


def tarballs():
    base = "cifar-10-batches-bin/"
    good = tar_bytes([(base + "data_batch_1.bin", records(3, 6)), (base + "test_batch.bin", records(2, 7))])
    out("tarballs", "ok-small.tar.gz", gz(good))
    half = len(good) // 2
    out("tarballs", "ok-two-members.tar.gz", gz(good[:half]) + gz(good[half:]))
    packed = gz(good)
    out("tarballs", "truncated.tar.gz", packed[: len(packed) // 2])
    crc = bytearray(packed)
    crc[-6] ^= 0xFF
    out("tarballs", "crc-wrong.tar.gz", bytes(crc))
    size = bytearray(packed)
    size[-2] ^= 0xFF
    out("tarballs", "isize-wrong.tar.gz", bytes(size))
    out("tarballs", "not-gzip.tar.gz", good)
    out("tarballs", "empty.tar.gz", b"")
    out("tarballs", "gzip-of-nothing.tar.gz", gz(b""))
    # A header claiming 8 GB for a record file.
    claim = tarfile.TarInfo(base + "data_batch_1.bin")
    claim.size = 8 << 30
    out("tarballs", "claims-8gb.tar.gz", gz(claim.tobuf(tarfile.GNU_FORMAT) + bytes(2048)))
    # 300 MB of zeros (inside a valid tar entry) in about 300 KB.
    bomb = tarfile.TarInfo(base + "data_batch_1.bin")
    bomb.size = 300 << 20
    stream = zlib.compressobj(9, zlib.DEFLATED, 31)
    chunks = [stream.compress(bomb.tobuf(tarfile.GNU_FORMAT))]
    zeros = bytes(1 << 20)
    chunks += [stream.compress(zeros) for _ in range(300)]
    chunks.append(stream.flush())
    out("tarballs", "bomb-300mb.tar.gz", b"".join(chunks))
    out("tarballs", "no-record-files.tar.gz", gz(tar_bytes([("readme.txt", b"hello")])))
    out("tarballs", "record-file-short.tar.gz", gz(tar_bytes([(base + "data_batch_1.bin", records(2, 8)[:-5])])))
    out("tarballs", "ok-climbing-names.tar.gz", gz(tar_bytes([("../../data_batch_1.bin", records(1, 9)), ("/abs/test_batch.bin", records(1, 10))])))
    link = io.BytesIO()
    with tarfile.open(fileobj=link, mode="w") as tar:
        info = tarfile.TarInfo(base + "data_batch_1.bin")
        info.type = tarfile.SYMTYPE
        info.linkname = "/etc/passwd"
        tar.addfile(info)
    out("tarballs", "symlink-record-file.tar.gz", gz(link.getvalue()))


# ---------------------------------------------------------------- checkpoints

CONFIG = {
    "preset": "fast", "epochs": 2, "batch_size": 100, "lr": 0.1, "momentum": 0.85,
    "weight_decay": 0.0013, "label_smoothing": 0.2, "warmup_fraction": 0.23, "lr_start": 0.2,
    "lr_end": 0.07, "flip": True, "alternate_flip": True, "translate": 2, "bias_scaler": 64.0,
    "dirac": True, "lookahead": True, "batch_norm_scale": False, "whiten_bias_epochs": 3, "seed": 0,
}


def checkpoint(config=None, step=3, train_records=1000, sections=None, body=None):
    shipped = (ROOT / "weights" / "fast.bin").read_bytes()
    parts = body if body is not None else [shipped, shipped, b""]
    header = {
        "config": {**CONFIG, **(config or {})},
        "step": step,
        "rng": 42,
        "train_records": train_records,
        "sections": sections or [len(p) for p in parts],
    }
    head = json.dumps(header).encode()
    return b"PINHOLEC" + struct.pack("<I", len(head)) + head + b"".join(parts)


def checkpoints():
    out("checkpoints", "ok-step-3.ckpt", checkpoint())
    out("checkpoints", "batch-size-0.ckpt", checkpoint({"batch_size": 0}))
    out("checkpoints", "batch-size-huge.ckpt", checkpoint({"batch_size": 1 << 40}))
    out("checkpoints", "translate-100.ckpt", checkpoint({"translate": 100}))
    out("checkpoints", "epochs-huge.ckpt", checkpoint({"epochs": 10**15}))
    out("checkpoints", "momentum-1.5.ckpt", checkpoint({"momentum": 1.5}))
    out("checkpoints", "lr-negative.ckpt", checkpoint({"lr": -1.0}))
    out("checkpoints", "step-past-end.ckpt", checkpoint(step=10**9))
    out("checkpoints", "other-data.ckpt", checkpoint(train_records=50_000))
    out("checkpoints", "sections-past-end.ckpt", checkpoint(sections=[2**40, 0, 0]))
    out("checkpoints", "sections-overflow.ckpt", checkpoint(sections=[2**64 - 1, 2**64 - 1, 2]))
    out("checkpoints", "model-garbage.ckpt", checkpoint(body=[b"PINHOLE1" + bytes(100), b"", b""]))
    out("checkpoints", "momentum-garbage.ckpt", checkpoint(body=[
        (ROOT / "weights" / "fast.bin").read_bytes(), (ROOT / "weights" / "fast.bin").read_bytes(), b"junk"]))
    out("checkpoints", "header-not-json.ckpt", b"PINHOLEC" + struct.pack("<I", 3) + b"abc")
    out("checkpoints", "weights-magic.ckpt", b"PINHOLE1" + bytes(20))
    out("checkpoints", "cut-in-header.ckpt", checkpoint()[:30])


# ---------------------------------------------------------------- Teach project files

SAMPLE = 96 * 96 * 3


def project(classes, samples=None, head=None, header=None, version=1, body=None):
    """A `.pinhole` file: PINPROJ1 | header length | header JSON | samples | head weights."""
    rng = random.Random(len(classes))
    counts = samples if samples is not None else [1] * len(classes)
    data = body if body is not None else b"".join(
        bytes(rng.randrange(256) for _ in range(SAMPLE)) for _ in range(sum(counts)))
    h = {
        "format_version": version,
        "classes": [{"name": n, "samples": c} for n, c in zip(classes, counts)],
        "head": None if head is None else {"bytes": len(head), "report": REPORT, "file_name": "h.bin"},
        "in_use": head is not None,
    }
    h.update(header or {})
    text = json.dumps(h).encode()
    return b"PINPROJ1" + struct.pack("<I", len(text)) + text + data + (head or b"")


REPORT = {
    "backbone": "full", "classes": [], "views": 0, "curve": [], "confusion": [], "warnings": [],
    "feature_ms": 0.0, "head_ms": 0.0, "features_by": "Burn",
}


def projects():
    shipped = (ROOT / "weights" / "fast.bin").read_bytes()
    good = project(["mug", "cat"])
    out("projects", "ok-two-classes.pinhole", good)
    out("projects", "ok-with-head.pinhole", project(["mug", "cat"], head=shipped))
    out("projects", "cut-in-header.pinhole", good[:40])
    out("projects", "cut-in-samples.pinhole", good[: len(good) - SAMPLE // 2])
    out("projects", "cut-in-head.pinhole", project(["mug", "cat"], head=shipped)[:-1000])
    out("projects", "trailing-bytes.pinhole", good + b"extra")
    out("projects", "samples-lie.pinhole", project(["mug", "cat"], samples=[5, 1], body=b"\0" * SAMPLE * 2))
    out("projects", "samples-billion.pinhole", project(["mug", "cat"], samples=[10**9, 1], body=b""))
    out("projects", "samples-negative.pinhole", project(["mug", "cat"], samples=[-1, 1], body=b""))
    out("projects", "classes-21.pinhole", project([f"c{i}" for i in range(21)], samples=[0] * 21))
    out("projects", "name-10k-chars.pinhole", project(["x" * 10_000, "cat"]))
    out("projects", "name-empty.pinhole", project(["  ", "cat"]))
    out("projects", "names-duplicate.pinhole", project(["Mug", "mug "]))
    out("projects", "head-claims-1tb.pinhole", project(["mug", "cat"], header={
        "head": {"bytes": 1 << 40, "report": REPORT}}))
    # A head whose every weight is NaN (the weights corpus's all-NaN file, written above): the
    # page loads a project's head to use it, and that load must refuse it.
    nan = (OUT / "weights" / "all-nan.bin").read_bytes()
    out("projects", "head-all-nan.pinhole", project(["mug", "cat"], head=nan))
    out("projects", "head-not-weights.pinhole", project(["mug", "cat"], head=b"not a weights file"))
    out("projects", "format-9.pinhole", project(["mug", "cat"], version=9))
    out("projects", "header-length-huge.pinhole", b"PINPROJ1" + struct.pack("<I", 2**32 - 1) + b"{}")
    out("projects", "header-not-json.pinhole", b"PINPROJ1" + struct.pack("<I", 3) + b"abc")
    out("projects", "weights-not-project.pinhole", shipped[:4096])


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    OUT = Path(sys.argv[1])
    for make in (images, weights, manifests, shards, tarballs, checkpoints, projects):
        make()
        print(make.__name__, file=sys.stderr)
    files = sorted(p for p in OUT.rglob("*") if p.is_file())
    print(f"{len(files)} files in {OUT}")
