"""Street scenes for the photo-forensics tests and ``bench/forensics``: a problem photo, the tricks a cheater
plays on it, a genuine fix from the same viewpoint and a photo of another place, all made from a seed.

A scene is drawn at 1280 × 960: sky, façades with windows and shop signs, a pavement, a road with markings,
trees, street furniture, and grain. The problem is a pile of rubbish, a heap of boxes or posters on a wall
covering 3–15 % of the picture. A genuine fix re-draws the same scene without the problem, seen from a camera
moved a little (shift, turn, zoom), in other light, with a passer-by or a parked car that was not there.
"""

from __future__ import annotations

import io
import math
from collections.abc import Callable

import cv2
import numpy as np
from PIL import Image

WIDTH, HEIGHT = 1280, 960
Array = np.ndarray


def _rng(seed: int, salt: str) -> np.random.Generator:
    return np.random.default_rng([seed, sum(ord(c) * 31**i for i, c in enumerate(salt)) % 2**31])


def _text(rng: np.random.Generator, n: int) -> str:
    return "".join(chr(int(rng.integers(65, 91))) for _ in range(n))


def _background(seed: int) -> Array:
    rng = _rng(seed, "scene")
    im = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    horizon = int(HEIGHT * rng.uniform(0.45, 0.6))
    sky = np.linspace(rng.uniform(150, 230), rng.uniform(200, 255), horizon)[:, None, None]
    im[:horizon] = (sky * np.array([1.0, rng.uniform(0.85, 1), rng.uniform(0.6, 0.85)])).astype(np.uint8)
    x = int(rng.integers(-60, 0))
    while x < WIDTH:  # façades
        w, top = int(rng.integers(140, 360)), int(rng.integers(40, horizon - 120))
        colour = tuple(int(c) for c in rng.integers(60, 230, 3))
        cv2.rectangle(im, (x, top), (x + w, horizon + 40), colour, -1)
        rows, cols = int(rng.integers(3, 8)), int(rng.integers(2, 6))
        for r in range(rows):
            for c in range(cols):
                wx, wy = x + 12 + c * (w - 20) // cols, top + 15 + r * (horizon - top - 20) // rows
                shade = tuple(int(v) for v in rng.integers(20, 200, 3))
                cv2.rectangle(
                    im, (wx, wy), (wx + (w - 40) // cols, wy + 18 + int(rng.integers(0, 14))), shade, -1
                )
        sign = tuple(int(c) for c in rng.integers(0, 255, 3))
        cv2.rectangle(im, (x + 8, horizon - 30), (x + w - 8, horizon + 5), sign, -1)
        cv2.putText(
            im, _text(rng, 6), (x + 14, horizon - 4), cv2.FONT_HERSHEY_DUPLEX, 0.9, (250, 250, 250), 2
        )
        x += w + int(rng.integers(0, 30))
    im[horizon + 40 :] = (np.array(rng.integers(70, 130, 3)) * 1.0).astype(np.uint8)  # road
    cv2.rectangle(
        im, (0, horizon + 40), (WIDTH, horizon + 90), tuple(int(v) for v in rng.integers(120, 200, 3)), -1
    )
    for i in range(0, WIDTH, 60):  # paving joints
        cv2.line(im, (i, horizon + 40), (i - 30, horizon + 90), (90, 90, 90), 1)
    for i in range(int(rng.integers(-100, 0)), WIDTH, 220):  # lane markings
        cv2.rectangle(im, (i, HEIGHT - 160), (i + 120, HEIGHT - 145), (235, 235, 235), -1)
    for _ in range(int(rng.integers(2, 5))):  # trees and poles
        tx = int(rng.integers(0, WIDTH))
        cv2.rectangle(im, (tx - 6, horizon - 40), (tx + 6, horizon + 70), (50, 60, 70), -1)
        for _leaf in range(40):
            cx, cy = tx + int(rng.normal(0, 45)), horizon - 90 + int(rng.normal(0, 40))
            green = (int(rng.integers(20, 80)), int(rng.integers(90, 180)), int(rng.integers(20, 90)))
            cv2.circle(im, (cx, cy), int(rng.integers(8, 20)), green, -1)
    grain = rng.normal(0, 6, im.shape)
    return np.clip(im + grain, 0, 255).astype(np.uint8)


def _problem(im: Array, seed: int) -> Array:
    """Draw the problem onto ``im``: rubbish, boxes or posters over 3–15 % of the picture."""
    rng = _rng(seed, "problem")
    out = im.copy()
    kind = int(rng.integers(0, 3))
    area = rng.uniform(0.03, 0.15) * WIDTH * HEIGHT
    w = int(math.sqrt(area * rng.uniform(1.0, 2.0)))
    h = int(area / w)
    x0 = int(rng.integers(0, WIDTH - w))
    y0 = int(rng.integers(HEIGHT // 3, HEIGHT - h)) if kind != 2 else int(rng.integers(20, HEIGHT // 2))
    for _ in range(int(area / 1500)):
        cx, cy = x0 + int(rng.integers(0, w)), y0 + int(rng.integers(0, h))
        colour = tuple(int(c) for c in rng.integers(0, 255, 3))
        if kind == 0:  # rubbish: bags and scraps
            axes = (int(rng.integers(8, 40)), int(rng.integers(6, 28)))
            cv2.ellipse(out, (cx, cy), axes, float(rng.uniform(0, 180)), 0, 360, colour, -1)
        elif kind == 1:  # boxes
            s = int(rng.integers(15, 60))
            cv2.rectangle(out, (cx, cy), (cx + s, cy + int(s * 0.7)), colour, -1)
            cv2.rectangle(out, (cx, cy), (cx + s, cy + int(s * 0.7)), (30, 30, 30), 2)
        else:  # posters with text
            s = int(rng.integers(30, 80))
            cv2.rectangle(out, (cx, cy), (cx + s, cy + int(s * 1.3)), colour, -1)
            cv2.putText(out, _text(rng, 3), (cx + 3, cy + s // 2), cv2.FONT_HERSHEY_PLAIN, 1.2, (0, 0, 0), 2)
    return out


def problem_photo(seed: int) -> Array:
    return _problem(_background(seed), seed)


def _camera(im: Array, rng: np.random.Generator, shift: float, turn: float, zoom: float) -> Array:
    """The scene seen from a camera moved a little; borders mirrored in (a real photo has no black)."""
    centre = (
        WIDTH / 2 + rng.uniform(-shift, shift) * WIDTH,
        HEIGHT / 2 + rng.uniform(-shift, shift) * HEIGHT,
    )
    matrix = cv2.getRotationMatrix2D(centre, rng.uniform(-turn, turn), 1 + rng.uniform(0.02, zoom))
    return cv2.warpAffine(im, matrix, (WIDTH, HEIGHT), borderMode=cv2.BORDER_REFLECT)


def _light(im: Array, rng: np.random.Generator, strength: float) -> Array:
    gains = 1 + rng.uniform(-strength, strength, 3)
    gamma = rng.uniform(1 - strength, 1 + strength)
    out = 255.0 * (im / 255.0) ** gamma * gains
    return np.clip(out, 0, 255).astype(np.uint8)


def _passer_by(im: Array, rng: np.random.Generator) -> Array:
    out = im.copy()
    x, y = int(rng.integers(50, WIDTH - 150)), int(rng.integers(HEIGHT // 2, HEIGHT - 250))
    body = tuple(int(c) for c in rng.integers(0, 255, 3))
    cv2.rectangle(out, (x, y + 40), (x + 50, y + 200), body, -1)
    cv2.circle(out, (x + 25, y + 20), 20, (170, 140, 120), -1)
    return out


def genuine_fix(seed: int, fix_seed: int = 0) -> Array:
    """The same place after the fix, photographed from about the same spot at another time."""
    rng = _rng(seed * 1000 + fix_seed, "fix")
    im = _background(seed)
    if rng.random() < 0.7:
        im = _passer_by(im, rng)
    im = _camera(im, rng, shift=0.03, turn=2.0, zoom=0.05)
    return _light(im, rng, 0.15)


def another_place(seed: int) -> Array:
    """A fix photographed somewhere else altogether (another scene, its own problem fixed)."""
    return _light(_background(seed + 7919), _rng(seed, "elsewhere"), 0.1)


# --- what a cheater does to a photo -------------------------------------------------------------------------


def _crop(im: Array, rng: np.random.Generator, most: float = 0.15) -> Array:
    h, w = im.shape[:2]
    left, right, top, bottom = (rng.uniform(0.01, most) for _ in range(4))
    return im[int(top * h) : h - int(bottom * h), int(left * w) : w - int(right * w)].copy()


def _resize(im: Array, rng: np.random.Generator) -> Array:
    h, w = im.shape[:2]
    return cv2.resize(
        im, (int(w * rng.uniform(0.7, 1.1)), int(h * rng.uniform(0.7, 1.1))), interpolation=cv2.INTER_AREA
    )


def _rotate(im: Array, rng: np.random.Generator) -> Array:
    """Turned by up to 5° and cropped to the largest upright part without corners."""
    h, w = im.shape[:2]
    angle = rng.uniform(2, 5) * (1 if rng.random() < 0.5 else -1)
    turned = cv2.warpAffine(im, cv2.getRotationMatrix2D((w / 2, h / 2), angle, 1.0), (w, h))
    a = math.radians(abs(angle))
    keep_w = int((w * math.cos(a) - h * math.sin(a)) * 0.98)
    keep_h = int((h * math.cos(a) - w * math.sin(a)) * 0.98)
    x, y = (w - keep_w) // 2, (h - keep_h) // 2
    return turned[y : y + keep_h, x : x + keep_w].copy()


def _colour(im: Array, rng: np.random.Generator) -> Array:
    out = im.astype(np.float64)
    mean = out.mean()
    out = (out - mean) * rng.uniform(0.75, 1.3) + mean * rng.uniform(0.8, 1.2)
    out *= 1 + rng.uniform(-0.15, 0.15, 3)
    if rng.random() < 0.3:
        out = out.mean(axis=2, keepdims=True).repeat(3, axis=2)  # black and white
    return np.clip(out, 0, 255).astype(np.uint8)


def _reencode(im: Array, rng: np.random.Generator) -> Array:
    ok, data = cv2.imencode(".jpg", im, [cv2.IMWRITE_JPEG_QUALITY, int(rng.integers(8, 96))])
    assert ok
    decoded = cv2.imdecode(data, cv2.IMREAD_COLOR)
    assert decoded is not None
    return np.asarray(decoded)


def _overlay(im: Array, rng: np.random.Generator) -> Array:
    """A watermark-camera band or a timestamp with a place name, as the apps that stamp photos add."""
    out = im.copy()
    h, w = out.shape[:2]
    if rng.random() < 0.5:
        band = int(h * rng.uniform(0.08, 0.16))
        out[h - band :] = (out[h - band :] * 0.45).astype(np.uint8)
        y = h - band + 10
    else:
        y = int(h * rng.uniform(0.03, 0.85))
    scale = w / 700
    for line in range(2):
        month, day, minute = (int(rng.integers(1, n)) for n in (13, 29, 60))
        text = f"2026-{month:02d}-{day:02d} 10:{minute:02d} {_text(rng, 5)}"
        cv2.putText(
            out,
            text,
            (int(w * 0.04), y + int((line + 1) * 26 * scale)),
            cv2.FONT_HERSHEY_SIMPLEX,
            0.8 * scale,
            (255, 255, 255),
            max(1, int(2 * scale)),
        )
    return out


def _screenshot(im: Array, rng: np.random.Generator) -> Array:
    """The photo as a phone's gallery shows it, screenshotted: fitted into 1080 × 2340 with bars."""
    screen_w, screen_h = 1080, 2340
    fitted = cv2.resize(
        im, (screen_w, int(im.shape[0] * screen_w / im.shape[1])), interpolation=cv2.INTER_AREA
    )
    canvas = np.full((screen_h, screen_w, 3), 0 if rng.random() < 0.5 else 250, np.uint8)
    top = (screen_h - fitted.shape[0]) // 2
    canvas[top : top + fitted.shape[0]] = fitted
    cv2.rectangle(canvas, (0, 0), (screen_w, 90), (40, 40, 40), -1)
    cv2.putText(canvas, "10:42  4G  87%", (30, 60), cv2.FONT_HERSHEY_SIMPLEX, 1.4, (255, 255, 255), 3)
    cv2.rectangle(canvas, (0, screen_h - 180), (screen_w, screen_h), (30, 30, 30), -1)
    if rng.random() < 0.5:  # cropped by the cheater to about the photo
        margin = int(rng.integers(0, 60))
        canvas = canvas[max(0, top - margin) : top + fitted.shape[0] + margin]
    return canvas


def _screen_photo(im: Array, rng: np.random.Generator) -> Array:
    """The photo shown on a monitor and photographed by a phone: perspective, bezel, moiré, blur, glare."""
    out_w, out_h = 1280, 960
    photo = cv2.resize(im, (900, int(im.shape[0] * 900 / im.shape[1])), interpolation=cv2.INTER_AREA)
    ph, pw = photo.shape[:2]
    # The screen's pixel grid: every third column darker makes the moiré once resampled.
    grid = np.ones((ph, pw, 1))
    grid[:, ::3] = 0.82
    grid[::3, :] *= 0.9
    photo = (photo * grid).astype(np.uint8)
    jitter = lambda: rng.uniform(-50, 50)  # noqa: E731
    x0, y0 = (out_w - pw) / 2, (out_h - ph) / 2
    outline = [(x0, y0), (x0 + pw, y0), (x0 + pw, y0 + ph), (x0, y0 + ph)]
    corners = np.array([[x + jitter(), y + jitter()] for x, y in outline], dtype=np.float32)
    source = np.array([[0, 0], [pw, 0], [pw, ph], [0, ph]], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(source, corners)
    room = np.full((out_h, out_w, 3), tuple(int(c) for c in rng.integers(20, 90, 3)), np.uint8)
    warped = cv2.warpPerspective(photo, matrix, (out_w, out_h))
    mask = cv2.warpPerspective(np.full((ph, pw), 255, np.uint8), matrix, (out_w, out_h))
    room[mask > 0] = warped[mask > 0]
    glare = np.linspace(rng.uniform(0, 40), 0, out_w)[None, :, None]
    out = (
        cv2.GaussianBlur(room.astype(np.float64), (0, 0), rng.uniform(0.6, 1.6)) * rng.uniform(0.8, 1.05)
        + glare
    )
    out += rng.normal(0, 5, out.shape)
    return np.clip(out, 0, 255).astype(np.uint8)


Disguise = Callable[[Array, np.random.Generator], Array]

DISGUISES: dict[str, Disguise] = {
    "crop": _crop,
    "resize": _resize,
    "rotate": _rotate,
    "mirror": lambda im, rng: im[:, ::-1].copy(),
    "colour": _colour,
    "reencode": _reencode,
    "overlay": _overlay,
    "screenshot": _screenshot,
    "screen_photo": _screen_photo,
}


def _combined(im: Array, rng: np.random.Generator) -> Array:
    """What a careful cheater does: crop, resize unevenly, turn a little, mirror or not, recolour, stamp."""
    out = _resize(_crop(im, rng), rng)
    if rng.random() < 0.5:
        out = _rotate(out, rng)
    if rng.random() < 0.5:
        out = out[:, ::-1].copy()
    return _reencode(_overlay(_colour(out, rng), rng), rng)


DISGUISES["combined"] = _combined


def disguise(im: Array, kind: str, seed: int) -> Array:
    return DISGUISES[kind](im, _rng(seed, "disguise-" + kind))


def jpeg_bytes(im: Array, quality: int = 88) -> bytes:
    """A BGR array as JPEG bytes (what a phone would send)."""
    out = io.BytesIO()
    Image.fromarray(im[:, :, ::-1]).save(out, "JPEG", quality=quality)
    return out.getvalue()
