"""Public pages of 随手拍, mounted at /s/ (no account)."""

from django.urls import path

from chuangwen.reports import views

app_name = "reports"

urlpatterns = [
    path("", views.report_new, name="new"),
    path("nearby/", views.nearby, name="nearby"),
    path("t/", views.lookup, name="lookup"),
    path("t/<str:code>/", views.status, name="status"),
    path("t/<str:code>/qr.svg", views.qr_svg, name="qr"),
    path("t/<str:code>/rate/", views.rate, name="rate"),
    path("t/<str:code>/reopen/", views.reopen, name="reopen"),
    path("t/<str:code>/support/", views.support, name="support"),
]
