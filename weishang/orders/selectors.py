"""Order reads. An agent sees orders it bought or sold; a consumer its own; a supplier
only orders with its drop-ship lines (and only those lines); HQ staff who may view orders everything."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from django.db.models import Exists, OuterRef, Prefetch, Q, QuerySet, Sum
from django.utils.translation import gettext_lazy as _

from weishang.accounts.roles import hq_can
from weishang.core.errors import NotFound

from .models import Order, OrderLine, OrderShare, OrderStatus


def _agent_id(user) -> int | None:
    agent = getattr(user, "agent", None) if user.is_authenticated else None
    return agent.pk if agent is not None else None


def visible_orders(user) -> QuerySet[Order]:
    if not user.is_authenticated:
        return Order.objects.none()
    if hq_can(user, "orders.view_order"):
        return Order.objects.all()
    cond = Q(buyer=user)
    agent_id = _agent_id(user)
    if agent_id:
        cond |= Q(seller_agent_id=agent_id)
    if user.supplier_id:
        cond |= Q(pk__in=OrderLine.objects.filter(supplier_id=user.supplier_id).values("order_id"))
    return Order.objects.filter(cond)


def with_details(qs: QuerySet[Order]) -> QuerySet[Order]:
    return qs.select_related("seller_agent", "buyer_agent", "buyer").prefetch_related(
        Prefetch("lines", queryset=OrderLine.objects.select_related("sku__product", "supplier")),
        "shipments__lines", "events", "payments", "refund_requests", "refunds")


def order_for(user, no: str) -> Order:
    order = with_details(visible_orders(user)).filter(no=no).first()
    if order is None:
        raise NotFound()
    return order


def with_payment_waiting(qs: QuerySet[Order]) -> QuerySet[Order]:
    """Annotate payment_waiting: an offline transfer is waiting for the payee (待确认收款)."""
    from weishang.payments.models import Payment, PaymentStatus

    return qs.annotate(payment_waiting=Exists(Payment.objects.filter(order=OuterRef("pk"),
                                                                     status=PaymentStatus.SUBMITTED)))


def bought(user) -> QuerySet[Order]:
    return with_payment_waiting(Order.objects.filter(buyer=user).select_related("seller_agent").order_by("-id"))


def sold(agent_id: int) -> QuerySet[Order]:
    return with_payment_waiting(Order.objects.filter(seller_agent_id=agent_id)
                                .select_related("buyer_agent", "buyer").order_by("-id"))


def restock_requests(agent_id: int) -> QuerySet[Order]:
    """补货 requests: restocks waiting for this agent to get stock."""
    return sold(agent_id).filter(status=OrderStatus.AWAITING_STOCK)


def supplier_lines(supplier_id: int) -> QuerySet[OrderLine]:
    return (OrderLine.objects.filter(supplier_id=supplier_id)
            .exclude(order__status__in=[OrderStatus.PENDING, OrderStatus.CANCELLED])
            .select_related("order", "sku__product").order_by("-order_id", "id"))


def pick_list() -> QuerySet[Order]:
    """Paid orders with units the HQ warehouse must ship (stock lines not fully shipped)."""
    return (Order.objects.filter(status__in=[OrderStatus.PAID, OrderStatus.SHIPPED],
                                 lines__source__in=["seller_stock", "hq_stock"])
            .exclude(kind="restock").distinct()
            .prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("sku__product")))
            .order_by("paid_at", "id"))


def share_check(order: Order) -> bool:
    """The per-beneficiary shares add up to what the buyer pays."""
    total = OrderShare.objects.filter(order=order).aggregate(s=Sum("amount"))["s"] or Decimal(0)
    return total == order.total


@dataclass(frozen=True)
class Shortage:
    sku_id: int
    name: str
    wanted: int
    available: int


@dataclass(frozen=True)
class SupplyCheck:
    """Whether the seller a restock would go to first can fill it now, and what happens if
    not. The order is filled all or nothing by one seller (services.create_restock)."""

    seller: str  # the nearest upline that may sell to the buyer, or HQ
    seller_is_hq: bool
    shortages: list[Shortage]
    wait_hours: float  # how long the seller has to restock before the order passes up
    next_seller: str  # who is asked after it ("" when the seller is HQ)

    @property
    def ok(self) -> bool:
        return not self.shortages


def restock_supply(buyer, lines: list[tuple[int, int]]) -> SupplyCheck | None:
    """Compare the quantities with the first seller's cloud stock (available: not promised
    to unpaid orders). None when there is nothing to check (no line, a SKU without a price
    for the buyer's level: the order form says why). At most four queries."""
    from weishang.catalog.models import SKU
    from weishang.core.errors import DomainError
    from weishang.inventory.models import Stock, owner_key

    from . import conf
    from .services import supply_candidates

    wanted: dict[int, int] = {}
    for sku_id, qty in lines:
        if qty > 0:
            wanted[sku_id] = wanted.get(sku_id, 0) + qty
    if not wanted:
        return None
    try:
        _own, candidates = supply_candidates(buyer, sorted(wanted))
    except DomainError:
        return None
    first = candidates[0]
    have = {s: q - r for s, q, r in Stock.objects.filter(owner=owner_key(first.agent_id), sku_id__in=wanted)
            .values_list("sku_id", "quantity", "reserved")}
    short = [(s, q, max(have.get(s, 0), 0)) for s, q in sorted(wanted.items()) if have.get(s, 0) < q]
    names = {s.pk: f"{s.product.name} {s.name}" for s in SKU.objects.filter(pk__in=[s for s, _q, _a in short])
             .select_related("product")} if short else {}
    hq = str(_("HQ"))
    nxt = candidates[1] if len(candidates) > 1 else None
    return SupplyCheck(seller=first.agent.name if first.agent else hq, seller_is_hq=first.agent is None,
                       shortages=[Shortage(s, names.get(s, str(s)), q, a) for s, q, a in short],
                       wait_hours=conf.restock_wait_hours(),
                       next_seller="" if nxt is None else (nxt.agent.name if nxt.agent else hq))


def address_book(user) -> list:
    """The person's saved addresses, default first."""
    from .models import Address

    if not user.is_authenticated:
        return []
    return list(Address.objects.filter(user=user).order_by("-is_default", "-id"))


# Consumer order tabs (订单状态): each tab is a group of statuses; 售后 is any order with an
# after-sales request or a refund.
CONSUMER_TABS: dict[str, tuple[str, ...]] = {
    "pending": (OrderStatus.PENDING, OrderStatus.AWAITING_STOCK),
    "to_ship": (OrderStatus.PAID,),
    "to_receive": (OrderStatus.SHIPPED,),
    "done": (OrderStatus.RECEIVED, OrderStatus.COMPLETED),
}


def order_tab_labels() -> list[tuple[str, object]]:
    from django.utils.translation import pgettext_lazy

    return [("pending", pgettext_lazy("order tab", "To pay")), ("to_ship", pgettext_lazy("order tab", "To ship")),
            ("to_receive", pgettext_lazy("order tab", "To receive")),
            ("done", pgettext_lazy("order tab", "Completed")),
            ("aftersales", pgettext_lazy("order tab", "After-sales"))]


def bought_in_tab(user, tab: str) -> QuerySet[Order]:
    from .models import RefundRequest

    qs = bought(user)
    if tab in CONSUMER_TABS:
        qs = qs.filter(status__in=CONSUMER_TABS[tab])
    elif tab == "aftersales":
        qs = qs.filter(Q(Exists(RefundRequest.objects.filter(order=OuterRef("pk")))) | Q(refunded_total__gt=0))
    return with_lines(qs)


def with_lines(qs: QuerySet[Order]) -> QuerySet[Order]:
    """Lines with their product, for a list that shows thumbnails and item names."""
    return qs.prefetch_related(Prefetch("lines", queryset=OrderLine.objects.select_related("sku__product")
                                        .order_by("pk")))


def tab_counts(user) -> dict[str, int]:
    """How many of the person's orders are in each tab (the numbers on 我的)."""
    from django.db.models import Count

    rows = dict(Order.objects.filter(buyer=user).values_list("status").annotate(n=Count("pk")).values_list(
        "status", "n"))
    from .models import RefundRequest

    counts = {tab: sum(rows.get(s, 0) for s in statuses) for tab, statuses in CONSUMER_TABS.items()}
    counts["aftersales"] = RefundRequest.objects.filter(order__buyer=user).values("order_id").distinct().count()
    return counts
