"""Public phone pages under /v/ for requests (点单, follow, cancel, rate) and the certificate check
(docs/volunteers.md)."""

from django.urls import URLPattern, path, re_path

from chuangwen.volunteers.views import certificates, requests

urlpatterns: list[URLPattern] = [
    path("requests/new/", requests.request_new, name="request_new"),
    re_path(r"^requests/(?P<token>[0-9a-f]{32,64})/$", requests.request_follow, name="request_follow"),
    re_path(
        r"^requests/(?P<token>[0-9a-f]{32,64})/act/$", requests.request_public_act, name="request_public_act"
    ),
    path("certificates/<uuid:token>/", certificates.certificate_check, name="certificate_check"),
]
