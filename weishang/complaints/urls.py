from django.urls import path

from . import views

app_name = "complaints"
URL_PREFIX = "complaints/"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("new/", views.new, name="new"),
    path("hq/", views.hq_list, name="hq_list"),
    path("hq/<int:pk>/assign/", views.hq_assign, name="hq_assign"),
    path("hq/<int:pk>/close/", views.hq_close, name="hq_close"),
]
