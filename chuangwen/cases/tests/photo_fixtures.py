"""Helpers of the photo-check tests: real JPEGs (scenes and near copies of them) taken in through the
evidence pipeline, a case that came from a finding with its problem photo, and reporting a fix."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import datetime, timedelta
from typing import Any

import pytest
from django.utils import timezone
from PIL import Image, ImageEnhance

from chuangwen.cases import services
from chuangwen.cases.models import Case, CaseEvent, CaseState
from chuangwen.cases.tests.case_fixtures import make_case
from chuangwen.evidence.models import Evidence, EvidenceKind
from chuangwen.evidence.services import PhotoMeta, ingest_photo
from chuangwen.evidence.tests import scenes
from chuangwen.evidence.tests.photos import encode, exif_bytes, scene

# Where the west road site is; the cases of these tests lie there.
HERE = (30.05, 120.02)
METRES_PER_DEGREE_LAT = 111_195.0


def north_of(metres: float) -> tuple[float, float]:
    return HERE[0] + metres / METRES_PER_DEGREE_LAT, HERE[1]


SEEDS = {"base": 1, "other": 5, "third": 3}


def picture(kind: str = "base", exif: bytes | None = None) -> bytes:
    """``base``, ``other``, ``third``: three different scenes; ``near`` (of base) or ``other-near``: the same
    scene brightened and re-saved at another quality, as a re-shot or edited copy would be. ``street``: a
    street with a problem (``evidence.tests.scenes``); ``street-<disguise>`` a disguised copy of it,
    ``street-fix`` the place fixed from the same viewpoint, ``street-elsewhere`` another place."""
    params: dict[str, Any] = {"exif": exif} if exif else {}
    if kind.startswith("street"):
        return encode(Image.fromarray(street_picture(kind)[:, :, ::-1]), "JPEG", quality=88, **params)
    name, _sep, variant = ("base-near" if kind == "near" else kind).partition("-")
    if variant == "near":
        copy = ImageEnhance.Brightness(scene(SEEDS[name])).enhance(1.08)
        return encode(copy, "JPEG", quality=60, **params)
    return encode(scene(SEEDS[name]), "JPEG", quality=85, **params)


STREET_SEED = 100


def street_picture(kind: str) -> Any:
    variant = kind.partition("-")[2]
    if variant == "fix":
        return scenes.genuine_fix(STREET_SEED)
    if variant == "elsewhere":
        return scenes.another_place(STREET_SEED)
    problem = scenes.problem_photo(STREET_SEED)
    return scenes.disguise(problem, variant, STREET_SEED) if variant else problem


Upload = Callable[..., Evidence]


@pytest.fixture
def upload(django_capture_on_commit_callbacks: Any) -> Upload:
    """Take a photo in through ``ingest_photo``; with ``hashed`` its derivatives and perceptual hash are made
    when the upload commits (tasks run inline in tests), else the hash is still missing."""

    def take(
        user: Any,
        kind: str = "base",
        *,
        taken: datetime | None = None,
        at: tuple[float, float] | None = HERE,
        accuracy: float | None = 10.0,
        exif: bytes | None = None,
        hashed: bool = True,
    ) -> Evidence:
        meta = PhotoMeta(
            client_id=uuid.uuid4(),
            kind=EvidenceKind.RECTIFICATION,
            captured_at=taken,
            lat=at[0] if at else None,
            lng=at[1] if at else None,
            accuracy=accuracy if at else None,
        )
        with django_capture_on_commit_callbacks(execute=hashed):
            photo, _created = ingest_photo(picture(kind, exif), meta, user)
        photo.refresh_from_db()
        assert bool(photo.phash) is hashed
        return photo

    return take


def exif_taken(when: datetime) -> bytes:
    return exif_bytes(timezone.localtime(when).replace(tzinfo=None))


@pytest.fixture
def opened_at() -> datetime:
    return timezone.now() - timedelta(days=2)


@pytest.fixture
def west_case(org: dict[str, Any], sites: dict[str, Any], opened_at: datetime) -> Case:
    """An accepted case at the west road, opened two days ago, with the site's position."""
    return make_case(
        CaseState.ACCEPTED,
        org["west"],
        site=sites["west_road"],
        lat=HERE[0],
        lng=HERE[1],
        opened_at=opened_at,
    )


def with_finding(case: Case, inspector: Any, problem: list[Evidence]) -> Case:
    """Give ``case`` the finding of an inspection whose judgement holds the problem photos."""
    from chuangwen.rounds.models import Finding, Judgement, Round, RoundStatus, Visit
    from chuangwen.standards.models import CheckItem, SiteType, Standard

    standard = Standard.objects.create(code=f"T{case.pk}", name="测试标准")
    site_type = SiteType.objects.create(standard=standard, code="ZD", name="主干道")
    item = CheckItem.objects.create(
        site_type=site_type, code="ZD01", category="环境卫生", text="无垃圾堆放", mode="binary", duty="城管"
    )
    assert case.site is not None and case.area_unit is not None
    today = timezone.localdate()
    round_ = Round.objects.create(
        name="暗访", kind="unannounced", standard=standard, target_unit=case.area_unit,
        owner_unit=case.area_unit.parent or case.area_unit, period_start=today, period_end=today,
        status=RoundStatus.PUBLISHED, created_by=inspector,
    )  # fmt: skip
    visit = Visit.objects.create(
        client_id=uuid.uuid4(), round=round_, site=case.site, inspector=inspector, status="accepted"
    )
    judgement = Judgement.objects.create(visit=visit, check_item=item, result="not_conforming", count=1)
    finding = Finding.objects.create(
        judgement=judgement, round=round_, visit=visit, site=case.site, check_item=item, status="dispatched"
    )
    Evidence.objects.filter(pk__in=[p.pk for p in problem]).update(
        kind=EvidenceKind.PROBLEM, round=round_, visit=visit, judgement=judgement
    )
    Case.objects.filter(pk=case.pk).update(finding=finding, check_item=item)
    case.refresh_from_db()
    return case


def with_opening_photos(case: Case, photos: list[Evidence]) -> None:
    """The photos a reporter gave when the case was opened (a citizen's report)."""
    event = CaseEvent.objects.create(case=case, action="open", from_state="", to_state=CaseState.NEW)
    event.photos.set(photos)


@pytest.fixture
def rectify(django_capture_on_commit_callbacks: Any) -> Callable[..., CaseEvent]:
    """Report the fix through ``services.apply`` and let it commit (which runs the checks)."""

    def report(case: Case, user: Any, photos: list[Evidence]) -> CaseEvent:
        with django_capture_on_commit_callbacks(execute=True):
            services.apply(case, "rectify", user, reason="已清理完毕", photos=photos)
        return case.events.filter(action="rectify").latest("pk")

    return report
