from django.urls import path, re_path

from . import views

app_name = "codes"
URL_PREFIX = ""  # owns /v/<code> (the printed URL) and /codes/…
urlpatterns = [
    path("v/", views.verify_home, name="verify_home"),
    path("v/<str:code>", views.verify_page, name="verify"),
    path("v/<str:code>/place", views.verify_place, name="verify_place"),
    path("v/<str:code>/pin", views.verify_pin, name="verify_pin"),
    path("codes/ship/", views.ship_home, name="ship_home"),
    path("codes/ship/<int:pk>/", views.ship_scan, name="ship_scan"),
    path("codes/ship/<int:pk>/finish", views.ship_finish, name="ship_finish"),
    path("codes/ship/lines/<int:pk>/undo", views.ship_undo, name="ship_undo"),
    path("codes/batches/", views.batch_list, name="batches"),
    path("codes/batches/<int:pk>/", views.batch_detail, name="batch"),
    re_path(r"^codes/batches/(?P<pk>\d+)/codes\.(?P<fmt>csv|txt)$", views.batch_file, name="batch_file"),
    path("codes/batches/<int:pk>/labels.pdf", views.batch_labels, name="batch_labels"),
    re_path(r"^codes/qr/(?P<code>[0-9A-Za-z-]+)\.(?P<fmt>png|svg)$", views.qr_image, name="qr"),
    path("codes/trace/", views.trace, name="trace"),
    path("codes/alerts/", views.alerts, name="alerts"),
    path("codes/alerts/<int:pk>/status", views.alert_status, name="alert_status"),
]
