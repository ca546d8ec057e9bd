"""Pictures made in the tests: photo-like images with optional EXIF, and bad uploads of every kind."""

from __future__ import annotations

import io
import struct
import zlib
from datetime import datetime

import numpy as np
from PIL import Image


def scene(seed: int = 1, size: tuple[int, int] = (800, 600)) -> Image.Image:
    """A photo-like picture (smooth shapes and a little grain); different seeds give different scenes."""
    rng = np.random.default_rng(seed)
    width, height = size
    coarse = rng.uniform(0, 255, (6, 8, 3)).astype("uint8")
    im = Image.fromarray(coarse).resize(size, Image.Resampling.BICUBIC)
    grain = rng.normal(0, 4, (height, width, 3))
    arr = np.clip(np.asarray(im, dtype=np.float64) + grain, 0, 255).astype("uint8")
    return Image.fromarray(arr)


def encode(im: Image.Image, fmt: str = "JPEG", **params: object) -> bytes:
    out = io.BytesIO()
    im.save(out, fmt, **params)
    return out.getvalue()


def jpeg(seed: int = 1, size: tuple[int, int] = (800, 600), quality: int = 85, **params: object) -> bytes:
    return encode(scene(seed, size), "JPEG", quality=quality, **params)


def exif_bytes(
    taken: datetime | None = None,
    lat: float | None = None,
    lng: float | None = None,
    orientation: int | None = None,
    offset: str | None = None,
) -> bytes:
    exif = Image.Exif()
    if orientation is not None:
        exif[0x0112] = orientation
    if taken is not None:
        sub = exif.get_ifd(0x8769)
        sub[0x9003] = taken.strftime("%Y:%m:%d %H:%M:%S")
        if offset:
            sub[0x9011] = offset
    if lat is not None and lng is not None:
        gps = exif.get_ifd(0x8825)
        gps[1] = "N" if lat >= 0 else "S"
        gps[2] = _dms(abs(lat))
        gps[3] = "E" if lng >= 0 else "W"
        gps[4] = _dms(abs(lng))
    return exif.tobytes()


def _dms(value: float) -> tuple[float, float, float]:
    degrees = int(value)
    minutes = int((value - degrees) * 60)
    seconds = round(((value - degrees) * 60 - minutes) * 60, 4)
    return (float(degrees), float(minutes), seconds)


def _png_chunk(kind: bytes, body: bytes) -> bytes:
    return (
        struct.pack(">I", len(body)) + kind + body + struct.pack(">I", zlib.crc32(kind + body) & 0xFFFFFFFF)
    )


def png_bomb(width: int = 50000, height: int = 50000) -> bytes:
    """A few hundred bytes of PNG that declare a huge picture."""
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + _png_chunk(b"IHDR", header)
        + _png_chunk(b"IDAT", zlib.compress(b"\x00" * 4096))
        + _png_chunk(b"IEND", b"")
    )


def jpeg_claiming(width: int, height: int) -> bytes:
    """A real small JPEG whose frame header claims another size."""
    data = bytearray(jpeg(size=(64, 48)))
    sof = data.find(b"\xff\xc0")
    data[sof + 5 : sof + 9] = struct.pack(">HH", height, width)
    return bytes(data)


ELF = b"\x7fELF\x02\x01\x01\x00" + b"\x00" * 8 + b"\x02\x00\x3e\x00" + bytes(range(256)) * 8
PE = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff\x00\x00" + b"\x00" * 44 + b"PE\x00\x00" + bytes(512)
