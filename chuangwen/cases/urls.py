from django.urls import path

from chuangwen.cases import views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("accept/", views.bulk_accept, name="bulk_accept"),
    path("export.<str:fmt>", views.case_export, name="export"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/act/<str:action>/", views.case_act, name="act"),
]
