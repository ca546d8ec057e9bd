"""Photos uploaded for a case through the API (整改照片 / 核查照片): who may upload them, and where they are
filed. A case outside the user's scope does not exist (404); one he or she may see but not act on refuses."""

from __future__ import annotations

from typing import TYPE_CHECKING

from django.utils.translation import gettext as _

from chuangwen.cases import machine
from chuangwen.cases.models import Case
from chuangwen.evidence.errors import Forbidden, InvalidField, NotFound
from chuangwen.evidence.models import EvidenceKind
from chuangwen.sites.models import Site

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

CASE_PHOTO_KINDS = frozenset({EvidenceKind.RECTIFICATION.value, EvidenceKind.VERIFICATION.value})
VERIFY_ACTIONS = frozenset({"verify_pass", "verify_fail", "reverify_pass", "reverify_fail"})
# The actions a photo of each kind is taken for: uploading one is allowed when one of them is.
ACTIONS_OF_KIND = {
    EvidenceKind.RECTIFICATION.value: frozenset({"rectify"}),
    EvidenceKind.VERIFICATION.value: VERIFY_ACTIONS,
}


def case_site_for(case: Case, user: User) -> int | None:
    """The site a case photo is filed under: the case's, if the uploader may see it."""
    site_id = case.site_id
    if site_id is not None and not Site.objects.visible_to(user).filter(pk=site_id).exists():
        return None
    return site_id


def site_for_case_photo(case_id: int | None, kind: str, user: User) -> int | None:
    """Check that ``user`` may now upload a ``kind`` photo for the case; return the site to file it under."""
    if case_id is None:
        raise InvalidField("required", _("整改照片和核查照片须指明案卷（case_id）"), field="case_id")
    case = Case.objects.visible_to(user).filter(pk=case_id).first()
    if case is None:
        raise NotFound("not_found", _("案卷不存在"))
    if not ACTIONS_OF_KIND[kind] & set(machine.allowed_actions(case, user)):
        label = EvidenceKind(kind).label
        raise Forbidden(
            "not_allowed", _("您现在不能为案卷 %(code)s 上传%(kind)s") % {"code": case.code, "kind": label}
        )
    return case_site_for(case, user)
