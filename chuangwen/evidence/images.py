"""Checking and re-encoding a photo: content sniffing, size and pixel limits, EXIF, orientation.

Nothing here touches the database or the file store: :func:`prepare_photo` turns uploaded bytes into the JPEG
that will be kept, or raises :class:`ImageRejected` with a code and a Chinese message.
"""

from __future__ import annotations

import hashlib
import io
import math
import struct
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any

from django.conf import settings
from django.utils import timezone as dj_timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageFile, UnidentifiedImageError

from chuangwen.evidence.errors import Busy, ImageRejected
from chuangwen.evidence.jpeg import StructureError, rewrite_jpeg

JPEG_QUALITY = 85
# A JPEG is decoded at 1/2, 1/4 or 1/8 scale when its long side still reaches this share of the stored size.
DRAFT_MIN_SHARE = 0.75
# ISO base media files (HEIC, AVIF, MP4 …) name their kind in the "ftyp" box.
HEIC_BRANDS = {b"heic", b"heix", b"hevc", b"hevx", b"heim", b"heis", b"hevm", b"hevs"}
HEIF_GENERIC_BRANDS = {b"mif1", b"msf1"}
AVIF_BRANDS = {b"avif", b"avis"}
# Formats recognised by their first bytes that we refuse on purpose (a clearer message than "not an image").
OTHER_IMAGE_MAGIC = (
    b"GIF87a",
    b"GIF89a",
    b"BM",
    b"II*\x00",
    b"MM\x00*",
    b"8BPS",
    b"\x00\x00\x01\x00",
    b"\xff\x0a",
    b"\x00\x00\x00\x0cJXL ",
    b"\x00\x00\x00\x0cjP  ",
)

TAG_ORIENTATION = 0x0112
TAG_EXIF_IFD = 0x8769
TAG_GPS_IFD = 0x8825
TAG_DATETIME = 0x0132
TAG_DATETIME_ORIGINAL = 0x9003
TAG_OFFSET_TIME_ORIGINAL = 0x9011
TRANSPOSE = {
    2: Image.Transpose.FLIP_LEFT_RIGHT,
    3: Image.Transpose.ROTATE_180,
    4: Image.Transpose.FLIP_TOP_BOTTOM,
    5: Image.Transpose.TRANSPOSE,
    6: Image.Transpose.ROTATE_270,
    7: Image.Transpose.TRANSVERSE,
    8: Image.Transpose.ROTATE_90,
}

ImageFile.LOAD_TRUNCATED_IMAGES = False  # a truncated upload is an error, never a grey half picture
# Pillow warns between its limit and twice its limit; our own check below refuses those images anyway.
warnings.filterwarnings("ignore", category=Image.DecompressionBombWarning)


@dataclass(frozen=True)
class PreparedPhoto:
    data: bytes  # the re-encoded JPEG that is stored
    sha256: str  # of ``data``
    upload_sha256: str  # of the bytes as uploaded
    width: int
    height: int
    source_format: str  # JPEG | PNG | WEBP | HEIF
    exif_captured_at: datetime | None
    exif_lat: float | None
    exif_lng: float | None


def max_bytes() -> int:
    return int(settings.EVIDENCE_MAX_BYTES)


def max_pixels() -> int:
    return int(settings.EVIDENCE_MAX_PIXELS)


def max_side() -> int:
    return int(settings.EVIDENCE_MAX_SIDE)


def min_side() -> int:
    return int(settings.EVIDENCE_MIN_SIDE)


def limit_pillow_pixels() -> None:
    """Pillow's own bomb check (any ``Image.open`` of the process) at the same limit as ours."""
    if Image.MAX_IMAGE_PIXELS != max_pixels():
        Image.MAX_IMAGE_PIXELS = max_pixels()


# --- decoding slots ----------------------------------------------------------------------------------------

_slots_lock = threading.Lock()
_slots: tuple[int, threading.BoundedSemaphore] | None = None
_held = threading.local()


def _semaphore() -> threading.BoundedSemaphore:
    global _slots
    size = max(1, int(settings.EVIDENCE_DECODE_CONCURRENCY))
    with _slots_lock:
        if _slots is None or _slots[0] != size:
            _slots = (size, threading.BoundedSemaphore(size))
        return _slots[1]


def decode_wait() -> float:
    return float(settings.EVIDENCE_DECODE_WAIT_SECONDS)


@contextmanager
def decode_slot(wait: float | None = None) -> Iterator[None]:
    """Hold one of the process's EVIDENCE_DECODE_CONCURRENCY slots for decoding photos, so that a burst of big
    uploads queues instead of decoding all at once (memory and CPU grow with each parallel decode). A thread
    already holding a slot goes on (a report's photos share one). Raise :class:`Busy` when no slot frees
    within ``wait`` seconds (default EVIDENCE_DECODE_WAIT_SECONDS)."""
    if getattr(_held, "depth", 0):
        _held.depth += 1
        try:
            yield
        finally:
            _held.depth -= 1
        return
    semaphore = _semaphore()
    seconds = decode_wait() if wait is None else wait
    if not semaphore.acquire(timeout=max(0.0, seconds)):
        raise Busy(retry_after=max(1, math.ceil(seconds)))
    _held.depth = 1
    try:
        yield
    finally:
        _held.depth = 0
        semaphore.release()


def too_large_error() -> ImageRejected:
    return ImageRejected(
        "too_large", _("文件过大：照片不能超过 %(mb).0f MB") % {"mb": max_bytes() / 1024 / 1024}
    )


def _heif_available() -> bool:
    try:
        from pillow_heif import register_heif_opener
    except ImportError:
        return False
    register_heif_opener()
    return True


def _heif_brands(head: bytes) -> set[bytes]:
    size = int.from_bytes(head[0:4], "big")
    end = min(max(size, 16), len(head))
    return {head[8:12]} | {head[i : i + 4] for i in range(16, end - 3, 4)}


def _sniff_iso_media(head: bytes) -> str:
    brands = _heif_brands(head)
    is_heic = bool(brands & HEIC_BRANDS) or (head[8:12] in HEIF_GENERIC_BRANDS and not brands & AVIF_BRANDS)
    if is_heic:
        if not _heif_available():
            raise ImageRejected("unsupported_type", _("服务器未安装 HEIC 解码组件，请上传 JPEG 照片"))
        return "HEIF"
    if brands & AVIF_BRANDS:
        raise ImageRejected("unsupported_type", _("不支持的图片格式：仅接受 JPEG、PNG、WebP 或 HEIC 照片"))
    raise ImageRejected("not_an_image", _("文件不是图片：仅接受 JPEG、PNG、WebP 或 HEIC 照片"))


def sniff(head: bytes) -> str:
    """The Pillow format of an accepted photo from its first bytes, whatever the file is called."""
    if head.startswith(b"\xff\xd8\xff"):
        return "JPEG"
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "PNG"
    if head[0:4] == b"RIFF" and head[8:12] == b"WEBP":
        return "WEBP"
    if head[4:8] == b"ftyp":
        return _sniff_iso_media(head)
    stripped = head.lstrip()
    if head.startswith(OTHER_IMAGE_MAGIC) or stripped.startswith((b"<svg", b"<?xml")):
        raise ImageRejected("unsupported_type", _("不支持的图片格式：仅接受 JPEG、PNG、WebP 或 HEIC 照片"))
    raise ImageRejected("not_an_image", _("文件不是图片：仅接受 JPEG、PNG、WebP 或 HEIC 照片"))


def _pixel_error(pixels: int | None = None) -> ImageRejected:
    limit = max_pixels() / 1_000_000
    if pixels is None:
        message = _("图片像素过多（超过 %(limit).0f 百万像素），拒绝解码") % {"limit": limit}
    else:
        message = _("图片像素过多：%(mp).1f 百万像素，上限为 %(limit).0f 百万像素") % {
            "mp": pixels / 1_000_000,
            "limit": limit,
        }
    return ImageRejected("too_many_pixels", message)


def _small_error(short: int) -> ImageRejected:
    return ImageRejected(
        "too_small",
        _("图片太小：短边 %(side)d 像素，至少需要 %(limit)d 像素") % {"side": short, "limit": min_side()},
    )


def _damaged(exc: BaseException) -> ImageRejected:
    text = str(exc).lower()
    if isinstance(exc, EOFError) or "truncat" in text or "end of file" in text:
        return ImageRejected("truncated", _("图片不完整（文件被截断），请重新上传"))
    return ImageRejected("not_an_image", _("图片数据已损坏，无法解码"))


def _open(data: bytes, fmt: str) -> Image.Image:
    """Open (header only) as exactly the sniffed format and refuse too many pixels, or a side too short to
    show anything (a 1 × 60 000 strip), before any decoding."""
    limit_pillow_pixels()  # again here: tests and operators may change EVIDENCE_MAX_PIXELS at run time
    try:
        im = Image.open(io.BytesIO(data), formats=[fmt])
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _pixel_error() from exc
    except UnidentifiedImageError as exc:
        raise ImageRejected("not_an_image", _("文件不是有效的图片")) from exc
    except (OSError, SyntaxError, ValueError, EOFError) as exc:
        raise _damaged(exc) from exc
    width, height = im.size
    if width <= 0 or height <= 0:
        raise ImageRejected("not_an_image", _("文件不是有效的图片"))
    if width * height > max_pixels():
        raise _pixel_error(width * height)
    if min(width, height) < min_side():
        raise _small_error(min(width, height))
    return im


def _riff_truncated(data: bytes) -> bool:
    return data[0:4] == b"RIFF" and int.from_bytes(data[4:8], "little") + 8 > len(data)


@contextmanager
def _decoding() -> Iterator[None]:
    """Pillow's errors while reading pixels, as our codes."""
    try:
        yield
    except ImageRejected:
        raise
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as exc:
        raise _pixel_error() from exc
    except (OSError, SyntaxError, ValueError, EOFError, IndexError, struct.error) as exc:
        raise _damaged(exc) from exc


def open_checked(data: bytes, fmt: str) -> Image.Image:
    """The header of an upload, after its structure was verified; no pixel is decoded yet."""
    if _riff_truncated(data):
        raise ImageRejected("truncated", _("图片不完整（文件被截断），请重新上传"))
    with _decoding():
        _open(data, fmt).verify()
        return _open(data, fmt)


def draft_scale(size: tuple[int, int], side: int) -> int:
    """The JPEG decoder's reduction (8, 4, 2 or 1) whose result is still at least DRAFT_MIN_SHARE of
    ``side`` long: a 40-megapixel photo is decoded as 10 megapixels, never as 40."""
    for scale in (8, 4, 2):
        if max(size) / scale >= side * DRAFT_MIN_SHARE:
            return scale
    return 1


def decode(im: Image.Image) -> Image.Image:
    """Decode every pixel (a truncated or broken file fails here); a JPEG bigger than what is kept is decoded
    straight at a smaller scale (the decoder still reads every coefficient, so damage is still found)."""
    with _decoding():
        scale = draft_scale(im.size, max_side()) if im.format == "JPEG" else 1
        if scale > 1:
            width, height = im.size
            im.draft(im.mode, (width // scale, height // scale))
        im.load()
    return im


def _exif_datetime(value: Any, offset: Any) -> datetime | None:
    try:
        naive = datetime.strptime(str(value).strip().rstrip("\x00")[:19], "%Y:%m:%d %H:%M:%S")
    except (TypeError, ValueError):
        return None
    if isinstance(offset, str) and len(offset.strip("\x00")) >= 6:
        try:
            sign = -1 if offset[0] == "-" else 1
            hours, minutes = int(offset[1:3]), int(offset[4:6])
            return naive.replace(tzinfo=timezone(sign * timedelta(hours=hours, minutes=minutes)))
        except (ValueError, IndexError):
            pass
    return dj_timezone.make_aware(naive, dj_timezone.get_default_timezone())


def _gps_degrees(values: Any, ref: Any) -> float | None:
    try:
        d, m, s = (float(v) for v in values)
    except (TypeError, ValueError, ZeroDivisionError):
        return None
    degrees = d + m / 60 + s / 3600
    if isinstance(ref, bytes):
        ref = ref.decode("ascii", "ignore")
    return -degrees if str(ref).strip("\x00").upper() in {"S", "W"} else degrees


def read_exif(im: Image.Image) -> tuple[datetime | None, float | None, float | None, int]:
    """Capture time, GPS latitude and longitude, and orientation from EXIF (each None / 1 when absent)."""
    try:
        exif = im.getexif()
        sub = exif.get_ifd(TAG_EXIF_IFD)
        gps = exif.get_ifd(TAG_GPS_IFD)
    except Exception:  # a broken EXIF block never blocks a good picture
        return None, None, None, 1
    taken = sub.get(TAG_DATETIME_ORIGINAL) or exif.get(TAG_DATETIME)
    captured = _exif_datetime(taken, sub.get(TAG_OFFSET_TIME_ORIGINAL)) if taken else None
    lat = _gps_degrees(gps.get(2), gps.get(1)) if gps.get(2) else None
    lng = _gps_degrees(gps.get(4), gps.get(3)) if gps.get(4) else None
    if lat is None or lng is None or not (-90 <= lat <= 90 and -180 <= lng <= 180) or (lat == lng == 0):
        lat = lng = None
    orientation = exif.get(TAG_ORIENTATION, 1)
    return captured, lat, lng, orientation if isinstance(orientation, int) else 1


def to_rgb(im: Image.Image) -> Image.Image:
    """RGB (or greyscale) pixels; transparency is flattened onto white."""
    if im.mode in ("RGB", "L"):
        return im
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "RGBa", "La", "PA"):
        rgba = im.convert("RGBA")
        background = Image.new("RGB", rgba.size, (255, 255, 255))
        background.paste(rgba, mask=rgba.getchannel("A"))
        return background
    if im.mode.startswith("I"):
        return im.point(lambda v: v / 256).convert("L")  # 16-bit greyscale PNG
    return im.convert("RGB")


def reencode(im: Image.Image, orientation: int) -> tuple[bytes, int, int]:
    """The stored JPEG: upright, at most :func:`max_side` pixels long, without EXIF (the row keeps the
    place and time). Shrunk first, so that flattening and turning work on the smaller picture."""
    icc = im.info.get("icc_profile")
    if im.mode == "P":
        im = im.convert("RGBA")  # a palette picture would be shrunk with nearest-neighbour
    if max(im.size) > max_side() and im.mode in ("RGB", "L", "RGBA", "LA"):
        im.thumbnail((max_side(), max_side()), Image.Resampling.LANCZOS, reducing_gap=3.0)
    im = to_rgb(im)
    if max(im.size) > max_side():
        im.thumbnail((max_side(), max_side()), Image.Resampling.LANCZOS, reducing_gap=3.0)
    if orientation in TRANSPOSE:
        im = im.transpose(TRANSPOSE[orientation])
    out = io.BytesIO()
    im.save(out, "JPEG", quality=JPEG_QUALITY, icc_profile=icc if isinstance(icc, bytes) else None)
    return out.getvalue(), im.width, im.height


def _rewrite_only(im: Image.Image, orientation: int) -> bool:
    """An upright RGB or greyscale JPEG within the size limit is kept as its own pixels, re-written without
    metadata (see :mod:`chuangwen.evidence.jpeg`); anything else is decoded and re-encoded."""
    return (
        im.format == "JPEG"
        and not settings.EVIDENCE_REENCODE_ALL
        and orientation not in TRANSPOSE
        and im.mode in ("RGB", "L")
        and max(im.size) <= max_side()
    )


def _store_form(
    data: bytes, fmt: str
) -> tuple[bytes, int, int, tuple[datetime | None, float | None, float | None]]:
    im = open_checked(data, fmt)
    captured, lat, lng, orientation = read_exif(im)
    if _rewrite_only(im, orientation):
        try:
            stored = rewrite_jpeg(data)  # checks the structure as a decoder would, without decoding
        except StructureError:
            pass  # a coding the walk does not check (arithmetic, lossless …): decoded and re-encoded
        else:
            return stored, im.width, im.height, (captured, lat, lng)
    im = decode(im)
    if fmt != "JPEG":
        captured, lat, lng, orientation = read_exif(im)  # PNG and HEIF may carry EXIF after the pixels
    try:
        stored, width, height = reencode(im, orientation)
    except (OSError, ValueError) as exc:
        raise ImageRejected("unsupported_type", _("无法处理该图片的像素格式")) from exc
    return stored, width, height, (captured, lat, lng)


def prepare_photo(data: bytes) -> PreparedPhoto:
    """Check an upload and return the JPEG to keep; raise :class:`ImageRejected` for anything else, or
    :class:`Busy` when no decoding slot frees in time."""
    if not data:
        raise ImageRejected("not_an_image", _("文件为空"))
    if len(data) > max_bytes():
        raise too_large_error()
    fmt = sniff(data[:64])
    with decode_slot():
        stored, width, height, (captured, lat, lng) = _store_form(data, fmt)
    return PreparedPhoto(
        data=stored,
        sha256=hashlib.sha256(stored).hexdigest(),
        upload_sha256=hashlib.sha256(data).hexdigest(),
        width=width,
        height=height,
        source_format=fmt,
        exif_captured_at=captured,
        exif_lat=lat,
        exif_lng=lng,
    )
