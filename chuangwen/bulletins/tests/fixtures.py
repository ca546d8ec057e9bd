"""The bulletin tests' world: the rankings' scored world (one published 暗访 round this month, three visits,
findings with cases, the street ranking published) with conforming judgements beside the findings, a problem
photo on each finding, a failed verification and a flagged photo in the month, an accountability talk and a
commendation, a second coordinator (the reviewer), and the office's templates.

West street scores higher than east; the templates' lines are set so that west is on the red list and east on
the black list. Registered for every test by ``pytest_plugins`` in the root conftest.py.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
import time_machine
from django.utils import timezone

from conftest import make_user

__all__ = ["bulletin_world", "conforming", "draft_of", "issue"]

# Conforming judgements added per visit (road, market, estate): with the findings at the road and the market
# (none at the estate), the round's score rate is (6 + 4 + 2) / (6 + 4 + 2 + 2) = 85.7 %.
CONFORMING = {"road": 6, "market": 4, "estate": 2}


def conforming(visit: Any, n: int) -> None:
    from chuangwen.rounds.models import Judgement
    from chuangwen.standards.models import CheckItem

    used = set(visit.judgements.values_list("check_item_id", flat=True))
    items = CheckItem.objects.filter(site_type__standard=visit.round.standard).exclude(pk__in=used)[:n]
    assert len(items) == n
    Judgement.objects.bulk_create(Judgement(visit=visit, check_item=i, result="conforming") for i in items)


def _photo(user: Any, finding: Any, seed: int) -> Any:
    from chuangwen.cases.tests.photo_fixtures import HERE
    from chuangwen.evidence.models import Evidence, EvidenceKind
    from chuangwen.evidence.services import PhotoMeta, ingest_photo
    from chuangwen.evidence.tests.photos import encode, scene

    meta = PhotoMeta(
        client_id=uuid.uuid4(),
        kind=EvidenceKind.RECTIFICATION,
        captured_at=timezone.now(),
        lat=HERE[0],
        lng=HERE[1],
        accuracy=8.0,
    )
    photo, _created = ingest_photo(encode(scene(seed), "JPEG", quality=85), meta, user)
    # Taken in as a case photo (a field photo needs its round's team), then filed as the finding's
    # problem photo.
    Evidence.objects.filter(pk=photo.pk).update(
        kind=EvidenceKind.PROBLEM,
        judgement=finding.judgement,
        visit=finding.visit,
        round=finding.round,
        site=finding.site,
    )
    return photo


@pytest.fixture
def bulletin_world(
    scored: dict[str, Any], ranked: Any, org: dict[str, Any], users: dict[str, Any]
) -> Iterator[dict[str, Any]]:
    from chuangwen.bulletins.models import AccountabilityTalk, BulletinKind, BulletinTemplate, Commendation
    from chuangwen.bulletins.services import ensure_templates
    from chuangwen.cases.models import CaseEvent, PhotoFlag
    from chuangwen.rounds.models import Finding

    for name, n in CONFORMING.items():
        conforming(scored[name], n)
    findings = {f.visit_id: f for f in Finding.objects.all()}
    # A problem photo at the road's finding only: the market's finding has none, so it cannot be typical.
    photos = {"road": _photo(users["inspector"], findings[scored["road"].pk], 2)}
    now = timezone.now()
    case_a = scored["case_a"]
    CaseEvent.objects.create(
        case=case_a,
        action="verify_fail",
        from_state="rectified",
        to_state="rework",
        actor=users["verifier"],
        at=now - timedelta(hours=2),
        reason="地面仍有积水",
    )
    fix = CaseEvent.objects.create(
        case=scored["case_c"],
        action="rectify",
        from_state="accepted",
        to_state="rectified",
        actor=users["east_handler"],
        at=now - timedelta(hours=1),
    )
    PhotoFlag.objects.create(
        case=scored["case_c"], event=fix, evidence=photos["road"], kind="reused", detail="与其他案卷照片相同"
    )
    talk = AccountabilityTalk.objects.create(
        owner_unit=org["district"],
        unit=org["east"],
        reason="连续两月排名末位",
        meeting_date=timezone.localdate(),
        follow_up_due=timezone.localdate() + timedelta(days=20),
        created_by=users["coordinator"],
    )
    praise = Commendation.objects.create(
        owner_unit=org["district"],
        unit=org["west"],
        title="创建工作先进单位",
        reason="整改及时、长效管理到位",
        date=timezone.localdate(),
        created_by=users["coordinator"],
    )
    ensure_templates(org["district"])
    # West (composite above east) is red, east black: lines between the two streets' composites.
    rows = {row.unit_id: row.composite for row in ranked.rows.all()}
    west, east = rows[org["west"].pk], rows[org["east"].pk]
    assert west is not None and east is not None and west > east
    BulletinTemplate.objects.filter(owner_unit=org["district"]).update(
        red_threshold=west, black_threshold=(east + Decimal("0.01"))
    )
    reviewer = make_user("coord2", "coordinator", org["district"])
    templates = {t.kind: t for t in BulletinTemplate.objects.filter(owner_unit=org["district"])}
    yield {
        **scored,
        "ranking": ranked,
        "photos": photos,
        "talk": talk,
        "praise": praise,
        "reviewer": reviewer,
        "templates": templates,
        "monthly": templates[BulletinKind.MONTHLY],
        "findings": findings,
    }


def draft_of(world: dict[str, Any], users: dict[str, Any], kind: str = "monthly", **extra: Any) -> Any:
    """A draft of ``kind`` citing the world's ranking and round, the first finding with a photo picked."""
    from chuangwen.bulletins import services

    template = world["templates"][kind]
    bulletin = services.draft(
        template, users["coordinator"], ranking=world["ranking"], round_=world["round"], **extra
    )
    road = world["findings"][world["road"].pk]
    return services.set_typical(bulletin, users["coordinator"], [(road.pk, "路面破损未修复")])


def issue(bulletin: Any, world: dict[str, Any], users: dict[str, Any]) -> Any:
    """Take a draft through review, sign-off and issue (the documents render inline)."""
    from chuangwen.bulletins import services

    services.transition(bulletin, "submit", users["coordinator"])
    services.transition(bulletin, "approve", world["reviewer"])
    services.transition(bulletin, "sign", users["leader"])
    return services.transition(bulletin, "issue", users["coordinator"])


@pytest.fixture
def clock() -> Iterator[Any]:
    """The scored world's clock (2026-03-16 10:00 Shanghai), ticking."""
    from chuangwen.rankings.tests.page_fixtures import NOW

    with time_machine.travel(NOW, tick=True) as traveller:
        yield traveller
