"""The interviewer's phone pages (入户/街访, docs/surveys.md, "Interviewing on the phone").

- ``interview/`` the app shell: one page for the survey's staff (interviewers and supervisors of a fielding
  wave) and coordinators, listing the fielding waves they may interview for. Everything else goes through the
  survey API (``GET …/waves/{id}/fieldwork`` to download a wave, ``POST …/waves/{id}/responses`` to send an
  interview, idempotent by ``client_id``); the app keeps its copy of each wave and the interviews waiting to
  be sent in IndexedDB, so it works without a network once a wave is downloaded;
- ``interview/sw.js`` the service worker (scope ``interview/``) that keeps the shell and its scripts, so the
  app opens offline once it has been loaded.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import TYPE_CHECKING, Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.contrib.staticfiles import finders
from django.db.models import Q
from django.http import HttpRequest, HttpResponse
from django.middleware.csrf import get_token
from django.shortcuts import render
from django.template.loader import get_template
from django.templatetags.static import static
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chuangwen.accounts.models import Role
from chuangwen.core.web import user_of
from chuangwen.inspect.views import script_json
from chuangwen.surveys.models import AgeBand, Mode, Sex, StaffRole, Wave, WaveState
from chuangwen.surveys.quality import FLAG_LABELS
from chuangwen.surveys.services import may_interview

if TYPE_CHECKING:
    from chuangwen.accounts.models import User

# The app's JavaScript modules (app.js imports the others by relative paths, mapped to their static URLs).
# The position watch and the small DOM helpers are the inspection app's, used unchanged.
MODULES = [
    "surveys/interview/app.js",
    "surveys/interview/db.js",
    "surveys/interview/sync.js",
    "surveys/interview/home.js",
    "surveys/interview/form.js",
    "surveys/runner.js",
    "inspect/ui.js",
    "inspect/geo.js",
]
STYLES = ["core/tokens.css", "inspect/phone.css", "surveys/interview/interview.css"]
ASSETS = [*STYLES, *MODULES]
SYNC_INTERVAL_MS = 30_000
SW_TEMPLATE = Path(__file__).resolve().parent.parent / "templates" / "surveys" / "interview_sw.js"
CACHE_PREFIX = "cw-survey-interview-"


def import_map() -> dict[str, dict[str, str]]:
    """Relative imports resolve to the plain static URL; map each one to the stored (hashed) name."""
    return {"imports": {f"{settings.STATIC_URL}{name}": static(name) for name in MODULES}}


def interview_waves(user: User) -> list[Wave]:
    """The fielding waves that take interviews (mode 入户/街访) and that ``user`` may interview for."""
    if not user.is_authenticated:
        return []
    mine = Q(staff__user=user, staff__role__in=[StaffRole.INTERVIEWER, StaffRole.SUPERVISOR])
    if user.role == Role.COORDINATOR and user.unit_id is not None:
        mine |= Q(owner_unit_id=user.unit_id)
    candidates = Wave.objects.filter(mine, state=WaveState.FIELDING).distinct().order_by("ends_on", "pk")
    return [w for w in candidates if Mode.INTERVIEWER in w.modes and may_interview(w, user)]


def may_open(user: User, waves: list[Wave]) -> bool:
    """The app is for the survey's staff of a fielding wave and for coordinators (who may interview too)."""
    return bool(waves) or (user.is_authenticated and user.role == Role.COORDINATOR)


def js_strings() -> dict[str, str]:
    """Every text the app's JavaScript shows; ``{name}`` placeholders are filled in by the app."""
    return {
        # Sync bar
        "online": _("在线"),
        "offline": _("离线"),
        "pending": _("待上传 {n}"),
        "sent_today": _("今日已上传 {n}"),
        "syncing": _("正在同步…"),
        "synced_at": _("同步于 {time}"),
        "sync_failed": _("上传中断，稍后自动重试"),
        "login_expired": _("登录已失效，请重新登录后再上传（本机记录不会丢失）"),
        "relogin": _("重新登录"),
        # Home: waves
        "waves": _("调查轮次"),
        "no_waves": _("目前没有您可以参加的入户/街访调查。"),
        "period": _("{start} 至 {end}"),
        "not_downloaded": _("尚未下载到本机"),
        "downloaded_at": _("问卷和配额下载于 {time}"),
        "download": _("下载问卷和配额"),
        "update": _("更新配额"),
        "downloading": _("正在下载…"),
        "download_failed": _("下载失败：{detail}"),
        "download_offline": _("离线时无法下载，请联网后再试。"),
        "downloaded": _("已下载，离线也可以访问。"),
        "start": _("开始访问"),
        "resume": _("继续未完成的访问"),
        "wave_progress": _("已完成 {filled}/{target}"),
        # Home: the interviews on this phone
        "records": _("本机访问记录"),
        "unsent_warning": _(
            "本机有 {n} 份访问尚未上传。退出登录会清除本机保存的全部访问，请先联网上传成功后再退出。"
        ),
        "no_records": _("今天还没有访问记录。"),
        "state_pending": _("待上传"),
        "state_error": _("需处理"),
        "state_sent": _("已上传"),
        "record_title": _("{unit} · {group}"),
        "record_time": _("完成于 {time}"),
        "record_status_flagged": _("已上传，待督导审核：{flags}"),
        "record_status_excluded": _("已上传；该户近期接受过应知应会宣传，不计入样本"),
        "record_callback": _("已抽中回访"),
        "retry": _("重新上传"),
        "delete": _("删除本条"),
        "confirm_delete": _("删除后这份访问无法恢复。确定删除吗？"),
        "server_refused": _("服务器未接受这份访问："),
        "not_allowed": _("无权提交本轮调查（可能已不再是本轮调查人员）"),
        # The interview: screening
        "back": _("返回"),
        "unknown_wave": _("本机没有这轮调查，请返回首页联网下载。"),
        "new_interview": _("新访问"),
        "step_stratum": _("1. 受访者所在社区"),
        "step_cell": _("2. 受访者年龄段和性别"),
        "step_resident": _("3. 居住条件"),
        "step_phone": _("4. 受访者手机号（选填）"),
        "stratum_progress": _("已完成 {filled}/{target}"),
        "cell_progress": _("{filled}/{target}"),
        "full": _("已满"),
        "quota_as_of": _("配额为 {time} 下载时的情况，上传时以服务器为准。"),
        "pick_stratum_first": _("请先选择社区。"),
        "resident": _("受访者在本地居住满半年"),
        "resident_hint": _("居住不满半年的不能作为样本，请另找受访者。"),
        "phone": _("手机号"),
        "phone_hint": _(
            "选填，只用于防止同一人重复受访和督导回访核实。上传后服务器只保存不可逆的加密摘要，"
            "不保存号码本身；上传成功后本机也随即删除号码。"
        ),
        "begin": _("开始问卷"),
        "err_stratum": _("请选择受访者所在社区"),
        "err_cell": _("请选择受访者的年龄段和性别"),
        "err_cell_full": _("该配额已满，请访问其他受访者"),
        "err_resident": _("受访者须在本地居住满半年，请确认后勾选"),
        "err_phone": _("手机号格式不正确，应为 11 位手机号码"),
        # The interview: questionnaire
        "respondent": _("{unit} · {group} · 居住满半年"),
        "started": _("开始于 {time}"),
        "locating": _("正在定位…"),
        "accuracy": _("已定位，精度 ±{m} 米"),
        "no_position": _("未获取到定位"),
        "geo_denied": _("未允许定位：请在浏览器设置中允许本网站使用位置信息"),
        "geo_unsupported": _("此浏览器不支持定位"),
        "finish": _("完成访问"),
        "finish_hint": _("完成后先保存在手机上，联网时自动上传。"),
        "fix_errors": _("还有 {n} 道题没有答完或填写有误，请查看标红的提示。"),
        "discard": _("放弃本次访问"),
        "confirm_discard": _("确定放弃本次访问？已填写的答案将被删除。"),
        "queued": _("已保存在手机上，等待上传。"),
        "save_failed": _("无法保存到手机存储：{detail}"),
    }


def app_config(request: HttpRequest, waves: list[Wave]) -> dict[str, Any]:
    user = user_of(request)
    return {
        "user": {"id": user.pk, "name": user.display_name},
        "waves": [
            {
                "id": w.pk,
                "name": w.name,
                "starts_on": w.starts_on.isoformat(),
                "ends_on": w.ends_on.isoformat(),
            }
            for w in waves
        ],
        "choices": {
            "age_bands": [[str(value), str(label)] for value, label in AgeBand.choices],
            "sexes": [[str(value), str(label)] for value, label in Sex.choices],
        },
        "flags": {code: str(label) for code, label in FLAG_LABELS.items()},
        "urls": {
            "fieldwork": "/api/v1/surveys/waves/{id}/fieldwork",
            "responses": "/api/v1/surveys/waves/{id}/responses",
            "login": f"{reverse('accounts:login')}?next={reverse('surveys:interview')}",
            "home": reverse("home"),
            "sw": reverse("surveys:interview_sw"),
            "scope": reverse("surveys:interview"),
        },
        "csrf_cookie": settings.CSRF_COOKIE_NAME,
        "sync_interval_ms": SYNC_INTERVAL_MS,
        "server_now": timezone.now().isoformat(),
        "runner": {
            "required": _("此题为必答题"),
            "number": _("请填写数字"),
            "range": _("应在 {min} 到 {max} 之间"),
            "multipleHint": _("（可多选）"),
        },
    }


@never_cache
@login_required
@require_GET
def interview(request: HttpRequest) -> HttpResponse:
    """The single page of the interviewer's app; anyone else gets a short explanation (403)."""
    user = user_of(request)
    waves = interview_waves(user)
    if not may_open(user, waves):
        return render(request, "surveys/interview_denied.html", status=403)
    get_token(request)  # the app reads the CSRF cookie for its POSTs
    context = {
        "strings": js_strings(),
        "config": app_config(request, waves),
        "import_map": script_json(import_map()),
    }
    return render(request, "surveys/interview.html", context)


def precache_urls() -> list[str]:
    return [reverse("surveys:interview"), *[static(name) for name in ASSETS]]


def cache_version(urls: list[str]) -> str:
    """Changes whenever an asset, its URL or the worker itself changes, so phones pick up a new version."""
    digest = hashlib.sha256("\n".join(urls).encode())
    for name in [*ASSETS, None]:
        source = finders.find(name) if name else str(SW_TEMPLATE)
        if isinstance(source, str):
            digest.update(Path(source).read_bytes())
    return digest.hexdigest()[:16]


@require_GET
def service_worker(request: HttpRequest) -> HttpResponse:
    """The service worker, served under interview/ so that its scope is the app (public, holds no data)."""
    urls = precache_urls()
    body = get_template("surveys/interview_sw.js").render(
        {
            "version": cache_version(urls),
            "cache_prefix": CACHE_PREFIX,
            "precache": script_json(urls),
            "shell": reverse("surveys:interview"),
            "static_prefix": settings.STATIC_URL,
        }
    )
    response = HttpResponse(body, content_type="text/javascript; charset=utf-8")
    response["Cache-Control"] = "no-cache"
    return response


urlpatterns = [
    path("interview/", interview, name="interview"),
    path("interview/sw.js", service_worker, name="interview_sw"),
]
