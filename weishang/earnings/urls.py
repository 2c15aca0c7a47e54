from django.urls import path

from . import views

URL_PREFIX = "earnings/"

app_name = "earnings"
urlpatterns = [
    path("", views.home, name="home"),
    path("statement/", views.statement_view, name="statement"),
    path("statement.xlsx", views.statement_xlsx_view, name="statement_xlsx"),
    path("hq/profile/", views.hq_profile, name="hq_profile"),
    path("hq/totals/", views.hq_totals, name="hq_totals"),
    path("hq/totals.xlsx", views.hq_totals_xlsx, name="hq_totals_xlsx"),
    path("hq/withdrawals/", views.hq_withdrawals, name="hq_withdrawals"),
    path("hq/batches/<int:pk>.xlsx", views.batch_xlsx, name="batch_xlsx"),
]
