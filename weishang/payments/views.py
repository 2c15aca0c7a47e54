"""Payment pages: pay an order, balance and top-ups, confirm transfers as the payee."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.http import Http404
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from weishang.accounts.roles import hq_page
from weishang.agents.models import Agent
from weishang.core import idempotency
from weishang.core.errors import DomainError
from weishang.core.forms import add_domain_error
from weishang.core.uploads import private_file_response
from weishang.ledger.models import AccountKind, Entry
from weishang.orders.forms import new_key
from weishang.orders.models import Order, OrderStatus

from . import providers, services
from .forms import CollectionDetailsForm, HqTopUpForm, OfflineForm, TopUpRequestForm
from .models import CollectionDetails, Payment, PaymentStatus, TopUp


@login_required
def pay(request, no: str):
    order = Order.objects.filter(no=no, buyer=request.user).select_related("seller_agent").first()
    if order is None:
        raise Http404
    methods = providers.choices_for(services.payer_role(order))
    online_codes = [c for c, p in providers.available().items() if p.online]
    balance = None
    agent = Agent.objects.filter(user=request.user).first()
    if agent is not None:
        balance = services.prepaid_balance(agent.pk, order.currency)
    form = OfflineForm(initial={"idempotency_key": new_key()})
    payee = services.payee_of(order)
    base = {"order": order, "methods": methods, "balance": balance, "payee_name": services.payee_label(payee),
            "collection": services.collection_for(payee),
            "online_codes": online_codes,
            "short": order.total - balance if balance is not None and balance < order.total else None,
            # Only an offline transfer waits for a person; an online payment waits for its provider.
            "waiting": order.payments.filter(status=PaymentStatus.SUBMITTED, trade_no="").first()}
    prepaid_error, status = None, 200
    if request.method == "POST":
        method = request.POST.get("method", "")
        proof = request.FILES.get("proof")
        if method == "offline":
            form = OfflineForm(request.POST, request.FILES)
            if not form.is_valid():
                return render(request, "payments/pay.html", {**base, "form": form, "key": new_key()}, status=400)
        try:
            key = idempotency.key_from(request)
            _status, body = idempotency.run(
                key=key, user=request.user, endpoint="payments.pay",
                payload={"no": no, "method": method, "proof": [proof.name, proof.size] if proof else None},
                fn=lambda: (201, {"id": services.pay(order_no=no, user=request.user, method=method, proof=proof,
                                                     reference=request.POST.get("reference", "")).pk}))
            provider = providers.get(method)
            if provider is not None and provider.online:
                return redirect("payments:checkout", payment_id=body["id"])
            messages.success(request, _("Payment recorded."))
            return redirect("orders:detail", no=no)
        except DomainError as exc:
            status = exc.status
            if form.is_bound:
                add_domain_error(form, exc)
            elif method == "prepaid":  # the prepaid button has no Django form: its card shows the reason
                prepaid_error = exc.message
            else:
                messages.error(request, exc.message)
    return render(request, "payments/pay.html", {**base, "form": form, "key": new_key(),
                                                 "prepaid_error": prepaid_error}, status=status)


@login_required
def home(request):
    agent = Agent.objects.filter(user=request.user).first()
    hq = services.can_confirm(request.user, None)
    if agent is None and not hq:
        raise PermissionDenied
    ctx: dict = {"agent": agent, "hq": hq}
    if agent is not None:
        ctx["balance"] = services.prepaid_balance(agent.pk, "CNY")
        ctx["entries"] = (Entry.objects.filter(account__agent=agent, account__kind=AccountKind.AGENT_PREPAID)
                          .select_related("journal").order_by("-id")[:30])
        ctx["my_topups"] = TopUp.objects.filter(agent=agent)[:10]
        ctx["to_confirm"] = (Payment.objects.filter(payee_agent=agent, status=PaymentStatus.SUBMITTED)
                             .select_related("order", "payer")[:50])
        ctx["topups_to_confirm"] = TopUp.objects.filter(payee_agent=agent, status=PaymentStatus.SUBMITTED) \
            .select_related("agent")[:50]
        ctx["form"] = TopUpRequestForm(initial={"idempotency_key": new_key()})
        ctx["collection"] = services.collection_for(agent)
        ctx["collection_form"] = CollectionDetailsForm(
            initial={"details": ctx["collection"].details if ctx["collection"] else ""})
    if hq:
        ctx["hq_payments"] = Payment.objects.filter(payee_agent__isnull=True, status=PaymentStatus.SUBMITTED) \
            .select_related("order", "payer")[:50]
        ctx["hq_topups"] = TopUp.objects.filter(payee_agent__isnull=True, status=PaymentStatus.SUBMITTED) \
            .select_related("agent")[:50]
    return render(request, "payments/home.html", ctx)


@login_required
@require_POST
def request_topup(request):
    form = TopUpRequestForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        try:
            idempotency.run(key=d["idempotency_key"], user=request.user, endpoint="payments.topup_request",
                            payload={"amount": d["amount"], "proof": [d["proof"].name, d["proof"].size]},
                            fn=lambda: (201, {"id": services.request_topup(
                                user=request.user, amount=d["amount"], currency="CNY", proof=d["proof"],
                                reason=d["reason"]).pk}))
            messages.success(request, _("Sent to your upline for confirmation."))
        except DomainError as exc:
            if exc.status == 403:
                raise PermissionDenied
            messages.error(request, exc.message)
    else:
        messages.error(request, _("Enter the amount and upload the transfer proof."))
    return redirect("payments:home")


def _decide(request, fn, done):
    try:
        fn()
        messages.success(request, done)
    except DomainError as exc:
        if exc.status == 404:
            raise Http404
        if exc.status == 403:
            raise PermissionDenied
        messages.error(request, exc.message)


@login_required
@require_POST
def confirm(request, payment_id: int):
    _decide(request, lambda: services.confirm(payment_id=payment_id, user=request.user), _("Payment confirmed."))
    payment = Payment.objects.filter(pk=payment_id).select_related("order").first()
    return redirect("orders:detail", no=payment.order.no) if payment else redirect("payments:home")


@login_required
@require_POST
def reject(request, payment_id: int):
    _decide(request, lambda: services.reject(payment_id=payment_id, user=request.user,
                                             reason=request.POST.get("reason", "")), _("Payment rejected."))
    payment = Payment.objects.filter(pk=payment_id).select_related("order").first()
    return redirect("orders:detail", no=payment.order.no) if payment else redirect("payments:home")


@login_required
@require_POST
def decide_topup(request, topup_id: int, approve: int):
    _decide(request, lambda: services.decide_topup(topup_id=topup_id, user=request.user, approve=bool(approve),
                                                   reason=request.POST.get("reason", "")),
            _("Top-up approved.") if approve else _("Top-up rejected."))
    return redirect("payments:home")


@hq_page("payments.confirm_hq_payment")
def hq_topup(request):
    if request.method == "POST":
        form = HqTopUpForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            agent = Agent.objects.filter(pk=d["agent"]).first()
            if agent is None:
                form.add_error("agent", _("No such agent."))
            else:
                try:
                    idempotency.run(key=d["idempotency_key"], user=request.user, endpoint="payments.topup",
                                    payload={k: str(v) for k, v in d.items() if k != "idempotency_key"},
                                    fn=lambda: (201, {"id": services.hq_topup(
                                        agent=agent, amount=d["amount"], currency=d["currency"], reason=d["reason"],
                                        user=request.user).pk}))
                    messages.success(request, _("Balance topped up."))
                    return redirect("payments:hq_topup")
                except DomainError as exc:
                    add_domain_error(form, exc)
    else:
        form = HqTopUpForm(initial={"idempotency_key": new_key(), "currency": "CNY"})
    recent = TopUp.objects.select_related("agent", "created_by")[:30]
    return render(request, "payments/hq_topup.html", {"form": form, "recent": recent})


@login_required
@require_POST
def collection_details(request):
    form = CollectionDetailsForm(request.POST, request.FILES)
    if form.is_valid():
        d = form.cleaned_data
        try:
            services.set_collection_details(user=request.user, details=d["details"], qr=d["qr"],
                                            remove_qr=d["remove_qr"])
            messages.success(request, _("Collection details saved."))
        except DomainError as exc:
            if exc.status == 403:
                raise PermissionDenied
            messages.error(request, exc.message)
    else:
        messages.error(request, " ".join(m for errs in form.errors.values() for m in errs))
    return redirect("payments:home")


# Private uploads: 404 for anyone not allowed (the same as a missing file, so nothing is
# learnt by guessing ids); the response headers are in weishang.core.uploads.

@require_GET
def payment_proof(request, payment_id: int):
    payment = Payment.objects.filter(pk=payment_id).first()
    if payment is None or not services.can_view_payment_proof(request.user, payment):
        raise Http404
    return private_file_response(payment.proof, download_name=f"proof-{payment.order_id}-{payment.pk}")


@require_GET
def topup_proof(request, topup_id: int):
    topup = TopUp.objects.filter(pk=topup_id).first()
    if topup is None or not services.can_view_topup_proof(request.user, topup):
        raise Http404
    return private_file_response(topup.proof, download_name=f"topup-{topup.pk}")


@require_GET
def collection_qr(request, details_id: int):
    details = CollectionDetails.objects.filter(pk=details_id).first()
    if details is None or not services.can_view_collection(request.user, details):
        raise Http404
    return private_file_response(details.qr, download_name=f"collection-{details.pk}")


__all__ = ["OrderStatus"]
