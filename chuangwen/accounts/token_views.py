"""The API token page: a user issues (the key is shown once), names, sees and revokes his or her own tokens;
an administrator also sees and revokes anyone's. Issuing asks the same second factor as ``chuangwen
issue-token`` (``services.issue_token``); every issue and revocation is audited there."""

from __future__ import annotations

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.validators import MaxValueValidator
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters
from django.views.decorators.http import require_http_methods, require_POST

from chuangwen.accounts import people, services
from chuangwen.accounts.models import ApiToken, User
from chuangwen.core.web import user_of


class TokenForm(forms.Form):
    name = forms.CharField(label=gettext_lazy("名称"), max_length=100, help_text=gettext_lazy("如“整改手机”"))
    days = forms.IntegerField(label=gettext_lazy("有效天数"), min_value=1)
    totp_code = forms.CharField(
        label=gettext_lazy("动态口令"),
        max_length=12,
        required=False,
        widget=forms.TextInput(attrs={"autocomplete": "one-time-code", "inputmode": "numeric"}),
    )

    def __init__(self, data: Any = None, *, user: User) -> None:
        super().__init__(data, label_suffix="")
        limit = int(settings.API_TOKEN_DAYS)
        days = self.fields["days"]
        assert isinstance(days, forms.IntegerField)
        days.initial = limit
        days.validators.append(MaxValueValidator(limit))
        days.widget.attrs.update(min=1, max=limit)
        days.help_text = _("最长 %(limit)d 天，到期自动失效") % {"limit": limit}
        if not (user.totp_enabled or services.totp_required(user)):
            del self.fields["totp_code"]
        else:
            hint = _("您已启用或须使用动态口令：输入身份验证器当前显示的 6 位数字")
            self.fields["totp_code"].help_text = hint


NEW_KEY = "cw_new_token_key"  # the session key under which a new token's key waits for the next page view


def is_admin(user: User) -> bool:
    return people.may_see_others_tokens(user)


def _context(request: HttpRequest, form: TokenForm, key: str = "") -> dict[str, Any]:
    user = user_of(request)
    mine = ApiToken.objects.filter(user=user).order_by("-created_at", "-pk")
    others = None
    if is_admin(user):
        now = timezone.now()
        active = people.revocable_tokens(user).filter(revoked_at=None, expires_at__gt=now).exclude(user=user)
        others = active.select_related("user").order_by("user__username", "-created_at")
    return {"form": form, "key": key, "tokens": mine, "others": others, "now": timezone.now()}


@sensitive_post_parameters("totp_code")
@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def tokens(request: HttpRequest) -> HttpResponse:
    """GET: the page; POST: issue a token and redirect to the page, which shows its key once.

    The key waits in the session only until that next GET takes it out (post/redirect/get: reloading the
    page never re-sends the form, so it never issues a second token, and never shows the key again)."""
    user = user_of(request)
    form = TokenForm(request.POST if request.method == "POST" else None, user=user)
    key = request.session.pop(NEW_KEY, "") if request.method == "GET" else ""
    retry_after = 0
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            key = services.issue_token(
                user, data["name"], totp_code=data.get("totp_code"), days=data["days"], request=request
            )
        except services.TokenRefused as exc:
            form.add_error("totp_code" if "totp_code" in form.fields else None, str(exc))
            retry_after = exc.retry_after if isinstance(exc, services.TokenLocked) else 0
        else:
            request.session[NEW_KEY] = key
            return HttpResponseRedirect(reverse("accounts:tokens"))
    status = (429 if retry_after else 400) if request.method == "POST" else 200
    response = render(request, "accounts/tokens.html", _context(request, form, key), status=status)
    if retry_after:
        response["Retry-After"] = str(retry_after)  # locked out, as the web login answers it
    return response


@login_required
@require_POST
def revoke(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one's own token; an administrator those of his or her subtree. Another's is not found."""
    user = user_of(request)
    token = people.revocable_tokens(user).filter(pk=pk).first()
    if token is None:
        raise Http404
    if services.revoke_token(token, request=request):
        messages.success(request, _("已吊销令牌“%(name)s”。") % {"name": token.name})
    else:
        messages.info(request, _("令牌“%(name)s”此前已吊销。") % {"name": token.name})
    return HttpResponseRedirect(reverse("accounts:tokens"))
