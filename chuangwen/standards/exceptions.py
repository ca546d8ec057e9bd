"""Errors of the standards domain; the messages are meant for the person who caused them."""

from __future__ import annotations

from typing import NamedTuple

from django.utils.translation import gettext as _


class Problem(NamedTuple):
    """One precise complaint: where (``site_types[2].items[4]`` or ``测评指标表第5行``), which field, why."""

    location: str
    field: str
    reason: str

    def __str__(self) -> str:
        where = ".".join(part for part in (self.location, self.field) if part)
        return f"{where}: {self.reason}" if where else self.reason


class StandardValidationError(Exception):
    """The data does not make a valid standard; ``problems`` lists every reason at once."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))

    @property
    def messages(self) -> list[str]:
        return [str(p) for p in self.problems]


class StandardImportError(StandardValidationError):
    """An import file was refused as a whole; nothing was written."""


class StandardFrozen(Exception):
    """A version that a round has used cannot change; derive a new version instead."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or _(
            "该标准版本已被测评批次使用而冻结，不能修改；请先派生新版本，再修改新版本。"
        )
        super().__init__(self.message)
