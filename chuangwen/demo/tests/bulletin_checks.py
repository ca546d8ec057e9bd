"""The demo's 通报: a monthly bulletin for every month ranking of the year, numbered 1..n, through review by a
second coordinator and sign-off by the leader; recipients who read and report; talks and commendations; the
红黑榜 on the 曝光台. The checks run on the demo district of ``test_demo_data`` (its test class inherits
them, so the district is built once); its determinism test compares ``fingerprint`` too."""

from __future__ import annotations

from collections import Counter
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from django.utils import timezone

from chuangwen.bulletins.models import (
    AccountabilityTalk,
    Bulletin,
    BulletinKind,
    BulletinState,
    Commendation,
    Recipient,
    ReplyState,
    TalkState,
    TypicalProblem,
)
from chuangwen.rankings.models import PeriodKind, Ranking

NOW = datetime(2026, 12, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))


def fingerprint() -> list[list[Any]]:
    """Bulletins, their picks, recipients, talks and commendations as stored, without database ids."""
    bulletins = Bulletin.objects.order_by("kind", "year", "number", "title").values_list(
        "kind", "state", "year", "number", "title", "period_start", "issued_at", "ranking__month",
        "created_by__username", "reviewed_by__username", "signed_by__username", "public_at", "public_summary",
    )  # fmt: skip
    picks = typical_rows()
    recipients = Recipient.objects.order_by("bulletin__kind", "bulletin__number", "unit__code").values_list(
        "bulletin__kind", "bulletin__number", "unit__code", "reasons", "read_at", "read_by__username",
        "reply_state", "reply_due", "reply_text", "replied_at", "review_note", "reminded_at", "escalated_at",
    )  # fmt: skip
    talks = AccountabilityTalk.objects.order_by("meeting_date", "unit__code").values_list(
        "unit__code", "kind", "state", "reason", "meeting_date", "follow_up_due", "outcome", "reminded_at"
    )
    praise = Commendation.objects.order_by("date", "unit__code").values_list(
        "unit__code", "title", "reason", "date", "person_name", "bulletin__number"
    )
    return [list(rows) for rows in (bulletins, picks, recipients, talks, praise)]


def typical_rows() -> list[tuple[Any, ...]]:
    return list(
        TypicalProblem.objects.order_by("bulletin__kind", "bulletin__number", "order").values_list(
            "bulletin__number", "order", "finding__site__code", "finding__check_item__code", "caption"
        )
    )


class BulletinDemoChecks:
    def test_it_issues_a_monthly_bulletin_per_month_ranking_numbered_in_sequence(
        self, demo: Any, db: Any
    ) -> None:
        months = Ranking.objects.filter(period_kind=PeriodKind.MONTH, level="street").count()
        monthly = list(Bulletin.objects.filter(kind=BulletinKind.MONTHLY).order_by("issued_at"))
        assert months == 12 and len(monthly) == months
        assert all(b.state == BulletinState.ISSUED and b.year == 2026 for b in monthly)
        assert [b.number for b in monthly] == list(range(1, months + 1))
        assert monthly[0].document_number.endswith("〔2026〕1号")
        months_cited = [b.ranking.month for b in monthly if b.ranking]
        street = Ranking.objects.filter(period_kind=PeriodKind.MONTH, level="street")
        assert months_cited == list(street.order_by("month").values_list("month", flat=True))
        for bulletin in monthly:
            assert bulletin.created_by.username == "demo_coordinator"
            assert bulletin.reviewed_by and bulletin.reviewed_by.username == "demo_coordinator_2"
            assert bulletin.signed_by and bulletin.signed_by.username == "demo_leader"
            steps = [bulletin.reviewed_at, bulletin.signed_at, bulletin.issued_at]
            moments = [bulletin.created_at, *(m for m in steps if m is not None), NOW]
            assert len(moments) == 5 and moments == sorted(moments)
            typical = bulletin.content["typical"]
            assert 2 <= len(typical) <= 3 and all(row["photos"] for row in typical)

    def test_its_units_read_report_and_have_reports_accepted_and_returned(self, demo: Any, db: Any) -> None:
        newest = Bulletin.objects.filter(kind=BulletinKind.MONTHLY).order_by("-number").first()
        assert newest is not None
        recipients = Recipient.objects.filter(bulletin=newest)
        states = Counter(recipients.values_list("reply_state", flat=True))
        assert states[ReplyState.ACCEPTED] >= 1 and states[ReplyState.RETURNED] == 1
        assert states[ReplyState.REPLIED] == 1 and states[ReplyState.AWAITING] >= 1
        assert states[ReplyState.NOT_REQUIRED] >= 1
        assert recipients.filter(read_at__isnull=False).exists() and recipients.filter(read_at=None).exists()
        returned = recipients.get(reply_state=ReplyState.RETURNED)
        assert returned.review_note and returned.reply_due and returned.reply_due > NOW
        accepted = recipients.filter(reply_state=ReplyState.ACCEPTED).first()
        assert accepted is not None and accepted.reply_photos.exists()
        older = Recipient.objects.filter(
            bulletin__kind=BulletinKind.MONTHLY, bulletin__number__lt=newest.number
        )
        assert older.filter(reply_state=ReplyState.ACCEPTED).count() >= 10
        assert not older.filter(reply_state__in=(ReplyState.REPLIED, ReplyState.RETURNED)).exists()

    def test_it_keeps_talks_with_follow_ups_and_commendations(self, demo: Any, db: Any) -> None:
        talks = list(AccountabilityTalk.objects.order_by("meeting_date"))
        assert [t.state for t in talks] == [
            TalkState.CLOSED,
            TalkState.CLOSED,
            TalkState.FOLLOWING,
            TalkState.PLANNED,
        ]
        overdue = talks[2]
        assert overdue.follow_up_due < timezone.localdate(NOW) and overdue.reminded_at is not None
        assert talks[-1].follow_up_due > timezone.localdate(NOW)
        assert all(
            t.bulletin and t.unit.pk in {r["unit_id"] for r in t.bulletin.content["black"]} for t in talks
        )
        # a talk is in the next month's bulletin, whose black-listed or talked-to unit owes a report
        listed = [b for b in Bulletin.objects.filter(kind=BulletinKind.MONTHLY) if b.content.get("talks")]
        assert len(listed) >= 3
        praise = list(Commendation.objects.order_by("date"))
        assert len(praise) >= 2 and all(c.bulletin and c.ranking for c in praise)

    def test_it_issues_the_red_black_list_and_publishes_it_on_the_exposure_page(
        self, demo: Any, db: Any
    ) -> None:
        redblack = Bulletin.objects.get(kind=BulletinKind.REDBLACK)
        # It continues the office's 通报 series after the monthly bulletins: no 发文字号 is given twice.
        monthly = Bulletin.objects.filter(kind=BulletinKind.MONTHLY, number_prefix=redblack.number_prefix)
        assert redblack.state == BulletinState.ISSUED
        assert redblack.number == max(n for n in monthly.values_list("number", flat=True) if n) + 1
        issued = list(Bulletin.objects.exclude(number=None).values_list("number_prefix", "year", "number"))
        assert len(set(issued)) == len(issued)
        assert redblack.public_at is not None and "黑榜" in redblack.public_summary
