"""The agent home (首页, issue 13 #2): today's and this month's figures from real orders,
earnings, team joins and diversion alerts, counted in the agent's own time zone with a
fixed number of queries, and the next thing to do."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal as D

import pytest
from django.utils import timezone

from tests.orders.helpers import build_tree, give, paid_restock, pay_offline
from weishang.agents import home
from weishang.orders import services as orders
from weishang.orders.models import Order, OrderStatus

pytestmark = pytest.mark.django_db
UTC = dt.UTC
ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
           "district_code": "110101", "detail": "东华门街道 1 号"}


def _alert(agent, at, sku, status="open"):
    from weishang.codes import services as codes
    from weishang.codes.models import CodeBatch, DiversionAlert, ScanEvent

    batch = CodeBatch.objects.filter(sku=sku).first() or codes.create_batch(
        sku=sku, lot="L1", production_date=dt.date(2026, 1, 1), expiry_date=dt.date(2028, 1, 1), quantity=10,
        items_per_box=1, boxes_per_case=1)
    serial = ScanEvent.objects.count() + 1
    scan = ScanEvent.objects.create(serial=serial, batch=batch, at=at, verdict="genuine", nth=1, person=f"p{serial}")
    return DiversionAlert.objects.create(scan=scan, serial=serial, batch=batch, agent=agent, agent_region="110100",
                                         scan_division="310100", scan_province="31", source="gps", status=status,
                                         created_at=at)


def _shanghai(agent):
    agent.user.time_zone = "Asia/Shanghai"
    agent.user.save(update_fields=["time_zone"])


def test_period_is_the_agents_own_calendar(factories):
    t = build_tree(factories)
    _shanghai(t.mid)
    now = dt.datetime(2026, 5, 31, 17, 0, tzinfo=UTC)  # already 1 June, 01:00 in Shanghai
    p = home.period_for(t.mid, now)
    assert p.today == dt.datetime(2026, 6, 1, 0, 0, tzinfo=dt.timezone(dt.timedelta(hours=8)))
    assert p.month == p.today


def test_figures_count_today_and_this_month_with_few_queries(factories, django_assert_max_num_queries):
    t = build_tree(factories)
    _shanghai(t.mid)
    restock = paid_restock(t, 10)  # low buys 10 × ¥90 (its level price) from mid, paid now
    assert restock.seller_agent_id == t.mid.pk and restock.total == D("900.00")
    # A consumer order in mid's shop, paid and waiting for shipment: 2 × ¥128 + 3 × ¥60.
    give(t.mid, t.sku, 5)
    give(t.mid, t.sku2, 5)
    consumer = factories.user()
    sold = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk,
                                        lines=[(t.sku.pk, 2), (t.sku2.pk, 3)], address=ADDRESS)
    pay_offline(sold, consumer, t.mid.user)
    now = timezone.now()
    local = now.astimezone(home.period_for(t.mid, now).today.tzinfo)
    # One sold earlier this month (or, on the 1st, yesterday: then it is last month), one last month.
    earlier = Order.objects.filter(pk=restock.pk)
    old = orders.create_restock(user=t.low.user, lines=[(t.sku2.pk, 3)])  # mid has 2 sku2 left: awaits stock
    assert old.status == OrderStatus.AWAITING_STOCK and old.seller_agent_id == t.mid.pk
    start_today = home.period_for(t.mid, now).today
    yesterday = start_today - dt.timedelta(hours=1)
    earlier.update(paid_at=yesterday)
    # Team: low joined now; another member joined last month.
    late = factories.agent(t.levels[2], upline=t.mid, name="老成员")
    type(late).objects.filter(pk=late.pk).update(joined_at=start_today.replace(day=1) - dt.timedelta(days=3))
    # Alerts: one today (open), one last month (dismissed, not counted), one last month still open.
    _alert(t.mid, now, t.sku)
    _alert(t.mid, start_today.replace(day=1) - dt.timedelta(days=2), t.sku, status="dismissed")
    _alert(t.mid, start_today.replace(day=1) - dt.timedelta(days=2), t.sku)

    mid = type(t.mid).objects.select_related("level", "user").get(pk=t.mid.pk)  # as the page loads it
    with django_assert_max_num_queries(4):
        f = home.figures(mid, now)
    from weishang.ledger.models import Account, AccountKind

    bal = dict(Account.objects.filter(agent=t.mid, currency="CNY").values_list("kind", "balance"))
    pending, available = bal[AccountKind.AGENT_EARNINGS_PENDING], bal[AccountKind.AGENT_EARNINGS_AVAILABLE]
    # Pending: mid's proceeds; available below zero: it holds the consumer's transfer it confirmed.
    assert pending > 0 and available == D("-436.00")
    first_of_month = local.day == 1
    assert f.sales_today == D("436.00") and f.orders_today == 1
    assert (f.sales_month, f.orders_month) == ((D("436.00"), 1) if first_of_month else (D("1336.00"), 2))
    assert f.to_ship == 1 and f.restock_requests == 1
    assert f.earnings_pending == pending and f.earnings_available == available
    assert (f.joins_today, f.joins_month) == (1, 1)
    assert (f.alerts_today, f.alerts_month, f.alerts_open) == (1, 1, 2)
    assert f.currency == "CNY"

    with django_assert_max_num_queries(5):
        todos = home.todos(mid, f)
    labels = [str(x.label) for x in todos]
    # Nothing to confirm or decide: the restock waiting for mid's stock comes first.
    assert labels[0] == "Restock requests waiting for your stock" and todos[0].count == 1
    assert "Paid orders waiting for shipment" in labels


def test_refunds_to_decide_come_before_goods(factories):
    from weishang.orders import refunds
    from weishang.orders.models import RefundKind

    t = build_tree(factories)
    order = paid_restock(t, 2)
    refunds.request_refund(order, user=t.low.user, kind=RefundKind.FULL, reason="wrong item")
    t.mid.refresh_from_db()
    todos = home.todos(t.mid, home.figures(t.mid))
    assert str(todos[0].label) == "Refund requests to decide" and todos[0].count == 1


def test_a_new_agent_has_nothing_waiting(factories):
    t = build_tree(factories)
    f = home.figures(t.low)
    assert f.sales_month == D("0.00") and f.joins_month == 0 and f.alerts_open == 0
    assert home.todos(t.low, f) == []


def test_home_page_shows_the_figures_and_next_thing(client, factories):
    t = build_tree(factories)
    paid_restock(t, 3)
    client.force_login(t.mid.user)
    html = client.get("/agent/").content.decode()
    assert 'data-fig="sales-today">¥270.00<' in html
    assert "next-action" in html and "Today and this month" in html
    client.force_login(t.low.user)
    html = client.get("/agent/").content.decode()
    assert "/agent/share/" in html  # nothing waiting: share the shop
