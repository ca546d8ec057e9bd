"""The 通报 pages (see page_urls.py)."""

from chuangwen.bulletins.views.detail import act, detail, download, render_status, reply, rerender, review
from chuangwen.bulletins.views.edit import edit, refresh
from chuangwen.bulletins.views.lists import bulletin_list, bulletin_new
from chuangwen.bulletins.views.templates import template_edit, template_list

__all__ = [
    "act",
    "bulletin_list",
    "bulletin_new",
    "detail",
    "download",
    "edit",
    "refresh",
    "render_status",
    "reply",
    "rerender",
    "review",
    "template_edit",
    "template_list",
]
