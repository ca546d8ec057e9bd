"""API of 问卷调查 (docs/surveys.md, "API")."""

from __future__ import annotations

from ninja import Router
from ninja.security import SessionAuth

from chuangwen.accounts.token_auth import TokenAuth

router = Router(tags=["问卷调查"], auth=[TokenAuth(), SessionAuth()])
