"""Serving photos: display copy, thumbnail and original, only through the evidence scoping function."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.files.storage import default_storage
from django.http import FileResponse, Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import get_object_or_404
from django.views.decorators.http import require_GET

from chuangwen.accounts.models import Role
from chuangwen.core.web import user_of
from chuangwen.evidence.derivatives import build_derivatives
from chuangwen.evidence.errors import Busy
from chuangwen.evidence.models import Evidence
from chuangwen.evidence.storage import present

logger = logging.getLogger(__name__)

# Who may open the re-encoded original (full size); everyone who sees a photo may see its display copy.
ORIGINAL_ROLES = {Role.COORDINATOR, Role.INSPECTOR, Role.VERIFIER}
CACHE_CONTROL = "private, max-age=3600"
# Short: a photo that stops being public (a report withdrawn) should leave shared caches soon.
PUBLIC_CACHE_CONTROL = "public, max-age=600"


def busy_response(exc: Busy) -> HttpResponse:
    """503 with Retry-After: every decoding slot of this process stayed taken; nothing was made."""
    response = HttpResponse(exc.message, status=exc.status, content_type="text/plain; charset=utf-8")
    response["Retry-After"] = str(exc.retry_after)
    return response


def answers_busy(view: Callable[..., HttpResponseBase]) -> Callable[..., HttpResponseBase]:
    """A copy that must be decoded now and finds no decoding slot answers 503, not 500."""

    @wraps(view)
    def wrapper(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponseBase:
        try:
            return view(request, *args, **kwargs)
        except Busy as exc:
            return busy_response(exc)

    return wrapper


def _visible(request: HttpRequest, pk: int) -> Evidence:
    queryset = Evidence.objects.visible_to(user_of(request)).select_related("site", "uploader")
    return get_object_or_404(queryset, pk=pk)


def _file_response(name: str, download_name: str) -> FileResponse:
    try:
        handle = default_storage.open(name, "rb")
    except FileNotFoundError as exc:
        logger.error("evidence file missing: %s", name)
        raise Http404 from exc
    response = FileResponse(handle, content_type="image/jpeg", filename=download_name)
    response["Cache-Control"] = CACHE_CONTROL
    return response


def _derived(request: HttpRequest, pk: int, field: str) -> str:
    """The name of a display copy or thumbnail, built now (in this request) when the worker has not run yet
    or its file is gone."""
    evidence = _visible(request, pk)
    name = getattr(evidence, field).name
    if not evidence.derivatives_done or not present(name):
        name = getattr(build_derivatives(evidence), field).name
    return str(name)


@require_GET
@login_required
@answers_busy
def display(request: HttpRequest, pk: int) -> FileResponse:
    return _file_response(_derived(request, pk, "display_file"), f"evidence-{pk}.jpg")


@require_GET
@login_required
@answers_busy
def thumb(request: HttpRequest, pk: int) -> FileResponse:
    return _file_response(_derived(request, pk, "thumb_file"), f"evidence-{pk}-thumb.jpg")


@require_GET
@answers_busy
def public(request: HttpRequest, pk: int) -> FileResponse:
    """The blurred, metadata-free copy, without sign-in, of a photo that a publishing app declares public
    (chuangwen.evidence.privacy.PUBLIC_CHECKS); 404 for every other photo, as if it did not exist."""
    from chuangwen.evidence.privacy import ensure_public_file, is_public

    evidence = Evidence.objects.filter(pk=pk).first()
    if evidence is None or not is_public(evidence):
        raise Http404
    response = _file_response(ensure_public_file(evidence), f"{pk}.jpg")
    response["Cache-Control"] = PUBLIC_CACHE_CONTROL
    return response


@require_GET
@login_required
def original(request: HttpRequest, pk: int) -> FileResponse:
    evidence = _visible(request, pk)
    if user_of(request).role not in ORIGINAL_ROLES:
        raise PermissionDenied
    return _file_response(evidence.file.name, f"evidence-{pk}-original.jpg")
