"""Errors of the evidence services: each carries the HTTP status, a stable code and a Chinese message."""

from __future__ import annotations

from django.utils.translation import gettext as _


class EvidenceError(Exception):
    status = 400

    def __init__(self, code: str, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.code = code
        self.message = message
        self.field = field


class ImageRejected(EvidenceError):
    """Not an acceptable photo (400): not_an_image, truncated, too_large, too_many_pixels, too_small or
    unsupported_type."""


class Forbidden(EvidenceError):
    status = 403


class NotFound(EvidenceError):
    status = 404


class Conflict(EvidenceError):
    status = 409


class InvalidField(EvidenceError):
    """A form field with a wrong value (422, reported in ninja's shape with the field's ``loc``)."""

    status = 422


class Busy(EvidenceError):
    """No decoding slot of this process freed in time (503): nothing was stored or counted; the client tries
    again after ``retry_after`` seconds."""

    status = 503

    def __init__(self, retry_after: int) -> None:
        super().__init__("busy", _("服务器繁忙，请稍后重试"))
        self.retry_after = retry_after
