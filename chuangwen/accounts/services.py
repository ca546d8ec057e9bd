"""Account rules: lockout, tokens, second factor."""

from __future__ import annotations

import hashlib

from django.utils import timezone

from chuangwen.accounts.models import ApiToken, User


def user_for_token(key: str) -> User | None:
    digest = hashlib.sha256(key.encode()).hexdigest()
    token = (
        ApiToken.objects.select_related("user", "user__unit").filter(key_hash=digest, revoked_at=None).first()
    )
    if token is None or not token.user.is_active:
        return None
    ApiToken.objects.filter(pk=token.pk).update(last_used_at=timezone.now())
    return token.user
