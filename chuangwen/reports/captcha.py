"""A locally drawn image captcha (Pillow): random characters, noise lines. The session holds the challenge's
token; the answer's keyed hash is a ``CaptchaChallenge`` row, good for one try by one request: the answer
deletes the row with a single conditional DELETE, which only one of several racing requests can win (a
session copy read by each of them would let every one through)."""

from __future__ import annotations

import base64
import hashlib
import hmac
import io
import secrets
from datetime import datetime, timedelta
from functools import cache

from django.conf import settings
from django.contrib.sessions.backends.base import SessionBase
from django.utils import timezone
from PIL import Image, ImageDraw, ImageFilter, ImageFont

from chuangwen.reports.models import CaptchaChallenge

SESSION_KEY = "reports_captcha"
ALPHABET = "ACDEFHJKLMNPRTUVWXY34679"  # no look-alikes (0/O, 1/I, 2/Z, 5/S, 8/B)
WIDTH, HEIGHT = 160, 56
CHALLENGE_SECONDS = 15 * 60  # an older challenge is refused and purged


def _digest(answer: str, token: str) -> str:
    key = str(settings.SECRET_KEY).encode()
    return hmac.new(key, f"captcha:{token}:{answer.upper()}".encode(), hashlib.sha256).hexdigest()


@cache  # read the font file once, not on every drawing
def _font(size: int) -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    for path in (
        "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf",
        "/usr/share/fonts/truetype/wqy/wqy-microhei.ttc",
    ):
        try:
            return ImageFont.truetype(path, size)
        except OSError:
            continue
    return ImageFont.load_default(size=size)


def draw(text: str) -> bytes:
    """A PNG of ``text``: each character shifted and rotated, with noise lines and dots."""
    rng = secrets.SystemRandom()
    image = Image.new("RGB", (WIDTH, HEIGHT), (245, 247, 250))
    font = _font(34)
    step = (WIDTH - 20) // max(1, len(text))
    for index, char in enumerate(text):
        glyph = Image.new("RGBA", (48, 52), (0, 0, 0, 0))
        colour = (rng.randint(10, 90), rng.randint(30, 90), rng.randint(90, 160), 255)
        ImageDraw.Draw(glyph).text((8, 4), char, font=font, fill=colour)
        glyph = glyph.rotate(rng.uniform(-28, 28), resample=Image.Resampling.BICUBIC, expand=False)
        image.paste(glyph, (10 + index * step + rng.randint(-3, 3), rng.randint(-2, 6)), glyph)
    pen = ImageDraw.Draw(image)
    for _line in range(6):
        points = [(rng.randint(0, WIDTH), rng.randint(0, HEIGHT)) for _ in range(2)]
        pen.line(points, fill=(rng.randint(60, 180), rng.randint(60, 180), rng.randint(60, 180)), width=2)
    for _dot in range(160):
        pen.point((rng.randint(0, WIDTH - 1), rng.randint(0, HEIGHT - 1)), fill=(120, 120, 120))
    image = image.filter(ImageFilter.SMOOTH)
    out = io.BytesIO()
    image.save(out, "PNG")
    return out.getvalue()


def _keep(session: SessionBase, text: str) -> None:
    """A new challenge row for ``text``; the session's previous one (never answered) goes."""
    previous = session.get(SESSION_KEY)
    if isinstance(previous, str):
        CaptchaChallenge.objects.filter(token=previous).delete()
    token = secrets.token_hex(16)
    CaptchaChallenge.objects.create(token=token, digest=_digest(text, token))
    session[SESSION_KEY] = token


def new_challenge(session: SessionBase, length: int | None = None) -> str:
    """Draw a new captcha, keep its answer's hash; returns the image as a data: URL."""
    rng = secrets.SystemRandom()
    text = "".join(rng.choice(ALPHABET) for _ in range(length or rng.choice((4, 5))))
    _keep(session, text)
    return "data:image/png;base64," + base64.b64encode(draw(text)).decode()


def verify(session: SessionBase, answer: str) -> bool:
    """One try by one request: the challenge is gone after this call, right or wrong. Only the request whose
    conditional DELETE removes the row passes, however many carry the same session at once."""
    token = session.pop(SESSION_KEY, None)
    if not isinstance(token, str) or not token:
        return False
    fresh = timezone.now() - timedelta(seconds=CHALLENGE_SECONDS)
    answer = (answer or "").strip()
    won = False
    if answer:
        matching = CaptchaChallenge.objects.filter(
            token=token, digest=_digest(answer, token), created_at__gte=fresh
        )
        won = matching.delete()[0] > 0
    if not won:
        CaptchaChallenge.objects.filter(token=token).delete()
    return won


def purge(now: datetime | None = None) -> int:
    """Delete challenges nobody answered in time; returns how many."""
    since = (now or timezone.now()) - timedelta(seconds=CHALLENGE_SECONDS)
    return CaptchaChallenge.objects.filter(created_at__lt=since).delete()[0]


def answer_for_tests(session: SessionBase, text: str) -> None:
    """Tests only: put a challenge with a known answer into the session."""
    _keep(session, text)
