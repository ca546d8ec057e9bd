"""The bulletins JSON API under /api/v1/bulletins (docs/bulletins.md, "API").

The modules register their operations on one router, in this order: the fixed paths (/templates,
/commendations, /talks) before /{bulletin_id}, whose path parameter would otherwise take them.
"""

from importlib import import_module

from chuangwen.bulletins.api.common import router

for _module in ("records", "templates", "bulletins", "recipients"):
    import_module(f"chuangwen.bulletins.api.{_module}")

__all__ = ["router"]
