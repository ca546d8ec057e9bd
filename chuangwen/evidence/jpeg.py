"""Re-writing a JPEG segment by segment: only what a decoder needs is kept.

The frame, its quantisation and Huffman tables, restart interval and scans are copied byte for byte (no
generation loss, no decoding cost); JFIF, the ICC colour profile and Adobe's colour-transform flag are kept
because they change how the pixels look. Everything else goes: EXIF (with its GPS and embedded thumbnail),
XMP, maker notes, comments, multi-picture data, and any bytes after the end-of-image marker (where polyglot
payloads hide). A missing end marker or a segment running past the end of the file is a truncated upload.
"""

from __future__ import annotations

from django.utils.translation import gettext as _

from chuangwen.evidence.errors import ImageRejected

SOI, EOI, SOS = 0xD8, 0xD9, 0xDA
TABLES = {0xC4, 0xCC, 0xDB, 0xDD}  # DHT, DAC, DQT, DRI
NOT_FRAMES = {0xC4, 0xC8, 0xCC}
KEEP_APP = {0xE0: b"JFIF\x00", 0xE2: b"ICC_PROFILE\x00", 0xEE: b"Adobe"}


def _truncated() -> ImageRejected:
    return ImageRejected("truncated", _("图片不完整（文件被截断），请重新上传"))


def _damaged() -> ImageRejected:
    return ImageRejected("not_an_image", _("图片数据已损坏，无法解码"))


def _is_frame(marker: int) -> bool:
    return 0xC0 <= marker <= 0xCF and marker not in NOT_FRAMES


def _keep(marker: int, body: bytes) -> bool:
    if _is_frame(marker) or marker in TABLES:
        return True
    prefix = KEEP_APP.get(marker)
    return prefix is not None and body.startswith(prefix)


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


def rewrite_jpeg(data: bytes) -> bytes:
    """``data`` with only the segments a decoder needs, ending at the first end-of-image marker."""
    if not data.startswith(b"\xff\xd8"):
        raise _damaged()
    out = [b"\xff\xd8"]
    pos, size, framed = 2, len(data), False
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
            if not framed:
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
        if marker == SOS:
            if not framed:
                raise _damaged()
            end = _scan_end(data, end)
        elif not _keep(marker, data[pos + 2 : pos + 16]):
            pos = end
            continue
        framed = framed or _is_frame(marker)
        out.append(bytes((0xFF, marker)) + data[pos:end])
        pos = end
