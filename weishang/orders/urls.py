from django.urls import path

from . import views

app_name = "orders"
URL_PREFIX = "orders/"
urlpatterns = [
    path("", views.order_list, name="list"),
    path("restock/", views.restock, name="restock"),
    path("restock/check/", views.restock_check, name="restock_check"),
    path("prices/", views.shop_prices, name="shop_prices"),
    path("shop/<int:agent_id>/", views.shop, name="shop"),
    path("shop/<int:agent_id>/categories/", views.shop_categories, name="shop_categories"),
    path("shop/<int:agent_id>/p/<int:product_id>/", views.shop_product, name="shop_product"),
    path("shop/<int:agent_id>/qr.svg", views.shop_qr, name="shop_qr"),
    path("shop/<int:agent_id>/cart/", views.cart, name="cart"),
    path("shop/<int:agent_id>/cart/add/", views.cart_add, name="cart_add"),
    path("shop/<int:agent_id>/checkout/", views.checkout, name="checkout"),
    path("addresses/", views.addresses, name="addresses"),
    path("addresses/new/", views.address_edit, name="address_new"),
    path("addresses/<int:pk>/", views.address_edit, name="address_edit"),
    path("addresses/<int:pk>/default/", views.address_default, name="address_default"),
    path("addresses/<int:pk>/delete/", views.address_delete, name="address_delete"),
    path("supplier/", views.supplier_orders, name="supplier"),
    path("supplier/export.xlsx", views.supplier_export, name="supplier_export"),
    path("supplier/import/", views.supplier_import, name="supplier_import"),
    path("hq/picklist/", views.pick_list, name="pick_list"),
    path("refunds/", views.refund_list, name="refunds"),
    path("refunds/<int:pk>/decide/", views.refund_decide, name="refund_decide"),
    path("refunds/<int:pk>/ship-back/", views.return_ship, name="return_ship"),
    path("refunds/<int:pk>/receive/", views.return_receive, name="return_receive"),
    path("refunds/<int:pk>/replacement/", views.exchange_ship, name="exchange_ship"),
    path("refunds/photo/<int:pk>/", views.refund_photo, name="refund_photo"),
    path("aftersales/", views.aftersales, name="aftersales"),
    path("<str:no>/", views.order_detail, name="detail"),
    path("<str:no>/cancel/", views.order_cancel, name="cancel"),
    path("<str:no>/received/", views.order_received, name="received"),
    path("<str:no>/pass-up/", views.order_pass_up, name="pass_up"),
    path("<str:no>/ship/", views.order_ship, name="ship"),
    path("<str:no>/pack/", views.order_pack, name="pack"),
    path("<str:no>/refund/", views.refund_request, name="refund_request"),
    path("<str:no>/cancel-paid/", views.order_cancel_paid, name="cancel_paid"),
]
