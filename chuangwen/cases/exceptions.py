"""Why a case action was not carried out; every message is meant for the person who tried."""

from __future__ import annotations

from django.utils.translation import gettext as _


class TransitionRefused(Exception):
    """The action is not allowed in the case's state, for this person, or under a guard of the table."""

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class CaseNotFound(TransitionRefused):
    """The case does not exist for this person: outside the scope it answers exactly like a wrong number."""

    def __init__(self) -> None:
        super().__init__(_("案卷不存在"))


class Conflict(Exception):
    """Someone else changed the case since the caller read it; nothing was written."""

    def __init__(self, message: str | None = None) -> None:
        self.message = message or _("案卷已被他人处理，请刷新后重试")
        super().__init__(self.message)
