"""Street-like test photos for the privacy tests: a real face (scikit-image's bundled astronaut photo, read
offline from the installed package) and synthetic Chinese number plates drawn with a CJK font."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from PIL import Image, ImageDraw, ImageFilter, ImageFont

FONT = "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc"
SIZE = (1600, 1200)


@dataclass(frozen=True)
class Street:
    image: Image.Image
    face: tuple[int, int, int, int]  # x, y, w, h of the face itself
    blue_plate: tuple[int, int, int, int]
    green_plate: tuple[int, int, int, int]


def astronaut() -> Image.Image:
    """The astronaut sample (a frontal face) that ships inside the scikit-image wheel."""
    from skimage import data

    return Image.fromarray(data.astronaut())


def background(seed: int = 3, size: tuple[int, int] = SIZE) -> Image.Image:
    """Sky, a row of building fronts with windows, a pavement and a road, with a little grain."""
    rng = np.random.default_rng(seed)
    width, height = size
    im = Image.new("RGB", size, (200, 214, 228))
    draw = ImageDraw.Draw(im)
    sky = height // 5
    for y in range(sky):  # a pale sky gradient
        shade = round(170 + 50 * y / sky)
        draw.line([(0, y), (width, y)], fill=(shade - 40, shade - 15, 235))
    x = 0
    while x < width:
        w = int(rng.integers(180, 340))
        colour = tuple(int(c) for c in rng.integers(140, 215, 3))
        top = sky - int(rng.integers(0, sky // 2))
        draw.rectangle((x, top, x + w, height * 2 // 3), fill=colour)
        for wy in range(top + 30, height * 2 // 3 - 60, 70):
            for wx in range(x + 20, x + w - 40, 55):
                draw.rectangle((wx, wy, wx + 30, wy + 40), fill=(70, 80, 95))
        x += w + 6
    draw.rectangle((0, height * 2 // 3, width, height * 3 // 4), fill=(165, 160, 150))  # pavement
    draw.rectangle((0, height * 3 // 4, width, height), fill=(85, 85, 90))  # road
    for lx in range(40, width, 240):
        draw.rectangle((lx, height * 7 // 8 - 6, lx + 120, height * 7 // 8 + 6), fill=(235, 235, 230))
    arr = np.asarray(im, dtype=np.float64) + rng.normal(0, 3, (height, width, 3))
    return Image.fromarray(np.clip(arr, 0, 255).astype("uint8")).filter(ImageFilter.GaussianBlur(0.6))


def plate(text: str, green: bool, width: int) -> Image.Image:
    """A Chinese plate: blue 440×140 with white characters and border, or green 480×140 (light at the top,
    green at the bottom) with black characters."""
    height = round(width * 140 / (480 if green else 440))
    im = Image.new("RGB", (width, height))
    draw = ImageDraw.Draw(im)
    if green:
        for y in range(height):
            t = y / max(1, height - 1)
            shade = [round(a + (b - a) * t) for a, b in ((215, 40), (240, 175), (215, 90))]
            draw.line([(0, y), (width, y)], fill=(shade[0], shade[1], shade[2]))
        ink = (15, 15, 15)
    else:
        draw.rectangle((0, 0, width, height), fill=(16, 72, 190))
        ink = (250, 250, 250)
    border = max(2, height // 20)
    draw.rectangle((border, border, width - border - 1, height - border - 1), outline=ink, width=border)
    font = ImageFont.truetype(FONT, round(height * 0.66))
    left, top, right, bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(
        ((width - (right - left)) / 2 - left, (height - (bottom - top)) / 2 - top), text, font=font, fill=ink
    )
    return im


def _tilt(im: Image.Image, shear: float) -> Image.Image:
    """A slight perspective: the right edge a little shorter than the left (pixels outside become black)."""
    width, height = im.size
    d = height * shear
    # Image.transform with QUAD maps the four corners (upper left, lower left, lower right, upper right).
    return im.transform(im.size, Image.Transform.QUAD, (0, 0, 0, height, width, height + d, width, -d))


def car(
    canvas: Image.Image, x: int, y: int, width: int, colour: tuple[int, int, int], plate_im: Image.Image
) -> tuple[int, int, int, int]:
    """Draw the back of a car with ``plate_im`` on it; returns the plate's box."""
    draw = ImageDraw.Draw(canvas)
    height = round(width * 0.55)
    draw.rounded_rectangle((x, y, x + width, y + height), radius=width // 10, fill=colour)
    draw.rectangle(
        (x + width // 8, y + height // 10, x + width * 7 // 8, y + height * 4 // 10), fill=(40, 50, 60)
    )
    draw.rectangle((x + 10, y + height * 5 // 10, x + width // 6, y + height * 6 // 10), fill=(200, 30, 30))
    draw.rectangle(
        (x + width * 5 // 6, y + height * 5 // 10, x + width - 10, y + height * 6 // 10), fill=(200, 30, 30)
    )
    px = x + (width - plate_im.width) // 2
    py = y + height * 13 // 20
    canvas.paste(plate_im, (px, py))
    return px, py, plate_im.width, plate_im.height


def street(face_width: int = 260, plate_width: int = 200, tilt: float = 0.04) -> Street:
    """A 1600×1200 street with a face on the pavement and two parked cars, one with a blue plate, one with a
    green new-energy plate."""
    im = background()
    head = astronaut().crop((120, 20, 360, 260))  # the face with hair and collar
    head = head.resize((face_width, face_width), Image.Resampling.LANCZOS)
    fx, fy = 260, 420
    im.paste(head, (fx, fy))
    # Inside the 240-px crop the face itself (brow to chin, cheek to cheek) is about x 50–155, y 40–160.
    scale = face_width / 240
    face = (fx + round(50 * scale), fy + round(40 * scale), round(105 * scale), round(120 * scale))
    blue = _tilt(plate("沪A·12345", False, plate_width), tilt)
    green = _tilt(plate("沪AD12345", True, round(plate_width * 480 / 440)), -tilt)
    blue_box = car(im, 700, 820, round(plate_width * 2.6), (225, 225, 222), blue)
    green_box = car(im, 1180 - plate_width // 2, 780, round(plate_width * 2.2), (30, 32, 36), green)
    return Street(im, face, blue_box, green_box)
