from django.urls import path

from . import views

app_name = "shop"
URL_PREFIX = ""
urlpatterns = [
    path("", views.home, name="home"),
    path("p/<int:product_id>/", views.product_detail, name="product"),
]
