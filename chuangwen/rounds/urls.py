from django.urls import path

from chuangwen.rounds import draft_views, views

app_name = "rounds"
urlpatterns = [
    path("", views.round_list, name="list"),
    path("new/", views.round_create, name="create"),
    path("<int:pk>/", views.round_detail, name="detail"),
    path("<int:pk>/edit/", draft_views.round_edit, name="edit"),
    path("<int:pk>/delete/", draft_views.round_delete, name="delete"),
    path("<int:pk>/draw/", views.round_draw, name="draw"),
    path("<int:pk>/teams/", views.round_teams, name="teams"),
    path("<int:pk>/start/", views.round_start, name="start"),
    path("<int:pk>/publish/", views.round_publish, name="publish"),
    path("<int:pk>/entries/<int:entry_pk>/reassign/", views.entry_reassign, name="reassign"),
    path("verify/<uuid:public_id>/", views.verify_page, name="verify"),
    path("verify/<uuid:public_id>/data.json", views.verify_data, name="verify-data"),
]
