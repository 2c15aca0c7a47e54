"""Order writes: restocks routed through the tree, consumer orders, pick-ups, shipments,
and every status change. Each public function is one transaction; stock is reserved with
conditional UPDATEs in SKU order (weishang.inventory.services), so nothing is sold twice.
Signals from weishang.orders.signals are sent inside the transaction.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F, OuterRef, Subquery
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from weishang.accounts.roles import check_hq, hq_can
from weishang.agents.models import Agent, LevelPrice
from weishang.agents.selectors import upline_chain
from weishang.catalog.models import SKU
from weishang.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from weishang.core.money import MoneyError, parse_amount
from weishang.inventory import services as stock
from weishang.inventory.models import MovementKind

from . import conf, fees, history, signals, states
from .models import (
    DropShipCost,
    FeeTemplate,
    LineSource,
    Order,
    OrderEvent,
    OrderKind,
    OrderLine,
    OrderShare,
    OrderStatus,
    ShareRole,
    Shipment,
    ShipmentLine,
    ShopPrice,
)
from .numbers import new_number

MAX_LINES = 50


class IllegalTransition(Conflict):
    code = "illegal_transition"


# --- helpers ---------------------------------------------------------------------------

def _clean_lines(lines) -> list[tuple[int, int]]:
    """[(sku_id, qty)] merged by SKU, in SKU order; refuses qty <= 0 and empty orders."""
    merged: dict[int, int] = {}
    fields: dict[str, list] = {}
    for raw_sku, raw_qty in lines:
        try:
            sku_id, qty = int(raw_sku), int(raw_qty)
        except (TypeError, ValueError):
            raise DomainError(_("Quantities must be whole numbers."), code="invalid_quantity",
                              fields={"lines": [_("Quantities must be whole numbers.")]})
        if qty <= 0:
            fields.setdefault(f"sku_{sku_id}", []).append(_("The quantity must be at least 1."))
            continue
        merged[sku_id] = merged.get(sku_id, 0) + qty
    if fields:
        raise DomainError(_("The quantity must be at least 1."), code="invalid_quantity", fields=fields)
    if not merged:
        raise DomainError(_("Add at least one item."), code="empty_order", fields={"lines": [_("Add at least one item.")]})
    if len(merged) > MAX_LINES:
        raise DomainError(_("Too many different items in one order."), code="too_many_lines")
    return sorted(merged.items())


def _load_skus(lines: list[tuple[int, int]]) -> dict[int, SKU]:
    skus = {s.pk: s for s in SKU.objects.filter(pk__in=[s for s, _q in lines], on_shelf=True,
                                                 product__on_shelf=True).order_by()}
    fields: dict[str, list] = {}
    currencies = set()
    for sku_id, qty in lines:
        sku = skus.get(sku_id)
        if sku is None:
            fields[f"sku_{sku_id}"] = [_("This item is unknown or no longer on sale.")]
            continue
        if qty > sku.max_per_order:
            fields[f"sku_{sku_id}"] = [_("At most %(n)d per order.") % {"n": sku.max_per_order}]
        currencies.add(sku.currency)
    if fields:
        first = next(iter(fields.values()))[0]
        raise DomainError(first, code="invalid_item", fields=fields)
    if len(currencies) > 1:
        raise DomainError(_("Items in different currencies must be ordered separately."), code="mixed_currency")
    return skus


def _trading_agent(user) -> Agent:
    agent = Agent.objects.select_related("level").filter(user=user).first() if user.is_authenticated else None
    if agent is None:
        raise PermissionDenied(_("Only agents can do this."))
    if not agent.can_trade:
        raise DomainError(_("Your agent account is frozen or expired; you cannot trade now."),
                          code="agent_not_active", status=403)
    return agent


def _create_order(**fields) -> Order:
    now = fields.setdefault("created_at", timezone.now())
    for _attempt in range(5):
        try:
            with transaction.atomic():
                order = Order(no=new_number(now), **fields)
                order.save(force_insert=True)
                return order
        except IntegrityError:
            continue
    raise Conflict(_("Could not allocate an order number; please retry."), code="order_number_collision")


def _event(order: Order, frm: str, to: str, actor, reason: Any) -> None:
    """`reason` is a Note or a gettext_lazy sentence (stored as a message key, shown in the
    reader's language) or text someone typed (stored as it is)."""
    if isinstance(reason, Promise):
        reason = history.note(reason)
    if isinstance(reason, history.Note):
        OrderEvent.objects.create(order=order, from_status=frm, to_status=to, actor=actor,
                                  message_key=reason.key, params=reason.params)
    else:
        OrderEvent.objects.create(order=order, from_status=frm, to_status=to, actor=actor, reason=str(reason)[:200])


def seller_name(order: Order) -> Any:
    """The seller for a history sentence: the agent's name, or "HQ" in the reader's language."""
    return order.seller_agent.name if order.seller_agent is not None else _("HQ")


def note(order: Order, *, actor, reason: Any) -> None:
    """Record something that happened to the order without a status change (shown in its
    history), e.g. a transfer proof submitted and waiting for the payee."""
    _event(order, order.status, order.status, actor, reason)


def transition(order: Order, to: str, *, actor=None, reason: Any = "", **stamps) -> Order:
    """Move the order to `to` if the state machine allows it, atomically (a concurrent
    change of status makes this fail instead of applying twice), and record the event."""
    frm = order.status
    if not states.can(order.kind, frm, to):
        raise IllegalTransition(
            _("This order is %(state)s; it cannot become %(target)s.")
            % {"state": OrderStatus(frm).label, "target": OrderStatus(to).label})
    updated = Order.objects.filter(pk=order.pk, status=frm).update(status=to, **stamps)
    if updated != 1:
        raise IllegalTransition(_("The order changed meanwhile; reload and try again."))
    order.status = to
    for name, value in stamps.items():
        setattr(order, name, value)
    _event(order, frm, to, actor, reason)
    return order


def _lock(order_id: int) -> Order:
    return Order.objects.select_for_update().get(pk=order_id)


# --- restock routing (进货 → 补货 → 向上提交) -----------------------------------------

@dataclass
class Candidate:
    agent: Agent | None  # None = HQ
    prices: dict[int, Decimal]  # sku -> this candidate's own level price (HQ: empty)

    @property
    def agent_id(self) -> int | None:
        return self.agent.pk if self.agent else None


def supply_candidates(buyer: Agent, sku_ids: list[int]) -> tuple[dict[int, Decimal], list[Candidate]]:
    """The buyer's prices and who may sell to it, nearest first, HQ last. Two queries
    whatever the depth: the upline chain and every level price involved."""
    chain = [u for u in upline_chain(buyer) if u.level.rank < buyer.level.rank and u.can_trade]
    level_ids = {buyer.level_id} | {u.level_id for u in chain}
    table: dict[int, dict[int, Decimal]] = {}
    for level_id, sku_id, price in LevelPrice.objects.filter(level_id__in=level_ids, sku_id__in=sku_ids) \
            .values_list("level_id", "sku_id", "price"):
        table.setdefault(level_id, {})[sku_id] = price
    own = table.get(buyer.level_id, {})
    missing = [s for s in sku_ids if s not in own]
    if missing:
        raise DomainError(_("This SKU has no price for your level yet."), code="no_level_price",
                          fields={f"sku_{s}": [_("No price for your level.")] for s in missing})
    candidates = []
    for upline in chain:
        prices = table.get(upline.level_id, {})
        if all(s in prices for s in sku_ids):
            candidates.append(Candidate(upline, prices))
    candidates.append(Candidate(None, {}))
    return own, candidates


def _restock_shares(order: Order, lines: list[OrderLine], buyer: Agent, seller: Candidate,
                    passed: list[Candidate]) -> list[OrderShare]:
    shares = []
    earns = conf.passed_over_earns()
    for line in lines:
        price = line.unit_price
        if earns:
            for cand in passed:
                own = cand.prices.get(line.sku_id)
                if own is None or cand.agent is None:
                    continue
                diff = (price - own) * line.quantity
                if diff > 0:
                    shares.append(OrderShare(order=order, line=line, role=ShareRole.PASSED_OVER, agent=cand.agent,
                                             depth=buyer.depth - cand.agent.depth, amount=diff))
                    price = own
        amount = price * line.quantity
        if seller.agent is None:
            shares.append(OrderShare(order=order, line=line, role=ShareRole.HQ_REVENUE, is_hq=True, amount=amount))
        else:
            shares.append(OrderShare(order=order, line=line, role=ShareRole.SELLER_PROCEEDS, agent=seller.agent,
                                     amount=amount))
    return shares


def _assign_seller(order: Order, lines: list[OrderLine], buyer: Agent, seller: Candidate,
                   passed: list[Candidate], *, actor=None, reason: Any = "") -> None:
    """The seller has reserved the units: fix prices and shares, and ask for payment."""
    now = timezone.now()
    for line in lines:
        line.seller_agent = seller.agent
        line.seller_level_price = seller.prices.get(line.sku_id) if seller.agent else None
        line.source = LineSource.SELLER_STOCK if seller.agent else LineSource.HQ_STOCK
    OrderLine.objects.bulk_update(lines, ["seller_agent", "seller_level_price", "source"])
    OrderShare.objects.filter(order=order).delete()
    OrderShare.objects.bulk_create(_restock_shares(order, lines, buyer, seller, passed))
    order.seller_agent = seller.agent
    Order.objects.filter(pk=order.pk).update(seller_agent=seller.agent)
    due = now + timedelta(minutes=conf.restock_payment_timeout_minutes())
    if order.status == OrderStatus.AWAITING_STOCK:
        transition(order, OrderStatus.PENDING, actor=actor, reason=reason or _("The seller has the stock."),
                   payment_due_at=due, wait_until=None)
    else:
        Order.objects.filter(pk=order.pk).update(payment_due_at=due, wait_until=None)
        order.payment_due_at = due


def _passed_info(candidates: list[Candidate], step: int) -> list[dict]:
    return [{"agent_id": c.agent.pk, "name": c.agent.name} for c in candidates[:step] if c.agent is not None]


def _route(order: Order, lines: list[OrderLine], buyer: Agent, candidates: list[Candidate], step: int,
           now: datetime, *, pass_expired: bool) -> None:
    """Try the candidate at `step`; pass up while the brand says so (wait 0 or deadline
    passed). Leaves the order pending (reserved) or awaiting a restock."""
    wait = conf.restock_wait_hours()
    qty = [(line.sku_id, line.quantity) for line in lines]
    step = min(step, len(candidates) - 1)
    while True:
        cand = candidates[step]
        if stock.try_reserve(cand.agent_id, qty):
            Order.objects.filter(pk=order.pk).update(route_step=step, passed_over=_passed_info(candidates, step))
            order.route_step, order.passed_over = step, _passed_info(candidates, step)
            _assign_seller(order, lines, buyer, cand, candidates[:step])
            return
        is_last = step == len(candidates) - 1
        if not is_last and (wait <= 0 or pass_expired):
            step += 1
            pass_expired = False
            continue
        # Ask this candidate to restock (补货) and wait; HQ waits without a deadline.
        deadline = None if is_last else now + timedelta(hours=wait)
        seller = cand.agent
        Order.objects.filter(pk=order.pk).update(route_step=step, wait_until=deadline, seller_agent=seller,
                                                 passed_over=_passed_info(candidates, step))
        order.route_step, order.wait_until, order.seller_agent = step, deadline, seller
        order.passed_over = _passed_info(candidates, step)
        return


@transaction.atomic
def create_restock(*, user, lines, note: str = "") -> Order:
    buyer = _trading_agent(user)
    lines = _clean_lines(lines)
    skus = _load_skus(lines)
    own, candidates = supply_candidates(buyer, [s for s, _q in lines])
    currency = skus[lines[0][0]].currency
    if currency != buyer.level.currency:  # volume is kept in one currency per brand (docs/decisions.md)
        raise DomainError(_("These items are sold in %(got)s; your level's purchases are counted in %(want)s. "
                            "Ask HQ.") % {"got": currency, "want": buyer.level.currency}, code="currency_mismatch")
    now = timezone.now()
    total = sum((own[s] * q for s, q in lines), Decimal(0))
    # Route before writing the order, so it is written once in its final state.
    wait = conf.restock_wait_hours()
    step = 0
    while True:
        if stock.try_reserve(candidates[step].agent_id, lines):
            filled = True
            break
        if step < len(candidates) - 1 and wait <= 0:
            step += 1
            continue
        filled = False
        break
    seller = candidates[step]
    is_last = step == len(candidates) - 1
    passed = _passed_info(candidates, step)
    fields = {"status": OrderStatus.PENDING, "payment_due_at": now + timedelta(
        minutes=conf.restock_payment_timeout_minutes())} if filled else {
        "status": OrderStatus.AWAITING_STOCK, "wait_until": None if is_last else now + timedelta(hours=wait)}
    order = _create_order(kind=OrderKind.RESTOCK, buyer=user, buyer_agent=buyer, seller_agent=seller.agent,
                          currency=currency, goods_total=total, total=total, note=note[:200], created_at=now,
                          route_step=step, passed_over=passed, **fields)
    order_lines = OrderLine.objects.bulk_create([
        OrderLine(order=order, sku_id=s, quantity=q, unit_price=own[s], amount=own[s] * q, buyer_level_price=own[s],
                  seller_agent=seller.agent, seller_level_price=seller.prices.get(s) if seller.agent else None,
                  source=LineSource.SELLER_STOCK if seller.agent else LineSource.HQ_STOCK) for s, q in lines])
    if filled:
        if not all(line.pk for line in order_lines):  # SQLite before 3.35 returns no ids
            order_lines = list(order.lines.all())
        OrderShare.objects.bulk_create(_restock_shares(order, order_lines, buyer, seller, candidates[:step]))
        _event(order, "", OrderStatus.PENDING, user, history.note(_("Restock ordered; %(who)s has the stock."),
                                                            who=seller_name(order)))
    else:
        _event(order, "", OrderStatus.AWAITING_STOCK, user,
               history.note(_("Restock ordered; asked %(who)s to restock."), who=seller_name(order)))
    return order


def advance_waiting(order_id: int, now: datetime | None = None) -> str:
    """Re-route one waiting restock: fill it if its seller now has the stock, else pass
    it up when the wait has run out. Returns the resulting status."""
    now = now or timezone.now()
    with transaction.atomic():
        order = _lock(order_id)
        if order.status != OrderStatus.AWAITING_STOCK:
            return order.status
        buyer = Agent.objects.select_related("level").get(pk=int(order.buyer_agent_id or 0))
        lines = list(order.lines.all())
        _own, candidates = supply_candidates(buyer, [line.sku_id for line in lines])
        # The tree may have changed: find the current seller in the new candidate list.
        ids = [c.agent_id for c in candidates]
        step = ids.index(order.seller_agent_id) if order.seller_agent_id in ids else min(order.route_step,
                                                                                          len(candidates) - 1)
        expired = order.wait_until is not None and order.wait_until <= now
        before = order.seller_agent_id
        _route(order, lines, buyer, candidates, step, now, pass_expired=expired)
        if order.status == OrderStatus.AWAITING_STOCK and order.seller_agent_id != before:
            _event(order, OrderStatus.AWAITING_STOCK, OrderStatus.AWAITING_STOCK, None,
                   history.note(_("Passed up to %(who)s."), who=seller_name(order)))
        return order.status


def pass_up_now(order: Order, *, actor) -> str:
    """The asked upline declines to restock: pass the order up at once."""
    with transaction.atomic():
        locked = _lock(order.pk)
        if locked.status != OrderStatus.AWAITING_STOCK or locked.wait_until is None:
            raise IllegalTransition(_("This order is not waiting for your restock."))
        if actor is None or getattr(getattr(actor, "agent", None), "pk", None) != locked.seller_agent_id:
            raise PermissionDenied()
        Order.objects.filter(pk=locked.pk).update(wait_until=timezone.now())
        return advance_waiting(locked.pk)


def route_waiting(now: datetime | None = None) -> dict[str, int]:
    """Periodic job: every waiting restock is re-tried; expired waits pass up."""
    now = now or timezone.now()
    counts = {"filled": 0, "passed": 0, "waiting": 0}
    for order_id, seller in Order.objects.filter(status=OrderStatus.AWAITING_STOCK).order_by("id") \
            .values_list("pk", "seller_agent_id"):
        status = advance_waiting(order_id, now)
        if status == OrderStatus.PENDING:
            counts["filled"] += 1
        else:
            counts["waiting"] += 1
            if Order.objects.filter(pk=order_id).exclude(seller_agent_id=seller).exists():
                counts["passed"] += 1
    return counts


def retry_waiting_for(agent_id: int | None) -> int:
    """After a seller's stock grew, fill its waiting restocks (oldest first)."""
    filled = 0
    for order_id in Order.objects.filter(status=OrderStatus.AWAITING_STOCK, seller_agent_id=agent_id) \
            .order_by("id").values_list("pk", flat=True)[:50]:
        if advance_waiting(order_id) == OrderStatus.PENDING:
            filled += 1
    return filled


# --- consumer orders ---------------------------------------------------------------------

def shop_prices(agent: Agent, skus) -> dict[int, Decimal]:
    """The price every consumer of this shop pays now: the agent's shop price, else retail."""
    ids = [s.pk for s in skus]
    own = dict(ShopPrice.objects.filter(agent=agent, sku_id__in=ids).values_list("sku_id", "price"))
    return {s.pk: own.get(s.pk, s.retail_price) for s in skus}


def set_shop_price(*, agent: Agent, sku: SKU, price) -> ShopPrice | None:
    if not agent.can_trade:
        raise DomainError(_("Your agent account is frozen or expired; you cannot trade now."),
                          code="agent_not_active", status=403)
    if price in (None, ""):
        ShopPrice.objects.filter(agent=agent, sku=sku).delete()
        return None
    try:
        value = parse_amount(price, sku.currency)
    except MoneyError as exc:
        raise DomainError(str(exc), code="invalid_price", fields={"price": [str(exc)]})
    if not sku.floor_price <= value <= sku.ceiling_price:
        msg = _("The price must be between %(floor)s and %(ceiling)s.") % {
            "floor": sku.money(sku.floor_price), "ceiling": sku.money(sku.ceiling_price)}
        raise DomainError(msg, code="price_out_of_range", fields={"price": [msg]})
    obj, _created = ShopPrice.objects.update_or_create(agent=agent, sku=sku, defaults={"price": value})
    return obj


def validate_address(province_code, city_code, district_code, name, phone, detail) -> dict:
    from weishang.accounts.phones import normalize_phone
    from weishang.regions import divisions

    fields: dict[str, list] = {}
    region = None
    try:
        region = divisions.validate(province_code, city_code, district_code)
    except ValidationError as exc:
        fields["region"] = list(exc.messages)
    if not (name or "").strip():
        fields["name"] = [_("Enter the recipient's name.")]
    try:
        phone = normalize_phone(phone or "")
    except ValidationError as exc:
        fields["phone"] = list(exc.messages)
    if not (detail or "").strip():
        fields["detail"] = [_("Enter the street address.")]
    if fields or region is None:
        raise DomainError(next(iter(fields.values()))[0], code="invalid_address", fields=fields)
    return {"ship_name": name.strip()[:60], "ship_phone": phone, "province_code": region.province,
            "city_code": region.city or "", "district_code": region.district or "",
            "address_text": region.full_name[:120], "address_detail": detail.strip()[:200]}


_TEMPLATES: dict[str, tuple[float, object]] = {}
TEMPLATE_CACHE_SECONDS = 10.0


def clear_fee_template_cache(**_kwargs) -> None:
    _TEMPLATES.clear()


def _active_template(currency: str):
    """The active fee template of a currency with its rules, cached in this process for a
    few seconds (cleared at once when a template or rule is saved here): the hot path of
    every consumer order and pick-up reads it."""
    import time

    now = time.monotonic()
    hit = _TEMPLATES.get(currency)
    if hit is not None and hit[0] > now:
        return hit[1]
    template = next(iter(FeeTemplate.objects.filter(currency=currency, is_active=True).order_by("-id")[:1]), None)
    value = None
    if template is not None:
        rules = [fees.Rule(r.province_code, r.city_code, r.first_fee, r.extra_fee) for r in template.rules.all()]
        value = (template.first_fee, template.extra_fee, template.free_over, rules)
    _TEMPLATES[currency] = (now + TEMPLATE_CACHE_SECONDS, value)
    return value


def shipping_fee_for(currency: str, province_code: str, city_code: str, units: int, goods_total: Decimal) -> Decimal:
    template = _active_template(currency)
    if template is None:
        return Decimal("0.00")
    first_fee, extra_fee, free_over, rules = template
    return fees.shipping_fee(first_fee=first_fee, extra_fee=extra_fee, free_over=free_over, rules=rules,
                             province_code=province_code, city_code=city_code, units=units, goods_total=goods_total)


@transaction.atomic
def create_consumer_order(*, user, shop_agent_id: int, lines, address: dict, note: str = "",
                          shared_by_id: int | None = None, non_returnable_confirmed: bool = False) -> Order:
    """A consumer's order in an agent's shop. `shared_by_id`: the agent whose verified share
    link brought the consumer (weishang.orders.sharing); recorded only when it may earn.
    An item marked not returnable is sold only once the buyer confirmed it knows."""
    if not user.is_authenticated:
        raise PermissionDenied(_("Please log in first."))
    agent = Agent.objects.filter(pk=shop_agent_id).only(
        "pk", "name", "level_id", "status", "first_purchase_required", "first_purchase_done_at").order_by().first()
    if agent is None:
        raise NotFound(_("This shop does not exist."))
    if not agent.can_trade:
        raise DomainError(_("This shop is closed for now."), code="agent_not_active", status=403)
    if agent.first_purchase_pending:
        raise DomainError(_("This shop is not taking orders yet: it opens once the agent has made its first "
                            "stock purchase."), code="first_purchase_pending", status=409)
    lines = _clean_lines(lines)
    skus = _load_skus(lines)
    ship = validate_address(address.get("province_code"), address.get("city_code"), address.get("district_code"),
                            address.get("name"), address.get("phone"), address.get("detail"))
    sku_list = [skus[s] for s, _q in lines]
    if not non_returnable_confirmed and any(s.non_returnable for s in sku_list):
        msg = _("Some items cannot be returned once delivered (except when defective): confirm you accept this.")
        raise DomainError(msg, code="non_returnable_not_confirmed", fields={"non_returnable_ok": [msg]})
    # The shop agent's level price and its own shop price (if any), in one query.
    own_price = ShopPrice.objects.filter(agent_id=agent.pk, sku_id=OuterRef("sku_id")).values("price")[:1]
    level_prices, shop_own = {}, {}
    for sku_id, price, shop_price in (LevelPrice.objects.filter(level_id=agent.level_id,
                                                                sku_id__in=[s.pk for s in sku_list])
                                      .annotate(shop=Subquery(own_price)).values_list("sku_id", "price", "shop")):
        level_prices[sku_id] = price
        if shop_price is not None:
            shop_own[sku_id] = shop_price
    prices = {s.pk: shop_own.get(s.pk, s.retail_price) for s in sku_list}
    costs = dict(DropShipCost.objects.filter(sku_id__in=[s.pk for s in sku_list if s.drop_shipped])
                 .values_list("sku_id", "cost")) if any(s.drop_shipped for s in sku_list) else {}
    fields: dict[str, list] = {}
    for sku in sku_list:
        price = prices[sku.pk]
        if not sku.floor_price <= price <= sku.ceiling_price:
            fields[f"sku_{sku.pk}"] = [_("This item's price is outside the brand's allowed range.")]
        if sku.pk not in level_prices:
            fields[f"sku_{sku.pk}"] = [_("This shop cannot sell this item yet.")]
    if fields:
        raise DomainError(next(iter(fields.values()))[0], code="invalid_item", fields=fields)
    currency = sku_list[0].currency
    # Reserve: cloud stock of the shop agent; drop-shipped SKUs use its stock when it has it.
    from_stock: set[int] = set()
    for sku_id, qty in lines:
        sku = skus[sku_id]
        if sku.drop_shipped:
            if stock.try_reserve(agent.pk, [(sku_id, qty)]):
                from_stock.add(sku_id)
        else:
            stock.reserve(agent.pk, [(sku_id, qty)])
            from_stock.add(sku_id)
    goods = sum((prices[s] * q for s, q in lines), Decimal(0))
    units = sum(q for _s, q in lines)
    fee = shipping_fee_for(currency, ship["province_code"], ship["city_code"], units, goods)
    now = timezone.now()
    from .sharing import eligible_sharer

    order = _create_order(kind=OrderKind.CONSUMER, status=OrderStatus.PENDING, buyer=user, seller_agent=agent,
                          shared_by_id=eligible_sharer(shared_by_id, agent.pk), currency=currency, goods_total=goods, shipping_fee=fee, total=goods + fee,
                          payment_due_at=now + timedelta(minutes=conf.payment_timeout_minutes()),
                          note=note[:200], created_at=now, **ship)
    objs = []
    for sku_id, qty in lines:
        sku = skus[sku_id]
        objs.append(OrderLine(order=order, sku=sku, quantity=qty, unit_price=prices[sku_id],
                              amount=prices[sku_id] * qty, seller_agent=agent, buyer_level_price=level_prices[sku_id],
                              seller_level_price=level_prices[sku_id],
                              source=LineSource.SUPPLIER if sku.drop_shipped else LineSource.SELLER_STOCK,
                              supplier_id=sku.supplier_id if sku.drop_shipped else None))
    objs = OrderLine.objects.bulk_create(objs)
    if not all(o.pk for o in objs):
        objs = list(order.lines.all())
    shares = []
    for line in objs:
        sku = skus[line.sku_id]
        if line.sku_id in from_stock:
            shares.append(OrderShare(order=order, line=line, role=ShareRole.SELLER_PROCEEDS, agent=agent,
                                     amount=line.amount))
            if sku.drop_shipped:
                cost = costs.get(sku.pk, Decimal(0)) * line.quantity
                if cost:
                    shares.append(OrderShare(order=order, line=line, role=ShareRole.SUPPLIER_COST,
                                             supplier_id=sku.supplier_id, amount=cost))
                    shares.append(OrderShare(order=order, line=line, role=ShareRole.HQ_REVENUE, is_hq=True,
                                             amount=-cost))
        else:
            level_total = level_prices[sku.pk] * line.quantity
            cost = min(costs.get(sku.pk, Decimal(0)) * line.quantity, level_total)
            shares.append(OrderShare(order=order, line=line, role=ShareRole.SHOP_MARGIN, agent=agent,
                                     amount=line.amount - level_total))
            if cost:
                shares.append(OrderShare(order=order, line=line, role=ShareRole.SUPPLIER_COST,
                                         supplier_id=sku.supplier_id, amount=cost))
            shares.append(OrderShare(order=order, line=line, role=ShareRole.HQ_REVENUE, is_hq=True,
                                     amount=level_total - cost))
    if fee:
        shares.append(OrderShare(order=order, role=ShareRole.HQ_REVENUE, is_hq=True, amount=fee))
    OrderShare.objects.bulk_create(shares)
    _event(order, "", OrderStatus.PENDING, user, history.note(_("Ordered in the shop of %(who)s."), who=agent.name))
    return order


# --- pick-up (提货) ------------------------------------------------------------------------

@transaction.atomic
def create_pickup(*, user, lines, address: dict, note: str = "") -> Order:
    agent = _trading_agent(user)
    lines = _clean_lines(lines)
    skus = _load_skus(lines)
    ship = validate_address(address.get("province_code"), address.get("city_code"), address.get("district_code"),
                            address.get("name"), address.get("phone"), address.get("detail"))
    stock.reserve(agent.pk, lines)
    currency = skus[lines[0][0]].currency
    level_prices = dict(LevelPrice.objects.filter(level_id=agent.level_id, sku_id__in=[s for s, _q in lines])
                        .values_list("sku_id", "price"))
    value = sum((level_prices.get(s, skus[s].retail_price) * q for s, q in lines), Decimal(0))
    fee = shipping_fee_for(currency, ship["province_code"], ship["city_code"], sum(q for _s, q in lines), value)
    now = timezone.now()
    order = _create_order(kind=OrderKind.PICKUP, status=OrderStatus.PENDING, buyer=user, buyer_agent=agent,
                          currency=currency, goods_total=Decimal(0), shipping_fee=fee, total=fee, note=note[:200],
                          payment_due_at=now + timedelta(minutes=conf.restock_payment_timeout_minutes()),
                          created_at=now, **ship)
    OrderLine.objects.bulk_create([
        OrderLine(order=order, sku_id=s, quantity=q, unit_price=Decimal(0), amount=Decimal(0),
                  seller_agent=agent, source=LineSource.SELLER_STOCK) for s, q in lines])
    if fee:
        OrderShare.objects.create(order=order, role=ShareRole.HQ_REVENUE, is_hq=True, amount=fee)
    _event(order, "", OrderStatus.PENDING, user, _("Pick-up requested."))
    if not fee:
        order = mark_paid(order, payment=None, actor=None, reason=_("No shipping fee to pay."))
    return order


# --- payment, cancellation, shipping, receipt ---------------------------------------------

def _reserved_lines(order: Order) -> list[tuple[int, int, int | None]]:
    """(sku, qty, owner agent id) for every line whose units are reserved for this order."""
    out = []
    if order.kind == OrderKind.CONSUMER:
        drop_from_stock = {sh.line_id for sh in order.shares.all() if sh.role == ShareRole.SELLER_PROCEEDS}
        for line in order.lines.all():
            if line.source == LineSource.SELLER_STOCK or line.pk in drop_from_stock:
                out.append((line.sku_id, line.quantity, order.seller_agent_id))
    elif order.kind == OrderKind.PICKUP:
        out = [(line.sku_id, line.quantity, order.buyer_agent_id) for line in order.lines.all()]
    elif order.kind == OrderKind.RESTOCK and order.status == OrderStatus.PENDING:
        out = [(line.sku_id, line.quantity, order.seller_agent_id) for line in order.lines.all()]
    return out


def mark_paid(order: Order, *, payment, actor, reason: Any = "") -> Order:
    """Called by payments once the money is in clearing (same transaction): take the
    reserved units, record the movement, and send order_paid."""
    now = timezone.now()
    with transaction.atomic():
        order = _lock(order.pk)
        reserved = _reserved_lines(order)
        transition(order, OrderStatus.PAID, actor=actor, reason=reason or _("Payment received."), paid_at=now)
        ref = {"ref_type": "order", "ref_id": order.no, "user": actor}
        if order.kind == OrderKind.RESTOCK:
            lines = [(s, q) for s, q, _o in reserved]
            stock.transfer(order.seller_agent_id, order.buyer_agent_id, lines, **ref)
        else:
            kind = MovementKind.PICKUP_OUT if order.kind == OrderKind.PICKUP else MovementKind.SALE_OUT
            by_owner: dict[int | None, list] = {}
            for s, q, owner in reserved:
                by_owner.setdefault(owner, []).append((s, -q))
            for owner, lines in by_owner.items():
                stock.move(owner, lines, kind=kind, from_reserved=True, **ref)
        signals.order_paid.send(sender=Order, order=order, payment=payment)
        if order.kind == OrderKind.RESTOCK:
            _record_volume(order, now)
            transition(order, OrderStatus.RECEIVED, actor=None, reason=_("Units credited to cloud stock."),
                       received_at=now)
            signals.order_received.send(sender=Order, order=order)
            retry_waiting_for(order.buyer_agent_id)
        return order


def _record_volume(order: Order, at: datetime) -> None:
    """A paid restock counts toward the buyer's upgrades (and its uplines' team totals)."""
    from weishang.agents.services import record_purchase_volume

    buyer = order.buyer_agent
    if buyer is not None:
        record_purchase_volume(buyer, order.goods_total, at, currency=order.currency)


def cancel(order: Order, *, actor, reason: Any = "", system: bool = False) -> Order:
    with transaction.atomic():
        order = _lock(order.pk)
        if not system:
            if actor is None or actor.pk != order.buyer_id:
                raise PermissionDenied(_("Only the buyer can cancel this order."))
            if order.status not in (OrderStatus.PENDING, OrderStatus.AWAITING_STOCK):
                raise IllegalTransition(_("Only an unpaid order can be cancelled."))
        reserved = _reserved_lines(order) if order.status == OrderStatus.PENDING else []
        transition(order, OrderStatus.CANCELLED, actor=actor, reason=reason or _("Cancelled by the buyer."),
                   cancelled_at=timezone.now())
        by_owner: dict[int | None, list] = {}
        for s, q, owner in reserved:
            by_owner.setdefault(owner, []).append((s, q))
        for owner, lines in by_owner.items():
            stock.release(owner, lines)
        from weishang.payments.models import Payment, PaymentStatus

        Payment.objects.filter(order=order, status=PaymentStatus.SUBMITTED).update(
            status=PaymentStatus.REJECTED, reject_reason=str(_("Order cancelled."))[:200], decided_at=timezone.now())
        signals.order_cancelled.send(sender=Order, order=order, was_paid=False)
        return order


def expire_unpaid(now: datetime | None = None) -> int:
    """Periodic job: cancel orders whose payment time ran out, releasing their stock. An
    order with an offline payment waiting for confirmation is left for the payee."""
    from weishang.payments.models import PaymentStatus

    now = now or timezone.now()
    ids = list(Order.objects.filter(status=OrderStatus.PENDING, payment_due_at__lte=now)
               .exclude(payments__status=PaymentStatus.SUBMITTED).values_list("pk", flat=True)[:500])
    done = 0
    for order_id in ids:
        try:
            cancel(Order(pk=order_id), actor=None, reason=_("Payment time ran out."), system=True)
            done += 1
        except IllegalTransition:
            continue
    return done


def can_ship(user, order: Order, line: OrderLine) -> bool:
    if line.source == LineSource.SUPPLIER:
        return user.supplier_id is not None and user.supplier_id == line.supplier_id
    return hq_can(user, "orders.ship_order")


def pack(order: Order, *, actor) -> Order:
    check_hq(actor, "orders.ship_order")
    with transaction.atomic():
        order = _lock(order.pk)
        if order.status != OrderStatus.PAID:
            raise IllegalTransition(_("Only a paid order waiting for shipment can be packed."))
        order.packed_at = timezone.now()
        Order.objects.filter(pk=order.pk).update(packed_at=order.packed_at)
        _event(order, order.status, order.status, actor, _("Packed."))
        return order


def ship(order: Order, *, actor, carrier: str, tracking_no: str, quantities: dict[int, int] | None = None) -> Shipment:
    """Record one shipment (a parcel) of some or all remaining units the actor may ship:
    HQ warehouse staff for stock lines, a supplier for its own drop-ship lines."""
    carrier, tracking_no = (carrier or "").strip(), (tracking_no or "").strip()
    fields: dict[str, list] = {}
    if not carrier:
        fields["carrier"] = [_("Enter the carrier.")]
    if not tracking_no:
        fields["tracking_no"] = [_("Enter the tracking number.")]
    if fields:
        raise DomainError(_("Please correct the errors below."), code="invalid_shipment", fields=fields)
    with transaction.atomic():
        order = _lock(order.pk)
        if order.status not in (OrderStatus.PAID, OrderStatus.SHIPPED):
            raise IllegalTransition(_("Only a paid order can be shipped."))
        lines = [line for line in order.lines.all() if can_ship(actor, order, line)]
        if not lines:
            raise PermissionDenied(_("You cannot ship any item of this order."))
        plan = []
        for line in lines:
            left = line.to_ship
            want = left if quantities is None else int(quantities.get(line.pk, 0))
            if want < 0 or want > left:
                raise DomainError(_("You cannot ship more than is left to ship."), code="invalid_shipment",
                                  fields={f"line_{line.pk}": [_("At most %(n)d.") % {"n": left}]})
            if want:
                plan.append((line, want))
        if not plan:
            raise DomainError(_("Nothing left to ship."), code="nothing_to_ship")
        if Shipment.objects.filter(order=order, tracking_no=tracking_no).exists():
            raise Conflict(_("This tracking number is already recorded for this order."), code="duplicate_tracking")
        shipment = Shipment.objects.create(order=order, carrier=carrier[:40], tracking_no=tracking_no[:40],
                                           supplier_id=actor.supplier_id if not actor.is_staff else None,
                                           created_by=actor)
        ShipmentLine.objects.bulk_create([ShipmentLine(shipment=shipment, line=line, quantity=q) for line, q in plan])
        for line, q in plan:
            OrderLine.objects.filter(pk=line.pk).update(shipped_quantity=F("shipped_quantity") + q)
        now = timezone.now()
        transition(order, OrderStatus.SHIPPED, actor=actor,
                   reason=history.note(_("Shipped by %(carrier)s, tracking %(no)s."), carrier=carrier, no=tracking_no),
                   shipped_at=now)
        return shipment


def fully_shipped(order: Order) -> bool:
    """Every unit is shipped or refunded."""
    return not order.lines.filter(shipped_quantity__lt=F("quantity") - F("refunded_quantity")).exists()


def confirm_received(order: Order, *, actor, reason: Any = "", system: bool = False) -> Order:
    with transaction.atomic():
        order = _lock(order.pk)
        if not system and (actor is None or actor.pk != order.buyer_id):
            raise PermissionDenied(_("Only the buyer can confirm receipt."))
        if order.status == OrderStatus.SHIPPED and not fully_shipped(order):
            raise IllegalTransition(_("Part of this order has not been shipped yet."))
        transition(order, OrderStatus.RECEIVED, actor=actor, reason=reason or _("Received by the buyer."),
                   received_at=timezone.now())
        signals.order_received.send(sender=Order, order=order)
        return order


def auto_receive(now: datetime | None = None) -> int:
    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.auto_receive_days())
    ids = Order.objects.filter(status=OrderStatus.SHIPPED, shipped_at__lte=cutoff) \
        .exclude(lines__shipped_quantity__lt=F("lines__quantity") - F("lines__refunded_quantity")) \
        .values_list("pk", flat=True)[:500]
    done = 0
    for order_id in list(ids):
        try:
            confirm_received(Order(pk=order_id), actor=None, system=True,
                             reason=history.note(_("Received automatically %(n)d days after shipping."),
                                         n=conf.auto_receive_days()))
            done += 1
        except IllegalTransition:
            continue
    return done


def complete_due(now: datetime | None = None) -> int:
    """Received orders whose return window closed become completed; one with a refund
    request still open (waiting for a decision, or goods on their way back) waits for it."""
    from .models import OPEN_REFUND_REQUEST

    now = now or timezone.now()
    cutoff = now - timedelta(days=conf.return_window_days())
    done = 0
    for order_id in list(Order.objects.filter(status=OrderStatus.RECEIVED, received_at__lte=cutoff)
                         .exclude(refund_requests__status__in=OPEN_REFUND_REQUEST)
                         .values_list("pk", flat=True)[:500]):
        with transaction.atomic():
            order = _lock(order_id)
            if order.status != OrderStatus.RECEIVED or order.refund_requests.filter(
                    status__in=OPEN_REFUND_REQUEST).exists():
                continue
            transition(order, OrderStatus.COMPLETED, reason=_("Return window closed."), completed_at=now)
            signals.order_completed.send(sender=Order, order=order)
            done += 1
    return done


__all__ = ["IllegalTransition", "cancel", "complete_due", "confirm_received", "create_consumer_order",
           "create_pickup", "create_restock", "expire_unpaid", "mark_paid", "pack", "route_waiting", "ship",
           "transition"]


def import_tracking(*, user, rows: list[tuple[int, str, str, str]]) -> tuple[int, list[str]]:
    """Supplier Excel import: ship each listed order's remaining lines of this supplier.
    Each row is its own transaction; returns (shipped count, per-row error messages)."""
    done, errors = 0, []
    for row_no, order_no, carrier, tracking in rows:
        order = Order.objects.filter(no=order_no, lines__supplier_id=user.supplier_id).distinct().first() \
            if user.supplier_id else None
        if order is None:
            errors.append(_("Row %(r)d: order %(no)s not found.") % {"r": row_no, "no": order_no})
            continue
        if order.shipments.filter(tracking_no=tracking).exists():
            continue  # the same file imported twice: already recorded
        try:
            ship(order, actor=user, carrier=carrier or "-", tracking_no=tracking)
            done += 1
        except DomainError as exc:
            errors.append(_("Row %(r)d: %(msg)s") % {"r": row_no, "msg": exc.message})
    return done, errors


# --- address book (收货地址) -------------------------------------------------------------------

MAX_ADDRESSES = 20


def _address_fields(address: dict) -> dict:
    ship = validate_address(address.get("province_code"), address.get("city_code"), address.get("district_code"),
                            address.get("name"), address.get("phone"), address.get("detail"))
    return {"name": ship["ship_name"], "phone": ship["ship_phone"], "province_code": ship["province_code"],
            "city_code": ship["city_code"], "district_code": ship["district_code"], "detail": ship["address_detail"]}


def _book(user):
    """The person's addresses, locked: default changes never race into two defaults."""
    from .models import Address

    if not getattr(user, "is_authenticated", False):
        raise PermissionDenied(_("Please log in first."))
    return list(Address.objects.select_for_update().filter(user=user).order_by("-id"))


def _own_address(book: list, address_id) -> Any:
    found = next((a for a in book if str(a.pk) == str(address_id)), None)
    if found is None:  # someone else's address answers like a missing one
        raise NotFound(_("This address does not exist."))
    return found


def _make_default(book: list, chosen) -> None:
    from .models import Address

    Address.objects.filter(pk__in=[a.pk for a in book if a.is_default and a.pk != chosen.pk]).update(is_default=False)
    if not chosen.is_default:
        chosen.is_default = True
        chosen.save(update_fields=["is_default"])


@transaction.atomic
def save_address(*, user, address: dict, address_id: int | None = None, make_default: bool = False):
    """Add an address to the book (address_id None) or change one. The first address is the
    default; `make_default` makes this one the default instead of the old one."""
    from .models import Address

    book = _book(user)
    fields = _address_fields(address)
    if address_id is None:
        if len(book) >= MAX_ADDRESSES:
            raise DomainError(_("The address book is full (at most %(n)d addresses): delete one first.")
                              % {"n": MAX_ADDRESSES}, code="address_book_full")
        saved = Address.objects.create(user=user, is_default=False, **fields)
        book.append(saved)
    else:
        saved = _own_address(book, address_id)
        for name, value in fields.items():
            setattr(saved, name, value)
        saved.save(update_fields=list(fields))
    if make_default or not any(a.is_default for a in book):
        _make_default(book, saved)
    return saved


@transaction.atomic
def set_default_address(*, user, address_id):
    book = _book(user)
    chosen = _own_address(book, address_id)
    _make_default(book, chosen)
    return chosen


@transaction.atomic
def delete_address(*, user, address_id) -> None:
    """Delete an address; if it was the default, the newest remaining one becomes it."""
    book = _book(user)
    gone = _own_address(book, address_id)
    gone.delete()
    rest = [a for a in book if a.pk != gone.pk]
    if gone.is_default and rest:
        _make_default(rest, rest[0])


@transaction.atomic
def remember_checkout_address(*, user, address: dict):
    """After a checkout with "save this address": the same address is not saved twice; a
    new one joins the book (the default if the book had none)."""
    from .models import Address

    fields = _address_fields(address)
    same = Address.objects.filter(user=user, **fields).first()
    if same is not None:
        return same
    if Address.objects.filter(user=user).count() >= MAX_ADDRESSES:
        return None  # a full book does not block the order that was just placed
    return save_address(user=user, address=address)
