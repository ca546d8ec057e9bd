from django.urls import path

from chuangwen.org import views

app_name = "org"
urlpatterns = [
    path("", views.unit_tree, name="tree"),
    path("<int:pk>/", views.unit_detail, name="detail"),
    path("boundaries.geojson", views.boundaries_geojson, name="boundaries"),
]
