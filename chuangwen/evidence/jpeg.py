"""Re-writing a JPEG segment by segment: only what a decoder needs is kept, and the structure is checked as a
decoder would check it.

The frame, its quantisation and Huffman tables, restart interval and scans are copied byte for byte (no
generation loss, no decoding cost); JFIF, the ICC colour profile and Adobe's colour-transform flag are kept
because they change how the pixels look. Everything else goes: EXIF (with its GPS and embedded thumbnail),
XMP, maker notes, comments, multi-picture data, and any bytes after the end-of-image marker (where polyglot
payloads hide).

While walking, every table and header is checked the way libjpeg checks it before it decodes (a quantisation
or Huffman table that is malformed or never defined, impossible sampling factors or scan parameters, a frame
without scans), and the entropy-coded data of each scan may hold no marker but a restart. That is everything a
full decode of a Huffman-coded JPEG refuses: a decoder reads damaged entropy-coded data without complaint (it
only warns), so what it refuses beyond the structure is a marker where none may be, or a missing end — a
truncated upload. ``tests/test_jpeg.py`` holds this against Pillow's full decode on damaged files.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.utils.translation import gettext as _

from chuangwen.evidence.errors import ImageRejected

SOI, EOI, SOS, DHT, DQT, DRI = 0xD8, 0xD9, 0xDA, 0xC4, 0xDB, 0xDD
HUFFMAN_FRAMES = {0xC0: False, 0xC1: False, 0xC2: True}  # SOF marker → progressive
KEEP_APP = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}
MAX_DIMENSION = 65500  # libjpeg's limit
MAX_BLOCKS_IN_MCU = 10


class StructureError(Exception):
    """The JPEG's structure is not one the stored-as-is path can vouch for."""


def _truncated() -> ImageRejected:
    return ImageRejected("truncated", _("图片不完整（文件被截断），请重新上传"))


def _damaged() -> ImageRejected:
    return ImageRejected("not_an_image", _("图片数据已损坏，无法解码"))


@dataclass
class _Tables:
    """What the segments so far have defined, as a decoder tracks it."""

    progressive: bool | None = None  # None: no frame yet
    components: dict[int, tuple[int, int, int]] = field(default_factory=dict)  # id → (h, v, quant table)
    quant: set[int] = field(default_factory=set)
    dc: set[int] = field(default_factory=set)
    ac: set[int] = field(default_factory=set)
    scans: int = 0


def _quant_tables(body: bytes, tables: _Tables) -> None:
    pos = 0
    while pos < len(body):
        precision, slot = body[pos] >> 4, body[pos] & 0x0F
        size = 64 * (precision + 1)
        if precision > 1 or slot > 3 or pos + 1 + size > len(body):
            raise _damaged()
        tables.quant.add(slot)
        pos += 1 + size


def _huffman_tables(body: bytes, tables: _Tables) -> None:
    pos = 0
    while pos < len(body):
        if pos + 17 > len(body):
            raise _damaged()
        kind, slot = body[pos] >> 4, body[pos] & 0x0F
        counts = body[pos + 1 : pos + 17]
        total = sum(counts)
        symbols = body[pos + 17 : pos + 17 + total]
        if kind > 1 or slot > 3 or total > 256 or len(symbols) < total:
            raise _damaged()
        if kind == 0 and any(symbol > 15 for symbol in symbols):
            raise _damaged()
        _check_code_space(counts)
        (tables.dc if kind == 0 else tables.ac).add(slot)
        pos += 17 + total


def _check_code_space(counts: bytes) -> None:
    """The canonical code must fit each length without using the all-ones code (libjpeg's own check)."""
    used = [length for length, count in enumerate(counts, start=1) if count]
    if not used:
        return
    code = 0
    for length in range(used[0], used[-1] + 1):
        code += counts[length - 1]
        if code >= 1 << length:
            raise _damaged()
        code <<= 1


def _frame(marker: int, body: bytes, tables: _Tables) -> None:
    if tables.progressive is not None or len(body) < 6:
        raise _damaged()
    precision, height, width, count = body[0], int.from_bytes(body[1:3]), int.from_bytes(body[3:5]), body[5]
    if precision != 8 or not 0 < height <= MAX_DIMENSION or not 0 < width <= MAX_DIMENSION:
        raise _damaged()
    if count not in (1, 3, 4) or len(body) != 6 + 3 * count:
        raise _damaged()
    for at in range(6, len(body), 3):
        ident, h, v, slot = body[at], body[at + 1] >> 4, body[at + 1] & 0x0F, body[at + 2]
        if ident in tables.components or not 1 <= h <= 4 or not 1 <= v <= 4 or slot > 3:
            raise _damaged()
        tables.components[ident] = (h, v, slot)
    tables.progressive = HUFFMAN_FRAMES[marker]


def _scan(body: bytes, tables: _Tables) -> None:
    """A scan header: its components known, their tables defined, its parameters possible."""
    if tables.progressive is None or not body:
        raise _damaged()
    count = body[0]
    if not 1 <= count <= 4 or len(body) != 4 + 2 * count:
        raise _damaged()
    start, end, high, low = body[-3], body[-2], body[-1] >> 4, body[-1] & 0x0F
    members = [(body[1 + 2 * n], body[2 + 2 * n] >> 4, body[2 + 2 * n] & 0x0F) for n in range(count)]
    if len({ident for ident, _dc, _ac in members}) != count:
        raise _damaged()
    if any(ident not in tables.components for ident, _dc, _ac in members):
        raise _damaged()
    if count > 1 and sum(tables.components[i][0] * tables.components[i][1] for i, *_ in members) > (
        MAX_BLOCKS_IN_MCU
    ):
        raise _damaged()
    if any(tables.components[ident][2] not in tables.quant for ident, _dc, _ac in members):
        raise _damaged()
    if tables.progressive:
        dc_scan = start == 0
        if start > end or end > 63 or (dc_scan and end != 0) or (not dc_scan and count != 1):
            raise _damaged()
        if high > 13 or low > 13 or (high and low != high - 1):
            raise _damaged()
        need_dc, need_ac = dc_scan and high == 0, not dc_scan
    else:
        if (start, end, high, low) != (0, 63, 0, 0):
            raise _damaged()
        need_dc = need_ac = True
    for _ident, dc, ac in members:
        if (need_dc and dc not in tables.dc) or (need_ac and ac not in tables.ac):
            raise _damaged()
    tables.scans += 1


def _scan_end(data: bytes, pos: int) -> int:
    """Where the entropy-coded data that starts at ``pos`` ends: the next marker other than a restart."""
    size = len(data)
    while True:
        at = data.find(b"\xff", pos)
        if at == -1 or at + 1 >= size:
            raise _truncated()
        following = data[at + 1]
        if following == 0x00 or 0xD0 <= following <= 0xD7:  # stuffed 0xFF byte, restart marker
            pos = at + 2
            continue
        return at


def _after_scan(data: bytes, at: int) -> None:
    """The marker that ends a scan must be one that may follow a scan: a marker inside entropy-coded data
    (damaged or foreign bytes) is refused as a decoder refuses it."""
    end = at
    while end < len(data) and data[end] == 0xFF:
        end += 1
    if end >= len(data):
        raise _truncated()
    following = data[end]
    if following not in (EOI, SOS, DHT, DQT, DRI, 0xFE) and not 0xE0 <= following <= 0xEF:
        raise _damaged()


def _segment(marker: int, body: bytes, tables: _Tables) -> bool:
    """Check one segment; whether it is kept."""
    if marker in HUFFMAN_FRAMES:
        _frame(marker, body, tables)
        return True
    if marker == DQT:
        _quant_tables(body, tables)
    elif marker == DHT:
        _huffman_tables(body, tables)
    elif marker == DRI:
        if len(body) != 2:
            raise _damaged()
    elif 0xE0 <= marker <= 0xEF or marker == 0xFE:  # application data, comments
        prefix = KEEP_APP.get(marker)
        return prefix is not None and body.startswith(prefix)
    elif 0xC0 <= marker <= 0xCF or marker in (0xDE, 0xDF) or 0xF0 <= marker <= 0xFD:
        raise StructureError(marker)  # lossless, arithmetic, hierarchical, extensions: Pillow decides
    else:
        raise _damaged()  # a marker no decoder knows (libjpeg: "unsupported marker type")
    return True


def rewrite_jpeg(data: bytes) -> bytes:
    """``data`` with only the segments a decoder needs, ending at the first end-of-image marker.

    Raises ``ImageRejected`` for a truncated or damaged file, ``StructureError`` for a coding this walk does
    not check (not Huffman-coded baseline or progressive), which the caller decodes instead."""
    if not data.startswith(b"\xff\xd8"):
        raise _damaged()
    out = [b"\xff\xd8"]
    pos, size, tables = 2, len(data), _Tables()
    while True:
        if pos >= size:
            raise _truncated()
        if data[pos] != 0xFF:
            raise _damaged()
        while pos < size and data[pos] == 0xFF:  # fill bytes before a marker
            pos += 1
        if pos + 1 > size:
            raise _truncated()
        marker = data[pos]
        pos += 1
        if marker == EOI:
            if not tables.scans:
                raise _damaged()
            out.append(b"\xff\xd9")
            return b"".join(out)
        if marker == SOI or 0xD0 <= marker <= 0xD7 or marker == 0x01:
            continue  # stray markers without a length
        if pos + 2 > size:
            raise _truncated()
        end = pos + int.from_bytes(data[pos : pos + 2], "big")
        if end > size:
            raise _truncated()
        if end < pos + 2:
            raise _damaged()
        body = data[pos + 2 : end]
        if marker == SOS:
            _scan(body, tables)
            end = _scan_end(data, end)
            _after_scan(data, end)
        elif not _segment(marker, body, tables):
            pos = end
            continue
        out.append(bytes((0xFF, marker)) + data[pos:end])
        pos = end
