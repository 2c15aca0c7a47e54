"""Order pages: agents (restock, orders, shop prices), consumers (shop, cart, checkout),
suppliers (drop-ship orders, Excel), HQ warehouse (pick list)."""

from __future__ import annotations

import io
from decimal import Decimal

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy as _lazy
from django.views.decorators.http import require_GET, require_POST

from weishang.accounts.roles import hq_can, hq_page
from weishang.agents.models import Agent, LevelPrice
from weishang.agents.selectors import own_agent_or_403
from weishang.catalog.models import SKU
from weishang.core import idempotency
from weishang.core.errors import DomainError
from weishang.core.forms import add_domain_error
from weishang.core.money import CURRENCY_SYMBOLS, decimals_for
from weishang.inventory.models import Stock, owner_key

from . import excel, refunds, selectors, services, sharing, states
from .forms import AddressForm, ImportForm, InspectForm, ReasonForm, RefundRequestForm, ShipForm, new_key
from .models import LineSource, Order, OrderKind, OrderStatus, RefundPhoto, RefundRequestStatus, ShopPrice


def _idempotent(request, endpoint: str, payload: dict, make):
    """Run a page's creating POST once per form (hidden idempotency_key); return the body."""
    key = idempotency.key_from(request)
    _status, body = idempotency.run(key=key, user=request.user, endpoint=endpoint, payload=payload,
                                    fn=lambda: (201, {"no": make().no}))
    return body


def _post_lines(request, prefix: str = "qty_") -> list[tuple[str, str]]:
    out = []
    for name, value in request.POST.items():
        if name.startswith(prefix) and value.strip() not in ("", "0"):
            out.append((name[len(prefix):], value.strip()))
    return out


# --- agent: restock -----------------------------------------------------------------------

def _restock_rows(agent: Agent) -> list[dict]:
    """The restock form's rows: each SKU on sale with the agent's level price, the retail
    price and the margin per unit at retail (what the agent keeps selling it at retail)."""
    prices = (LevelPrice.objects.filter(level_id=agent.level_id, sku__on_shelf=True, sku__product__on_shelf=True)
              .select_related("sku__product").order_by("sku__product__position", "sku__position"))
    return [{"lp": lp, "sku": lp.sku, "margin": lp.sku.retail_price - lp.price} for lp in prices]


def _supply_lines(request) -> list[tuple[int, int]]:
    """The form's quantities for the stock check: whatever is not a whole number is left
    out (placing the order says what is wrong with it)."""
    out = []
    for raw_sku, raw_qty in _post_lines(request):
        if raw_sku.isdigit() and raw_qty.isdigit():
            out.append((int(raw_sku), int(raw_qty)))
    return out


@login_required
def restock(request):
    agent = own_agent_or_403(request.user)
    error = None
    if request.method == "POST":
        lines = _post_lines(request)
        try:
            body = _idempotent(request, "orders.restock", {"lines": sorted(lines)},
                               lambda: services.create_restock(user=request.user, lines=lines))
            return redirect("orders:detail", no=body["no"])
        except DomainError as exc:
            error = exc
    rows = _restock_rows(agent)
    posted = request.POST
    for row in rows:
        row["qty"] = posted.get(f"qty_{row['sku'].pk}", "")
        row["errors"] = (error.fields or {}).get(f"sku_{row['sku'].pk}", []) if error else []
    supply = selectors.restock_supply(agent, _supply_lines(request)) if error else None
    return render(request, "orders/restock.html", {
        "agent": agent, "rows": rows, "error": error, "key": new_key(), "supply": supply,
        "symbol": CURRENCY_SYMBOLS.get(agent.level.currency, agent.level.currency + " "),
        "places": decimals_for(agent.level.currency)}, status=error.status if error else 200)


@login_required
@require_POST
def restock_check(request):
    """htmx, as quantities change: warn before submitting when the upline lacks the stock."""
    agent = own_agent_or_403(request.user)
    return render(request, "orders/_supply_check.html",
                  {"supply": selectors.restock_supply(agent, _supply_lines(request))})


@login_required
@require_GET
def order_list(request):
    agent = Agent.objects.filter(user=request.user).first()
    tab = request.GET.get("tab", "bought")
    if tab == "sold" and agent:
        qs = selectors.sold(agent.pk)
    elif tab == "requests" and agent:
        qs = selectors.restock_requests(agent.pk)
    else:
        tab = "bought"
    status = request.GET.get("status", "")
    if tab == "bought":  # what I bought, by status group: 待付款 · 待发货 · 待收货 · 已完成 · 售后
        status = status if status in (*selectors.CONSUMER_TABS, "aftersales") else ""
        qs = selectors.bought_in_tab(request.user, status)
    else:
        qs = selectors.with_lines(qs)
    page = Paginator(qs, 20).get_page(request.GET.get("page"))
    shop_id = sharing.shop_for(request) if agent is None else None
    return render(request, "orders/order_list.html", {
        "page": page, "tab": tab, "agent": agent, "status": status, "status_tabs": STATUS_TABS,
        "counts": selectors.tab_counts(request.user) if tab == "bought" else {},
        "shop_url": reverse("orders:shop", args=[shop_id]) if shop_id else reverse("shop:home")})


STATUS_TABS = [("", _lazy("All")), *selectors.order_tab_labels()]


def cvs_pickup() -> bool:
    from weishang.payments import logistics  # payments builds on orders: imported when used

    return logistics.enabled()


@login_required
@require_GET
def order_detail(request, no: str):
    try:
        order = selectors.order_for(request.user, no)
    except DomainError:
        raise Http404
    user = request.user
    my_agent_id = getattr(getattr(user, "agent", None), "pk", None)
    lines = list(order.lines.all())
    if user.supplier_id and not hq_can(user, "orders.view_order") and order.buyer_id != user.pk:
        lines = [line for line in lines if line.supplier_id == user.supplier_id]
    for line in lines:  # display-only attributes for the template
        left = line.to_ship
        setattr(line, "left", left)  # noqa: B010
        setattr(line, "returnable", line.quantity - line.refunded_quantity)  # noqa: B010
        setattr(line, "shippable", left > 0 and services.can_ship(user, order, line))  # noqa: B010
    margin = None
    if my_agent_id is not None and order.seller_agent_id == my_agent_id and order.status != OrderStatus.AWAITING_STOCK:
        # What the seller keeps: the price difference (差价) over its own level price.
        own = [(line.seller_level_price if order.kind == "restock" else line.buyer_level_price) for line in lines]
        if all(p is not None for p in own):
            margin = sum((line.amount - p * line.quantity for line, p in zip(lines, own, strict=True)), Decimal(0))
    from weishang.payments.models import PaymentStatus
    from weishang.payments.services import can_confirm, payee_label

    waiting = [p for p in order.payments.all() if p.status == PaymentStatus.SUBMITTED]
    # An online payment waiting for its provider never blocks paying (again, or another way).
    waiting_offline = [p for p in waiting if not p.trade_no]
    for p in waiting_offline:
        setattr(p, "payee_name", payee_label(p.payee_agent))  # noqa: B010
    open_request = next((r for r in order.refund_requests.all() if r.is_open), None)
    returning = []
    if open_request is not None:
        wanted = {int(k): int(v) for k, v in (open_request.lines or {}).items()}
        returning = [(line, wanted.get(line.pk, line.quantity - line.refunded_quantity)) for line in lines
                     if wanted.get(line.pk) or (open_request.kind == "full" and line.quantity > line.refunded_quantity)]
    ctx = {
        "order": order, "lines": lines, "is_buyer": order.buyer_id == user.pk,
        "can_request_refund": order.buyer_id == user.pk and open_request is None and refunds.window_open(order)
        and order.refunded_total < order.total,
        "refund_form": RefundRequestForm(initial={"idempotency_key": new_key()}),
        "open_request": open_request,
        "can_decide_refund": open_request is not None and open_request.status == RefundRequestStatus.REQUESTED
        and refunds.can_decide(user, order, open_request),
        "returning": returning, "inspect_form": InspectForm(), "parcel_form": ShipForm(),
        "can_ship_return": open_request is not None and open_request.status == RefundRequestStatus.AWAITING_RETURN
        and order.buyer_id == user.pk,
        "can_receive_return": open_request is not None and open_request.status == RefundRequestStatus.RETURN_SHIPPED
        and refunds.can_receive_returns(user),
        "can_ship_exchange": open_request is not None
        and open_request.status == RefundRequestStatus.AWAITING_EXCHANGE and refunds.can_receive_returns(user),
        "past_requests": [r for r in order.refund_requests.all() if not r.is_open],
        "can_cancel_paid": refunds.is_hq_refunder(user) and order.status in (OrderStatus.PAID, OrderStatus.RECEIVED)
        and states.can(order.kind, order.status, OrderStatus.CANCELLED),
        "refunds": list(order.refunds.all()),
        "can_cancel": order.buyer_id == user.pk and order.status in (OrderStatus.PENDING,
                                                                      OrderStatus.AWAITING_STOCK),
        "can_pay": order.buyer_id == user.pk and order.status == OrderStatus.PENDING and not waiting_offline,
        "can_choose_store": order.buyer_id == user.pk and order.kind == OrderKind.CONSUMER and order.currency == "TWD"
        and order.status in (OrderStatus.PENDING, OrderStatus.PAID) and cvs_pickup(),
        "can_receive": order.buyer_id == user.pk and order.status == OrderStatus.SHIPPED
        and services.fully_shipped(order),
        "can_pass_up": order.status == OrderStatus.AWAITING_STOCK and order.wait_until is not None
        and my_agent_id is not None and order.seller_agent_id == my_agent_id,
        "confirmable": [p for p in waiting_offline if can_confirm(user, p.payee_agent_id)],
        "waiting": bool(waiting_offline), "my_waiting": [p for p in waiting_offline if p.payer_id == user.pk],
        "can_ship": order.status in (OrderStatus.PAID, OrderStatus.SHIPPED) and any(getattr(line, "shippable", False) for line in lines),
        "ship_form": ShipForm(), "allowed": states.allowed(order.kind, order.status), "margin": margin,
    }
    return render(request, "orders/order_detail.html", ctx)


def _order_action(request, no: str, action, done):
    """Run `action` on the order and say what happened (`done`: never a bare "Done.", which
    reads as the order status 已完成)."""
    try:
        order = selectors.order_for(request.user, no)
    except DomainError:
        raise Http404
    try:
        action(order)
        messages.success(request, done)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied
        messages.error(request, exc.message)
    return redirect("orders:detail", no=no)


@login_required
@require_POST
def order_cancel(request, no: str):
    form = ReasonForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    return _order_action(request, no, lambda o: services.cancel(o, actor=request.user, reason=reason),
                         _("Order cancelled."))


@login_required
@require_POST
def order_received(request, no: str):
    return _order_action(request, no, lambda o: services.confirm_received(o, actor=request.user),
                         _("Receipt confirmed."))


@login_required
@require_POST
def order_pass_up(request, no: str):
    return _order_action(request, no, lambda o: services.pass_up_now(o, actor=request.user),
                         _("Passed up to the next upline."))


@login_required
@require_POST
def order_ship(request, no: str):
    form = ShipForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("Enter the carrier and the tracking number."))
        return redirect("orders:detail", no=no)
    quantities = None
    picked = {k[5:]: v for k, v in request.POST.items() if k.startswith("ship_") and v.strip()}
    if picked:
        try:
            quantities = {int(k): int(v) for k, v in picked.items()}
        except ValueError:
            messages.error(request, _("Quantities must be whole numbers."))
            return redirect("orders:detail", no=no)
    return _order_action(request, no, lambda o: services.ship(o, actor=request.user, quantities=quantities,
                                                               **form.cleaned_data),
                         _("Shipment recorded."))


@hq_page("orders.ship_order")
@require_POST
def order_pack(request, no: str):
    return _order_action(request, no, lambda o: services.pack(o, actor=request.user), _("Marked as packed."))


# --- refunds ---------------------------------------------------------------------------------

@login_required
@require_POST
def refund_request(request, no: str):
    """The buyer asks for a refund (full, some units back, or an amount)."""
    form = RefundRequestForm(request.POST)
    if not form.is_valid():
        messages.error(request, str(next(iter(form.errors.values()))[0]))
        return redirect("orders:detail", no=no)
    data = form.cleaned_data
    quantities = {k[4:]: v for k, v in request.POST.items() if k.startswith("ret_") and v.strip() not in ("", "0")}
    photos_in = request.FILES.getlist("photos")

    def make(order):
        payload = {"no": no, "kind": data["kind"], "lines": sorted(quantities.items()), "amount": data["amount"],
                   "reason": data["reason"], "defective": data["defective"],
                   "photos": [(f.name, f.size) for f in photos_in]}
        idempotency.run(key=idempotency.key_from(request), user=request.user, endpoint="orders.refund_request",
                        payload=payload, fn=lambda: (201, {"id": refunds.request_refund(
                            order, user=request.user, kind=data["kind"], reason=data["reason"],
                            quantities=quantities, amount=data["amount"], photos_in=photos_in,
                            defective=data["defective"]).pk}))

    return _order_action(request, no, make, _("Refund requested; the seller decides next."))


@login_required
@require_POST
def refund_decide(request, pk: int):
    approve = request.POST.get("decision") == "approve"
    reason = request.POST.get("reason", "")
    nxt = request.POST.get("next") or ""
    req = refunds.RefundRequest.objects.filter(pk=pk).select_related("order").first()
    if req is None:
        raise Http404
    try:
        refunds.decide_refund(pk, actor=request.user, approve=approve, reason=reason)
        messages.success(request, _("Refund approved.") if approve else _("Refund rejected."))
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied
        messages.error(request, exc.message)
    if nxt == "list":
        return redirect("orders:refunds")
    return redirect("orders:detail", no=req.order.no)


def _request_action(request, pk: int, action, done):
    req = refunds.RefundRequest.objects.filter(pk=pk).select_related("order").first()
    if req is None:
        raise Http404
    try:
        selectors.order_for(request.user, req.order.no)
    except DomainError:
        if not refunds.can_receive_returns(request.user):
            raise Http404
    try:
        action(req)
        messages.success(request, done)
    except DomainError as exc:
        if exc.status == 403:
            raise PermissionDenied
        messages.error(request, exc.message)
    if request.POST.get("next") == "aftersales":
        return redirect("orders:aftersales")
    return redirect(reverse("orders:detail", args=[req.order.no]) + "#refund-request")


@login_required
@require_POST
def return_ship(request, pk: int):
    """The buyer enters the carrier and tracking number of the parcel it sent back."""
    return _request_action(request, pk, lambda r: refunds.ship_return(
        r.pk, user=request.user, carrier=request.POST.get("carrier"), tracking_no=request.POST.get("tracking_no")),
        _("Return tracking number saved."))


@login_required
@require_POST
def return_receive(request, pk: int):
    """The HQ warehouse received the parcel: units damaged per line, the rest are good."""
    damaged = {k[4:]: v.strip() for k, v in request.POST.items() if k.startswith("bad_") and v.strip()}
    return _request_action(request, pk, lambda r: refunds.receive_return(
        r.pk, actor=request.user, damaged=damaged, note=request.POST.get("note", "")),
        _("Returned goods received."))


@login_required
@require_POST
def exchange_ship(request, pk: int):
    return _request_action(request, pk, lambda r: refunds.ship_exchange(
        r.pk, actor=request.user, carrier=request.POST.get("carrier"), tracking_no=request.POST.get("tracking_no")),
        _("Replacement shipped."))


@login_required
@require_GET
def refund_photo(request, pk: int):
    """A refund photo, to those who may see the order (buyer, seller, HQ) only."""
    from weishang.core.uploads import private_file_response

    photo = RefundPhoto.objects.filter(pk=pk).select_related("request__order").first()
    if photo is None:
        raise Http404
    try:
        selectors.order_for(request.user, photo.request.order.no)
    except DomainError:
        if not refunds.can_receive_returns(request.user):
            raise Http404
    return private_file_response(photo.image, download_name=f"refund-{photo.request_id}-{photo.pk}")


@login_required
@require_GET
def aftersales(request):
    """HQ after-sales: parcels coming back to receive, replacements to ship, and refunds past
    their deadline (Taiwan: 15 days)."""
    if not (refunds.is_hq_refunder(request.user) or refunds.can_receive_returns(request.user)):
        raise PermissionDenied
    return render(request, "orders/aftersales.html", {
        "to_receive": list(refunds.returns_to_receive()[:100]), "overdue": refunds.overdue_refunds(),
        "rules": refunds.conf.refund_due_rules()})


@login_required
@require_POST
def order_cancel_paid(request, no: str):
    if not refunds.is_hq_refunder(request.user):
        raise PermissionDenied
    reason = request.POST.get("reason", "")
    return _order_action(request, no, lambda o: refunds.cancel_paid(o, actor=request.user, reason=reason),
                         _("Order cancelled and the payment refunded."))


@login_required
@require_GET
def refund_list(request):
    """Refund requests waiting for my decision: my own sales (agent) or all (HQ)."""
    if not refunds.is_hq_refunder(request.user) and getattr(request.user, "agent", None) is None:
        raise PermissionDenied
    page = Paginator(refunds.open_requests_for(request.user), 30).get_page(request.GET.get("page"))
    agent = getattr(request.user, "agent", None)
    return render(request, "orders/refund_list.html", {"page": page, "agent": agent})


# --- agent: shop prices --------------------------------------------------------------------

@login_required
def shop_prices(request):
    agent = own_agent_or_403(request.user)
    skus = list(SKU.objects.filter(on_shelf=True, product__on_shelf=True).select_related("product")
                .order_by("product__position", "position"))
    if request.method == "POST":
        sku = next((s for s in skus if str(s.pk) == request.POST.get("sku")), None)
        if sku is None:
            raise Http404
        try:
            services.set_shop_price(agent=agent, sku=sku, price=request.POST.get("price", "").strip())
            messages.success(request, _("Shop price saved."))
        except DomainError as exc:
            messages.error(request, exc.message)
        return redirect("orders:shop_prices")
    own = dict(ShopPrice.objects.filter(agent=agent).values_list("sku_id", "price"))
    rows = [{"sku": s, "price": own.get(s.pk)} for s in skus]
    share_url = request.build_absolute_uri(reverse("orders:shop", args=[agent.pk]))
    return render(request, "orders/shop_prices.html", {"rows": rows, "agent": agent, "share_url": share_url})


# --- consumer: shop, product, cart, checkout, address book ----------------------------------

def _shop_agent(agent_id: int) -> Agent:
    agent = Agent.objects.select_related("level").filter(pk=agent_id).first()
    if agent is None or not agent.can_trade:
        raise Http404
    return agent


def _cart(request, agent_id: int) -> dict[str, int]:
    return dict(request.session.get(f"cart:{agent_id}", {}))


def cart_count(request, agent_id: int) -> int:
    """Units in the visitor's cart of that shop (the tab bar's badge)."""
    return sum(_cart(request, agent_id).values())


def _shop_skus(agent: Agent, product_id: int | None = None):
    qs = SKU.objects.filter(on_shelf=True, product__on_shelf=True, level_prices__level_id=agent.level_id)
    if product_id is not None:
        qs = qs.filter(product_id=product_id)
    skus = list(qs.select_related("product__line").order_by("product__line__position", "product__position",
                                                            "product_id", "position", "id"))
    prices = services.shop_prices(agent, skus)
    held = {sku_id: quantity - reserved for sku_id, quantity, reserved in Stock.objects.filter(
        owner=owner_key(agent.pk), sku_id__in=[s.pk for s in skus]).values_list("sku_id", "quantity", "reserved")}
    for s in skus:  # display-only attributes for the template
        setattr(s, "shop_price", prices[s.pk])  # noqa: B010
        setattr(s, "in_stock", s.drop_shipped or held.get(s.pk, 0) > 0)  # noqa: B010
    return skus


def _shop_products(skus) -> list:
    """The shop's SKUs grouped into product cards: lowest price, sold out when no SKU is."""
    cards: dict[int, dict] = {}
    for s in skus:
        card = cards.setdefault(s.product_id, {"product": s.product, "skus": []})
        card["skus"].append(s)
    for card in cards.values():
        card["price"] = min(s.shop_price for s in card["skus"])
        card["currency"] = card["skus"][0].currency
        card["in_stock"] = [s for s in card["skus"] if s.in_stock]
    return list(cards.values())


def _share_box(request, agent: Agent):
    me = Agent.objects.filter(user=request.user).only("pk").first() if request.user.is_authenticated else None
    if me is None:  # an agent looking at a shop can share it (signed link + QR)
        return None, None
    return me, {"url": request.build_absolute_uri(sharing.shop_path(agent.pk, me.pk)),
                "qr": f"{reverse('orders:shop_qr', args=[agent.pk])}?{sharing.PARAM}={sharing.token_for(me.pk)}",
                "own": me.pk == agent.pk}


def _enter_shop(request, agent: Agent) -> None:
    sharing.remember(request, agent.pk)
    sharing.remember_shop(request, agent.pk)


@require_GET
def shop(request, agent_id: int):
    """The shop's front page: the agent's badge, category chips, search, product cards.
    ?line=<id> shows one product line, ?q= searches product and SKU names."""
    from weishang.certificates.models import Certificate

    agent = _shop_agent(agent_id)
    _enter_shop(request, agent)
    skus = _shop_skus(agent)
    lines = list({s.product.line_id: s.product.line for s in skus}.values())
    line = next((x for x in lines if str(x.pk) == request.GET.get("line", "")), None)
    q = (request.GET.get("q") or "").strip()[:40]
    shown = [s for s in skus if (line is None or s.product.line_id == line.pk)
             and (not q or q.lower() in f"{s.product.name} {s.product.subtitle} {s.name}".lower())]
    me, share = _share_box(request, agent)
    # the badge: its active authorisation certificate, one tap from the public lookup
    certificate = Certificate.objects.filter(agent=agent, status="active").only("number").first()
    return render(request, "orders/shop.html", {
        "agent": agent, "shop_id": agent.pk, "cards": _shop_products(shown), "lines": lines, "line": line, "q": q,
        "share": share, "closed": agent.first_purchase_pending, "own": me is not None and me.pk == agent.pk,
        "certificate": certificate})


@require_GET
def shop_categories(request, agent_id: int):
    """分类: the shop's product lines, each with its products, and the search box."""
    agent = _shop_agent(agent_id)
    _enter_shop(request, agent)
    groups: dict[int, dict] = {}
    for card in _shop_products(_shop_skus(agent)):
        line = card["product"].line
        groups.setdefault(line.pk, {"line": line, "cards": []})["cards"].append(card)
    return render(request, "orders/shop_categories.html", {"agent": agent, "shop_id": agent.pk,
                                                           "groups": list(groups.values())})


@require_GET
def shop_product(request, agent_id: int, product_id: int):
    """A product inside a shop: gallery, SKU picker, quantity stepper, add to cart / buy now."""
    agent = _shop_agent(agent_id)
    _enter_shop(request, agent)
    skus = _shop_skus(agent, product_id)
    if not skus:
        raise Http404
    product = skus[0].product
    images = [product.image] if product.image else []
    images += [img.image for img in product.images.all()]
    picked = next((s for s in skus if str(s.pk) == request.GET.get("sku")), None) or next(
        (s for s in skus if s.in_stock), skus[0])
    card = _shop_products(skus)[0]
    return render(request, "orders/shop_product.html", {
        "agent": agent, "shop_id": agent.pk, "product": product, "skus": skus, "picked": picked, "card": card,
        "images": images, "closed": agent.first_purchase_pending})


@require_GET
def shop_qr(request, agent_id: int):
    import segno

    agent = _shop_agent(agent_id)
    sharer = sharing.agent_id_from(request.GET.get(sharing.PARAM))
    buf = io.BytesIO()
    segno.make(request.build_absolute_uri(sharing.shop_path(agent.pk, sharer)), error="m").save(
        buf, kind="svg", scale=6, border=2)
    return HttpResponse(buf.getvalue(), content_type="image/svg+xml")


@require_POST
def cart_add(request, agent_id: int):
    """Add (qty > 0) or take away (qty < 0) units. `then`: where to go next without htmx:
    the product page ("product"), or the cart (default; 立即购买 goes there too)."""
    import json

    agent = _shop_agent(agent_id)
    if agent.first_purchase_pending:  # the shop opens after the agent's first stock purchase
        messages.error(request, _("This shop is not taking orders yet."))
        if request.headers.get("HX-Request"):
            return HttpResponse(_("This shop is not taking orders yet."), status=409)
        return redirect("orders:shop", agent_id=agent.pk)
    raw = request.POST.get("sku", "")
    sku = SKU.objects.filter(pk=int(raw), on_shelf=True).select_related("product").first() if raw.isdigit() else None
    if sku is None:
        raise Http404
    try:
        qty = int(request.POST.get("qty", "1"))
    except ValueError:
        qty = 1
    qty = max(-999, min(qty, 999))
    cart = _cart(request, agent.pk)
    new = max(0, min(cart.get(str(sku.pk), 0) + qty, sku.max_per_order))
    if new:
        cart[str(sku.pk)] = new
    else:
        cart.pop(str(sku.pk), None)
    request.session[f"cart:{agent.pk}"] = cart
    count = sum(cart.values())
    if request.headers.get("HX-Request"):
        response = HttpResponse(_("Cart (%(n)d)") % {"n": count})
        response["HX-Trigger"] = json.dumps({"cart-changed": {"count": count}})
        return response
    if request.POST.get("then") == "product":
        messages.success(request, _("Added to the cart: %(item)s × %(n)d.") % {"item": sku, "n": max(qty, 0)})
        return redirect(reverse("orders:shop_product", args=[agent.pk, sku.product_id]) + f"?sku={sku.pk}")
    return redirect("orders:cart", agent_id=agent.pk)


def _cart_rows(agent: Agent, cart: dict[str, int]):
    skus = [s for s in _shop_skus(agent) if str(s.pk) in cart]
    rows = [{"sku": s, "qty": cart[str(s.pk)], "amount": getattr(s, "shop_price") * cart[str(s.pk)]}  # noqa: B009
            for s in skus]
    return rows, sum((r["amount"] for r in rows), Decimal(0))


def _address_choice(saved: list, raw: str | None):
    """The saved address the buyer picked (radio `address`), the default when nothing was
    picked, or None for a new address ("new", or nothing saved)."""
    if raw == "new" or not saved:
        return None
    return next((a for a in saved if str(a.pk) == raw), saved[0])


def _render_cart(request, agent: Agent, rows, total, *, form=None, saved=(), chosen=None, status=200):
    fee = None
    if rows and chosen is not None:
        fee = services.shipping_fee_for(rows[0]["sku"].currency, chosen.province_code, chosen.city_code,
                                        sum(r["qty"] for r in rows), total)
    return render(request, "orders/cart.html", {
        "agent": agent, "shop_id": agent.pk, "rows": rows, "total": total, "form": form, "saved": saved,
        "chosen": chosen, "fee": fee, "grand": total + fee if fee is not None else None,
        "units": sum(r["qty"] for r in rows), "key": new_key(),
        "non_returnable": any(r["sku"].non_returnable for r in rows)}, status=status)


def cart(request, agent_id: int):
    agent = _shop_agent(agent_id)
    _enter_shop(request, agent)
    rows, total = _cart_rows(agent, _cart(request, agent.pk))
    form, saved, chosen = None, [], None
    if request.user.is_authenticated:
        saved = selectors.address_book(request.user)
        chosen = _address_choice(saved, request.GET.get("address"))
        form = AddressForm(initial={"idempotency_key": new_key()})
    return _render_cart(request, agent, rows, total, form=form, saved=saved, chosen=chosen)


@login_required
@require_POST
def checkout(request, agent_id: int):
    agent = _shop_agent(agent_id)
    rows, total = _cart_rows(agent, _cart(request, agent.pk))
    saved = selectors.address_book(request.user)
    # no `address` picked: the address fields were filled in (first order, or a form without the book)
    chosen = _address_choice(saved, request.POST.get("address") or "new")
    form = AddressForm(request.POST) if chosen is None else AddressForm(initial={"idempotency_key": new_key()})
    if chosen is not None or form.is_valid():
        lines = [(r["sku"].pk, r["qty"]) for r in rows]
        if chosen is not None:
            address = {"name": chosen.name, "phone": chosen.phone, "province_code": chosen.province_code,
                       "city_code": chosen.city_code, "district_code": chosen.district_code, "detail": chosen.detail}
        else:
            address = form.address()
        confirmed = request.POST.get("non_returnable_ok") == "on"
        sharer = sharing.remembered(request, agent.pk)
        try:
            body = _idempotent(request, "orders.consumer", {"agent": agent.pk, "address": address, "share": sharer},
                               lambda: services.create_consumer_order(
                                   user=request.user, shop_agent_id=agent.pk, lines=lines, address=address,
                                   shared_by_id=sharer, non_returnable_confirmed=confirmed))
            if chosen is None and form.cleaned_data.get("save_address"):
                services.remember_checkout_address(user=request.user, address=address)
            request.session.pop(f"cart:{agent.pk}", None)
            return redirect("orders:detail", no=body["no"])
        except DomainError as exc:
            if chosen is not None:
                messages.error(request, exc.message)
            else:
                add_domain_error(form, exc)
    return _render_cart(request, agent, rows, total, form=form, saved=saved, chosen=chosen, status=400)


# 收货地址: the address book. `next` brings the buyer back to the cart it came from.

def _safe_next(request) -> str | None:
    from django.utils.http import url_has_allowed_host_and_scheme

    target = request.POST.get("next") or request.GET.get("next")
    if target and url_has_allowed_host_and_scheme(target, {request.get_host()}, request.is_secure()):
        return target
    return None


@login_required
@require_GET
def addresses(request):
    return render(request, "orders/addresses.html", {"saved": selectors.address_book(request.user),
                                                     "next": _safe_next(request) or ""})


@login_required
def address_edit(request, pk: int | None = None):
    saved = None
    if pk is not None:
        saved = next((a for a in selectors.address_book(request.user) if a.pk == pk), None)
        if saved is None:
            raise Http404
    initial = {"save_address": False}
    if saved is not None:
        initial.update(name=saved.name, phone=saved.phone, detail=saved.detail,
                       region=saved.district_code or saved.city_code, save_address=saved.is_default)
    form = AddressForm(request.POST or None, initial=initial)
    form.fields["save_address"].label = _("Use as my default address")
    if request.method == "POST" and form.is_valid():
        try:
            kept = services.save_address(user=request.user, address=form.address(), address_id=pk,
                                         make_default=form.cleaned_data.get("save_address", False))
            messages.success(request, _("Address saved."))
            back = _safe_next(request)
            if back:  # back to the cart, with this address picked
                return redirect(f"{back}{'&' if '?' in back else '?'}address={kept.pk}")
            return redirect("orders:addresses")
        except DomainError as exc:
            add_domain_error(form, exc)
    return render(request, "orders/address_form.html", {"form": form, "saved": saved,
                                                        "next": _safe_next(request) or ""},
                  status=400 if request.method == "POST" else 200)


@login_required
@require_POST
def address_default(request, pk: int):
    try:
        services.set_default_address(user=request.user, address_id=pk)
        messages.success(request, _("Default address changed."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_safe_next(request) or reverse("orders:addresses"))


@login_required
@require_POST
def address_delete(request, pk: int):
    try:
        services.delete_address(user=request.user, address_id=pk)
        messages.success(request, _("Address deleted."))
    except DomainError as exc:
        messages.error(request, exc.message)
    return redirect(_safe_next(request) or reverse("orders:addresses"))


# --- supplier ------------------------------------------------------------------------------

def _supplier_or_403(request) -> int:
    if not request.user.is_authenticated or not request.user.supplier_id:
        raise PermissionDenied
    return request.user.supplier_id


@login_required
def supplier_orders(request):
    supplier_id = _supplier_or_403(request)
    qs = selectors.supplier_lines(supplier_id)
    if request.GET.get("todo"):
        qs = qs.filter(order__status=OrderStatus.PAID)
    page = Paginator(qs, 30).get_page(request.GET.get("page"))
    return render(request, "orders/supplier_orders.html", {"page": page, "import_form": ImportForm(),
                                                           "ship_form": ShipForm()})


@login_required
@require_GET
def supplier_export(request):
    supplier_id = _supplier_or_403(request)
    qs = selectors.supplier_lines(supplier_id).filter(order__status__in=[OrderStatus.PAID, OrderStatus.SHIPPED])
    data = excel.export_lines(qs[:excel.MAX_ROWS])
    resp = HttpResponse(data, content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
    resp["Content-Disposition"] = 'attachment; filename="dropship-orders.xlsx"'
    return resp


@login_required
@require_POST
def supplier_import(request):
    _supplier_or_403(request)
    form = ImportForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, _("Choose an Excel file."))
        return redirect("orders:supplier")
    upload = form.cleaned_data["file"]
    if upload.size > 5 * 1024 * 1024:
        messages.error(request, _("The file is too large (at most 5 MB)."))
        return redirect("orders:supplier")
    try:
        rows = excel.read_tracking(upload.read())
    except ValueError as exc:
        messages.error(request, str(exc))
        return redirect("orders:supplier")
    done, errors = services.import_tracking(user=request.user, rows=rows)
    messages.success(request, _("%(n)d shipments recorded.") % {"n": done})
    for e in errors[:20]:
        messages.error(request, e)
    return redirect("orders:supplier")


# --- HQ warehouse ------------------------------------------------------------------------------

@hq_page("orders.ship_order")
@require_GET
def pick_list(request):
    page = Paginator(selectors.pick_list(), 30).get_page(request.GET.get("page"))
    for order in page:
        order.to_pick = [line for line in order.lines.all() if line.source != LineSource.SUPPLIER and line.to_ship]
        for line in order.to_pick:
            line.left = line.to_ship
    return render(request, "orders/pick_list.html", {"page": page, "ship_form": ShipForm()})


__all__ = ["Order"]
