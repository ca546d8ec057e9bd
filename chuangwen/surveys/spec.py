"""A questionnaire as a plain document (the *spec*): the one checker and loader behind YAML and .xlsx import,
and the writer behind YAML export. Every import is all or nothing: either the whole questionnaire is stored as
a new version, or nothing is, with every problem listed by place (docs/surveys.md, "Questionnaires")."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from pathlib import Path
from typing import TYPE_CHECKING, Any

import yaml
from django.db import transaction
from django.db.models import Max
from django.utils.translation import gettext as _

from chuangwen.audit.services import record
from chuangwen.surveys.logic import LogicError, parse
from chuangwen.surveys.models import CHOICE_KINDS, Measure, Question, QuestionKind, Questionnaire, Section

if TYPE_CHECKING:
    from chuangwen.accounts.models import User
    from chuangwen.org.models import Unit
    from chuangwen.standards.models import Standard

CODE_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_]{0,39}$")
MAX_QUESTIONS = 300
MAX_SECTIONS = 50
MAX_CHOICES = 50
MAX_YAML_BYTES = 1_000_000
STARTER = Path(__file__).resolve().parent / "data" / "starter.yaml"
SCALE_CHOICES = [
    {"value": "satisfied", "label": "满意", "score": 1},
    {"value": "fair", "label": "基本满意", "score": 1},
    {"value": "dissatisfied", "label": "不满意", "score": 0},
]


@dataclass(frozen=True)
class SpecError:
    """One problem: ``where`` names the place (第 3 题（q3）), ``field`` the column, ``row`` the sheet row."""

    where: str
    field: str
    message: str
    row: int | None = None

    def __str__(self) -> str:
        return (
            f"{self.where}：{self.field} — {self.message}" if self.field else f"{self.where}：{self.message}"
        )


class SpecInvalid(Exception):
    def __init__(self, errors: list[SpecError]) -> None:
        super().__init__("；".join(str(e) for e in errors[:5]))
        self.errors = errors


def _text(value: Any) -> str:
    return "" if value is None else str(value).strip()


def _bool(value: Any, default: bool) -> bool | None:
    if value is None or value == "":
        return default
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in ("yes", "true", "1", "是", "y"):
        return True
    if text in ("no", "false", "0", "否", "n"):
        return False
    return None


def _decimal(value: Any) -> tuple[Decimal | None, bool]:
    if value is None or value == "":
        return None, True
    try:
        number = Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None, False
    return (number, True) if number.is_finite() and abs(number) < Decimal("1e10") else (None, False)


class _Checker:
    def __init__(self, indicator_codes: set[str] | None) -> None:
        self.errors: list[SpecError] = []
        self.seen: list[str] = []
        self.indicator_codes = indicator_codes

    def fail(self, where: str, field: str, message: str, row: int | None = None) -> None:
        self.errors.append(SpecError(where, field, message, row))

    def condition(self, where: str, source: str, row: int | None) -> list[Any] | None:
        try:
            tree, refs = parse(source)
        except LogicError as exc:
            self.fail(where, "relevant", _("显示条件无法识别：%(why)s") % {"why": exc}, row)
            return None
        for ref in refs:
            if ref not in self.seen:
                self.fail(
                    where, "relevant", _("显示条件引用了 %(code)s，它不是前面的题目") % {"code": ref}, row
                )
        return tree

    def choices(self, where: str, kind: str, raw: Any, row: int | None) -> list[dict[str, Any]]:
        if kind == QuestionKind.SCALE and not raw:
            return [dict(c) for c in SCALE_CHOICES]
        if not isinstance(raw, list) or len(raw) < 2:
            self.fail(where, "choices", _("选择题至少要有 2 个选项"), row)
            return []
        if len(raw) > MAX_CHOICES:
            self.fail(where, "choices", _("选项最多 %(n)s 个") % {"n": MAX_CHOICES}, row)
        out, values = [], set()
        for i, item in enumerate(raw, start=1):
            item = item if isinstance(item, dict) else {}
            value, label = _text(item.get("value")), _text(item.get("label"))
            score, ok = _decimal(item.get("score"))
            if not value or len(value) > 40 or not label or len(label) > 200:
                self.fail(
                    where, "choices", _("第 %(i)s 个选项须有取值（≤40 字）和文字（≤200 字）") % {"i": i}, row
                )
            elif value in values:
                self.fail(where, "choices", _("选项取值 %(v)s 重复") % {"v": value}, row)
            if not ok or (score is not None and not 0 <= score <= 1):
                self.fail(
                    where, "choices", _("选项 %(v)s 的得分应为 0 到 1 之间的数") % {"v": value or i}, row
                )
            values.add(value)
            out.append({"value": value, "label": label, "score": None if score is None else float(score)})
        return out

    def question(self, position: int, raw: dict[str, Any]) -> dict[str, Any]:
        row = raw.get("_row")
        code = _text(raw.get("code"))
        where = _("第 %(n)s 题（%(code)s）") % {"n": position, "code": code or "?"}
        if not CODE_RE.match(code):
            self.fail(where, "code", _("题目编号须以字母开头，由字母、数字、下划线组成（最多 40 个）"), row)
        elif code in self.seen:
            self.fail(where, "code", _("题目编号 %(code)s 重复") % {"code": code}, row)
        kind = _text(raw.get("kind"))
        if kind not in QuestionKind.values:
            self.fail(where, "kind", _("题型应为 single、multiple、scale、number 或 text"), row)
        text = _text(raw.get("text"))
        if not text or len(text) > 2000:
            self.fail(where, "text", _("请填写题目（最多 2000 个字）"), row)
        required = _bool(raw.get("required"), True)
        if required is None:
            self.fail(where, "required", _("必答应为 yes 或 no"), row)
        choices = self.choices(where, kind, raw.get("choices"), row) if kind in CHOICE_KINDS else []
        low, low_ok = _decimal(raw.get("min"))
        high, high_ok = _decimal(raw.get("max"))
        if not (low_ok and high_ok) or (low is not None and high is not None and low > high):
            self.fail(where, "min", _("最小值、最大值应为数字，且最小值不大于最大值"), row)
        relevant = _text(raw.get("relevant"))
        tree = self.condition(where, relevant, row)
        measure = _text(raw.get("measure"))
        if measure and measure not in Measure.values:
            self.fail(
                where, "measure", _("计入指标应为 awareness、support、participation 或 satisfaction"), row
            )
        indicator = _text(raw.get("indicator"))
        if (measure or indicator) and not any(c.get("score") is not None for c in choices):
            self.fail(where, "measure", _("计入知晓率等指标的题目须是选择题，且至少一个选项有得分"), row)
        if indicator and self.indicator_codes is not None and indicator not in self.indicator_codes:
            self.fail(where, "indicator", _("测评体系中没有标准 %(code)s") % {"code": indicator}, row)
        if code:
            self.seen.append(code)
        return {
            "code": code, "kind": kind, "text": text, "hint": _text(raw.get("hint"))[:300],
            "required": bool(required), "choices": choices, "min_value": low, "max_value": high,
            "relevant": relevant, "relevant_ast": tree, "measure": measure, "indicator_code": indicator,
        }  # fmt: skip


def check(spec: Any, indicator_codes: set[str] | None = None) -> dict[str, Any]:
    """The spec cleaned, or ``SpecInvalid`` listing every problem."""
    checker = _Checker(indicator_codes)
    if not isinstance(spec, dict):
        raise SpecInvalid([SpecError(_("问卷"), "", _("文件内容应为一份问卷（含 code、title、sections）"))])
    code, title = _text(spec.get("code")), _text(spec.get("title"))
    if not CODE_RE.match(code):
        checker.fail(_("问卷"), "code", _("问卷编号须以字母开头，由字母、数字、下划线组成（最多 40 个）"))
    if not title or len(title) > 200:
        checker.fail(_("问卷"), "title", _("请填写问卷名称（最多 200 个字）"))
    sections = spec.get("sections")
    if not isinstance(sections, list) or not sections:
        checker.fail(_("问卷"), "sections", _("问卷至少要有一个部分"))
        sections = []
    if len(sections) > MAX_SECTIONS:
        checker.fail(_("问卷"), "sections", _("问卷最多 %(n)s 个部分") % {"n": MAX_SECTIONS})
    out_sections, position, section_codes = [], 0, set()
    for i, section in enumerate(sections, start=1):
        section = section if isinstance(section, dict) else {}
        where = _("第 %(n)s 部分") % {"n": i}
        s_code = _text(section.get("code")) or f"s{i}"
        if not CODE_RE.match(s_code) or s_code in section_codes:
            checker.fail(where, "code", _("部分编号须唯一，以字母开头"), section.get("_row"))
        section_codes.add(s_code)
        s_title = _text(section.get("title"))
        if not s_title or len(s_title) > 200:
            checker.fail(where, "title", _("请填写部分标题（最多 200 个字）"), section.get("_row"))
        tree = checker.condition(where, _text(section.get("relevant")), section.get("_row"))
        questions: list[Any] = section["questions"] if isinstance(section.get("questions"), list) else []
        if not questions:
            checker.fail(where, "questions", _("每个部分至少要有一道题"), section.get("_row"))
        cleaned = []
        for raw in questions:
            position += 1
            cleaned.append(checker.question(position, raw if isinstance(raw, dict) else {}))
        out_sections.append(
            {"code": s_code, "title": s_title, "relevant": _text(section.get("relevant")),
             "relevant_ast": tree, "questions": cleaned}
        )  # fmt: skip
    if position > MAX_QUESTIONS:
        checker.fail(_("问卷"), "questions", _("问卷最多 %(n)s 道题") % {"n": MAX_QUESTIONS})
    if checker.errors:
        raise SpecInvalid(checker.errors)
    return {"code": code, "title": title, "intro": _text(spec.get("intro"))[:5000], "sections": out_sections}


def indicator_codes(standard: Standard | None) -> set[str] | None:
    if standard is None:
        return None
    from chuangwen.standards.models import Indicator

    return set(Indicator.objects.filter(content__project__standard=standard).values_list("code", flat=True))


def load(spec: Any, owner: Unit, user: User | None, standard: Standard | None = None) -> Questionnaire:
    """Store a spec as the next version of its code at ``owner`` (version 1 when new), all or nothing."""
    clean = check(spec, indicator_codes(standard))
    with transaction.atomic():
        latest = Questionnaire.objects.filter(owner_unit=owner, code=clean["code"]).aggregate(
            v=Max("version")
        )["v"]
        questionnaire = Questionnaire.objects.create(
            owner_unit=owner, code=clean["code"], version=(latest or 0) + 1, title=clean["title"],
            intro=clean["intro"], standard=standard, created_by=user,
        )  # fmt: skip
        position = 0
        for s_pos, s in enumerate(clean["sections"], start=1):
            section = Section.objects.create(
                questionnaire=questionnaire, code=s["code"], position=s_pos, title=s["title"],
                relevant=s["relevant"], relevant_ast=s["relevant_ast"],
            )  # fmt: skip
            for q in s["questions"]:
                position += 1
                Question.objects.create(questionnaire=questionnaire, section=section, position=position, **q)
        record(
            None, "survey.questionnaire.import", obj=questionnaire, actor=user, detail={"questions": position}
        )
    return questionnaire


def read_yaml(data: bytes) -> Any:
    if len(data) > MAX_YAML_BYTES:
        raise SpecInvalid([SpecError(_("文件"), "", _("文件过大（最多 1 MB）"))])
    try:
        return yaml.safe_load(data.decode("utf-8-sig"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        raise SpecInvalid(
            [SpecError(_("文件"), "", _("不是有效的 YAML（UTF-8）：%(why)s") % {"why": str(exc)[:200]})]
        ) from None


def to_spec(questionnaire: Questionnaire) -> dict[str, Any]:
    """The questionnaire as a spec (what YAML and .xlsx export write, and import reads back)."""
    sections = []
    questions = list(questionnaire.questions.order_by("position"))
    for section in questionnaire.sections.order_by("position"):
        items = []
        for q in (q for q in questions if q.section_id == section.pk):
            item: dict[str, Any] = {"code": q.code, "kind": q.kind, "text": q.text}
            if q.hint:
                item["hint"] = q.hint
            if not q.required:
                item["required"] = False
            if q.choices:
                item["choices"] = [dict(c) for c in q.choices]
            for key, value in (("min", q.min_value), ("max", q.max_value)):
                if value is not None:
                    item[key] = float(value) if value != value.to_integral_value() else int(value)
            for key, text in (
                ("relevant", q.relevant),
                ("measure", q.measure),
                ("indicator", q.indicator_code),
            ):
                if text:
                    item[key] = text
            items.append(item)
        entry: dict[str, Any] = {"code": section.code, "title": section.title}
        if section.relevant:
            entry["relevant"] = section.relevant
        entry["questions"] = items
        sections.append(entry)
    return {
        "code": questionnaire.code,
        "title": questionnaire.title,
        "intro": questionnaire.intro,
        "sections": sections,
    }


def write_yaml(questionnaire: Questionnaire) -> bytes:
    return yaml.safe_dump(to_spec(questionnaire), allow_unicode=True, sort_keys=False, width=1000).encode()


def load_starter(owner: Unit, user: User | None, standard: Standard | None = None) -> Questionnaire:
    return load(read_yaml(STARTER.read_bytes()), owner, user, standard)
