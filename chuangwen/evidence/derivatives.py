"""What the worker makes from a stored original: a watermarked display copy, a thumbnail, a perceptual hash.

Decoding uses JPEG ``draft`` mode (the decoder scales by 1/2, 1/4 or 1/8 while decoding), so a 12-megapixel
original costs a fraction of a full decode. The watermark band burns in the site, capture time, position and
inspector, in a CJK font when one is installed (``fonts-wqy-microhei``), else in ASCII with Pillow's font.
"""

from __future__ import annotations

import io
import logging
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np
from django.conf import settings
from django.core.files.storage import default_storage
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from PIL import Image, ImageDraw, ImageFont

from chuangwen.evidence.images import decode_slot
from chuangwen.evidence.signals import photo_hashed
from chuangwen.evidence.storage import display_name, store_derivative, thumb_name

if TYPE_CHECKING:
    from chuangwen.evidence.models import Evidence

logger = logging.getLogger(__name__)

DISPLAY_SIDE = 1600
THUMB_SIDE = 320
DERIVATIVE_QUALITY = 82
CJK_FONTS = (
    "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc",
    "/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/noto/NotoSansCJK-Regular.ttc",
    "/usr/share/fonts/truetype/droid/DroidSansFallbackFull.ttf",
    "/usr/share/fonts/truetype/arphic/uming.ttc",
)
HASH_SIZE = 8
DCT_SIZE = 32


# --- perceptual hash ---------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def _dct_matrix(n: int = DCT_SIZE) -> np.ndarray:
    k = np.arange(n).reshape(-1, 1)
    x = np.arange(n).reshape(1, -1)
    return np.cos(np.pi * (2 * x + 1) * k / (2 * n))


def phash(im: Image.Image) -> str:
    """64-bit DCT perceptual hash as 16 hex digits: the 8×8 lowest frequencies of a 32×32 greyscale,
    each bit telling whether the coefficient is above their median."""
    small = im.convert("L").resize((DCT_SIZE, DCT_SIZE), Image.Resampling.LANCZOS)
    pixels = np.asarray(small, dtype=np.float64)
    matrix = _dct_matrix()
    low = (matrix @ pixels @ matrix.T)[:HASH_SIZE, :HASH_SIZE]
    bits = (low > np.median(low)).flatten()
    value = 0
    for bit in bits:
        value = (value << 1) | int(bit)
    return f"{value:016x}"


def hamming(a: str, b: str) -> int:
    """Number of differing bits between two hex perceptual hashes."""
    return (int(a, 16) ^ int(b, 16)).bit_count()


BANDS = 4
BAND_BITS = 16
SIMILAR_MAX_ROWS = 50_000


def bands(value: str) -> dict[str, int]:
    """The ``phash_band0..3`` fields of a hash: its 16-bit quarters, most significant first."""
    number = int(value, 16)
    return {f"phash_band{i}": (number >> (BAND_BITS * (BANDS - 1 - i))) & 0xFFFF for i in range(BANDS)}


def _neighbours(band: int) -> list[int]:
    """The band and every value one bit away from it."""
    return [band, *(band ^ (1 << bit) for bit in range(BAND_BITS))]


def similar(
    values: list[str], max_distance: int, queryset: QuerySet[Evidence] | None = None, limit: int = 50
) -> list[tuple[int, int]]:
    """(evidence id, distance) of the photos, among ``queryset``, whose hash has a band within one bit of the
    same band of one of ``values`` and lies within ``max_distance`` bits of it, nearest first, at most
    ``limit``. Every photo within 7 bits is found (four bands: seven differing bits leave one band with at
    most one); farther ones when their differences happen to spare a band. Index lookups only (17 values per
    band), whatever the store's size; only the rows found are matched against ``queryset``."""
    from chuangwen.evidence.models import Evidence

    if not values:
        return []
    where = Q()
    for value in values:
        for field, band in bands(value).items():
            where |= Q(**{f"{field}__in": _neighbours(band)})
    targets = [int(value, 16) for value in values]
    found: dict[int, int] = {}
    # Every row sharing a band is measured (a cut here would drop the true match at random): about
    # 2 × 4 × 17 × N / 65 536 rows for N stored hashes spread evenly, bounded for safety.
    for pk, other in Evidence.objects.filter(where).values_list("pk", "phash")[:SIMILAR_MAX_ROWS]:
        distance = min((target ^ int(other, 16)).bit_count() for target in targets)
        if distance <= max_distance:
            found[pk] = distance
    if queryset is not None and found:
        allowed = set(queryset.filter(pk__in=list(found)).values_list("pk", flat=True))
        found = {pk: d for pk, d in found.items() if pk in allowed}
    return sorted(found.items(), key=lambda pair: (pair[1], pair[0]))[:limit]


def near_duplicates(
    value: str,
    max_distance: int = 6,
    queryset: QuerySet[Evidence] | None = None,
    exclude_pk: int | None = None,
) -> list[tuple[int, int]]:
    """(evidence id, distance) of photos whose perceptual hash is within ``max_distance`` bits, nearest
    first. ``queryset`` narrows the search (e.g. to a case's other photos); by default all hashed photos.
    A linear scan: enough for a district; a city-sized store will want an index."""
    from chuangwen.evidence.models import Evidence

    rows = queryset if queryset is not None else Evidence.objects.all()
    pairs = rows.exclude(phash="").values_list("pk", "phash")
    target = int(value, 16)
    found = []
    for pk, other in pairs.iterator(chunk_size=5000):
        if pk == exclude_pk:
            continue
        distance = (target ^ int(other, 16)).bit_count()
        if distance <= max_distance:
            found.append((pk, distance))
    return sorted(found, key=lambda pair: (pair[1], pair[0]))


# --- watermark ---------------------------------------------------------------------------------------------


@lru_cache(maxsize=1)
def cjk_font_path() -> str | None:
    configured = settings.EVIDENCE_WATERMARK_FONT
    for candidate in (configured, *CJK_FONTS):
        if candidate and Path(candidate).is_file():
            return str(candidate)
    logger.warning("no CJK font found (install fonts-wqy-microhei): watermarks fall back to ASCII text")
    return None


@lru_cache(maxsize=16)
def _font(size: int) -> tuple[ImageFont.FreeTypeFont | ImageFont.ImageFont, bool]:
    path = cjk_font_path()
    if path is not None:
        return ImageFont.truetype(path, size), True
    return ImageFont.load_default(size), False


@dataclass(frozen=True)
class WatermarkText:
    site: str
    site_code: str
    taken_at: datetime
    lat: float | None
    lng: float | None
    person: str
    person_login: str
    sha256: str

    def lines(self, cjk: bool) -> list[str]:
        when = timezone.localtime(self.taken_at).strftime("%Y-%m-%d %H:%M:%S")
        where = f"{self.lat:.6f}, {self.lng:.6f}" if self.lat is not None and self.lng is not None else "—"
        if cjk:
            return [
                _("点位：%(site)s") % {"site": self.site or "—"},
                _("时间：%(when)s") % {"when": when},
                _("位置：%(where)s") % {"where": where},
                _("督查员：%(person)s　校验：%(sha)s") % {"person": self.person, "sha": self.sha256[:12]},
            ]
        where = where.replace("—", "-")
        return [
            f"Site: {self.site_code or '-'}",
            f"Time: {when}",
            f"GPS: {where}",
            f"By: {self.person_login}",
        ]


def watermark_text(evidence: Evidence) -> WatermarkText:
    site = evidence.site
    lat, lng = evidence.lat, evidence.lng
    if lat is None or lng is None:
        lat, lng = evidence.exif_lat, evidence.exif_lng
    return WatermarkText(
        site=site.name if site is not None else "",
        site_code=site.code if site is not None else "",
        taken_at=evidence.captured_at or evidence.exif_captured_at or evidence.received_at,
        lat=lat,
        lng=lng,
        person=evidence.uploader.display_name,
        person_login=evidence.uploader.get_username(),
        sha256=evidence.sha256,
    )


def burn_watermark(im: Image.Image, text: WatermarkText) -> Image.Image:
    """Draw a translucent band with the text across the bottom of ``im`` (in place) and return it."""
    size = max(12, round(min(im.size) / 40))
    font, cjk = _font(size)
    lines = text.lines(cjk)
    line_height = round(size * 1.35)
    band = line_height * len(lines) + size
    draw = ImageDraw.Draw(im, "RGBA")
    top = im.height - band
    draw.rectangle((0, top, im.width, im.height), fill=(0, 0, 0, 150))
    for index, line in enumerate(lines):
        draw.text((size, top + size // 2 + index * line_height), line, font=font, fill=(255, 255, 255, 235))
    return im


# --- building ----------------------------------------------------------------------------------------------


def _jpeg(im: Image.Image) -> bytes:
    out = io.BytesIO()
    im.save(out, "JPEG", quality=DERIVATIVE_QUALITY)
    return out.getvalue()


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    """``size`` scaled down so that its long side is at most ``side``."""
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def render(data: bytes, text: WatermarkText) -> tuple[bytes, bytes, str]:
    """(display JPEG, thumbnail JPEG, perceptual hash) of an original's bytes; decoded in one of the process's
    decoding slots (``images.decode_slot``: Busy when none frees in time)."""
    with decode_slot():
        im = Image.open(io.BytesIO(data))
        target = _fit(im.size, DISPLAY_SIDE)
        im.draft("RGB", target)  # JPEG: decode at the smallest 1/2, 1/4 or 1/8 scale still covering target
        display = im if im.mode == "RGB" else im.convert("RGB")
        if display.size != target:
            display = display.resize(target, Image.Resampling.BILINEAR, reducing_gap=2.0)
        thumb = display.resize(_fit(target, THUMB_SIDE), Image.Resampling.BILINEAR, reducing_gap=2.0)
    value = phash(thumb)
    burn_watermark(display, text)
    return _jpeg(display), _jpeg(thumb), value


def build_derivatives(evidence: Evidence) -> Evidence:
    """Make and store the display copy, thumbnail and perceptual hash of one photo, and mark it done."""
    from chuangwen.evidence.models import Evidence

    with default_storage.open(evidence.file.name, "rb") as handle:
        data = handle.read()
    display, thumb, value = render(data, watermark_text(evidence))
    evidence.display_file.name = store_derivative(display_name(evidence.pk, evidence.sha256), display)
    evidence.thumb_file.name = store_derivative(thumb_name(evidence.sha256), thumb)
    evidence.phash = value
    evidence.derivatives_done = True
    for field, band in bands(value).items():
        setattr(evidence, field, band)
    Evidence.objects.filter(pk=evidence.pk).update(
        display_file=evidence.display_file.name,
        thumb_file=evidence.thumb_file.name,
        phash=value,
        derivatives_done=True,
        **bands(value),
    )
    photo_hashed.send(sender=Evidence, evidence=evidence)
    return evidence
