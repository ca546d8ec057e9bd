"""The demo generator: sizes, geometry, people, a year of past, cases, reports, determinism, refusal."""

from __future__ import annotations

import io
from collections import Counter, defaultdict
from datetime import datetime
from itertools import combinations
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.management import CommandError, call_command
from django.db import transaction
from django.db.models import Count, F
from django.urls import reverse
from django.utils import timezone
from shapely.geometry import Point, shape
from shapely.ops import unary_union

from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import verify_chain
from chuangwen.cases.deadlines import overdue_q
from chuangwen.cases.models import Case, CaseEvent, Escalation, Instruction, RoutingRule
from chuangwen.dashboards.services.indicators import trend
from chuangwen.demo.names import TERRITORIAL_DUTIES
from chuangwen.demo.services import DEMO_PASSWORD, DemoRefused, ScaleSpec, build_demo, demo_digest
from chuangwen.demo.tests import bulletin_checks
from chuangwen.evidence.models import EvidenceKind
from chuangwen.materials.models import Material, MaterialState, Standing, StoredFile, Submission, Task
from chuangwen.materials.models import Period as MaterialPeriod
from chuangwen.materials.services import outside_window
from chuangwen.materials.tasksplit import online_indicators
from chuangwen.notify.models import Notification
from chuangwen.org.models import Unit, UnitKind
from chuangwen.rankings import selfcheck
from chuangwen.rankings.models import Ranking
from chuangwen.reports.models import CitizenReport
from chuangwen.rounds.models import Finding, FindingStatus, Visit
from chuangwen.sites.models import Site
from chuangwen.standards.models import CheckItem, Indicator, Standard
from chuangwen.volunteers import rules
from chuangwen.volunteers.models import (
    Activity,
    Certificate,
    PracticeBody,
    RequestState,
    ServiceRequest,
    SignUp,
    SignUpState,
    Team,
    Volunteer,
)
from chuangwen.workdays.services import is_workday

SMALL_CITY = ScaleSpec("city", 3, 2, 2, 1, 2, 2, 30, cell_lng=0.015, cell_lat=0.0135, grids=True)


NOW = datetime(2026, 12, 20, 10, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
SEED = 7


def fingerprint() -> tuple[
    str, list[tuple[object, ...]], int, list[tuple[object, ...]], list[tuple[object, ...]], list[list[Any]]
]:
    """The territory's digest, every visit's round, site, score and time, the number of cases, and every
    material's task, unit, state, dates and file bytes, every volunteer's hours and the bulletins as stored
    (demo_digest covers the territory only)."""
    rows = Visit.objects.order_by("round__name", "site__code").values_list(
        "round__name", "site__code", "score", "received_at"
    )
    materials = Material.objects.order_by("client_id").values_list(
        "client_id", "task__indicator__code", "unit__code", "state", "activity_date", "created_at",
        "file__sha256", "body",
    )  # fmt: skip
    volunteers = Volunteer.objects.order_by("number").values_list(
        "number", "name", "unit__code", "registered_at", "confirmed_minutes"
    )
    bulletins = bulletin_checks.fingerprint()
    return demo_digest(), list(rows), Case.objects.count(), list(materials), list(volunteers), bulletins


@pytest.fixture(scope="class")
def demo(django_db_setup, django_db_blocker):
    """The demo district built by ``demo-data --reset`` over a unit that was there before, on a fixed day."""
    with time_machine.travel(NOW, tick=False), django_db_blocker.unblock(), transaction.atomic():
        Unit.objects.create(code="X1", name="已有单位", kind=UnitKind.DISTRICT)
        out = io.StringIO()
        call_command("demo-data", scale="district", seed=SEED, reset=True, stdout=out)
        yield {"out": out.getvalue(), "fingerprint": fingerprint()}
        transaction.set_rollback(True)


def months_of(values):
    return {f"{timezone.localtime(v):%Y-%m}" for v in values if v is not None}


def assert_tiles(units):
    """Children of every parent: valid polygons, no overlap between siblings, together exactly the parent."""
    by_parent = defaultdict(list)
    for unit in units:
        if unit.boundary and unit.parent_id:
            by_parent[unit.parent_id].append(shape(unit.boundary))
    parents = {u.pk: u for u in units}
    checked = 0
    for parent_id, shapes in by_parent.items():
        assert all(s.is_valid for s in shapes)
        for a, b in combinations(shapes, 2):
            assert a.intersection(b).area < 1e-12
        parent = parents[parent_id]
        if parent.boundary:
            area = shape(parent.boundary).area
            assert abs(unary_union(shapes).area - area) < 1e-9 * max(area, 1e-6)
        checked += 1
    return checked


class TestTheDemoDistrict(bulletin_checks.BulletinDemoChecks):
    """One district demo with a year of past, built once through the command on a fixed day (it takes about
    a minute) and shared by every check below; rolled back afterwards. Each build is a minute, so the checks
    that need a district share this one rather than building their own."""

    def test_the_command_resets_and_prints_a_summary(self, demo, db):
        assert "点位：共 400" in demo["out"] and "街道 8" in demo["out"]
        assert not Unit.objects.filter(code="X1").exists()
        assert Standard.objects.filter(code="CW-2026", version=1, is_active=True).exists()

    def test_it_builds_a_district_of_the_asked_size(self, demo, db):
        kinds = Counter(Unit.objects.values_list("kind", flat=True))
        assert kinds[UnitKind.DISTRICT] == 1 and kinds[UnitKind.STREET] == 8
        assert 55 <= kinds[UnitKind.COMMUNITY] <= 65
        assert 1 <= kinds[UnitKind.GRID] <= 20
        assert kinds[UnitKind.DEPARTMENT] >= 15
        assert 380 <= Site.objects.count() <= 420
        standard = Standard.objects.get(is_active=True)
        type_codes = set(standard.site_types.values_list("code", flat=True))
        assert set(Site.objects.values_list("site_type", flat=True)) == type_codes
        assert 0.12 <= Site.objects.filter(declared=True).count() / Site.objects.count() <= 0.28
        assert Site.objects.filter(active=False).exists()
        assert Site.objects.exclude(risk_tags=[]).exists()
        assert f"点位：共 {Site.objects.count()}" in demo["out"]

    def test_it_puts_every_site_strictly_inside_its_area_unit(self, demo, db):
        boundaries = {u.pk: shape(u.boundary) for u in Unit.objects.filter(kind=UnitKind.COMMUNITY)}
        for site in Site.objects.all():
            assert site.area_unit_id in boundaries
            assert boundaries[site.area_unit_id].contains(Point(site.lng, site.lat)), site.name

    def test_it_tiles_streets_communities_and_grids_without_overlap(self, demo, db):
        units = list(Unit.objects.all())
        assert all(
            u.boundary for u in units if u.kind in (UnitKind.DISTRICT, UnitKind.STREET, UnitKind.COMMUNITY)
        )
        assert assert_tiles(units) >= 1 + 8 + 8

    def test_it_keeps_the_tree_paths_right(self, demo, db):
        for unit in Unit.objects.select_related("parent"):
            expected = f"{unit.parent.path if unit.parent else '/'}{unit.pk}/"
            assert unit.path == expected and unit.depth == expected.count("/") - 2
        district_unit = Unit.objects.get(kind=UnitKind.DISTRICT)
        assert Unit.objects.filter(path__startswith=district_unit.path).count() == Unit.objects.count() - 1

    def test_it_gives_every_duty_a_department(self, demo, db):
        duties = set(
            CheckItem.objects.filter(site_type__standard__is_active=True).values_list("duty", flat=True)
        )
        tags = {t for u in Unit.objects.filter(kind=UnitKind.DEPARTMENT) for t in u.duty_tags}
        assert duties - TERRITORIAL_DUTIES <= tags
        names = set(Unit.objects.filter(kind=UnitKind.DEPARTMENT).values_list("name", flat=True))
        district_name = Unit.objects.get(kind=UnitKind.DISTRICT).name
        assert {district_name + "城市管理局", district_name + "住房和城乡建设局"} <= names

    def test_it_creates_the_first_user_of_each_role_as_demo_role(self, demo, db):
        for role in Role.values:
            if role == Role.CITIZEN:
                continue  # the citizen portal's system user (reports.services.portal_user), no demo account
            first = User.objects.filter(role=role).order_by("id").first()
            assert first is not None and first.username == f"demo_{role}"
            assert first.full_name and 2 <= len(first.full_name) <= 3
        admin = User.objects.get(username="demo_admin")
        assert admin.is_staff and admin.is_superuser
        handler, head = User.objects.get(username="demo_handler"), User.objects.get(username="demo_unit_head")
        assert handler.unit == head.unit and handler.unit.kind == UnitKind.STREET
        s03 = User.objects.get(username="demo_handler_s03")
        assert s03.unit.kind == UnitKind.STREET and s03.unit.code.endswith("S03")
        assert User.objects.get(username="demo_unit_head_s03").unit == s03.unit
        assert User.objects.get(username="demo_handler_b01").unit.kind == UnitKind.DEPARTMENT
        assert User.objects.get(username="demo_coordinator").check_password(DEMO_PASSWORD)
        # every demo account shares the demo password; the citizen portal's system user has none that works
        people = User.objects.exclude(role=Role.CITIZEN)
        assert len(set(people.values_list("password", flat=True))) == 1

    def test_it_names_sites_like_real_places(self, demo, db):
        names = dict(Site.objects.values_list("site_type", "name").order_by("code"))
        assert names["NM"].endswith("农贸市场") and names["XX"].endswith("周边")
        assert Site.objects.filter(site_type="GD", responsible_unit__kind=UnitKind.DEPARTMENT).count() == (
            Site.objects.filter(site_type="GD").count()
        )
        assert Site.objects.values("name").distinct().count() == Site.objects.count()

    def test_it_receives_visits_on_their_rounds_dates_over_twelve_months(self, demo, db):
        visits = Visit.objects.select_related("round")
        assert len(months_of(visits.values_list("received_at", flat=True))) >= 12
        assert visits.filter(round__status="in_progress").exists()
        for visit in visits:
            day = timezone.localtime(visit.received_at).date()
            assert visit.round.period_start <= day <= visit.round.period_end, visit.round.name

    def test_it_opens_cases_in_at_least_ten_months_and_their_history_agrees(self, demo, db):
        assert len(months_of(Case.objects.values_list("opened_at", flat=True))) >= 10
        assert Case.objects.filter(source="finding", state="closed").count() > 100
        for case in Case.objects.filter(source="finding", state="closed").order_by("code")[:40]:
            times = list(case.events.order_by("pk").values_list("at", flat=True))
            assert times == sorted(times) and case.opened_at <= times[0]
            assert case.closed_at == case.events.filter(action="verify_pass").latest("pk").at
        assert Case.objects.filter(rework_count__gt=0, state="closed").exists()

    def test_it_publishes_twelve_month_rankings(self, demo, db):
        months = Ranking.objects.filter(period_kind="month", level="street").order_by("month")
        assert months.count() == 12
        for ranking in months:
            assert ranking.published_at > ranking.as_of  # published after the month it ranks
            assert ranking.rows.filter(rank=1).exists()

    def test_it_pairs_self_checks_with_official_visits_for_every_street(self, demo, db, client):
        units = selfcheck.reliability(UnitKind.STREET, months=selfcheck.recent_months(6, NOW.date()))
        assert len(units) == 8
        assert all(any(m.pairs for m in unit.months.values()) for unit in units)
        client.force_login(User.objects.get(username="demo_coordinator"))
        assert client.get(reverse("rankings:selfcheck")).status_code == 200

    def test_its_dashboard_trend_has_twelve_points(self, demo, db):
        district = Unit.objects.get(kind=UnitKind.DISTRICT)
        points = trend(User.objects.get(username="demo_coordinator"), district, NOW)
        assert len(points["months"]) == 12
        assert all(n > 0 for n in points["visits"]), points["visits"]
        assert all(score is not None for score in points["mean_score"])
        assert sum(1 for n in points["opened"] if n) >= 10

    def test_its_published_rounds_opened_cases_that_moved_on(self, demo, db):
        assert not Finding.objects.filter(
            status=FindingStatus.READY
        ).exists()  # every ready finding has its case
        findings = Case.objects.filter(source="finding")
        assert findings.count() == Finding.objects.filter(status=FindingStatus.DISPATCHED).count() > 0
        hotline = Case.objects.filter(source="hotline")
        assert hotline.count() == 4 and not hotline.filter(external_ref="").exists()
        assert hotline.filter(state="dispatched", deadline__isnull=False).count() == 4
        assert Case.objects.filter(source="instruction", instructions__isnull=False).count() == 1
        assert Instruction.objects.filter(case__source="finding").count() == 1
        street = Ranking.objects.filter(level="street").order_by("published_at").last()
        assert street is not None and street.previous is not None and street.rows.filter(rank=1).exists()
        states = set(Case.objects.values_list("state", flat=True))
        assert {
            "dispatched", "accepted", "rectified", "closed", "rework", "suspended", "returned", "cancelled"
        } <= states  # fmt: skip
        assert Case.objects.filter(extension_requested_until__isnull=False).count() == 1
        assert Case.objects.filter(reverify_pending=True, state="closed").count() >= 1
        overdue = Case.objects.filter(overdue_q(timezone.now()))
        assert overdue.count() >= 3 and overdue.filter(rework_count__gt=0).exists()
        # the sweep has told the coordinator of each overdue case, and history runs forward in time
        assert Escalation.objects.filter(level="coordinator").count() == overdue.count()
        assert Notification.objects.filter(
            user__username="demo_coordinator", kind__startswith="case."
        ).exists()
        for case in overdue:
            times = list(case.events.values_list("at", flat=True))
            assert times == sorted(times) and case.opened_at <= times[0]
        # citizen reports awaiting triage, rejected or duplicate have no deadline (docs/reports.md)
        assert not Case.objects.filter(deadline__isnull=True).exclude(source="citizen").exists()
        assert RoutingRule.objects.exists() and Case.objects.filter(unit__kind="department").exists()
        rectify = CaseEvent.objects.filter(action="rectify").first()
        assert rectify is not None and rectify.photos.get().kind == EvidenceKind.RECTIFICATION

    def test_it_has_citizen_reports_in_every_state(self, demo, db):
        reports = CitizenReport.objects.all()
        assert reports.count() >= 200
        states = set(reports.values_list("case__state", flat=True))
        assert {
            "new",
            "dispatched",
            "accepted",
            "rectified",
            "closed",
            "rejected",
            "duplicate",
            "rework",
        } <= states
        assert reports.filter(rating__isnull=False, case__state="closed").count() >= 30
        assert reports.filter(reopened_at__isnull=False, case__state="rework").count() >= 5
        assert reports.filter(supporters__gt=0).exists()
        assert reports.exclude(phone="").exists() and reports.filter(phone="").exists()
        for report in reports.filter(case__state="rejected")[:5]:
            assert report.case.events.filter(action="reject").exclude(reason="").exists()
        for report in reports.order_by("tracking_code")[:20]:
            times = list(report.case.events.values_list("at", flat=True))
            assert times == sorted(times) and report.case.opened_at <= times[0]

    def test_it_runs_a_year_of_volunteer_service(self, demo, db):
        streets = Unit.objects.filter(kind=UnitKind.STREET).count()
        communities = Unit.objects.filter(kind=UnitKind.COMMUNITY).count()
        assert PracticeBody.objects.count() == 1 + streets + communities
        assert Team.objects.count() == streets + 3 and Volunteer.objects.count() >= 300
        assert not Volunteer.objects.filter(id_hash=None).exists()
        months = {a.starts_at.astimezone(NOW.tzinfo).strftime("%Y-%m") for a in Activity.objects.all()}
        assert len(months) >= 12
        signups = SignUp.objects.all()
        assert (
            signups.filter(state=SignUpState.WAITING).exists()
            and signups.filter(hours_state="confirmed").count() > 500
        )
        corrected = signups.filter(hours_state="confirmed").exclude(correction_reason="")
        assert corrected.exists()
        for s in signups.filter(hours_state="confirmed")[:200]:
            span = (s.activity.ends_at - max(s.activity.starts_at, s.signed_in_at)).total_seconds() // 60
            assert 0 <= s.confirmed_minutes <= span and (
                s.confirmed_minutes == s.measured_minutes or s.correction_reason
            )
        starred = [v for v in Volunteer.objects.all() if rules.stars(v.confirmed_minutes) >= 1]
        assert starred
        demo_volunteer = Volunteer.objects.get(user__username="demo_volunteer")
        assert demo_volunteer.confirmed_minutes > 0 or demo_volunteer.signups.exists()
        assert Activity.objects.filter(starts_at__gt=NOW).exists()  # still open for sign-up
        assert set(ServiceRequest.objects.values_list("state", flat=True)) == set(RequestState.values)
        assert Certificate.objects.count() >= 3 and not Certificate.objects.filter(pdf="").exists()

    def test_it_splits_the_online_indicators_of_a_period_among_streets_and_departments(self, demo, db):
        today = timezone.localdate()
        period = MaterialPeriod.objects.select_related("owner_unit", "created_by").get()
        assert period.name.endswith("年度网上申报") and period.owner_unit.kind == UnitKind.DISTRICT
        assert period.created_by.username == "demo_coordinator"
        assert 290 <= (today - timezone.localdate(period.created_at)).days <= 320
        assert (period.reference_date - today).days == 75
        assert Indicator.objects.filter(content__project__standard=period.standard).count() >= 110
        online = set(online_indicators(period).values_list("pk", flat=True))
        tasks = Task.objects.filter(period=period)
        assert len(online) >= 60 and set(tasks.values_list("indicator_id", flat=True)) == online
        assert tasks.filter(lead_unit__kind=UnitKind.STREET).exists()
        assert tasks.filter(lead_unit__kind=UnitKind.DEPARTMENT).values("lead_unit").distinct().count() >= 8
        assert tasks.filter(supporting_units__isnull=False).distinct().count() >= 20
        assert all(is_workday(day) for day in tasks.values_list("due_date", flat=True))
        assert 0.25 <= tasks.filter(due_date__lt=today).count() / len(online) <= 0.6

    def test_its_materials_fill_every_state_and_every_standing_of_the_board(self, demo, db):
        today = timezone.localdate()
        assert set(Material.objects.values_list("state", flat=True)) == set(MaterialState.values)
        board = Submission.objects.values("standing").annotate(n=Count("pk"))
        assert {row["standing"] for row in board if row["n"] > 0} == set(Standing.values)
        assert Submission.objects.filter(due_date__lt=today).exclude(standing=Standing.PASSED).exists()
        returned = Material.objects.filter(state=MaterialState.RETURNED)
        assert returned.exists() and not returned.filter(last_comment="").exists()
        assert returned.filter(due_date__lt=today).exists() and returned.filter(due_date__gte=today).exists()
        assert Material.objects.filter(state=MaterialState.PASSED, events__action="resubmit").exists()
        assert Material.objects.filter(state=MaterialState.WITHDRAWN).count() <= 2
        assert not Material.objects.exclude(uploaded_by__unit=F("unit")).exists()  # the unit's own clerk
        assert StoredFile.objects.annotate(n=Count("materials")).filter(n__gte=2).exists()
        kinds = Counter(StoredFile.objects.values_list("kind", flat=True))
        assert set(kinds) == {"pdf", "docx", "xlsx", "jpeg"} and kinds["pdf"] <= 20
        assert Material.objects.filter(kind="account", file__isnull=True).exclude(body="").exists()
        materials = Material.objects.select_related("task__period", "task__indicator")
        assert 2 <= sum(outside_window(m) for m in materials) <= 3
        # uploaded on a working day after the split, the history in order and before now
        for material in materials.order_by("client_id")[:60]:
            times = list(material.events.order_by("pk").values_list("at", flat=True))
            assert times == sorted(times) and material.task.period.created_at < times[0] <= times[-1] < NOW
            assert is_workday(timezone.localdate(times[0]))

    def test_it_publishes_the_survey_waves_before_the_rankings_of_their_month(self, demo, db):
        from chuangwen.surveys.models import Wave, WaveState

        waves = list(Wave.objects.order_by("starts_on"))
        # Two published waves, and this month's fielding one for trying the interviewer's pages.
        assert [w.state for w in waves] == [WaveState.PUBLISHED] * 2 + [WaveState.FIELDING]
        assert waves[-1].starts_on <= timezone.localdate(NOW) <= waves[-1].ends_on
        for wave in waves[:2]:
            month = Ranking.objects.get(month=wave.starts_on.replace(day=1), level=UnitKind.STREET)
            assert wave.published_at < month.as_of and wave.results["counts"]["accepted"] > 0

    def test_it_is_deterministic_for_a_seed(self, demo, db):
        # Rebuilt in this test's own transaction (rolled back afterwards, so the shared demo is back).
        build_demo("district", SEED, reset=True)
        assert fingerprint() == demo["fingerprint"]
        assert verify_chain().ok
        build_demo("district", SEED + 1, reset=True, activity=False)
        assert demo_digest() != demo["fingerprint"][0]


def test_the_demo_password_meets_the_policy():
    validate_password(DEMO_PASSWORD)


def test_it_refuses_a_database_with_data(db):
    Unit.objects.create(code="X1", name="已有单位", kind=UnitKind.DISTRICT)
    with pytest.raises(DemoRefused):
        build_demo("district", 1)
    with pytest.raises(CommandError, match="--reset"):
        call_command("demo-data", scale="district", seed=1)
    assert Unit.objects.count() == 1 and not Site.objects.exists()


def test_it_builds_a_city_with_districts(db):
    summary = build_demo(SMALL_CITY, 5)
    city = Unit.objects.get(kind=UnitKind.CITY)
    assert city.boundary is not None
    assert Unit.objects.filter(kind=UnitKind.DISTRICT, parent=city).count() == 3
    assert Site.objects.count() == 90 == summary.sites.total()
    assert assert_tiles(list(Unit.objects.all())) >= 1 + 3 + 6
    boundaries = {u.pk: shape(u.boundary) for u in Unit.objects.filter(kind=UnitKind.COMMUNITY)}
    assert all(boundaries[s.area_unit_id].contains(Point(s.lng, s.lat)) for s in Site.objects.all())
    assert User.objects.get(username="demo_coordinator").unit == city
    assert User.objects.get(username="demo_coordinator_d02").unit.code == "D02"
    assert User.objects.filter(username="demo_handler_d02s02").exists()
