from django.urls import path

from chuangwen.notify import preference_views, views

app_name = "notify"

urlpatterns = [
    path("", views.inbox, name="inbox"),
    path("read-all/", views.read_all, name="read_all"),
    path("preferences/", preference_views.notice_preferences, name="preferences"),
    path("<int:pk>/read/", views.read, name="read"),
]
