from django.urls import path

from . import views

URL_PREFIX = "accounts/"

app_name = "accounts"
urlpatterns = [
    path("login/", views.login_view, name="login"),
    path("logout/", views.logout_view, name="logout"),
    path("register/", views.register_view, name="register"),
    path("password/", views.password_change_view, name="password_change"),
    path("me/", views.me_view, name="me"),
]
