from django.urls import path

from chuangwen.core import transfer, views

app_name = "core"
urlpatterns = [
    path("healthz", views.healthz, name="healthz"),
    path("csp-report/", views.csp_report, name="csp_report"),  # settings.CSP_REPORT_URL
    path("transfer/<str:kind>/export.xlsx", transfer.export_view, name="export"),
    path("transfer/<str:kind>/import/", transfer.import_view, name="import"),
    path("transfer/jobs/<int:job_id>/", transfer.job_view, name="import_job"),
    path("transfer/jobs/<int:job_id>/errors.xlsx", transfer.job_report_view, name="import_job_report"),
]
