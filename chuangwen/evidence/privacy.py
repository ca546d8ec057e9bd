"""Public copies of photos: faces and number plates blurred, no metadata at all.

Everything runs on what ships inside ``opencv-python-headless`` 4.x (its Haar cascades under
``cv2.data.haarcascades``); nothing is downloaded at run time.

- Faces: the frontal-face and profile-face cascades (the profile one on the picture and on its mirror image,
  as it only knows faces turned one way), on a greyscale copy at most :data:`FACE_SIDE` px long.
- Chinese number plates: colour segmentation in HSV (blue plates: white characters on blue; new-energy plates:
  black characters on a green gradient), closing, contours of plate proportions (440×140 mm and 480×140 mm,
  aspect 2–5.5), minimum size, fill ratio, and light (blue) or dark (green) character strokes inside; the
  shipped cascade for Russian plates adds candidates that must show character strokes and some plate colour.
- :func:`blur_regions` pixelates and blurs inside the boxes only.

Which photos are public is decided by the apps that publish them: each appends a check to
:data:`PUBLIC_CHECKS` in its ``AppConfig.ready``; :func:`is_public` is true when one of them says so.
"""

from __future__ import annotations

import io
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING

import cv2
import numpy as np
from django.core.files.storage import default_storage
from django.urls import reverse
from PIL import Image, ImageOps

from chuangwen.evidence.images import decode_slot
from chuangwen.evidence.storage import ORIGINALS, present, store_derivative

if TYPE_CHECKING:
    from chuangwen.evidence.models import Evidence

logger = logging.getLogger(__name__)

PUBLIC_SIDE = 1600
PUBLIC_QUALITY = 82
FACE_SIDE = 800  # faces are looked for on a copy this long at most
# A face box is enlarged by these shares of its width and height (ears, forehead, chin).
FACE_GROW = (0.3, 0.5)
PLATE_GROW = 0.12
# Bumped when the detector changes, so that public copies made by an older one are made again on request.
PRIVACY_VERSION = 1

# Checks that say whether a photo may be shown to anyone; apps append theirs in AppConfig.ready.
PUBLIC_CHECKS: list[Callable[[Evidence], bool]] = []


@dataclass(frozen=True)
class Box:
    """A rectangle in pixels: left, top, width, height."""

    x: int
    y: int
    w: int
    h: int

    @property
    def area(self) -> int:
        return self.w * self.h

    def scaled(self, factor: float) -> Box:
        return Box(
            round(self.x * factor), round(self.y * factor), round(self.w * factor), round(self.h * factor)
        )

    def grown(self, share: float | tuple[float, float], size: tuple[int, int]) -> Box:
        """Enlarged by ``share`` of its width and height (half on each side), kept inside ``size``."""
        sx, sy = share if isinstance(share, tuple) else (share, share)
        dx, dy = round(self.w * sx / 2), round(self.h * sy / 2)
        left, top = max(0, self.x - dx), max(0, self.y - dy)
        right, bottom = min(size[0], self.x + self.w + dx), min(size[1], self.y + self.h + dy)
        return Box(left, top, max(0, right - left), max(0, bottom - top))

    def overlap(self, other: Box) -> float:
        """Intersection over the smaller of the two areas."""
        width = min(self.x + self.w, other.x + other.w) - max(self.x, other.x)
        height = min(self.y + self.h, other.y + other.h) - max(self.y, other.y)
        if width <= 0 or height <= 0:
            return 0.0
        return width * height / max(1, min(self.area, other.area))


# --- faces -------------------------------------------------------------------------------------------------


@lru_cache(maxsize=8)
def _cascade(name: str) -> cv2.CascadeClassifier:
    path = Path(cv2.data.haarcascades) / name  # type: ignore[attr-defined]
    classifier = cv2.CascadeClassifier(str(path))
    if classifier.empty():
        raise RuntimeError(
            f"OpenCV cascade missing or unreadable: {path} (opencv-python-headless 4.x ships it)"
        )
    return classifier


def _rgb(image: Image.Image) -> np.ndarray:
    return np.asarray(image if image.mode == "RGB" else image.convert("RGB"))


def _merge(boxes: Iterable[Box], threshold: float = 0.5) -> list[Box]:
    """Boxes overlapping another by more than ``threshold`` (of the smaller) joined into their union."""
    merged: list[Box] = []
    for box in sorted(boxes, key=lambda b: -b.area):
        for index, kept in enumerate(merged):
            if kept.overlap(box) > threshold:
                left, top = min(kept.x, box.x), min(kept.y, box.y)
                right = max(kept.x + kept.w, box.x + box.w)
                bottom = max(kept.y + kept.h, box.y + box.h)
                merged[index] = Box(left, top, right - left, bottom - top)
                break
        else:
            merged.append(box)
    return merged


def _detect(classifier: cv2.CascadeClassifier, grey: np.ndarray, step: float, min_side: int) -> list[Box]:
    found = classifier.detectMultiScale(grey, scaleFactor=step, minNeighbors=5, minSize=(min_side, min_side))
    return [Box(int(x), int(y), int(w), int(h)) for x, y, w, h in found]


def find_faces(image: Image.Image) -> list[Box]:
    """Boxes (in ``image`` pixels, enlarged a little) around frontal and profile faces."""
    rgb = _rgb(image)
    height, width = rgb.shape[:2]
    scale = min(1.0, FACE_SIDE / max(width, height))
    small = rgb if scale == 1.0 else cv2.resize(rgb, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
    grey = cv2.equalizeHist(cv2.cvtColor(small, cv2.COLOR_RGB2GRAY))
    min_side = max(20, round(min(grey.shape) / 40))
    boxes = _detect(_cascade("haarcascade_frontalface_default.xml"), grey, 1.15, min_side)
    profile = _cascade("haarcascade_profileface.xml")
    boxes += _detect(profile, grey, 1.2, min_side)
    mirrored = cv2.flip(grey, 1)
    small_width = grey.shape[1]
    boxes += [Box(small_width - b.x - b.w, b.y, b.w, b.h) for b in _detect(profile, mirrored, 1.2, min_side)]
    return [b.scaled(1 / scale).grown(FACE_GROW, (width, height)) for b in _merge(boxes)]


# --- number plates -----------------------------------------------------------------------------------------

# OpenCV HSV: H 0–180, S and V 0–255.
BLUE = ((100, 90, 60), (124, 255, 255))
GREEN = ((35, 50, 90), (85, 255, 255))
PLATE_ASPECT = (2.0, 5.5)
PLATE_MIN_WIDTH = 36  # px in the picture examined; smaller plates are unreadable anyway
PLATE_MAX_WIDTH_SHARE = 0.7  # a plate is never most of the picture (a sky or a lawn is)
PLATE_MIN_FILL = 0.55  # share of the (rotated) rectangle that is plate colour after closing


def _strokes(region_hsv: np.ndarray, light: bool) -> bool:
    """Does the region hold character strokes: light ones (blue plate) or dark ones (green plate)?

    Character pixels must be a real share of the inner part (8–55 %) and the middle rows must cross between
    character and background often enough for several characters (at least 8 transitions on average)."""
    h, w = region_hsv.shape[:2]
    inner = region_hsv[round(h * 0.15) : round(h * 0.85), round(w * 0.04) : round(w * 0.96)]
    if inner.size == 0:
        return False
    sat, val = inner[..., 1].astype(np.int16), inner[..., 2].astype(np.int16)
    if light:
        ink = (val > 150) & (sat < 90)
    else:
        ink = val < np.percentile(val, 60) * 0.6
    share = float(ink.mean())
    if not 0.08 <= share <= 0.55:
        return False
    rows = ink[round(ink.shape[0] * 0.3) : round(ink.shape[0] * 0.7)]
    if rows.shape[0] == 0:
        return False
    transitions = np.abs(np.diff(rows.astype(np.int8), axis=1)).sum(axis=1)
    return float(np.median(transitions)) >= 8


def _mask(hsv: np.ndarray, bounds: tuple[tuple[int, int, int], tuple[int, int, int]]) -> np.ndarray:
    """Pixels of ``hsv`` within the colour ``bounds`` (255) or not (0)."""
    return cv2.inRange(hsv, np.array(bounds[0], np.uint8), np.array(bounds[1], np.uint8))


def _colour_candidates(
    hsv: np.ndarray, bounds: tuple[tuple[int, int, int], tuple[int, int, int]]
) -> list[Box]:
    width = hsv.shape[1]
    mask = _mask(hsv, bounds)
    # Close the gaps the characters leave, then cut thin bridges to neighbouring areas of the same colour.
    k = max(3, round(width / 160))
    mask = cv2.morphologyEx(mask, cv2.MORPH_CLOSE, cv2.getStructuringElement(cv2.MORPH_RECT, (k * 2, k)))
    mask = cv2.morphologyEx(mask, cv2.MORPH_OPEN, cv2.getStructuringElement(cv2.MORPH_RECT, (3, 3)))
    contours, _hierarchy = cv2.findContours(mask, cv2.RETR_EXTERNAL, cv2.CHAIN_APPROX_SIMPLE)
    found = []
    for contour in contours:
        (_cx, _cy), (rw, rh), _angle = cv2.minAreaRect(contour)
        long_side, short_side = max(rw, rh), min(rw, rh)
        if short_side < 1 or long_side < PLATE_MIN_WIDTH or long_side > width * PLATE_MAX_WIDTH_SHARE:
            continue
        if not PLATE_ASPECT[0] <= long_side / short_side <= PLATE_ASPECT[1]:
            continue
        if cv2.contourArea(contour) / (long_side * short_side) < PLATE_MIN_FILL:
            continue
        x, y, w, h = cv2.boundingRect(contour)
        if w < h:  # standing upright: not a plate
            continue
        found.append(Box(x, y, w, h))
    return found


def _colour_share(region_hsv: np.ndarray) -> float:
    blue, green = _mask(region_hsv, BLUE), _mask(region_hsv, GREEN)
    return float(np.count_nonzero(cv2.bitwise_or(blue, green))) / max(1, blue.size)


def find_plates(image: Image.Image) -> list[Box]:
    """Boxes around blue and green (new-energy) Chinese number plates, enlarged a little."""
    rgb = _rgb(image)
    height, width = rgb.shape[:2]
    hsv = cv2.cvtColor(cv2.GaussianBlur(rgb, (3, 3), 0), cv2.COLOR_RGB2HSV)
    boxes: list[Box] = []
    for bounds, light in ((BLUE, True), (GREEN, False)):
        for box in _colour_candidates(hsv, bounds):
            if not light:
                # A new-energy plate turns almost white towards its top edge, out of the green range.
                rise = min(box.y, round(box.h * 0.4))
                box = Box(box.x, box.y - rise, box.w, box.h + rise)
            if _strokes(hsv[box.y : box.y + box.h, box.x : box.x + box.w], light):
                boxes.append(box)
    grey = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    plates = _cascade("haarcascade_russian_plate_number.xml").detectMultiScale(
        grey, scaleFactor=1.2, minNeighbors=4, minSize=(PLATE_MIN_WIDTH, PLATE_MIN_WIDTH // 3)
    )
    for x, y, w, h in plates:
        region = hsv[y : y + h, x : x + w]
        if _colour_share(region) >= 0.3 and (_strokes(region, True) or _strokes(region, False)):
            boxes.append(Box(int(x), int(y), int(w), int(h)))
    return [b.grown(PLATE_GROW, (width, height)) for b in _merge(boxes, 0.3)]


# --- blurring ----------------------------------------------------------------------------------------------


def blur_regions(image: Image.Image, boxes: Iterable[Box]) -> Image.Image:
    """A copy of ``image`` with each box pixelated (about 5 blocks across its short side) and blurred;
    pixels outside the boxes are left exactly as they were."""
    out = np.array(_rgb(image))
    height, width = out.shape[:2]
    for box in boxes:
        left, top = max(0, box.x), max(0, box.y)
        right, bottom = min(width, box.x + box.w), min(height, box.y + box.h)
        if right - left < 2 or bottom - top < 2:
            continue
        region = out[top:bottom, left:right]
        rh, rw = region.shape[:2]
        block = max(2, min(rw, rh) // 5)
        tiny = cv2.resize(region, (max(1, rw // block), max(1, rh // block)), interpolation=cv2.INTER_AREA)
        coarse = cv2.resize(tiny, (rw, rh), interpolation=cv2.INTER_NEAREST)
        sigma = max(1.0, block * 0.6)
        out[top:bottom, left:right] = cv2.GaussianBlur(coarse, (0, 0), sigmaX=sigma, sigmaY=sigma)
    return Image.fromarray(out)


# --- the public copy ---------------------------------------------------------------------------------------


def _fit(size: tuple[int, int], side: int) -> tuple[int, int]:
    width, height = size
    scale = min(1.0, side / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def privatise(image: Image.Image) -> Image.Image:
    """``image`` upright, at most :data:`PUBLIC_SIDE` px long, with faces and plates blurred."""
    image = ImageOps.exif_transpose(image) or image
    rgb = image if image.mode == "RGB" else image.convert("RGB")
    target = _fit(rgb.size, PUBLIC_SIDE)
    if rgb.size != target:
        rgb = rgb.resize(target, Image.Resampling.LANCZOS, reducing_gap=2.0)
    return blur_regions(rgb, [*find_faces(rgb), *find_plates(rgb)])


def encode_public(image: Image.Image) -> bytes:
    """A baseline JPEG of the pixels only: no EXIF, XMP, ICC profile or comment is passed to the encoder."""
    out = io.BytesIO()
    clean = Image.frombytes("RGB", image.size, image.convert("RGB").tobytes())  # drops image.info
    clean.save(out, "JPEG", quality=PUBLIC_QUALITY, optimize=True)
    return out.getvalue()


def public_copy(evidence: Evidence) -> bytes:
    """The public JPEG of a photo: orientation applied, at most 1600 px, faces and plates blurred, no
    metadata."""
    with default_storage.open(evidence.file.name, "rb") as handle:
        data = handle.read()
    with decode_slot():  # one of the process's decoding slots (Busy when none frees in time)
        im = Image.open(io.BytesIO(data))
        im.draft("RGB", _fit(im.size, PUBLIC_SIDE))
        im.load()
        return encode_public(privatise(im))


def public_name(sha256: str) -> str:
    """Depends only on the original's bytes (and the detector version): rows sharing a file share it."""
    return f"{ORIGINALS}/public/{sha256[:2]}/{sha256}-v{PRIVACY_VERSION}.jpg"


def ensure_public_file(evidence: Evidence) -> str:
    """The storage name of the photo's public copy, made now when missing, empty or from an older detector."""
    from chuangwen.evidence.models import Evidence

    wanted = public_name(evidence.sha256)
    name = evidence.public_file.name
    if name == wanted and present(name):
        return name
    name = store_derivative(wanted, public_copy(evidence), sync=True)  # durable before the row points to it
    evidence.public_file.name = name
    Evidence.objects.filter(pk=evidence.pk).update(public_file=name)
    return name


def is_public(evidence: Evidence) -> bool:
    """True when an app that publishes photos says this one is shown publicly; false for everything else.
    A check that fails is logged and counts as "no"."""
    for check in PUBLIC_CHECKS:
        try:
            if check(evidence):
                return True
        except Exception:
            logger.exception("public check %r failed for evidence %s", check, evidence.pk)
    return False


def public_url(evidence: Evidence) -> str | None:
    """The path of the photo's public copy (``evidence:public``) when it is public, else None."""
    if not is_public(evidence):
        return None
    return reverse("evidence:public", args=[evidence.pk])
