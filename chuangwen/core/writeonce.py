"""Rows written once and never changed or deleted through the model: the audit log, a case's history,
published rankings. (Bulk deletion by the demo's reset goes through querysets, on purpose.)"""

from __future__ import annotations

from typing import Any, ClassVar, NoReturn

from django.db import models


class WriteOnce(models.Model):
    """Saving an existing row or deleting one raises PermissionError with ``write_once_message``."""

    write_once_message: ClassVar[str] = "this record is written once and never changed"

    class Meta:
        abstract = True

    def save(self, *args: Any, **kwargs: Any) -> None:
        if self.pk is not None:
            raise PermissionError(self.write_once_message)
        super().save(*args, **kwargs)

    def delete(self, *args: Any, **kwargs: Any) -> NoReturn:
        raise PermissionError(self.write_once_message)
