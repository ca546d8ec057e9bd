"""``chuangwen standard import|export|load-default|list|activate``: the evaluation standard from the shell."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from django.core.management.base import BaseCommand, CommandError, CommandParser
from django.utils.translation import gettext as _

from chuangwen.standards import services
from chuangwen.standards.models import CheckItem, Standard

FORMATS = {".yaml": "yaml", ".yml": "yaml", ".xlsx": "xlsx"}


def _format_of(path: Path) -> str:
    fmt = FORMATS.get(path.suffix.lower())
    if fmt is None:
        raise CommandError(_("只支持 .yaml/.yml 或 .xlsx 文件：%(path)s") % {"path": path})
    return fmt


class Command(BaseCommand):
    help = _("测评标准：导入、导出、加载默认标准、列出与启用版本")

    def add_arguments(self, parser: CommandParser) -> None:
        sub = parser.add_subparsers(dest="action", required=True)
        imp = sub.add_parser("import", help=_("从 YAML 或 Excel 导入为新版本"))
        imp.add_argument("file")
        imp.add_argument("--activate", action="store_true", help=_("导入后设为当前生效版本"))
        exp = sub.add_parser("export", help=_("导出某个版本为 YAML 或 Excel"))
        exp.add_argument("code")
        exp.add_argument("version", type=int)
        exp.add_argument("file")
        sub.add_parser("load-default", help=_("加载产品自带的起步标准（已存在则不重复加载）"))
        sub.add_parser("list", help=_("列出所有版本"))
        act = sub.add_parser("activate", help=_("设为当前生效版本"))
        act.add_argument("code")
        act.add_argument("version", type=int)

    def handle(self, *args: Any, **options: Any) -> None:
        action = options["action"]
        handler = {
            "import": self.do_import,
            "export": self.do_export,
            "load-default": self.do_load_default,
            "list": self.do_list,
            "activate": self.do_activate,
        }[action]
        handler(options)

    def describe(self, standard: Standard) -> str:
        types = standard.site_types.count()
        items = CheckItem.objects.filter(site_type__standard=standard).count()
        return _("%(std)s：%(types)d 个点位类型，%(items)d 个测评指标") % {
            "std": standard,
            "types": types,
            "items": items,
        }

    def do_import(self, options: dict[str, Any]) -> None:
        path = Path(options["file"])
        fmt = _format_of(path)
        if not path.is_file():
            raise CommandError(_("文件不存在：%(path)s") % {"path": path})
        data = path.read_bytes()
        try:
            if fmt == "yaml":
                standard = services.import_standard_yaml(data)
            else:
                standard = services.import_standard_xlsx(data)
        except services.StandardImportError as exc:
            lines = "\n".join(f"  {m}" for m in exc.messages)
            raise CommandError(_("导入失败，未写入任何数据：\n%(lines)s") % {"lines": lines}) from None
        if options["activate"]:
            services.activate(standard)
        self.stdout.write(self.style.SUCCESS(_("已导入 %(desc)s") % {"desc": self.describe(standard)}))

    def get_standard(self, code: str, version: int) -> Standard:
        standard = Standard.objects.filter(code=code, version=version).first()
        if standard is None:
            raise CommandError(
                _("没有找到标准 %(code)s 第 %(version)d 版") % {"code": code, "version": version}
            )
        return standard

    def do_export(self, options: dict[str, Any]) -> None:
        standard = self.get_standard(options["code"], options["version"])
        path = Path(options["file"])
        if _format_of(path) == "yaml":
            path.write_text(services.export_standard_yaml(standard), encoding="utf-8")
        else:
            path.write_bytes(services.export_standard_xlsx(standard))
        self.stdout.write(
            self.style.SUCCESS(_("已导出 %(std)s 到 %(path)s") % {"std": standard, "path": path})
        )

    def do_load_default(self, options: dict[str, Any]) -> None:
        standard = services.load_default_standard()
        self.stdout.write(self.style.SUCCESS(_("默认标准：%(desc)s") % {"desc": self.describe(standard)}))

    def do_list(self, options: dict[str, Any]) -> None:
        for standard in Standard.objects.order_by("code", "version"):
            flags = []
            if standard.is_active:
                flags.append(_("生效"))
            if standard.frozen:
                flags.append(_("已冻结"))
            self.stdout.write(f"{standard.code}\tv{standard.version}\t{standard.name}\t{' '.join(flags)}")

    def do_activate(self, options: dict[str, Any]) -> None:
        standard = services.activate(self.get_standard(options["code"], options["version"]))
        self.stdout.write(self.style.SUCCESS(_("已启用 %(std)s") % {"std": standard}))
