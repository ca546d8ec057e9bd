"""/exposure/: the 曝光台 (public, no account) and the issuing office's publish/withdraw controls."""

from django.urls import path

from chuangwen.bulletins import public_views

app_name = "exposure"
urlpatterns = [
    path("", public_views.exposure_list, name="list"),
    path("feed.atom", public_views.ExposureFeed(), name="feed"),
    path("manage/<int:pk>/publish", public_views.publish, name="publish"),
    path("manage/<int:pk>/withdraw", public_views.withdraw, name="withdraw"),
    path("<uuid:token>/", public_views.exposure_page, name="page"),
]
