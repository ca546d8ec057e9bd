from django.urls import path

from chuangwen.materials import ledger_views, views

app_name = "materials"

urlpatterns = [
    path("", views.index, name="index"),
    path("periods/new/", views.period_create, name="period_create"),
    path("periods/<int:period_id>/", views.period_detail, name="period"),
    path("periods/<int:period_id>/close/", views.period_close, name="period_close"),
    path("periods/<int:period_id>/board/", views.board, name="board"),
    path("periods/<int:period_id>/summary/", views.summary, name="summary"),
    path("periods/<int:period_id>/review/", views.review_queue, name="review"),
    path("periods/<int:period_id>/search/", views.search, name="search"),
    path("periods/<int:period_id>/tasks/import/", views.task_import, name="task_import"),
    path("periods/<int:period_id>/tasks/export/", views.task_export, name="task_export"),
    path("periods/<int:period_id>/ledger/", ledger_views.ledger_page, name="ledger"),
    path("periods/<int:period_id>/ledger/start/", ledger_views.ledger_start, name="ledger_start"),
    path("ledger/<int:export_id>/status/", ledger_views.ledger_status, name="ledger_status"),
    path("ledger/<int:export_id>/download/", ledger_views.ledger_download, name="ledger_download"),
    path("tasks/<int:task_id>/", views.task_detail, name="task"),
    path("tasks/<int:task_id>/upload/", views.task_upload, name="upload"),
    path("items/<int:material_id>/", views.material_detail, name="material"),
    path("items/<int:material_id>/act/", views.material_act, name="act"),
    path("items/<int:material_id>/replace/", views.material_replace, name="replace"),
    path("items/<int:material_id>/file/", views.material_file, name="file"),
    path("items/<int:material_id>/preview/", views.material_preview, name="preview"),
]
