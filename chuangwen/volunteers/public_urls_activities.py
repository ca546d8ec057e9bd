"""Public phone pages under /v/ for activities (docs/volunteers.md)."""

from django.urls import URLPattern, path

from chuangwen.volunteers.views import checkin, public

urlpatterns: list[URLPattern] = [
    path("register/", public.register, name="register"),
    path("activities/", public.activity_list, name="activities"),
    path("activities/<int:activity_id>/", public.activity_detail, name="activity"),
    path("activities/<int:activity_id>/signup/", public.activity_sign_up, name="activity_sign_up"),
    path("activities/<int:activity_id>/cancel/", public.activity_cancel, name="activity_cancel"),
    path("me/", public.me, name="me"),
    path("me/export.xlsx", public.me_export, name="me_export"),
    path("me/leave/", public.me_leave, name="me_leave"),
    path("checkin/<int:activity_id>/", checkin.checkin, name="checkin"),
]
