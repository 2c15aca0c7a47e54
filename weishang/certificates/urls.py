from django.urls import path

from . import views

URL_PREFIX = ""
app_name = "certificates"
urlpatterns = [
    path("agent/certificate/", views.mine, name="mine"),
    path("agent/certificate.png", views.mine_png, name="mine_png"),
    path("agent/certificate.pdf", views.mine_pdf, name="mine_pdf"),
    path("lookup/", views.lookup_page, name="lookup"),
    path("lookup/image/<str:token>.png", views.lookup_image, name="lookup_image"),
]
