"""A questionnaire as clients render it (the *definition*: plain JSON), and the check of a set of answers
against it. The phone app, the self-completion and phone pages and the server all read the same definition, so
a question hidden by skip logic on a phone is hidden on the server too."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

from chuangwen.surveys.logic import evaluate
from chuangwen.surveys.models import CHOICE_KINDS, Question, QuestionKind, Questionnaire

TEXT_MAX = 500
NUMBER_LIMIT = Decimal("1000000000")


def _number(value: Decimal | None) -> float | None:
    return None if value is None else float(value)


def question_definition(q: Question) -> dict[str, Any]:
    return {
        "code": q.code,
        "kind": q.kind,
        "text": q.text,
        "hint": q.hint,
        "required": q.required,
        "choices": [{"value": c["value"], "label": c["label"]} for c in q.choices]
        if q.kind in CHOICE_KINDS
        else [],
        "min": _number(q.min_value),
        "max": _number(q.max_value),
        "relevant": q.relevant_ast,
        "measure": q.measure,
        "indicator": q.indicator_code,
    }


def build(questionnaire: Questionnaire) -> dict[str, Any]:
    """The definition, read from the questionnaire's rows (``compiled`` keeps it once frozen)."""
    sections = []
    questions = list(questionnaire.questions.order_by("position"))
    for section in questionnaire.sections.order_by("position"):
        sections.append(
            {
                "code": section.code,
                "title": section.title,
                "relevant": section.relevant_ast,
                "questions": [question_definition(q) for q in questions if q.section_id == section.pk],
            }
        )
    scores = {q.code: {str(c["value"]): c.get("score") for c in q.choices} for q in questions if q.choices}
    return {
        "id": questionnaire.pk,
        "code": questionnaire.code,
        "version": questionnaire.version,
        "title": questionnaire.title,
        "intro": questionnaire.intro,
        "sections": sections,
        "scores": scores,
    }


def definition(questionnaire: Questionnaire) -> dict[str, Any]:
    if questionnaire.is_frozen and questionnaire.compiled:
        return questionnaire.compiled
    return build(questionnaire)


def public_definition(full: Mapping[str, Any]) -> dict[str, Any]:
    """What a respondent's browser receives: no scores (they would tell a respondent the 'right' answer)."""
    return {k: v for k, v in full.items() if k != "scores"}


def iter_questions(defn: Mapping[str, Any]) -> list[tuple[dict[str, Any], dict[str, Any]]]:
    return [(section, q) for section in defn["sections"] for q in section["questions"]]


def _label(position: int, q: Mapping[str, Any]) -> str:
    return _("第 %(n)s 题（%(code)s）") % {"n": position, "code": q["code"]}


def _clean_one(q: Mapping[str, Any], value: Any, label: str) -> tuple[Any, str | None]:
    """The stored form of one answer, or an error."""
    kind = q["kind"]
    allowed = [str(c["value"]) for c in q["choices"]]
    if kind in (QuestionKind.SINGLE, QuestionKind.SCALE):
        if isinstance(value, (list, dict)) or str(value) not in allowed:
            return None, _("%(q)s的答案“%(v)s”不在选项中") % {"q": label, "v": str(value)[:40]}
        return str(value), None
    if kind == QuestionKind.MULTIPLE:
        items = value if isinstance(value, list) else [value]
        chosen = [str(v) for v in items if not isinstance(v, (list, dict))]
        if (
            len(chosen) != len(items)
            or any(v not in allowed for v in chosen)
            or len(set(chosen)) != len(chosen)
        ):
            return None, _("%(q)s的答案含有不在选项中或重复的选项") % {"q": label}
        return [v for v in allowed if v in chosen], None
    if kind == QuestionKind.NUMBER:
        try:
            number = Decimal(str(value))
        except (InvalidOperation, ValueError):
            return None, _("%(q)s应填写数字") % {"q": label}
        if not number.is_finite() or abs(number) > NUMBER_LIMIT:
            return None, _("%(q)s的数字超出范围") % {"q": label}
        low, high = q.get("min"), q.get("max")
        if (low is not None and number < Decimal(str(low))) or (
            high is not None and number > Decimal(str(high))
        ):
            bounds = {"low": "—" if low is None else f"{low:g}", "high": "—" if high is None else f"{high:g}"}
            return None, _("%(q)s应在 %(low)s 到 %(high)s 之间") % {"q": label, **bounds}
        return float(number) if number != number.to_integral_value() else int(number), None
    text = str(value).strip() if not isinstance(value, (list, dict)) else ""
    if len(text) > TEXT_MAX:
        return None, _("%(q)s最多 %(n)s 个字") % {"q": label, "n": TEXT_MAX}
    return text, None


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == []


def clean_answers(defn: Mapping[str, Any], answers: Any) -> tuple[dict[str, Any], dict[str, list[str]]]:
    """The answers to store (in the questionnaire's order, hidden questions dropped) and the errors keyed
    ``answers.<code>``. Unknown questions are errors; so is a required question left empty while shown."""
    errors: dict[str, list[str]] = {}
    if not isinstance(answers, Mapping):
        return {}, {"answers": [_("答案格式错误，应为“题号: 答案”的对象")]}
    known = {q["code"] for _s, q in iter_questions(defn)}
    for code in answers:
        if code not in known:
            errors.setdefault(f"answers.{str(code)[:40]}", []).append(
                _("问卷中没有题目 %(code)s") % {"code": str(code)[:40]}
            )
    cleaned: dict[str, Any] = {}
    position = 0
    for section in defn["sections"]:
        section_shown = evaluate(section.get("relevant"), cleaned)
        for q in section["questions"]:
            position += 1
            if not section_shown or not evaluate(q.get("relevant"), cleaned):
                continue  # hidden by skip logic: whatever the client sent is not an answer
            value = answers.get(q["code"])
            label = _label(position, q)
            if _empty(value):
                if q["required"]:
                    errors.setdefault(f"answers.{q['code']}", []).append(_("%(q)s为必答题") % {"q": label})
                continue
            stored, error = _clean_one(q, value, label)
            if error:
                errors.setdefault(f"answers.{q['code']}", []).append(error)
            elif not _empty(stored):
                cleaned[q["code"]] = stored
    return cleaned, errors


def fingerprint(answers: Mapping[str, Any]) -> str:
    """The same answers give the same fingerprint (duplicate interviews)."""
    canonical = json.dumps(answers, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(canonical.encode()).hexdigest()


def item_score(scores: Mapping[str, Mapping[str, Any]], code: str, value: Any) -> float | None:
    """What one answer counts in a rate (0–1), or None when the answer is not scored. A multiple choice
    counts its best chosen option (took part in at least one activity)."""
    table = scores.get(code)
    if not table:
        return None
    values = value if isinstance(value, list) else [value]
    found = [table.get(str(v)) for v in values]
    numbers = [float(f) for f in found if f is not None]
    return max(numbers) if numbers else None
