from django.urls import path

from chuangwen.cases.views import board as board_views
from chuangwen.cases.views import cases as views
from chuangwen.cases.views import intake as intake_views

app_name = "cases"

urlpatterns = [
    path("", views.case_list, name="list"),
    path("accept/", views.bulk_accept, name="bulk_accept"),
    path("export.<str:fmt>", views.case_export, name="export"),
    path("board/", board_views.dispatch_board, name="board"),
    path("board/export.<str:fmt>", board_views.board_export, name="board_export"),
    path("disputes/", board_views.dispute_list, name="disputes"),
    path("disputes/export.<str:fmt>", board_views.dispute_export, name="disputes_export"),
    path("map/", board_views.case_map, name="map"),
    path("map.geojson", board_views.case_map_geojson, name="map_geojson"),
    path("hotline/", intake_views.hotline_import, name="hotline"),
    path("hotline/report/", intake_views.hotline_report, name="hotline_report"),
    path("instruct/new/", intake_views.instruction_case_new, name="instruction_new"),
    path("<int:pk>/", views.case_detail, name="detail"),
    path("<int:pk>/instruct/", intake_views.case_instruct, name="instruct"),
    path("<int:pk>/act/<str:action>/", views.case_act, name="act"),
    path("<int:pk>/photo-checks/", views.photo_checks, name="photo_checks"),
    path("<int:pk>/photo-checks/<int:event_id>/recheck/", views.photo_recheck, name="photo_recheck"),
    path(
        "<int:pk>/photo-flags/<int:flag_id>/comparison.jpg", views.photo_comparison, name="photo_comparison"
    ),
]
