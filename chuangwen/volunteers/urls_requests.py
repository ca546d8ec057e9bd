"""Staff pages under /volunteers/ for requests and certificates (docs/volunteers.md)."""

from django.urls import URLPattern, path

from chuangwen.volunteers.views import certificates, requests

urlpatterns: list[URLPattern] = [
    path("requests/", requests.request_list, name="request_list"),
    path("requests/<int:pk>/", requests.request_detail, name="request_detail"),
    path("requests/<int:pk>/act/", requests.request_act, name="request_act"),
    path("certificates/", certificates.certificate_list, name="certificate_list"),
    path("certificates/issue/", certificates.certificate_issue, name="certificate_issue"),
    path("certificates/<int:pk>/<str:fmt>/", certificates.certificate_download, name="certificate_download"),
]
