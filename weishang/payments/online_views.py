"""Online payment pages: the checkout (waiting for the provider), its status poll, the
providers' notification endpoints and the sandbox provider's own page."""

from __future__ import annotations

import json
import logging
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse, HttpResponseNotAllowed
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.views.decorators.csrf import csrf_exempt

from weishang.core.errors import DomainError
from weishang.core.ratelimit import client_ip

from . import notifications
from .linepay import LinePayProvider
from .models import Payment, PaymentStatus
from .online import Checkout, ProviderUnavailable, SandboxProvider

log = logging.getLogger("weishang.payments")


def _own_payment(request, payment_id: int) -> Payment:
    payment = Payment.objects.select_related("order").filter(pk=payment_id, payer=request.user).first()
    if payment is None or notifications.online(payment.method) is None:
        raise Http404
    return payment


@login_required
def checkout(request, payment_id: int):
    """Where the payer continues at the provider, and waits for its notification."""
    payment = _own_payment(request, payment_id)
    if payment.status == PaymentStatus.CONFIRMED:
        messages.success(request, _("Paid. Thank you!"))
        return redirect("orders:detail", no=payment.order.no)
    provider = notifications.online(payment.method)
    assert provider is not None
    ctx: dict = {"payment": payment, "order": payment.order, "provider": provider, "error": ""}
    go: Checkout | None = None
    if payment.status == PaymentStatus.SUBMITTED:
        try:
            go = provider.checkout(
                payment, return_url=request.build_absolute_uri(reverse("payments:checkout", args=[payment.pk])),
                user_agent=request.headers.get("User-Agent", ""), client_ip=client_ip(request))
        except DomainError as exc:
            log.warning("payments: checkout %s failed: %s", payment.trade_no, getattr(exc, "detail", exc))
            ctx["error"] = exc.message
        if go is not None and go.qr:
            import segno

            ctx["qr_svg"] = segno.make(go.qr, error="m").svg_inline(scale=5)
    ctx["go"] = go
    response = render(request, "payments/checkout.html", ctx, status=502 if ctx["error"] else 200)
    if go is not None and go.post:
        allow_form_target(response, go.url)
    return response


def allow_form_target(response, url: str) -> None:
    """The page's form posts to an outside origin (ECPay's cashier, its store map): the
    site-wide CSP allows forms to our own origin only, so this page also allows that one."""
    target = urlsplit(url)
    response["Content-Security-Policy"] = settings.CONTENT_SECURITY_POLICY.replace(
        "form-action 'self'", f"form-action 'self' {target.scheme}://{target.netloc}")


@login_required
def checkout_status(request, payment_id: int):
    """Polled by the checkout page: the payment's state; paid sends the payer to the order."""
    payment = _own_payment(request, payment_id)
    if payment.status == PaymentStatus.CONFIRMED:
        response = HttpResponse(status=204)
        response["HX-Redirect"] = reverse("orders:detail", args=[payment.order.no])
        return response
    return render(request, "payments/_checkout_status.html", {"payment": payment, "order": payment.order})


@csrf_exempt
def notify(request, provider: str):
    """A provider's asynchronous notification: answered in its own format."""
    if request.method != "POST":
        return HttpResponseNotAllowed(["POST"])
    found = notifications.online(provider)
    if found is None:
        raise Http404
    ok, note = notifications.receive(provider, found.headers_of(request), request.body)
    return found.answer(ok, note.error if not ok else "")


def sandbox(request, trade_no: str):
    """The sandbox provider's payment page: press pay or fail; it then notifies."""
    provider = notifications.online("sandbox")
    payment = Payment.objects.select_related("order").filter(method="sandbox", trade_no=trade_no).first()
    if not isinstance(provider, SandboxProvider) or payment is None:
        raise Http404
    if request.method == "POST":
        if payment.status != PaymentStatus.SUBMITTED:
            messages.error(request, _("This payment is closed."))
        else:
            event = "TRANSACTION.SUCCESS" if request.POST.get("action") == "pay" else "TRANSACTION.FAIL"
            provider.deliver(event, payment, transaction_id=f"SBX{payment.pk}")
        return redirect("payments:checkout", payment_id=payment.pk)
    return render(request, "payments/sandbox.html", {"payment": payment, "order": payment.order})


def linepay_confirm(request):
    """LINE Pay sends the payer back here with transactionId and orderId. Anyone can type
    that address, so it proves nothing: it makes us call LINE Pay's Confirm API, and only
    LINE Pay's answer to that call decides (`LinePayProvider.confirm`)."""
    provider = notifications.online("linepay")
    order_id, tid = request.GET.get("orderId", ""), request.GET.get("transactionId", "")
    payment = Payment.objects.select_related("order").filter(method="linepay", trade_no=order_id).first() \
        if isinstance(provider, LinePayProvider) and order_id else None
    if payment is None:
        raise Http404
    if not tid or tid != payment.provider_ref:
        log.warning("payments: LINE Pay return for %s names transaction %r, ours is %r", order_id, tid,
                    payment.provider_ref)
        return render(request, "payments/provider_return.html",
                      {"message": _("This LINE Pay return does not match the payment. Nothing was charged.")},
                      status=400)
    if payment.status == PaymentStatus.SUBMITTED:
        assert isinstance(provider, LinePayProvider)
        try:
            notice = provider.confirm(payment)
        except (ProviderUnavailable, DomainError) as exc:
            log.warning("payments: LINE Pay confirm %s failed: %s", tid, getattr(exc, "detail", exc))
            messages.error(request, _("LINE Pay could not be reached to confirm the payment. "
                                      "It is checked again in a few minutes."))
        else:
            notifications.apply(provider, notice, body=json.dumps({"confirm": tid, "detail": notice.detail}))
            if not notice.succeeded:
                messages.error(request, _("LINE Pay did not take the payment (%(detail)s).")
                               % {"detail": notice.detail})
    return redirect("payments:checkout", payment_id=payment.pk)


@login_required
def linepay_cancel(request, payment_id: int):
    """The payer cancelled at LINE Pay: the payment is closed here (LINE Pay takes nothing
    for a payment we never confirm), so the order can be paid again."""
    payment = _own_payment(request, payment_id)
    if payment.method != "linepay":
        raise Http404
    if notifications.give_up(payment.pk, reason=_("Cancelled at LINE Pay.")):
        messages.info(request, _("You cancelled the LINE Pay payment. The order is still waiting to be paid."))
    return redirect("payments:checkout", payment_id=payment.pk)
