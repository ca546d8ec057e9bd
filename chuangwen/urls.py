from django.contrib import admin
from django.urls import include, path
from django.utils.translation import gettext_lazy as _

from chuangwen.api import api
from chuangwen.dashboards.home import home

admin.site.site_header = _("创文 · 系统管理")
admin.site.site_title = _("创文")
admin.site.index_title = _("基础数据")

urlpatterns = [
    path("", home, name="home"),  # the role home page (dashboards/home.py)
    path("", include("chuangwen.core.urls")),
    path("accounts/", include("chuangwen.accounts.urls")),
    path("org/", include("chuangwen.org.urls")),
    path("sites/", include("chuangwen.sites.urls")),
    path("standards/", include("chuangwen.standards.urls")),
    path("rounds/", include("chuangwen.rounds.urls")),
    path("visits/", include("chuangwen.rounds.visit_urls")),
    path("evidence/", include("chuangwen.evidence.urls")),
    path("m/", include("chuangwen.inspect.urls")),
    path("cases/", include("chuangwen.cases.urls")),
    path("inbox/", include("chuangwen.notify.urls")),
    path("rankings/", include("chuangwen.rankings.urls")),
    path("materials/", include("chuangwen.materials.urls")),
    path("surveys/", include("chuangwen.surveys.urls")),
    path("q/", include("chuangwen.surveys.public_urls")),
    path("bulletins/", include("chuangwen.bulletins.urls")),
    path("exposure/", include("chuangwen.bulletins.public_urls")),
    path("volunteers/", include("chuangwen.volunteers.urls")),
    path("v/", include("chuangwen.volunteers.public_urls")),
    path("dashboards/", include("chuangwen.dashboards.urls")),
    path("", include("chuangwen.privacy.urls")),  # /s/privacy/ and /privacy/export/ (docs/privacy.md)
    path("s/", include("chuangwen.reports.urls")),
    path("reports/", include("chuangwen.reports.staff_urls")),
    path("open311/v2/", include("chuangwen.open311.urls")),
    path("api/v1/", api.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("admin/", admin.site.urls),
]

# A path under /api/ that names no operation (an id the URL's int converter refuses, e.g. /api/v1/cases/-3)
# answers the API's JSON 404; every other path the 404 page.
handler404 = "chuangwen.api.not_found"
