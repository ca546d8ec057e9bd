"""Putting the demo together, refusing to overwrite real data, summarising and fingerprinting the result."""

from __future__ import annotations

import hashlib
import json
import random
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from django.apps import apps
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chuangwen.accounts.models import Role, User
from chuangwen.audit.services import record
from chuangwen.demo.names import NameBook
from chuangwen.demo.people import build_people
from chuangwen.demo.places import SiteType, build_sites
from chuangwen.demo.spec import DEMO_PASSWORD, SCALES, ScaleSpec
from chuangwen.demo.territory import build_territory
from chuangwen.org.models import Unit, UnitKind
from chuangwen.sites.models import Site
from chuangwen.standards.models import CheckItem, Standard
from chuangwen.standards.services import load_default_standard

# Emptied by --reset, in this order, before the unit tree (deepest level first). Later issues put their
# business tables (rounds, visits, cases …) in front. The audit log and the standards are kept.
if TYPE_CHECKING:
    from chuangwen.demo.activity import ActivitySummary

RESET_MODELS = [
    "volunteers.RequestEvent",
    "volunteers.ServiceRequest",
    "volunteers.Certificate",
    "volunteers.SignUp",
    "volunteers.Activity",
    "volunteers.Membership",
    "volunteers.Volunteer",
    "volunteers.Team",
    "volunteers.PracticeBody",
    "bulletins.Recipient",
    "bulletins.TypicalProblem",
    "bulletins.Commendation",
    "bulletins.AccountabilityTalk",
    "bulletins.Bulletin",
    "bulletins.BulletinTemplate",
    "rankings.RankingRow",
    "rankings.Ranking",
    "notify.Delivery",
    "notify.Notification",
    "notify.Channel",
    "reports.ReportSupporter",
    "reports.CitizenReport",
    "cases.PhotoFlag",
    "cases.Escalation",
    "cases.Instruction",
    "cases.CaseEvent",
    "cases.Case",
    "cases.RoutingRule",
    "evidence.Evidence",
    "surveys.CoachingVisit",
    "surveys.Response",
    "surveys.QuotaCell",
    "surveys.Stratum",
    "surveys.WaveStaff",
    "surveys.Wave",
    "surveys.Question",
    "surveys.Section",
    "surveys.Questionnaire",
    "surveys.PopulationFigure",
    "materials.LedgerExport",
    "materials.MaterialEvent",
    "materials.Material",
    "materials.Submission",
    "materials.Task",
    "materials.Period",
    "materials.StoredFile",
    "rounds.Finding",
    "rounds.Visit",
    "rounds.RoundSite",
    "rounds.Team",
    "rounds.Round",
    "core.ImportJob",
    "sites.Site",
    "sessions.Session",
    "accounts.ApiToken",
    "accounts.LoginFailure",
    "accounts.User",
]


class Writer(Protocol):
    def write(self, msg: str, /) -> Any: ...


class DemoRefused(Exception):
    """The database already holds data; the demo never mixes with or silently replaces it."""


@dataclass
class DemoSummary:
    scale: str
    seed: int
    seconds: float = 0.0
    units: Counter[str] = field(default_factory=Counter)
    sites: Counter[str] = field(default_factory=Counter)
    declared: int = 0
    inactive: int = 0
    users: Counter[str] = field(default_factory=Counter)
    standard: str = ""
    type_names: dict[str, str] = field(default_factory=dict)
    activity: ActivitySummary | None = None

    def lines(self) -> list[str]:
        kinds = "，".join(f"{label} {self.units[k]}" for k, label in UnitKind.choices if self.units[k])
        order = [*self.type_names, *sorted(set(self.sites) - set(self.type_names))]
        types = "，".join(f"{self.type_names.get(c, c)} {self.sites[c]}" for c in order if self.sites[c])
        roles = "，".join(f"{label} {self.users[k]}" for k, label in Role.choices if self.users[k])
        return [
            _("演示数据（%(scale)s，种子 %(seed)d）已生成，用时 %(sec).1f 秒：")
            % {"scale": scale_label(self.scale), "seed": self.seed, "sec": self.seconds},
            _("  单位：%(kinds)s") % {"kinds": kinds},
            _("  点位：共 %(n)d（申报 %(d)d，停用 %(i)d）；%(types)s")
            % {"n": self.sites.total(), "d": self.declared, "i": self.inactive, "types": types},
            _("  用户：共 %(n)d；%(roles)s") % {"n": self.users.total(), "roles": roles},
            _("  测评标准：%(std)s") % {"std": self.standard},
            *self.activity_lines(),
            _("  演示账号（demo_coordinator、demo_inspector、demo_handler …）密码均为 %(pw)s")
            % {"pw": DEMO_PASSWORD},
        ]

    def activity_lines(self) -> list[str]:
        if self.activity is None:
            return []
        return [
            _(
                "  测评批次：共 %(n)d 个（最近：%(rounds)s）；"
                "实地测评 %(v)d 次，不符合项 %(f)d 个，照片 %(p)d 张"
            )
            % {
                "n": len(self.activity.rounds),
                "rounds": "、".join(self.activity.rounds[-3:]),
                "v": self.activity.visits,
                "f": self.activity.findings,
                "p": self.activity.photos,
            }
        ]


def scale_label(scale: str) -> str:
    return {"district": _("区级"), "city": _("市级")}.get(scale, scale)


def database_is_empty() -> bool:
    return not (Unit.objects.exists() or Site.objects.exists() or User.objects.exists())


def reset_business_data() -> None:
    """Delete the business records the demo replaces (not the audit log, not the standards)."""
    with transaction.atomic():
        for label in RESET_MODELS:
            apps.get_model(label).objects.all().delete()
        depths = sorted(set(Unit.objects.values_list("depth", flat=True)), reverse=True)
        for depth in depths:
            Unit.objects.filter(depth=depth).delete()


def _rng(seed: int, step: str) -> random.Random:
    """One generator per step, so a step added later never changes what the earlier steps made."""
    return random.Random(f"chuangwen-demo:{seed}:{step}")


def _site_types(standard: Standard) -> tuple[list[SiteType], list[str]]:
    types = [SiteType(st.code, st.name) for st in standard.site_types.order_by("sort_order", "code")]
    duties = sorted(
        set(CheckItem.objects.filter(site_type__standard=standard).values_list("duty", flat=True))
    )
    return types, duties


def build_demo(
    scale: str | ScaleSpec,
    seed: int,
    stdout: Writer | None = None,
    *,
    reset: bool = False,
    activity: bool = True,
) -> DemoSummary:
    """Build the synthetic territory; the same seed gives the same data, byte for byte."""
    spec = SCALES[scale] if isinstance(scale, str) else scale
    started = time.perf_counter()
    with transaction.atomic():
        if not database_is_empty():
            if not reset:
                raise DemoRefused(
                    _("数据库中已有单位、点位或用户，演示数据不会覆盖它们。如确需清空后重建，请加 --reset。")
                )
            reset_business_data()
        load_default_standard()
        standard = Standard.objects.filter(is_active=True).first() or load_default_standard()
        types, duties = _site_types(standard)
        names = NameBook(_rng(seed, "names"))
        _say(stdout, _("生成行政区划与部门……"))
        territory = build_territory(spec, _rng(seed, "territory"), names, duties)
        _say(stdout, _("生成点位……"))
        build_sites(territory, types, spec.sites_per_district, _rng(seed, "sites"), names)
        _say(stdout, _("生成演示账号……"))
        build_people(territory, _rng(seed, "people"), names)
        summary = summarise(spec.name, seed, standard)
        if activity and spec.name == "district":
            from chuangwen.demo.activity import build_activity

            _say(stdout, _("生成测评批次、实地测评与照片……"))
            summary.activity = build_activity(seed)
            from chuangwen.demo.bulletins import build_bulletins

            _say(stdout, _("生成通报、约谈与表彰……"))
            build_bulletins(seed)
            from chuangwen.demo.volunteers import build_volunteers

            _say(stdout, _("生成志愿服务：阵地、队伍、志愿者、活动与服务时长……"))
            build_volunteers(seed, timezone.now())
        record(None, "demo.build", detail={"scale": spec.name, "seed": seed, "sites": summary.sites.total()})
    summary.seconds = time.perf_counter() - started
    return summary


def _say(stdout: Writer | None, message: str) -> None:
    if stdout is not None:
        stdout.write(message + "\n")  # OutputWrapper adds no second newline


def summarise(scale: str, seed: int, standard: Standard) -> DemoSummary:
    summary = DemoSummary(scale, seed, standard=str(standard))
    summary.type_names = dict(standard.site_types.order_by("sort_order", "code").values_list("code", "name"))
    summary.units.update(dict(Counter(Unit.objects.values_list("kind", flat=True))))
    summary.sites.update(dict(Counter(Site.objects.values_list("site_type", flat=True))))
    summary.declared = Site.objects.filter(declared=True).count()
    summary.inactive = Site.objects.filter(active=False).count()
    summary.users.update(dict(Counter(User.objects.values_list("role", flat=True))))
    return summary


def demo_digest() -> str:
    """A fingerprint of everything the demo generates (ids and timestamps excluded)."""
    units = Unit.objects.order_by("code").values_list(
        "code", "name", "kind", "parent__code", "boundary", "duty_tags", "sort_order"
    )
    sites = Site.objects.order_by("code").values_list(
        "code", "name", "site_type", "address", "lng", "lat", "area_unit__code", "responsible_unit__code",
        "declared", "risk_tags", "active",
    )  # fmt: skip
    users = User.objects.order_by("username").values_list(
        "username", "full_name", "role", "unit__code", "is_staff", "is_superuser"
    )
    payload = json.dumps([list(units), list(sites), list(users)], ensure_ascii=False, sort_keys=True)
    return hashlib.sha256(payload.encode()).hexdigest()
