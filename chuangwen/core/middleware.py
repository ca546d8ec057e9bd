"""Chinese first: the interface is Chinese unless the user picked another language."""

from __future__ import annotations

from django.http import HttpRequest
from django.middleware.locale import LocaleMiddleware


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Ignore the browser's Accept-Language (an official's English-language phone must still show Chinese);
    the language switcher's cookie is the only way to another language."""

    def process_request(self, request: HttpRequest) -> None:
        request.META.pop("HTTP_ACCEPT_LANGUAGE", None)
        super().process_request(request)
