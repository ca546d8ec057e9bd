from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest

from chuangwen.notify.tests.servers import SmtpServer, WebhookServer

BASE_URL = "https://cw.example.gov.cn"


@pytest.fixture(autouse=True)
def _notify_settings(settings: Any) -> None:
    settings.CHUANGWEN_BASE_URL = BASE_URL
    settings.NOTIFY_HTTP_TIMEOUT = 0.5


@pytest.fixture
def webhook() -> Iterator[WebhookServer]:
    server = WebhookServer().start()
    yield server
    server.stop()


@pytest.fixture
def smtp(settings: Any) -> Iterator[SmtpServer]:
    server = SmtpServer().start()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST = "127.0.0.1"
    settings.EMAIL_PORT = server.port
    settings.EMAIL_HOST_USER = ""
    settings.EMAIL_HOST_PASSWORD = ""
    settings.EMAIL_USE_TLS = False
    settings.EMAIL_USE_SSL = False
    settings.EMAIL_TIMEOUT = 5
    settings.DEFAULT_FROM_EMAIL = "创文平台 <chuangwen@example.gov.cn>"
    yield server
    server.stop()
