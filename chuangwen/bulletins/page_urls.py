"""The office's and the units' bulletin pages (app_name "bulletins" is set in urls.py)."""

from django.urls import path

from chuangwen.bulletins import views

urlpatterns = [
    path("", views.bulletin_list, name="list"),
    path("new/", views.bulletin_new, name="new"),
    path("templates/", views.template_list, name="templates"),
    path("templates/<int:pk>/", views.template_edit, name="template"),
    path("<int:pk>/", views.detail, name="detail"),
    path("<int:pk>/edit/", views.edit, name="edit"),
    path("<int:pk>/refresh/", views.refresh, name="refresh"),
    path("<int:pk>/act/", views.act, name="act"),
    path("<int:pk>/status/", views.render_status, name="render_status"),
    path("<int:pk>/render/", views.rerender, name="rerender"),
    path("<int:pk>/download/<str:fmt>/", views.download, name="download"),
    path("<int:pk>/reply/", views.reply, name="reply"),
    path("<int:pk>/recipients/<int:recipient_id>/review/", views.review, name="review"),
]
