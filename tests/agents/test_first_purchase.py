"""The level's first stock purchase (Level.first_purchase_amount): frozen on an agent when it
joins, shown on its hub, my-level page and API, met by its restocks (net of refunds), and an
HQ filter. (The shop that stays closed until then: tests/orders/test_first_purchase_shop.py.)"""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from weishang.agents import selectors, services
from weishang.agents.models import Agent

pytestmark = pytest.mark.django_db
D = Decimal



@pytest.fixture
def levels(factories):
    top = factories.level(1, "总代")
    two = factories.level(2, "二级", first_purchase_amount=D("1000"))
    return top, two


def test_joining_freezes_the_levels_first_purchase_unless_hq_waives_it(factories, levels):
    top, two = levels
    new = factories.agent(two, name="新人")
    assert new.first_purchase_required == D("1000") and new.first_purchase_pending and not new.shop_open
    waived = factories.agent(two, name="总部直设", first_purchase=None)
    assert waived.first_purchase_required is None and waived.shop_open
    assert factories.agent(top, name="总代").first_purchase_required is None  # the level asks for none
    # A level that asks for it later binds only agents who join afterwards.
    top.first_purchase_amount = D("5000")
    top.save()
    assert not Agent.objects.get(name="总代").first_purchase_pending


def test_restocks_add_up_to_it_and_a_refund_below_it_reopens_it(factories, levels):
    new = factories.agent(levels[1], name="新人")
    now = timezone.now()
    services.record_purchase_volume(new, D("600"), now - timedelta(hours=1))
    new.refresh_from_db()
    fp = selectors.first_purchase_due(new)
    assert new.first_purchase_pending and (fp.required, fp.bought, fp.remaining, fp.percent) == (
        D("1000"), D("600"), D("400"), 60)
    services.record_purchase_volume(new, D("400"), now)
    new.refresh_from_db()
    assert new.first_purchase_done_at == now and selectors.first_purchase_due(new) is None
    services.record_purchase_volume(new, D("300"), now)
    services.reverse_purchase_volume(new, D("300"), now, reason="退款")  # net 1000: still done
    new.refresh_from_db()
    assert not new.first_purchase_pending
    services.reverse_purchase_volume(new, D("400"), now, reason="退款")  # net 600: due again
    new.refresh_from_db()
    assert new.first_purchase_pending and selectors.first_purchase_due(new).bought == D("600")


def test_hub_and_level_page_show_it_with_a_restock_link_until_done(client, factories, levels):
    new = factories.agent(levels[1], name="新人")
    services.record_purchase_volume(new, D("250"), timezone.now())
    client.force_login(new.user)
    for url in (reverse("agents:hub"), reverse("agents:level")):
        body = client.get(url).content.decode()
        assert 'id="first-purchase"' in body, url
        assert "First stock purchase: ¥1,000.00, bought ¥250.00 so far." in body
        assert "Buy ¥750.00 more" in body and reverse("orders:restock") in body
    services.record_purchase_volume(new, D("750"), timezone.now())
    for url in (reverse("agents:hub"), reverse("agents:level")):
        assert 'id="first-purchase"' not in client.get(url).content.decode()


def test_hub_costs_one_query_more_only_while_it_is_due(client, factories, levels, django_assert_max_num_queries):
    new = factories.agent(levels[1], name="新人")
    done = factories.agent(levels[1], name="老手", first_purchase=None)
    client.force_login(done.user)
    client.get(reverse("agents:hub"))
    # The home page: session and agent, its figures (agents.home: 4 queries) and the next
    # thing to do (5 counts), the team and own purchases, the tab bar's role; the first
    # purchase adds one.
    with django_assert_max_num_queries(14):
        client.get(reverse("agents:hub"))
    client.force_login(new.user)
    client.get(reverse("agents:hub"))
    with django_assert_max_num_queries(15):
        client.get(reverse("agents:hub"))


def test_api_my_level_includes_it(client, factories, levels):
    new = factories.agent(levels[1], name="新人")
    client.force_login(new.user)
    data = client.get("/api/v1/agents/me/level").json()
    assert data["first_purchase"] == {"required": "1000.00", "bought": "0.00", "remaining": "1000.00",
                                      "currency": "CNY"}
    services.record_purchase_volume(new, D("1000"), timezone.now())
    assert client.get("/api/v1/agents/me/level").json()["first_purchase"] is None


def test_hq_filter_first_purchase_pending(client, factories, levels):
    factories.agent(levels[1], name="待首批")
    done = factories.agent(levels[1], name="已首批")
    services.record_purchase_volume(done, D("1000"), timezone.now())
    factories.agent(levels[1], name="免首批", first_purchase=None)
    client.force_login(factories.staff("operator"))
    url = reverse("admin:agents_agent_changelist")
    body = client.get(url + "?first_purchase=pending").content.decode()
    assert "待首批" in body and "已首批" not in body and "免首批" not in body
    body = client.get(url + "?first_purchase=done").content.decode()
    assert "已首批" in body and "待首批" not in body
    body = client.get(url + "?first_purchase=none").content.decode()
    assert "免首批" in body and "待首批" not in body
