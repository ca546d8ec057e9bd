"""Personal-data requests: the citizen's page under /s/privacy/ and the coordinator's export."""

from django.urls import path

from chuangwen.privacy import views

app_name = "privacy"

urlpatterns = [
    path("s/privacy/", views.citizen, name="citizen"),
    path("privacy/export/", views.export_page, name="export"),
]
