"""A static-files finder that exposes single files of npm packages (``node_modules``) under ``vendor/``.

Leaflet's ``dist`` folder is small and served whole (``STATICFILES_DIRS``); ECharts' ``dist`` holds 51 MB of
builds of which the pages load one, so only the files named in ``FILES`` are found and collected.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from django.conf import settings
from django.contrib.staticfiles.finders import BaseFinder
from django.core.checks import CheckMessage, Error
from django.core.files.storage import FileSystemStorage

# static path → path inside node_modules
FILES = {
    "vendor/echarts/echarts.min.js": "echarts/dist/echarts.min.js",
}


def _source(relative: str) -> Path:
    return Path(settings.NODE_MODULES) / relative


class NodeModulesFileFinder(BaseFinder):
    def check(self, **kwargs: Any) -> list[CheckMessage]:
        return [
            Error(f"{_source(rel)} is missing: run `npm ci`", id="dashboards.E001")
            for rel in FILES.values()
            if not _source(rel).is_file() and Path(settings.NODE_MODULES).is_dir()
        ]

    def find(  # type: ignore[override]
        self, path: str, find_all: bool = False, **kwargs: Any
    ) -> str | list[str] | None:
        find_all = find_all or bool(kwargs.get("all"))
        relative = FILES.get(path)
        if relative is None or not _source(relative).is_file():
            return [] if find_all else None
        found = str(_source(relative))
        return [found] if find_all else found

    def list(self, ignore_patterns: Any) -> Iterator[tuple[str, FileSystemStorage]]:
        for static_path, relative in FILES.items():
            source = _source(relative)
            if not source.is_file():
                continue
            storage = FileSystemStorage(location=str(source.parent))
            storage.prefix = str(Path(static_path).parent)  # type: ignore[attr-defined]
            yield source.name, storage
