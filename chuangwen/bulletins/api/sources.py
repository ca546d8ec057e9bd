"""The ids a draft request names, looked up within what the caller's office may cite (400 naming the field
when an id is not there; whether a source is published is the services' rule)."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext as _

from chuangwen.accounts.models import User
from chuangwen.bulletins import services
from chuangwen.bulletins.models import Bulletin, BulletinTemplate
from chuangwen.materials.models import Period
from chuangwen.rankings.models import Ranking
from chuangwen.rounds.models import Round
from chuangwen.surveys.models import Wave


def _missing(field: str, what: str) -> services.Refused:
    return services.Refused("invalid", _("没有找到该%(what)s，或不属于本单位") % {"what": what}, field)


def citable_rankings(user: User) -> Any:
    """Rankings with a row in the office's subtree (a ranking has no scoping function of its own: its rows
    decide)."""
    assert user.unit is not None
    return Ranking.objects.filter(rows__unit__path__startswith=user.unit.path).distinct()


def _one(queryset: Any, pk: int | None, field: str, what: str) -> Any:
    if pk is None:
        return None
    found = queryset.filter(pk=pk).first()
    if found is None:
        raise _missing(field, what)
    return found


def resolve_sources(user: User, body: Any) -> tuple[BulletinTemplate, dict[str, Any], Bulletin | None]:
    """The template, the sources (as ``services.draft`` keywords) and the bulletin corrected."""
    template = _one(
        BulletinTemplate.objects.visible_to(user).filter(owner_unit_id=user.unit_id, active=True),
        body.template_id,
        "template_id",
        _("模板"),
    )
    sources = {
        "ranking": _one(citable_rankings(user), body.ranking_id, "ranking_id", _("排名")),
        "round_": _one(Round.objects.visible_to(user), body.round_id, "round_id", _("测评批次")),
        "wave": _one(Wave.objects.visible_to(user), body.wave_id, "wave_id", _("调查轮次")),
        "materials_period": _one(
            Period.objects.visible_to(user), body.materials_period_id, "materials_period_id", _("申报周期")
        ),
    }
    corrects = _one(Bulletin.objects.visible_to(user), body.corrects_id, "corrects_id", _("通报"))
    return template, sources, corrects
