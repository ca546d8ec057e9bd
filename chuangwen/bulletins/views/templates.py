"""The office's templates: one per kind (made on the first visit), each with its sections and their order,
wording blocks, lines, counts, addressees, issuer, number prefix, reply days, schedule and ranking level."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils.translation import gettext as _

from chuangwen.accounts import capabilities
from chuangwen.accounts.models import User
from chuangwen.audit.services import record
from chuangwen.bulletins import services
from chuangwen.bulletins.models import BulletinTemplate
from chuangwen.bulletins.views.common import member, refusal_text
from chuangwen.bulletins.views.forms import (
    TemplateForm,
    read_sections,
    read_wording,
    section_rows,
    wording_rows,
)


def _office(request: HttpRequest) -> User:
    user = member(request)
    if not capabilities.may_oversee(user) or user.unit is None:
        raise PermissionDenied(_("只有文明办可以管理通报模板"))
    return user


@login_required
def template_list(request: HttpRequest) -> HttpResponse:
    user = _office(request)
    assert user.unit is not None
    services.ensure_templates(user.unit)
    templates = BulletinTemplate.objects.visible_to(user).filter(owner_unit=user.unit)
    return render(request, "bulletins/template_list.html", {"templates": templates})


def _checked(request: HttpRequest) -> tuple[list[str], dict[str, str]]:
    sections = read_sections(request.POST)
    if isinstance(sections, str):
        raise services.Refused("invalid", sections, "sections")
    return services.check_sections(sections), services.check_wording(read_wording(request.POST))


@login_required
def template_edit(request: HttpRequest, pk: int) -> HttpResponse:
    user = _office(request)
    template = get_object_or_404(BulletinTemplate.objects.visible_to(user), pk=pk, owner_unit_id=user.unit_id)
    form = TemplateForm(request.POST or None, instance=template)
    sections, wording, error, status = list(template.sections), dict(template.wording), "", 200
    if request.method == "POST":
        status = 400
        picked = read_sections(request.POST)
        sections = picked if isinstance(picked, list) else sections
        wording = {**wording, **read_wording(request.POST)}
        try:
            sections, checked_wording = _checked(request)
        except services.Refused as exc:
            error = refusal_text(exc)
        if not error and form.is_valid():
            with transaction.atomic():
                saved = form.save(commit=False)
                saved.sections, saved.wording = sections, {**template.wording, **checked_wording}
                saved.save()
                record(request, "bulletin.template", obj=saved, detail={"kind": saved.kind})
            messages.success(request, _("模板“%(n)s”已保存") % {"n": saved.name})
            return HttpResponseRedirect(reverse("bulletins:templates"))
    context = {
        "template": template,
        "form": form,
        "error": error,
        "section_rows": section_rows(sections),
        "wording_rows": wording_rows(wording),
    }
    return render(request, "bulletins/template_form.html", context, status=status)
