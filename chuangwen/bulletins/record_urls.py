"""The commendation and accountability records and the unit dossier (joined into the "bulletins" namespace by
urls.py)."""

from django.urls import path

from chuangwen.bulletins import record_views

urlpatterns = [
    path("commendations/", record_views.commendation_list, name="commendations"),
    path("commendations/new/", record_views.commendation_new, name="commendation_new"),
    path("talks/", record_views.talk_list, name="talks"),
    path("talks/new/", record_views.talk_new, name="talk_new"),
    path("talks/<int:pk>/", record_views.talk_detail, name="talk_detail"),
    path("units/<int:unit_id>/", record_views.unit_dossier, name="unit_dossier"),
]
