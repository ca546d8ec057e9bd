from django.urls import path

from chuangwen.standards import views

app_name = "standards"
urlpatterns = [
    path("", views.standard_list, name="list"),
    path("<int:pk>/", views.standard_detail, name="detail"),
    path("<int:pk>/tree/", views.standard_tree, name="tree"),
]
