"""Cloud stock pages: an agent's stock, history and pick-up; HQ's view of all stock."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from weishang.accounts.roles import hq_page
from weishang.agents.selectors import own_agent_or_403
from weishang.catalog.models import SKU
from weishang.core import idempotency
from weishang.core.errors import DomainError
from weishang.core.forms import add_domain_error
from weishang.orders import services as order_services
from weishang.orders.forms import AddressForm, new_key
from weishang.orders.models import Address

from . import selectors, services
from .forms import AdjustForm


@login_required
@require_GET
def mine(request):
    agent = own_agent_or_403(request.user)
    return render(request, "inventory/mine.html", {"agent": agent, "rows": selectors.stock_of(agent.pk)})


@login_required
@require_GET
def history(request):
    agent = own_agent_or_403(request.user)
    sku_id = request.GET.get("sku")
    qs = selectors.movements_of(agent.pk, int(sku_id) if sku_id and sku_id.isdigit() else None)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "inventory/history.html", {"page": page})


@login_required
def pickup(request):
    agent = own_agent_or_403(request.user)
    rows = [r for r in selectors.stock_of(agent.pk) if r.available > 0]
    if request.method == "POST":
        form = AddressForm(request.POST)
        lines = [(k[4:], v.strip()) for k, v in request.POST.items() if k.startswith("qty_") and v.strip() not in
                 ("", "0")]
        if form.is_valid():
            address = form.address()
            try:
                key = idempotency.key_from(request)
                _s, body = idempotency.run(
                    key=key, user=request.user, endpoint="orders.pickup",
                    payload={"lines": sorted(lines), "address": address},
                    fn=lambda: (201, {"no": order_services.create_pickup(user=request.user, lines=lines,
                                                                         address=address).no}))
                return redirect("orders:detail", no=body["no"])
            except DomainError as exc:
                add_domain_error(form, exc)
    else:
        initial = {"idempotency_key": new_key()}
        saved = Address.objects.filter(user=request.user).first()
        if saved:
            initial.update(name=saved.name, phone=saved.phone, detail=saved.detail, region=saved.district_code)
        form = AddressForm(initial=initial)
    return render(request, "inventory/pickup.html", {"rows": rows, "form": form})


@hq_page("inventory.view_stock")
@require_GET
def hq_stock(request):
    totals = selectors.totals_by_sku()
    skus = SKU.objects.select_related("product").in_bulk([t["sku_id"] for t in totals])
    for t in totals:
        t["sku"] = skus.get(t["sku_id"])
    qs = selectors.all_stock()
    if request.GET.get("sku", "").isdigit():
        qs = qs.filter(sku_id=int(request.GET["sku"]))
    page = Paginator(qs, 50).get_page(request.GET.get("page"))
    return render(request, "inventory/hq_stock.html", {"totals": totals, "page": page,
                                                       "drift": selectors.drift()[:20]})


@hq_page("inventory.add_stockmovement")
def hq_adjust(request):
    if request.method == "POST":
        form = AdjustForm(request.POST)
        if form.is_valid():
            d = form.cleaned_data
            try:
                idempotency.run(key=d["idempotency_key"], user=request.user, endpoint="inventory.adjust_page",
                                payload={k: str(v.pk if hasattr(v, "pk") else v) for k, v in d.items()
                                         if k != "idempotency_key"},
                                fn=lambda: (201, {"id": services.adjust(
                                    agent_id=d["agent"].pk if d["agent"] else None, sku_id=d["sku"].pk,
                                    quantity=d["quantity"], reason=d["reason"], user=request.user).pk}))
                if d["quantity"] > 0:  # waiting restocks of this owner may now be filled
                    order_services.retry_waiting_for(d["agent"].pk if d["agent"] else None)
                messages.success(request, _("Stock adjusted."))
                return redirect("inventory:hq_stock")
            except DomainError as exc:
                add_domain_error(form, exc)
    else:
        form = AdjustForm(initial={"idempotency_key": new_key()})
    return render(request, "inventory/hq_adjust.html", {"form": form})
