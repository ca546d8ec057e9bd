from django.urls import path

from chuangwen.dashboards import views

app_name = "dashboards"
urlpatterns = [
    path("", views.overview, name="overview"),
    path("screen/", views.screen, name="screen"),
    path("data.json", views.overview_data, name="data"),
    path("export/<str:table>.<str:fmt>", views.overview_export, name="export"),
    path("unit/<int:pk>/", views.unit_page, name="unit"),
    path("unit/<int:pk>/data.json", views.unit_data, name="unit_data"),
    path("site/<int:pk>/", views.site_dossier, name="site"),
    path("heatmap/", views.heatmap, name="heatmap"),
    path("heatmap.json", views.heatmap_data, name="heatmap_data"),
]
