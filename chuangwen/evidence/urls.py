from django.urls import path

from chuangwen.evidence import views

app_name = "evidence"
urlpatterns = [
    path("<int:pk>/display", views.display, name="display"),
    path("<int:pk>/thumb", views.thumb, name="thumb"),
    path("<int:pk>/original", views.original, name="original"),
    path("<int:pk>/public.jpg", views.public, name="public"),
]
