from django.urls import path

from chuangwen.rankings import views

app_name = "rankings"

urlpatterns = [
    path("", views.ranking_list, name="list"),
    path("method/", views.method_page, name="method"),
    path("compute/", views.compute_page, name="compute"),
    path("selfcheck/", views.selfcheck_page, name="selfcheck"),
    path("selfcheck/export.<str:fmt>", views.selfcheck_export, name="selfcheck_export"),
    path("unit/<int:unit_id>/act/", views.act_page, name="act"),
    path("unit/<int:unit_id>/act/whatif/", views.act_whatif, name="whatif"),
    path("<int:pk>/", views.ranking_detail, name="detail"),
    path("<int:pk>/export.<str:fmt>", views.ranking_export, name="export"),
    path("<int:pk>/unit/<int:unit_id>/", views.unit_detail, name="unit"),
    path("<int:pk>/unit/<int:unit_id>/<str:table>.<str:fmt>", views.unit_export, name="unit_export"),
]
