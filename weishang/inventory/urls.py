from django.urls import path

from . import views

app_name = "inventory"
URL_PREFIX = "inventory/"
urlpatterns = [
    path("", views.mine, name="mine"),
    path("history/", views.history, name="history"),
    path("pickup/", views.pickup, name="pickup"),
    path("hq/", views.hq_stock, name="hq_stock"),
    path("hq/adjust/", views.hq_adjust, name="hq_adjust"),
]
