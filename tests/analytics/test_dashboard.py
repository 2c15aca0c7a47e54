"""The HQ dashboard on the admin index: its figures from real orders, each role seeing only
the figures and HQ pages its permissions open, and the orders' Excel equal to the figures."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse
from openpyxl import load_workbook

from weishang.analytics import selectors
from weishang.core.money import Money

pytestmark = pytest.mark.django_db


def test_figures_from_real_orders(sales, django_assert_max_num_queries):
    t = sales["tree"]
    expected = sales["restock"].total + sum(o.total for o in sales["shop"])
    with django_assert_max_num_queries(12):
        d = selectors.dashboard(t.hq_user)
    assert d["sales"].today == [Money(expected, "CNY")] == d["sales"].month
    assert d["orders"].today == d["orders"].month == 3
    assert d["new_agents"].month == 3  # the tree's three agents
    # the restock was bought by the 二级 level; the shop orders by consumers
    level = d["charts"]["by_level"]
    assert level["names"] == [t.low.level.name, "Consumers"] or level["names"][-1] in ("消费者", "Consumers")
    values = dict(zip(level["names"], level["series"][0]["data"], strict=True))
    assert values[level["names"][0]] == float(sales["restock"].total)
    assert values[level["names"][-1]] == float(sum(o.total for o in sales["shop"]))
    province = d["charts"]["by_province"]
    assert "广东省" in province["names"]
    trend = d["charts"]["trend"]
    assert sum(trend["orders"]) == 3 and sum(trend["series"][0]["data"]) == float(expected)
    # earnings owed: pending + available on the agents' earnings accounts
    from weishang.earnings.selectors import EARNING_KINDS
    from weishang.ledger.models import Account
    owed = sum((a.balance for a in Account.objects.filter(kind__in=EARNING_KINDS)), Decimal(0))
    assert d["owed"] == [Money(owed.quantize(Decimal("0.01")), "CNY")]


def test_today_is_the_brand_day(sales, settings):
    """Figures follow TIME_ZONE (brand time): an order paid at 23:30 UTC is the next day in Shanghai."""
    import datetime as dt

    from weishang.orders.models import Order

    order = sales["restock"]
    paid = dt.datetime(2026, 3, 31, 23, 30, tzinfo=dt.UTC)  # 2026-04-01 07:30 in Asia/Shanghai
    Order.objects.filter(pk=order.pk).update(paid_at=paid)
    d = selectors.dashboard(sales["tree"].hq_user, now=dt.datetime(2026, 4, 1, 4, 0, tzinfo=dt.UTC))
    assert d["orders"].today == d["orders"].month == 1
    assert d["sales"].today == [Money(order.total, "CNY")]
    march = selectors.dashboard(sales["tree"].hq_user, now=dt.datetime(2026, 3, 31, 15, 0, tzinfo=dt.UTC))
    assert march["orders"].month == 0  # 23:00 on the 31st in Shanghai: the order is not paid yet


CARDS = {"card-sales", "card-orders", "card-agents", "card-refunds", "card-scans", "card-alerts", "card-owed"}
ROLE_CARDS = {
    "admin": CARDS,
    "operator": {"card-sales", "card-orders", "card-agents", "card-refunds", "card-scans", "card-alerts"},
    "finance": {"card-sales", "card-orders", "card-refunds", "card-owed", "card-agents"},  # view_agent
    "warehouse": {"card-refunds", "card-scans", "card-alerts"},
}


@pytest.mark.parametrize("role", ROLE_CARDS)
def test_each_role_sees_its_figures_and_pages(sales, factories, role):
    from weishang.accounts.roles import hq_can
    from weishang.analytics.admin_site import HQ_PAGES

    user = factories.staff(role)
    client = Client()
    client.force_login(user)
    page = client.get(reverse("admin:index"))
    assert page.status_code == 200
    html = page.content.decode()
    shown = {c for c in CARDS if f'id="{c}"' in html}
    assert shown == ROLE_CARDS[role]
    assert ('id="chart-trend"' in html) == ("card-sales" in shown)
    assert ("vendor/echarts/echarts.min.js" in html) == ("card-sales" in shown)
    # every HQ page linked is one the role may open, and each one it may open is linked
    for _label, name, query, perm in HQ_PAGES:
        url = reverse(name) + query
        assert (f'href="{url}"' in html.replace("&amp;", "&")) == (not perm or hq_can(user, perm)), (role, name)
        if perm and hq_can(user, perm):
            assert client.get(url).status_code == 200, (role, name)


def test_orders_excel_equals_the_dashboard(sales, factories):
    user = factories.staff("finance")
    client = Client()
    client.force_login(user)
    page = client.get(reverse("admin:index"))
    url = page.context["orders_export_url"]
    shown = page.context["dash"]["sales"].month
    response = client.get(url)
    assert response.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(response.streaming_content)), read_only=True).active
    rows = list(ws.iter_rows(values_only=True))
    assert rows[1][0] == "no"
    orders = [r for r in rows[2:] if r[0] and str(r[0]) != "Total" and r[1]]
    totals = {r[6]: Decimal(str(r[9])) for r in rows[2:] if not r[1]}
    assert len(orders) == page.context["dash"]["orders"].month == 3
    assert {m.currency: m.amount for m in shown} == totals
    assert sum(Decimal(str(r[9])) for r in orders) == totals["CNY"]
    assert {r[0] for r in orders} == {sales["restock"].no, *(o.no for o in sales["shop"])}


def test_order_changelist_offers_the_export(sales, factories):
    client = Client()
    client.force_login(factories.staff("operator"))
    page = client.get(reverse("admin:orders_order_changelist"), {"status__exact": "paid"})
    assert reverse("admin:orders_order_export") + "?status__exact=paid" in page.content.decode()
