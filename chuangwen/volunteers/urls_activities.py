"""Staff pages under /volunteers/ for activities (docs/volunteers.md)."""

from django.urls import URLPattern, path

from chuangwen.volunteers.views import activities

urlpatterns: list[URLPattern] = [
    path("activities/", activities.activity_list, name="activity_list"),
    path("activities/new/", activities.activity_new, name="activity_new"),
    path("activities/<int:activity_id>/", activities.activity_detail, name="activity_detail"),
    path("activities/<int:activity_id>/cancel/", activities.activity_cancel, name="activity_cancel"),
    path(
        "activities/<int:activity_id>/signups/<int:signup_id>/confirm/",
        activities.activity_confirm,
        name="activity_confirm",
    ),
    path("activities/<int:activity_id>/qr/", activities.activity_qr, name="activity_qr"),
    path("activities/<int:activity_id>/qr.svg", activities.activity_qr_svg, name="activity_qr_svg"),
]
