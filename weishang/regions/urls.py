from django.urls import path

from . import views

URL_PREFIX = "regions/"
app_name = "regions"
urlpatterns = [
    path("options", views.options, name="options"),
    path("picker", views.picker, name="picker"),
]
