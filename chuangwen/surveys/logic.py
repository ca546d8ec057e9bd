"""Skip logic (显示条件): a small XLSForm-like expression language, parsed once into a JSON tree that the
server (``evaluate``) and the browsers (surveys/static/surveys/runner.js) evaluate the same way.

Grammar::

    expr   := term ("or" term)*
    term   := factor ("and" factor)*
    factor := "not" "(" expr ")" | "(" expr ")" | "selected" "(" ref "," literal ")" | ref op literal
    ref    := "${" code "}"
    op     := "=" | "!=" | ">" | ">=" | "<" | "<="
    literal:= 'text' | "text" | number

Trees: ``["or", a, b, …]``, ``["and", a, b, …]``, ``["not", a]``, ``["cmp", op, code, literal]``,
``["selected", code, literal]``. A question not answered (or hidden) has no value: every comparison with it
is false except ``!=``, which is true (as in XLSForm, where an empty answer differs from any value).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext as _

TOKEN_RE = re.compile(
    r"""\s*(?:
        (?P<ref>\$\{(?P<code>[A-Za-z_][A-Za-z0-9_]*)\})
      | (?P<string>'[^']*'|"[^"]*")
      | (?P<number>-?\d+(?:\.\d+)?)
      | (?P<op>!=|>=|<=|=|>|<)
      | (?P<punct>[(),])
      | (?P<word>[A-Za-z_]+)
    )""",
    re.VERBOSE,
)
OPS = ("=", "!=", ">", ">=", "<", "<=")
MAX_LENGTH = 500


class LogicError(ValueError):
    """The expression cannot be read; the message says where and why (Chinese)."""


def _tokens(source: str) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    position = 0
    text = source.rstrip()
    while position < len(text):
        match = TOKEN_RE.match(text, position)
        if match is None or match.end() == position:
            raise LogicError(
                _("第 %(n)s 个字符附近无法识别：%(rest)s") % {"n": position + 1, "rest": text[position:][:20]}
            )
        kind = match.lastgroup or ""
        if kind == "code":
            kind = "ref"
        value = match.group("code") if kind == "ref" else match.group(kind)
        if kind == "string":
            value = value[1:-1]
        out.append((kind, value))
        position = match.end()
    return out


class _Parser:
    def __init__(self, tokens: list[tuple[str, str]]) -> None:
        self.tokens = tokens
        self.i = 0
        self.refs: list[str] = []

    def peek(self) -> tuple[str, str] | None:
        return self.tokens[self.i] if self.i < len(self.tokens) else None

    def take(self, kind: str, value: str | None = None) -> str:
        token = self.peek()
        if token is None or token[0] != kind or (value is not None and token[1].lower() != value):
            wanted = value or {"ref": "${题号}", "literal": _("取值")}.get(kind, kind)
            found = token[1] if token else _("结尾")
            raise LogicError(_("此处应为 %(wanted)s，实际是 %(found)s") % {"wanted": wanted, "found": found})
        self.i += 1
        return token[1]

    def is_word(self, word: str) -> bool:
        token = self.peek()
        return token is not None and token[0] == "word" and token[1].lower() == word

    def expr(self) -> list[Any]:
        parts = [self.term()]
        while self.is_word("or"):
            self.i += 1
            parts.append(self.term())
        return parts[0] if len(parts) == 1 else ["or", *parts]

    def term(self) -> list[Any]:
        parts = [self.factor()]
        while self.is_word("and"):
            self.i += 1
            parts.append(self.factor())
        return parts[0] if len(parts) == 1 else ["and", *parts]

    def literal(self) -> str | float:
        token = self.peek()
        if token is None or token[0] not in ("string", "number"):
            raise LogicError(
                _("此处应为取值（带引号的文字或数字），实际是 %(found)s")
                % {"found": token[1] if token else _("结尾")}
            )
        self.i += 1
        return token[1] if token[0] == "string" else float(token[1])

    def ref(self) -> str:
        code = self.take("ref")
        self.refs.append(code)
        return code

    def factor(self) -> list[Any]:
        if self.is_word("not"):
            self.i += 1
            self.take("punct", "(")
            inner = self.expr()
            self.take("punct", ")")
            return ["not", inner]
        if self.is_word("selected"):
            self.i += 1
            self.take("punct", "(")
            code = self.ref()
            self.take("punct", ",")
            value = self.literal()
            self.take("punct", ")")
            return ["selected", code, str(value) if isinstance(value, str) else _number_text(value)]
        token = self.peek()
        if token == ("punct", "("):
            self.i += 1
            inner = self.expr()
            self.take("punct", ")")
            return inner
        code = self.ref()
        op = self.take("op")
        return ["cmp", op, code, self.literal()]


def _number_text(value: float) -> str:
    return str(int(value)) if value == int(value) else str(value)


def parse(source: str) -> tuple[list[Any] | None, list[str]]:
    """The tree of ``source`` and the question codes it reads; ``(None, [])`` for an empty condition."""
    source = (source or "").strip()
    if not source:
        return None, []
    if len(source) > MAX_LENGTH:
        raise LogicError(_("显示条件过长（最多 %(n)s 个字符）") % {"n": MAX_LENGTH})
    parser = _Parser(_tokens(source))
    tree = parser.expr()
    if parser.peek() is not None:
        raise LogicError(_("条件在 %(found)s 处多出内容") % {"found": parser.peek()[1]})  # type: ignore[index]
    return tree, parser.refs


def _as_number(value: Any) -> Decimal | None:
    if isinstance(value, bool) or value is None or value == "":
        return None
    try:
        return Decimal(str(value))
    except (InvalidOperation, ValueError):
        return None


def _compare(op: str, value: Any, literal: Any) -> bool:
    if value is None or value == "" or value == []:
        return op == "!="
    if isinstance(
        value, list
    ):  # a multiple choice compared as a whole: equal when it is exactly that one value
        value = value[0] if len(value) == 1 else None
        if value is None:
            return op == "!="
    if isinstance(literal, float):
        number = _as_number(value)
        if number is None:
            return op == "!="
        left, right = number, Decimal(str(literal))
        return {
            "=": left == right, "!=": left != right, ">": left > right,
            ">=": left >= right, "<": left < right, "<=": left <= right,
        }[op]  # fmt: skip
    text = str(value)
    if op == "=":
        return text == literal
    if op == "!=":
        return text != literal
    number, bound = _as_number(text), _as_number(literal)
    if number is None or bound is None:
        return False
    return {">": number > bound, ">=": number >= bound, "<": number < bound, "<=": number <= bound}[op]


def evaluate(tree: list[Any] | None, answers: Mapping[str, Any]) -> bool:
    """Whether a question or section with this condition is shown, given the answers so far."""
    if tree is None:
        return True
    head = tree[0]
    if head == "or":
        return any(evaluate(part, answers) for part in tree[1:])
    if head == "and":
        return all(evaluate(part, answers) for part in tree[1:])
    if head == "not":
        return not evaluate(tree[1], answers)
    if head == "selected":
        value = answers.get(tree[1])
        if isinstance(value, list):
            return tree[2] in [str(v) for v in value]
        return value is not None and str(value) == tree[2]
    if head == "cmp":
        return _compare(tree[1], answers.get(tree[2]), tree[3])
    raise LogicError(f"unknown node {head!r}")
