from django.urls import path

from . import logistics_views, online_views, reconciliation_views, views

app_name = "payments"
URL_PREFIX = "payments/"
urlpatterns = [
    path("", views.home, name="home"),
    path("pay/<str:no>/", views.pay, name="pay"),
    path("topup/", views.request_topup, name="request_topup"),
    path("topups/<int:topup_id>/<int:approve>/", views.decide_topup, name="decide_topup"),
    path("hq/topup/", views.hq_topup, name="hq_topup"),
    path("<int:payment_id>/confirm/", views.confirm, name="confirm"),
    path("<int:payment_id>/reject/", views.reject, name="reject"),
    path("checkout/<int:payment_id>/", online_views.checkout, name="checkout"),
    path("checkout/<int:payment_id>/status/", online_views.checkout_status, name="checkout_status"),
    path("notify/<str:provider>/", online_views.notify, name="notify"),
    path("sandbox/<str:trade_no>/", online_views.sandbox, name="sandbox"),
    path("linepay/confirm/", online_views.linepay_confirm, name="linepay_confirm"),
    path("linepay/cancel/<int:payment_id>/", online_views.linepay_cancel, name="linepay_cancel"),

    path("cvs/reply/", logistics_views.store_reply, name="store_reply"),
    path("cvs/status/", logistics_views.logistics_notify, name="logistics_notify"),
    path("cvs/<str:no>/", logistics_views.choose_store, name="choose_store"),
    path("cvs/<str:no>/ship/", logistics_views.ship_to_store, name="ship_to_store"),

    path("<int:payment_id>/proof/", views.payment_proof, name="payment_proof"),
    path("topups/<int:topup_id>/proof/", views.topup_proof, name="topup_proof"),
    path("collection/", views.collection_details, name="collection_details"),
    path("collection/<int:details_id>/qr/", views.collection_qr, name="collection_qr"),

    path("reconcile/", reconciliation_views.reconcile, name="reconcile"),
    path("reconcile/<int:run_id>/", reconciliation_views.reconciliation, name="reconciliation"),
    path("reconcile/<int:run_id>/mismatches.xlsx", reconciliation_views.reconciliation_xlsx,
         name="reconciliation_xlsx"),
    path("reconcile/<int:run_id>/bill/", reconciliation_views.reconciliation_bill, name="reconciliation_bill"),
]
