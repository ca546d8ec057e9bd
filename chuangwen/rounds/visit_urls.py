from django.urls import path

from chuangwen.rounds import visit_views

app_name = "visits"
urlpatterns = [
    path("round/<int:round_id>/", visit_views.round_visits, name="round"),
    path("round/<int:round_id>/accept-clean/", visit_views.round_accept_clean, name="accept_clean"),
    path("<int:pk>/", visit_views.visit_detail, name="detail"),
    path("<int:pk>/accept/", visit_views.visit_accept, name="accept"),
    path("<int:pk>/send-back/", visit_views.visit_send_back, name="send_back"),
]
