"""Checking standard data from any source (YAML, Excel, an edit, the admin) against one set of rules.

Readers turn their input into ``Raw*`` nodes that know where each value came from; :func:`clean_standard`
returns clean values or raises :class:`StandardValidationError` listing every problem at once.
"""

from __future__ import annotations

import copy
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING, Any

from django.utils.translation import gettext as _

from chuangwen.standards.exceptions import Problem, StandardValidationError
from chuangwen.standards.models import ScoringMode, Severity

if TYPE_CHECKING:
    from chuangwen.standards.services.indicators import CleanProject, RawProject

CODE_RE = re.compile(r"^[A-Za-z0-9_-]+$")
MAX_SITE_TYPES = 100
MAX_ITEMS_PER_TYPE = 200
MAX_DEADLINE_DAYS = 365

MODE_ALIASES = {
    "binary": ScoringMode.BINARY,
    "符合/不符合": ScoringMode.BINARY,
    "per_occurrence": ScoringMode.PER_OCCURRENCE,
    "按处扣分": ScoringMode.PER_OCCURRENCE,
    "veto": ScoringMode.VETO,
    "一票否决": ScoringMode.VETO,
}
SEVERITY_ALIASES = {
    "general": Severity.GENERAL,
    "一般": Severity.GENERAL,
    "serious": Severity.SERIOUS,
    "严重": Severity.SERIOUS,
}

STANDARD_FIELDS = ("code", "name", "version", "site_score", "parameters", "site_types", "indicators")
SITE_TYPE_FIELDS = ("code", "name", "protocol", "weight", "items")
ITEM_FIELDS = (
    "code", "category", "text", "mode", "deduct", "cap", "unit", "severity", "deadline_days", "duty",
)  # fmt: skip

# Scoring parameters kept in every version (docs/standards.md, "Scoring parameters"); a file's ``parameters:``
# overrides them.
DEFAULT_PARAMETERS: dict[str, Any] = {
    "declared_weight": 1.0,
    "undeclared_weight": 1.5,
    "revisit_weight": 1.5,
    "min_sample": 5,
    "shrinkage_k": 5,
    "max_declared_share": 0.3,
    "traffic_light_yellow": 0.8,
    # 网上申报 (materials) weighs about 40 % of a national test; on-site and rectification keep their 2 : 1.
    # 志愿服务 (volunteer) counts once a unit has registered volunteers; without any it drops out.
    "composite_weights": {
        "onsite": 0.4,
        "rectification": 0.2,
        "materials": 0.3,
        "survey": 0.1,
        "volunteer": 0.1,
    },
    # Targets of the volunteer component (rankings/formulas.volunteer_score): registered volunteers per
    # resident aged 18–65, confirmed hours per registered volunteer and month, share of them active.
    "volunteer_targets": {"registration_share": 0.13, "hours_per_volunteer": 2, "active_share": 0.3},
    "materials_weights": {"completion_rate": 0.8, "return_rate": 0.2},
    "rectification_weights": {
        "disposal_rate": 0.25,
        "ontime_rate": 0.25,
        "rework_rate": 0.15,
        "overdue_rate": 0.2,
        "extension_rate": 0.05,
        "recurrence_rate": 0.1,
    },
    # Talks and commendations (bulletins' records) move the composite only when a version sets their points.
    "penalties": {"falsified_rectification": 5, "accountability_talk": 0, "commendation": 0},
    "selfcheck_gap": 5,
    "selfcheck_min_pairs": 3,
}
# The names a weights parameter may use (the composite's components, the rectification indicators, the
# penalised events); rankings/config.py reads them from here.
WEIGHT_NAMES: dict[str, tuple[str, ...]] = {
    "composite_weights": ("onsite", "rectification", "materials", "survey", "volunteer"),
    "materials_weights": ("completion_rate", "return_rate"),
    "rectification_weights": (
        "disposal_rate", "ontime_rate", "rework_rate", "overdue_rate", "extension_rate", "recurrence_rate",
    ),
    "penalties": ("falsified_rectification", "accountability_talk", "commendation"),
    "volunteer_targets": ("registration_share", "hours_per_volunteer", "active_share"),
}  # fmt: skip
# Targets that are shares (0 < value ≤ 1); the other targets only need to be positive.
SHARE_TARGETS = frozenset({"registration_share", "active_share"})
PARAMETER_HELP: dict[str, str] = {
    "declared_weight": "申报点位在单位现场得分加权平均中的权重",
    "undeclared_weight": "非申报点位的权重（暗访以非申报点位为主，权重更高）",
    "revisit_weight": "回头看（复查）测评结果的权重",
    "min_sample": "单位参与排名所需的最少测评点位数，不足时向全区均值收缩",
    "shrinkage_k": "小样本收缩强度：得分 = (n·单位均分 + k·全区均分)/(n + k)",
    "max_declared_share": "暗访抽样中申报点位所占比例上限",
    "traffic_light_yellow": "整改时限已用比例达到该值即亮黄灯",
    "composite_weights": (
        "综合指数权重：现场测评 onsite、整改 rectification、网上申报 materials、问卷 survey、"
        "志愿服务 volunteer"
    ),
    "materials_weights": (
        "网上申报得分中的权重：申报完成率 completion_rate、材料退回率 return_rate（越低越好）"
    ),
    "rectification_weights": (
        "整改得分中各指标的权重：处置率 disposal_rate、按期处置率 ontime_rate、返工率 rework_rate、"
        "超期率 overdue_rate、延期率 extension_rate、复发率 recurrence_rate"
    ),
    "penalties": (
        "扣分：每发生一次所扣综合指数分值，如整改弄虚作假（抽查复核不通过）falsified_rectification、"
        "被约谈或通报批评 accountability_talk；受表彰 commendation 为加分，每次加该分值"
    ),
    "selfcheck_gap": "自查得分比同期官方测评高出该分值即提示自查偏松",
    "selfcheck_min_pairs": "比较自查可靠性所需的最少点位对数",
    "volunteer_targets": (
        "志愿服务得分的目标值：注册志愿者占 18–65 岁常住人口比例 registration_share（0–1）、"
        "注册志愿者人均每月服务时长（小时）hours_per_volunteer、"
        "活跃志愿者占注册志愿者比例 active_share（0–1）；未列出的项取默认值"
    ),
}
# name -> (kind, lower bound, lower bound inclusive, upper bound)
PARAMETER_RULES: dict[str, tuple[str, float, bool, float | None]] = {
    "declared_weight": ("number", 0, False, None),
    "undeclared_weight": ("number", 0, False, None),
    "revisit_weight": ("number", 0, False, None),
    "min_sample": ("integer", 1, True, None),
    "shrinkage_k": ("number", 0, True, None),
    "max_declared_share": ("number", 0, True, 1),
    "traffic_light_yellow": ("number", 0, False, 1),
    "composite_weights": ("weights", 0, True, None),
    "materials_weights": ("weights", 0, True, None),
    "rectification_weights": ("weights", 0, True, None),
    "penalties": ("weights", 0, True, None),
    "selfcheck_gap": ("number", 0, True, None),
    "selfcheck_min_pairs": ("integer", 1, True, None),
    "volunteer_targets": ("targets", 0, False, None),
}


@dataclass(frozen=True)
class Place:
    """Where a node came from: a path like ``site_types[2].items[4]`` or ``测评指标表第5行``."""

    location: str
    labels: Mapping[str, str] = field(default_factory=dict)

    def problem(self, name: str, reason: str) -> Problem:
        return Problem(self.location, self.labels.get(name, name), reason)


@dataclass
class RawItem:
    data: Mapping[str, Any]
    place: Place


@dataclass
class RawSiteType:
    data: Mapping[str, Any]
    place: Place
    items: list[RawItem] = field(default_factory=list)


@dataclass
class RawStandard:
    data: Mapping[str, Any]
    place: Place
    site_types: list[RawSiteType] = field(default_factory=list)
    parameters: Any = None
    parameters_place: Place = field(default_factory=lambda: Place("parameters"))
    indicators: list[RawProject] = field(default_factory=list)  # the tree (services/indicators.py)


@dataclass
class CleanItem:
    code: str
    category: str
    text: str
    mode: str
    deduct: Decimal
    cap: Decimal | None
    unit_label: str
    severity: str
    deadline_days: int
    duty: str


@dataclass
class CleanSiteType:
    code: str
    name: str
    protocol: str
    weight: Decimal
    items: list[CleanItem]


@dataclass
class CleanStandard:
    code: str
    name: str
    site_score_formula: str
    parameters: dict[str, Any]
    site_types: list[CleanSiteType]
    indicators: list[CleanProject] = field(default_factory=list)


class Checker:
    """Collects problems while reading fields of one node."""

    def __init__(self, data: Mapping[str, Any], place: Place, problems: list[Problem]) -> None:
        self.data, self.place, self.problems = data, place, problems
        self.start = len(problems)

    @property
    def ok(self) -> bool:
        return len(self.problems) == self.start

    def add(self, name: str, reason: str) -> None:
        self.problems.append(self.place.problem(name, reason))

    def present(self, name: str) -> bool:
        value = self.data.get(name)
        return value is not None and not (isinstance(value, str) and not value.strip())

    def text(self, name: str, max_len: int, *, required: bool = True) -> str:
        if not self.present(name):
            if required:
                self.add(name, _("不能为空"))
            return ""
        value = self.data[name]
        if isinstance(value, bool) or not isinstance(value, str | int | float | Decimal):
            self.add(name, _("必须是文字"))
            return ""
        result = str(value).strip()
        if len(result) > max_len:
            self.add(name, _("不能超过 %(n)d 个字符") % {"n": max_len})
        return result

    def code(self, name: str, max_len: int) -> str:
        value = self.text(name, max_len)
        if value and not CODE_RE.match(value):
            self.add(name, _("只能包含字母、数字、连字符和下划线"))
        return value

    def choice(self, name: str, aliases: Mapping[str, str], *, default: str | None = None) -> str:
        if not self.present(name):
            if default is None:
                self.add(name, _("不能为空"))
            return default or ""
        value = str(self.data[name]).strip()
        if value not in aliases:
            allowed = "、".join(sorted({str(v) for v in aliases.values()}))
            self.add(name, _("取值必须是 %(choices)s 之一") % {"choices": allowed})
            return ""
        return str(aliases[value])

    def decimal(
        self, name: str, *, places: int, maximum: int, positive: bool = False, required: bool = True
    ) -> Decimal | None:
        if not self.present(name):
            if required:
                self.add(name, _("不能为空"))
            return None
        number = to_decimal(self.data[name])
        if number is None:
            self.add(name, _("必须是数字"))
        elif positive and number <= 0:
            self.add(name, _("必须大于 0"))
        elif number < 0:
            self.add(name, _("必须是非负数"))
        elif number >= maximum:
            self.add(name, _("必须小于 %(max)d") % {"max": maximum})
        elif decimal_places(number) > places:
            self.add(name, _("最多保留 %(n)d 位小数") % {"n": places})
        else:
            return number
        return None

    def integer(self, name: str, low: int, high: int) -> int:
        if not self.present(name):
            self.add(name, _("不能为空"))
            return low
        number = to_decimal(self.data[name])
        if number is None or number != number.to_integral_value():
            self.add(name, _("必须是整数"))
            return low
        if not low <= number <= high:
            self.add(name, _("必须在 %(low)d 到 %(high)d 之间") % {"low": low, "high": high})
        return int(number)

    def unknown(self, known: tuple[str, ...]) -> None:
        for name in self.data:
            if name not in known:
                self.add(str(name), _("未知字段"))


def decimal_places(number: Decimal) -> int:
    exponent = number.as_tuple().exponent
    return max(0, -exponent) if isinstance(exponent, int) else 0


def to_decimal(value: Any) -> Decimal | None:
    """A number from YAML, Excel or a form; booleans, NaN and infinity are not numbers here."""
    if isinstance(value, bool):
        return None
    try:
        number = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        return None
    return number.normalize() if number.is_finite() else None


def clean_item(raw: RawItem, problems: list[Problem]) -> CleanItem | None:
    c = Checker(raw.data, raw.place, problems)
    c.unknown(ITEM_FIELDS)
    code, category = c.code("code", 16), c.text("category", 50)
    text, duty = c.text("text", 300), c.text("duty", 30)
    unit_label = c.text("unit", 20, required=False)
    mode = c.choice("mode", MODE_ALIASES)
    severity = c.choice("severity", SEVERITY_ALIASES, default=Severity.GENERAL)
    deadline_days = c.integer("deadline_days", 0, MAX_DEADLINE_DAYS)
    deduct, cap = _deduct_and_cap(c, mode)
    if not c.ok:
        return None
    return CleanItem(
        code=code,
        category=category,
        text=text,
        mode=mode,
        deduct=deduct or Decimal(0),
        cap=cap,
        unit_label=unit_label,
        severity=severity,
        deadline_days=deadline_days,
        duty=duty,
    )


def _deduct_and_cap(c: Checker, mode: str) -> tuple[Decimal | None, Decimal | None]:
    if not mode:  # the mode itself is wrong: only check that the numbers are numbers
        deduct = c.decimal("deduct", places=2, maximum=10000, required=False)
        return deduct, c.decimal("cap", places=2, maximum=10000, required=False)
    if mode == ScoringMode.VETO:
        deduct = c.decimal("deduct", places=2, maximum=10000, required=False)
        if deduct:
            c.add("deduct", _("一票否决项不设单次扣分"))
        if c.present("cap"):
            c.add("cap", _("一票否决项不设扣分上限"))
        return Decimal(0), None
    deduct = c.decimal("deduct", places=2, maximum=10000)
    if mode != ScoringMode.PER_OCCURRENCE:
        if c.present("cap"):
            c.add("cap", _("只有按处扣分的指标才设扣分上限"))
        return deduct, None
    cap = c.decimal("cap", places=2, maximum=10000)
    if cap is not None and deduct is not None and cap < deduct:
        c.add("cap", _("扣分上限不能小于单次扣分（%(deduct)s）") % {"deduct": deduct})
    return deduct, cap


def clean_site_type(
    raw: RawSiteType, problems: list[Problem], *, with_items: bool = True
) -> CleanSiteType | None:
    c = Checker(raw.data, raw.place, problems)
    c.unknown(SITE_TYPE_FIELDS)
    code, name = c.code("code", 16), c.text("name", 100)
    protocol = c.text("protocol", 300, required=False)
    weight = Decimal(1)
    if c.present("weight"):
        weight = c.decimal("weight", places=3, maximum=1000, positive=True) or weight
    if not with_items:
        return CleanSiteType(code, name, protocol, weight, []) if c.ok else None
    if not raw.items:
        c.add("items", _("至少需要一个测评指标"))
    elif len(raw.items) > MAX_ITEMS_PER_TYPE:
        c.add("items", _("测评指标不能超过 %(n)d 个") % {"n": MAX_ITEMS_PER_TYPE})
    items = [clean_item(item, problems) for item in raw.items[:MAX_ITEMS_PER_TYPE]]
    if not c.ok:
        return None
    return CleanSiteType(code, name, protocol, weight, [i for i in items if i is not None])


def clean_standard(raw: RawStandard, problems: list[Problem] | None = None) -> CleanStandard:
    """Every rule at once; raises StandardValidationError naming each problem (and any the reader found)."""
    problems = list(problems or [])
    c = Checker(raw.data, raw.place, problems)
    c.unknown(STANDARD_FIELDS)
    code, name = c.code("code", 32), c.text("name", 200)
    formula = c.text("site_score", 200, required=False) or str(_default_formula())
    parameters = clean_parameters(raw.parameters, raw.parameters_place, problems)
    if not raw.site_types:
        c.add("site_types", _("至少需要一个点位类型"))
    elif len(raw.site_types) > MAX_SITE_TYPES:
        c.add("site_types", _("点位类型不能超过 %(n)d 个") % {"n": MAX_SITE_TYPES})
    site_types = [clean_site_type(st, problems) for st in raw.site_types[:MAX_SITE_TYPES]]
    _check_duplicates(raw, problems)
    from chuangwen.standards.services.indicators import clean_tree  # it builds on this module's Checker

    item_codes = {str(i.data.get("code", "")).strip() for st in raw.site_types for i in st.items}
    tree = clean_tree(raw.indicators, item_codes, problems)
    if problems:
        raise StandardValidationError(problems)
    return CleanStandard(code, name, formula, parameters, [st for st in site_types if st is not None], tree)


def _default_formula() -> str:
    from chuangwen.standards.models import Standard

    return str(Standard._meta.get_field("site_score_formula").default)


def _check_duplicates(raw: RawStandard, problems: list[Problem]) -> None:
    type_seen: dict[str, str] = {}
    item_seen: dict[str, str] = {}
    for st in raw.site_types:
        _note_duplicate(st.data.get("code"), st.place, type_seen, problems)
        for item in st.items:
            _note_duplicate(item.data.get("code"), item.place, item_seen, problems)


def _note_duplicate(code: Any, place: Place, seen: dict[str, str], problems: list[Problem]) -> None:
    if code is None or isinstance(code, dict | list):
        return
    key = str(code).strip()
    if not key:
        return
    if key in seen:
        reason = _("编码“%(code)s”重复（已在 %(where)s 使用）") % {"code": key, "where": seen[key]}
        problems.append(place.problem("code", reason))
    else:
        seen[key] = place.location


def clean_parameters(value: Any, place: Place, problems: list[Problem]) -> dict[str, Any]:
    """Defaults overlaid with the given parameters; known ones are range-checked, others kept as given."""
    result = copy.deepcopy(DEFAULT_PARAMETERS)
    if value is None:
        return result
    if not isinstance(value, Mapping):
        problems.append(Problem(place.location, "", _("必须是键值对（映射）")))
        return result
    for key, item in value.items():
        name = str(key)
        rule = PARAMETER_RULES.get(name)
        checked = _check_parameter(name, item, rule, place, problems)
        if checked is not None:
            result[name] = checked
    return result


def _check_parameter(
    name: str,
    value: Any,
    rule: tuple[str, float, bool, float | None] | None,
    place: Place,
    problems: list[Problem],
) -> Any:
    def fail(reason: str) -> None:
        problems.append(place.problem(name, reason))

    if rule is None:
        if _is_plain(value) or (isinstance(value, Mapping) and all(_is_plain(v) for v in value.values())):
            return _jsonable(value)
        fail(_("只支持数字、文字、是否或一层键值对"))
        return None
    kind, low, inclusive, high = rule
    if kind == "weights":
        return _check_weights(value, fail, WEIGHT_NAMES.get(name))
    if kind == "targets":
        return _check_targets(name, value, fail)
    number = to_decimal(value)
    if number is None or (kind == "integer" and number != number.to_integral_value()):
        fail(_("必须是整数") if kind == "integer" else _("必须是数字"))
        return None
    if number < low or (number == low and not inclusive) or (high is not None and number > high):
        fail(_("超出允许范围"))
        return None
    return int(number) if kind == "integer" else float(number)


def _check_weights(
    value: Any, fail: Callable[[str], None], names: tuple[str, ...] | None = None
) -> dict[str, float] | None:
    if not isinstance(value, Mapping) or not value:
        fail(_("必须是键值对（映射）"))
        return None
    weights: dict[str, float] = {}
    for key, item in value.items():
        if names is not None and str(key) not in names:
            fail(_("未知项“%(key)s”，可用：%(names)s") % {"key": key, "names": "、".join(names)})
            return None
        number = to_decimal(item)
        if number is None or number < 0:
            fail(_("权重“%(key)s”必须是非负数") % {"key": key})
            return None
        weights[str(key)] = float(number)
    if sum(weights.values()) <= 0:
        fail(_("权重之和必须大于 0"))
        return None
    return weights


def _check_targets(name: str, value: Any, fail: Callable[[str], None]) -> dict[str, float] | None:
    """Targets over their defaults: each named target a number > 0, a share at most 1."""
    if not isinstance(value, Mapping) or not value:
        fail(_("必须是键值对（映射）"))
        return None
    names = WEIGHT_NAMES[name]
    targets: dict[str, float] = dict(DEFAULT_PARAMETERS[name])
    for key, item in value.items():
        if str(key) not in names:
            fail(_("未知项“%(key)s”，可用：%(names)s") % {"key": key, "names": "、".join(names)})
            return None
        number = to_decimal(item)
        if number is None or number <= 0 or (str(key) in SHARE_TARGETS and number > 1):
            fail(_("目标值“%(key)s”必须大于 0（比例不超过 1）") % {"key": key})
            return None
        targets[str(key)] = float(number)
    return targets


def _is_plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool | Decimal)


def _jsonable(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, Mapping):
        return {str(k): _jsonable(v) for k, v in value.items()}
    return value
