"""The HQ dashboard's figures: today and this month (in the brand's time zone, TIME_ZONE,
whatever zone the viewer reads in, so every HQ member sees the same numbers), the daily
trend and sales by level and by province. Each figure is read only for a viewer whose HQ
permission covers it (CARD_PERMISSIONS), one grouped query per figure."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.db.models import Count, F, Q
from django.db.models.functions import TruncDate
from django.utils import timezone
from django.utils.translation import gettext as _

from weishang.accounts.roles import hq_can
from weishang.core.money import Money
from weishang.ledger.selectors import cents_sum, money_of
from weishang.regions import divisions

SALES = "analytics.view_sales"
# figure -> the HQ permission that lets a viewer see it
CARD_PERMISSIONS = {
    "sales": SALES, "orders": SALES, "trend": SALES, "by_level": SALES, "by_province": SALES,
    "new_agents": "agents.view_agent",
    "refunds": "orders.view_refundrequest",
    "scans": "codes.view_codebatch",
    "alerts": "codes.view_diversionalert",
    "owed": "earnings.view_any_statement",
}
TOP_PROVINCES = 15
SALES_KINDS = ("restock", "consumer")  # a pick-up only moves stock the agent already bought


def brand_zone() -> ZoneInfo:
    return ZoneInfo(settings.TIME_ZONE)


@dataclass(frozen=True)
class Periods:
    today: dt.datetime  # midnight today, brand time
    month: dt.datetime  # the 1st of this month, midnight, brand time
    end: dt.datetime  # midnight tomorrow
    days: tuple[dt.date, ...]  # the 1st of the month .. today

    @classmethod
    def at(cls, now: dt.datetime | None = None) -> Periods:
        zone = brand_zone()
        local = timezone.localtime(now or timezone.now(), zone)
        today = dt.datetime.combine(local.date(), dt.time(), tzinfo=zone)
        month = today.replace(day=1)
        days = tuple(month.date() + dt.timedelta(days=i) for i in range(local.day))
        return cls(today, month, today + dt.timedelta(days=1), days)


@dataclass
class TodayMonth:
    today: int = 0
    month: int = 0


@dataclass
class MoneyTodayMonth:
    today: list[Money] = field(default_factory=list)
    month: list[Money] = field(default_factory=list)


def sales_orders(start: dt.datetime, end: dt.datetime):
    """The orders counted as sales: paid in [start, end), of SALES_KINDS. Later refunds are
    counted apart (refunds())."""
    from weishang.orders.models import Order

    return Order.objects.filter(paid_at__gte=start, paid_at__lt=end, kind__in=SALES_KINDS)


def _by_currency(rows, key: str) -> list[Money]:
    """One amount per currency that has any; nothing at all reads as zero in the brand's currency."""
    found = [Money(money_of(r[key]), r["currency"]) for r in rows if r[key]]
    return found or [Money(Decimal(0), settings.DEFAULT_CURRENCY)]


def sales(p: Periods) -> tuple[MoneyTodayMonth, TodayMonth]:
    today = Q(paid_at__gte=p.today)
    rows = list(sales_orders(p.month, p.end).values("currency").annotate(
        month=cents_sum("total"), today=cents_sum("total", filter=today),
        n_month=Count("id"), n_today=Count("id", filter=today)).order_by("currency"))
    return (MoneyTodayMonth(_by_currency(rows, "today"), _by_currency(rows, "month")),
            TodayMonth(sum(r["n_today"] for r in rows), sum(r["n_month"] for r in rows)))


def trend(p: Periods) -> dict:
    """Sales and orders per day of this month, one sales series per currency."""
    rows = (sales_orders(p.month, p.end).annotate(day=TruncDate("paid_at", tzinfo=brand_zone()))
            .values("day", "currency").annotate(s=cents_sum("total"), n=Count("id")).order_by("day"))
    index = {d: i for i, d in enumerate(p.days)}
    amounts: dict[str, list[float]] = {}
    orders = [0] * len(p.days)
    for r in rows:
        i = index.get(r["day"])
        if i is None:
            continue
        amounts.setdefault(r["currency"], [0.0] * len(p.days))[i] = float(money_of(r["s"]))
        orders[i] += r["n"]
    return {"days": [d.strftime("%m-%d") for d in p.days], "orders": orders, "orders_label": _("Orders"),
            "series": [{"name": cur, "data": data} for cur, data in sorted(amounts.items())]}


def _grouped(names: list[str], values: dict[tuple[str, str], Decimal]) -> dict:
    currencies = sorted({cur for _n, cur in values})
    return {"names": names,
            "series": [{"name": cur, "data": [float(values.get((n, cur), 0)) for n in names]} for cur in currencies]}


def by_level(p: Periods) -> dict:
    """This month's sales by the buying agent's level; consumer orders as one group."""
    rows = (sales_orders(p.month, p.end)
            .values("buyer_agent__level__name", "buyer_agent__level__rank", "currency")
            .annotate(s=cents_sum("total")).order_by("buyer_agent__level__rank"))
    consumers = _("Consumers")
    values: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    names: list[str] = []
    for r in rows:
        name = r["buyer_agent__level__name"] or consumers
        if name not in names:
            names.append(name)
        values[(name, r["currency"])] += money_of(r["s"])
    # levels by rank (the top level first), consumers last
    names.sort(key=lambda n: n == consumers)
    return _grouped(names, values)


def by_province(p: Periods) -> dict:
    """This month's sales by the province of the shipping address (TOP_PROVINCES biggest)."""
    rows = (sales_orders(p.month, p.end).values("province_code", "currency")
            .annotate(s=cents_sum("total")).order_by())
    unknown = _("No address")
    values: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for r in rows:
        div = divisions.get(r["province_code"]) if r["province_code"] else None
        name = div.name if div else unknown
        values[(name, r["currency"])] += money_of(r["s"])
        totals[name] += money_of(r["s"])
    names = sorted(totals, key=lambda n: (-totals[n], n))[:TOP_PROVINCES]
    return _grouped(names, values)


def _counts(qs, at: str, p: Periods) -> TodayMonth:
    r = qs.filter(**{f"{at}__gte": p.month, f"{at}__lt": p.end}).aggregate(
        month=Count("id"), today=Count("id", filter=Q(**{f"{at}__gte": p.today})))
    return TodayMonth(r["today"], r["month"])


def new_agents(p: Periods) -> TodayMonth:
    from weishang.agents.models import Agent

    return _counts(Agent.objects.all(), "joined_at", p)


def refunds(p: Periods) -> tuple[TodayMonth, MoneyTodayMonth]:
    """Refund requests made, and money refunded (approved requests, by decision time)."""
    from weishang.orders.models import RefundRequest, RefundRequestStatus

    approved = Q(status=RefundRequestStatus.APPROVED, decided_at__gte=p.month, decided_at__lt=p.end)
    asked = Q(created_at__gte=p.month, created_at__lt=p.end)
    rows = list(RefundRequest.objects.filter(asked | approved).values(currency=F("order__currency")).annotate(
        n_month=Count("id", filter=asked), n_today=Count("id", filter=asked & Q(created_at__gte=p.today)),
        month=cents_sum("amount", filter=approved),
        today=cents_sum("amount", filter=approved & Q(decided_at__gte=p.today))).order_by("currency"))
    return (TodayMonth(sum(r["n_today"] for r in rows), sum(r["n_month"] for r in rows)),
            MoneyTodayMonth(_by_currency(rows, "today"), _by_currency(rows, "month")))


def scans(p: Periods) -> TodayMonth:
    from weishang.codes.models import ScanEvent

    return _counts(ScanEvent.objects.all(), "at", p)


def alerts(p: Periods) -> TodayMonth:
    from weishang.codes.models import DiversionAlert

    return _counts(DiversionAlert.objects.all(), "created_at", p)


def earnings_owed() -> list[Money]:
    """What agents are owed now: their pending plus available earnings, per currency."""
    from weishang.earnings.selectors import EARNING_KINDS
    from weishang.ledger.models import Account

    rows = (Account.objects.filter(kind__in=EARNING_KINDS, agent__isnull=False).values("currency")
            .annotate(s=cents_sum("balance")).order_by("currency"))
    return _by_currency(rows, "s")


def dashboard(user, now: dt.datetime | None = None) -> dict:
    """The figures `user` may see (absent keys: not theirs), with the periods they cover."""
    p = Periods.at(now)
    may = {name: hq_can(user, perm) for name, perm in CARD_PERMISSIONS.items()}
    out: dict = {"periods": p, "may": may}
    if may["sales"]:
        out["sales"], out["orders"] = sales(p)
        out["charts"] = {"trend": trend(p), "by_level": by_level(p), "by_province": by_province(p)}
    if may["new_agents"]:
        out["new_agents"] = new_agents(p)
    if may["refunds"]:
        out["refunds"], out["refunded"] = refunds(p)
    if may["scans"]:
        out["scans"] = scans(p)
    if may["alerts"]:
        out["alerts"] = alerts(p)
    if may["owed"]:
        out["owed"] = earnings_owed()
    return out
