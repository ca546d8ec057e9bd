"""The coordinator's citizen-report pages, mounted at /reports/."""

from django.urls import path

from chuangwen.reports.triage_views import triage_act, triage_detail, triage_list

app_name = "report_triage"

urlpatterns = [
    path("triage/", triage_list, name="list"),
    path("triage/<int:pk>/", triage_detail, name="detail"),
    path("triage/<int:pk>/<str:action>/", triage_act, name="act"),
]
