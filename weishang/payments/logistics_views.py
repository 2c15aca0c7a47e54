"""Convenience-store pickup pages (超商取貨, `weishang.payments.logistics`): the buyer's
store choice (a page whose forms post to ECPay's store map), the map's reply, ECPay's
logistics status notifications, and the warehouse's "ship to the store"."""

from __future__ import annotations

import logging

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from weishang.accounts.roles import hq_page
from weishang.core.errors import DomainError
from weishang.orders.models import Order, OrderKind, OrderStatus

from . import logistics, services
from .online import NotVerified
from .online_views import allow_form_target

log = logging.getLogger("weishang.payments")


@login_required
def choose_store(request, no: str):
    """The buyer picks 7-ELEVEN or FamilyMart; each button posts to ECPay's store map."""
    order = Order.objects.filter(no=no, buyer=request.user, kind=OrderKind.CONSUMER).first()
    if order is None or not logistics.enabled() or order.currency != "TWD":
        raise Http404
    open_ = order.status in (OrderStatus.PENDING, OrderStatus.PAID) and not order.shipments.exists()
    mobile = "mobile" in request.headers.get("User-Agent", "").lower()
    forms = []
    if open_:
        for chain, label in logistics.CHAINS.items():
            url, params = logistics.logistics().map_form(order, chain, mobile=mobile)
            forms.append({"label": label, "url": url, "params": params})
    response = render(request, "payments/choose_store.html", {"order": order, "forms": forms, "open": open_,
                                                              "chain": logistics.CHAINS.get(order.pickup_store_type)})
    if forms:
        allow_form_target(response, str(forms[0]["url"]))
    return response


@csrf_exempt
def store_reply(request):
    """ECPay's store map posts the chosen store here (the buyer's browser, cross-site: no
    session; the order comes from our signed ExtraData)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        order = services.choose_pickup_store(request.POST.get("ExtraData", ""), request.POST.dict())
    except DomainError as exc:
        log.warning("payments: store map reply refused: %s %s", exc.code, dict(request.POST))
        return render(request, "payments/provider_return.html", {"message": exc.message,
                                                                 "title": _("Pickup store not saved")},
                      status=exc.status)
    return redirect("orders:detail", no=order.no)


@csrf_exempt
def logistics_notify(request):
    """ECPay logistics status (ServerReplyURL of Express/Create), CheckMacValue (MD5)."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    try:
        data = logistics.logistics().verify_status(request.body)
        done = services.logistics_status(data)
    except NotVerified as exc:
        log.warning("payments: refused logistics status: %s", exc)
        return HttpResponse(f"0|{exc}"[:100], content_type="text/plain", status=400)
    except DomainError as exc:
        log.warning("payments: logistics status for an unknown shipment: %s", request.body[:300])
        return HttpResponse("0|unknown logistics order", content_type="text/plain", status=exc.status)
    log.info("payments: logistics %s %s: %s", data.get("AllPayLogisticsID"), data.get("RtnCode"), done)
    return HttpResponse("1|OK", content_type="text/plain")


@hq_page("orders.ship_order")
@require_POST
def ship_to_store(request, no: str):
    order = Order.objects.filter(no=no).first()
    if order is None:
        raise Http404
    try:
        shipment = services.ship_to_store(order, actor=request.user)
    except DomainError as exc:
        messages.error(request, str(exc.message))
    else:
        messages.success(request, _("Shipped to the pickup store; shipment number %(no)s.") % {
            "no": shipment.tracking_no})
    return redirect("orders:pick_list")
