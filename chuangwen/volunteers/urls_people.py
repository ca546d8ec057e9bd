"""Staff pages under /volunteers/: the hub, practice bodies, teams and the register of volunteers."""

from django.urls import path

from chuangwen.volunteers.views import people

urlpatterns = [
    path("", people.hub, name="hub"),
    path("bodies/", people.body_list, name="body_list"),
    path("bodies/edit/", people.body_form, name="body_form"),
    path("teams/", people.team_list, name="team_list"),
    path("teams/new/", people.team_new, name="team_new"),
    path("teams/<int:pk>/", people.team_detail, name="team_detail"),
    path("people/", people.volunteer_list, name="volunteer_list"),
]
