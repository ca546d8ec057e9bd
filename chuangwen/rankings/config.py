"""The ranking configuration, read from the standard version's scoring ``parameters`` (docs/standards.md,
"Scoring parameters": the composite index, its weights and its penalties live in the standard version, not in
code). The keys, their defaults, help texts and checks are those of ``standards.services.validation``
(``DEFAULT_PARAMETERS``, ``PARAMETER_RULES``, ``WEIGHT_NAMES``), where a coordinator's edit is validated when
a version is saved or imported; a coordinator changes them by deriving a new version of the standard.

``ranking_config(standard)`` turns them into Decimals; a wrong value raises ``ValueError`` naming the key.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from decimal import Decimal
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from chuangwen.standards.services.validation import WEIGHT_NAMES, Place, clean_parameters

if TYPE_CHECKING:
    from chuangwen.standards.models import Standard

# Components of the composite index, the rectification indicators and the penalised events, in display order.
COMPONENTS = WEIGHT_NAMES["composite_weights"]
INDICATORS = WEIGHT_NAMES["rectification_weights"]
PENALTIES = WEIGHT_NAMES["penalties"]
# The parts of the 网上申报 component (chuangwen/materials/component.py).
MATERIALS_PARTS = WEIGHT_NAMES["materials_weights"]
# The targets of the 志愿服务 component (formulas.volunteer_score).
VOLUNTEER_TARGETS = WEIGHT_NAMES["volunteer_targets"]
# Indicators where a higher rate is worse: they enter the rectification score as (1 − rate).
NEGATIVE = frozenset({"rework_rate", "overdue_rate", "extension_rate", "recurrence_rate"})

# Their Chinese names (the method page, the tables and the drill-down use them).
INDICATOR_NAMES = {
    "disposal_rate": gettext_lazy("处置率"),
    "ontime_rate": gettext_lazy("按期处置率"),
    "rework_rate": gettext_lazy("返工率"),
    "overdue_rate": gettext_lazy("超期率"),
    "extension_rate": gettext_lazy("延期率"),
    "recurrence_rate": gettext_lazy("复发率"),
}
COMPONENT_NAMES = {
    "onsite": gettext_lazy("实地测评"),
    "rectification": gettext_lazy("问题整改"),
    "survey": gettext_lazy("问卷调查"),
    "volunteer": gettext_lazy("志愿服务"),
    "materials": gettext_lazy("网上申报"),
}
MATERIALS_PART_NAMES = {
    "completion_rate": gettext_lazy("申报完成率"),
    "return_rate": gettext_lazy("材料退回率"),
}
VOLUNTEER_PART_NAMES = {
    "registration_share": gettext_lazy("注册志愿者占常住人口（18–65 岁）比例"),
    "hours_per_volunteer": gettext_lazy("注册志愿者人均服务时长"),
    "active_share": gettext_lazy("活跃志愿者比例"),
}
PENALTY_NAMES = {
    "falsified_rectification": gettext_lazy("整改弄虚作假（抽查复核不通过）"),
    "accountability_talk": gettext_lazy("被约谈或通报批评"),
    "commendation": gettext_lazy("受到表彰（加分项）"),
}
# Penalised events whose points are added to the composite instead of taken off (their count times the points
# enters ``penalty`` negatively, so the drill-down's events × points still sums to the stored penalty).
BONUSES = frozenset({"commendation"})


@dataclass(frozen=True)
class RankingConfig:
    declared_weight: Decimal  # factor of a visit to a site the district declared
    undeclared_weight: Decimal  # … to a site it did not declare
    revisit_weight: Decimal  # factor of a visit of a revisit round (回头看)
    min_sample: int  # units with fewer visits are shrunk toward the level's mean
    shrinkage_k: Decimal  # strength of that shrinkage: (n·mean + k·level mean) / (n + k)
    composite: dict[str, Decimal]
    rectification: dict[str, Decimal]
    penalties: dict[str, Decimal]
    selfcheck_gap: Decimal
    selfcheck_min_pairs: int
    materials: dict[str, Decimal]  # weights of the 网上申报 component's completion and return rates
    volunteer: dict[str, Decimal]  # targets of the 志愿服务 component (``formulas.volunteer_score``)

    def as_dict(self) -> dict[str, Any]:
        """Plain JSON values, as stored with a ranking snapshot."""
        return {
            "declared_weight": str(self.declared_weight),
            "undeclared_weight": str(self.undeclared_weight),
            "revisit_weight": str(self.revisit_weight),
            "min_sample": self.min_sample,
            "shrinkage_k": str(self.shrinkage_k),
            "composite": {k: str(v) for k, v in self.composite.items()},
            "rectification": {k: str(v) for k, v in self.rectification.items()},
            "penalties": {k: str(v) for k, v in self.penalties.items()},
            "selfcheck_gap": str(self.selfcheck_gap),
            "selfcheck_min_pairs": self.selfcheck_min_pairs,
            "materials": {k: str(v) for k, v in self.materials.items()},
            "volunteer": {k: str(v) for k, v in self.volunteer.items()},
        }


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _weights(values: dict[str, Any], names: tuple[str, ...]) -> dict[str, Decimal]:
    """Every known name with its weight; a name the version does not list weighs 0."""
    return {name: _d(values.get(name, 0)) for name in names}


def from_parameters(parameters: dict[str, Any] | None) -> RankingConfig:
    """The configuration of a standard version's parameters, over the defaults."""
    problems: list[Any] = []
    values = clean_parameters(parameters, Place("parameters"), problems)
    if problems:
        raise ValueError("；".join(str(problem) for problem in problems))
    config = RankingConfig(
        declared_weight=_d(values["declared_weight"]),
        undeclared_weight=_d(values["undeclared_weight"]),
        revisit_weight=_d(values["revisit_weight"]),
        min_sample=int(values["min_sample"]),
        shrinkage_k=_d(values["shrinkage_k"]),
        composite=_weights(values["composite_weights"], COMPONENTS),
        rectification=_weights(values["rectification_weights"], INDICATORS),
        penalties=_weights(values["penalties"], PENALTIES),
        selfcheck_gap=_d(values["selfcheck_gap"]),
        selfcheck_min_pairs=int(values["selfcheck_min_pairs"]),
        materials=_weights(values["materials_weights"], MATERIALS_PARTS),
        volunteer={name: _d(values["volunteer_targets"][name]) for name in VOLUNTEER_TARGETS},
    )
    if not any(config.composite.values()):
        raise ValueError(_("综合指数的权重不能全部为 0"))
    return config


def from_snapshot(stored: dict[str, Any] | None) -> RankingConfig:
    """The configuration stored with a published ranking (``RankingConfig.as_dict``), not today's; a key the
    snapshot lacks takes the default."""
    stored = stored or {}
    defaults = from_parameters(None)
    values: dict[str, Any] = {}
    for item in fields(RankingConfig):
        default = getattr(defaults, item.name)
        value = stored.get(item.name)
        if value is None:
            values[item.name] = default
        elif isinstance(default, dict):
            values[item.name] = {name: Decimal(str(value.get(name, 0))) for name in default}
        elif isinstance(default, int):
            values[item.name] = int(value)
        else:
            values[item.name] = Decimal(str(value))
    return RankingConfig(**values)


def ranking_config(standard: Standard | None) -> RankingConfig:
    return from_parameters(standard.parameters if standard is not None else None)
