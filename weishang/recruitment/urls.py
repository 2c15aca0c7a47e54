from django.urls import path

from . import views

URL_PREFIX = ""
app_name = "recruitment"
urlpatterns = [
    path("join/status/", views.my_applications, name="mine"),
    path("join/status/<str:ref>/", views.status, name="status"),
    path("join/<str:token>/", views.join, name="join"),
    path("agent/invites/", views.invites, name="invites"),
    path("agent/invites/<int:pk>/poster.png", views.poster, name="poster"),
    path("agent/invites/<int:pk>/revoke", views.revoke, name="revoke"),
    path("agent/applications/", views.inbox, name="inbox"),
    path("agent/applications/<int:pk>/decide", views.decide, name="decide"),
]
