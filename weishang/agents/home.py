"""Reads for the agent home page (首页): today's and this month's figures and the next thing
to do. Each figure is one grouped query (conditional aggregates for today and the month
together), whatever the size of the agent's sales or team. "Today" and "this month" are
the agent's own calendar: its user's time zone, not the server's."""

from __future__ import annotations

import zoneinfo
from dataclasses import dataclass
from datetime import datetime, time
from decimal import Decimal

from django.conf import settings
from django.db.models import Count, DecimalField, ExpressionWrapper, F, Q, Sum
from django.db.models.functions import Coalesce
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import Promise
from django.utils.translation import gettext_lazy as _

from .models import Agent, subtree_q

ZERO = Decimal("0.00")
# A cloud-stock SKU with fewer units than this left (not promised to unpaid orders) is "low".
LOW_STOCK_UNITS = 5


@dataclass(frozen=True)
class Period:
    today: datetime  # start of the agent's today, aware
    month: datetime  # start of the agent's month, aware


def period_for(agent: Agent, now: datetime | None = None) -> Period:
    zone_name = getattr(agent.user, "time_zone", "") or settings.TIME_ZONE
    try:
        zone = zoneinfo.ZoneInfo(zone_name)
    except (zoneinfo.ZoneInfoNotFoundError, ValueError):
        zone = zoneinfo.ZoneInfo(settings.TIME_ZONE)
    local = (now or timezone.now()).astimezone(zone)
    today = datetime.combine(local.date(), time.min, tzinfo=zone)
    return Period(today=today, month=today.replace(day=1))


@dataclass(frozen=True)
class Figures:
    currency: str
    sales_today: Decimal
    sales_month: Decimal
    orders_today: int
    orders_month: int
    to_ship: int  # sold orders paid and waiting for shipment
    restock_requests: int  # restocks waiting for me to get stock (补货)
    earnings_pending: Decimal
    earnings_available: Decimal
    joins_today: int
    joins_month: int
    alerts_today: int
    alerts_month: int
    alerts_open: int


def sales(agent: Agent, p: Period) -> dict:
    """What I sold (paid, net of refunds) today and this month, and what waits on me. One query."""
    from weishang.orders.models import Order, OrderStatus

    net = ExpressionWrapper(F("total") - F("refunded_total"), output_field=DecimalField(max_digits=14,
                                                                                       decimal_places=2))
    sold = Q(paid_at__isnull=False) & ~Q(status=OrderStatus.CANCELLED)
    today, month = sold & Q(paid_at__gte=p.today), sold & Q(paid_at__gte=p.month)
    return (Order.objects.filter(seller_agent_id=agent.pk)
            .filter(Q(paid_at__gte=p.month) | Q(status__in=[OrderStatus.PAID, OrderStatus.AWAITING_STOCK]))
            .aggregate(sales_today=Coalesce(Sum(net, filter=today), ZERO),
                       sales_month=Coalesce(Sum(net, filter=month), ZERO),
                       orders_today=Count("pk", filter=today), orders_month=Count("pk", filter=month),
                       to_ship=Count("pk", filter=Q(status=OrderStatus.PAID)),
                       restock_requests=Count("pk", filter=Q(status=OrderStatus.AWAITING_STOCK))))


def earnings(agent: Agent, currency: str) -> dict:
    """Pending and available earnings balances. One query."""
    from weishang.ledger.models import Account, AccountKind

    bal = dict(Account.objects.filter(agent_id=agent.pk, currency=currency, kind__in=[
        AccountKind.AGENT_EARNINGS_PENDING, AccountKind.AGENT_EARNINGS_AVAILABLE]).values_list("kind", "balance"))
    return {"earnings_pending": bal.get(AccountKind.AGENT_EARNINGS_PENDING, ZERO),
            "earnings_available": bal.get(AccountKind.AGENT_EARNINGS_AVAILABLE, ZERO)}


def joins(agent: Agent, p: Period) -> dict:
    """Agents who joined my team (any depth) today and this month. One query."""
    return (Agent.objects.filter(subtree_q(agent.path), joined_at__gte=p.month).exclude(pk=agent.pk)
            .aggregate(joins_today=Count("pk", filter=Q(joined_at__gte=p.today)), joins_month=Count("pk")))


def alerts(agent: Agent, p: Period) -> dict:
    """Diversion alerts (窜货) on items I hold: new today, this month, still open. One query."""
    from weishang.codes.models import AlertStatus, DiversionAlert

    return (DiversionAlert.objects.filter(agent_id=agent.pk)
            .filter(Q(created_at__gte=p.month) | Q(status=AlertStatus.OPEN))
            .aggregate(alerts_today=Count("pk", filter=Q(created_at__gte=p.today)),
                       alerts_month=Count("pk", filter=Q(created_at__gte=p.month)),
                       alerts_open=Count("pk", filter=Q(status=AlertStatus.OPEN))))


def figures(agent: Agent, now: datetime | None = None) -> Figures:
    """Everything the home page counts: four queries."""
    p = period_for(agent, now)
    currency = getattr(agent.level, "currency", "") or settings.DEFAULT_CURRENCY
    return Figures(currency=currency, **sales(agent, p), **earnings(agent, currency), **joins(agent, p),
                   **alerts(agent, p))


@dataclass(frozen=True)
class Todo:
    count: int
    label: str | Promise
    url: str


def todos(agent: Agent, f: Figures) -> list[Todo]:
    """What waits for the agent, most urgent first (money before goods before team). Five
    counting queries, besides the figures already counted."""
    from weishang.inventory.models import Stock, owner_key
    from weishang.orders.models import RefundRequest, RefundRequestStatus
    from weishang.payments.models import Payment, PaymentStatus, TopUp
    from weishang.recruitment.selectors import waiting_for_agent

    # Offline transfers only: an online payment waits for its provider, not for the agent.
    payments = Payment.objects.filter(payee_agent_id=agent.pk, status=PaymentStatus.SUBMITTED, trade_no="").count()
    topups = TopUp.objects.filter(payee_agent_id=agent.pk, status=PaymentStatus.SUBMITTED).count()
    refund_requests = RefundRequest.objects.filter(status=RefundRequestStatus.REQUESTED,
                                                   order__seller_agent_id=agent.pk).count()
    applications = waiting_for_agent(agent).count()
    low = Stock.objects.filter(owner=owner_key(agent.pk), quantity__gt=0,
                               quantity__lt=F("reserved") + LOW_STOCK_UNITS).count()
    items = [
        Todo(payments + topups, _("Payments to confirm"), reverse("payments:home")),
        Todo(refund_requests, _("Refund requests to decide"), reverse("orders:refunds")),
        Todo(f.restock_requests, _("Restock requests waiting for your stock"), reverse("orders:list") + "?tab=requests"),
        Todo(f.to_ship, _("Paid orders waiting for shipment"), reverse("orders:list") + "?tab=sold"),
        Todo(applications, _("Applications waiting for you"), reverse("recruitment:inbox")),
        Todo(low, _("Products running low in your cloud stock"), reverse("inventory:mine")),
    ]
    return [t for t in items if t.count]
