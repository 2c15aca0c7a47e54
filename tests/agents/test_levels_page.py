"""The agent's "my level" page at /agent/level/ (URL name agents:level)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from weishang.agents import services, upgrades
from weishang.agents.level_models import UpgradeRequest


@pytest.fixture
def setup(factories):
    top = factories.level(1, "总代", upgrade_single_purchase=Decimal("10000"), upgrade_needs_approval=True)
    one = factories.level(2, "一级", upgrade_single_purchase=Decimal("3000"),
                          upgrade_cumulative_amount=Decimal("8000"), upgrade_period_days=30)
    two = factories.level(3, "二级")
    sku = factories.sku(code="LX-HA-30", retail_price=Decimal("128"), floor_price=Decimal("50"))
    factories.level_price(two, sku, "90")
    factories.level_price(one, sku, "70")
    me = factories.agent(two, name="我")
    return {"levels": (top, one, two), "sku": sku, "me": me}


def test_the_url():
    assert reverse("agents:level") == "/agent/level/"


def test_shows_level_next_level_progress_and_prices(client, setup, django_assert_max_num_queries):
    me = setup["me"]
    start = upgrades.period_anchor(me)
    services.record_purchase_volume(me, Decimal("2000"), timezone.now())
    client.force_login(me.user)
    with django_assert_max_num_queries(12):
        response = client.get(reverse("agents:level"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "二级" in body and "Next level: 一级" in body
    assert "One restock of at least ¥3,000.00 reaches it." in body
    assert "Buy ¥6,000.00 more by" in body
    last_day = timezone.localtime(start + timedelta(days=30) - timedelta(microseconds=1)).date()
    assert last_day.isoformat() in body
    assert '<progress class="lv-bar" max="100" value="25"' in body
    assert "¥90.00" in body and "LX-HA-30" not in body  # product names, not codes, for agents
    assert "¥70.00" not in body  # another level's price is not shown


def test_shows_the_pending_request_and_only_the_agents_own(client, setup, factories):
    top, one, two = setup["levels"]
    me = setup["me"]
    other = factories.agent(one, name="别人")
    services.record_purchase_volume(other, Decimal("10000"), timezone.now())
    assert UpgradeRequest.objects.filter(agent=other).exists()
    client.force_login(me.user)
    body = client.get(reverse("agents:level")).content.decode()
    assert "waiting for HQ" not in body
    services.record_purchase_volume(me, Decimal("10000"), timezone.now())
    body = client.get(reverse("agents:level")).content.decode()
    assert "Your upgrade to 总代 is waiting for HQ's approval" in body
    assert "一级" in body  # upgraded at once to 一级 meanwhile


def test_a_rejection_shows_its_reason(client, setup, factories):
    top, one, two = setup["levels"]
    me = setup["me"]
    services.change_level(me, one, actor=None, reason="test")
    services.record_purchase_volume(me, Decimal("10000"), timezone.now())
    upgrades.reject(UpgradeRequest.objects.get(agent=me), actor=factories.staff("operator"), reason="请补充资料")
    client.force_login(me.user)
    body = client.get(reverse("agents:level")).content.decode()
    assert "请补充资料" in body


def test_the_highest_level(client, setup):
    top, one, two = setup["levels"]
    services.change_level(setup["me"], top, actor=None, reason="test")
    client.force_login(setup["me"].user)
    body = client.get(reverse("agents:level")).content.decode()
    assert "Highest level" in body and "Next level" not in body


def test_non_agents_are_refused_and_visitors_asked_to_log_in(client, factories, setup):
    response = client.get(reverse("agents:level"))
    assert response.status_code == 302 and "login" in response["Location"]
    client.force_login(factories.user())
    assert client.get(reverse("agents:level")).status_code == 403


@pytest.mark.parametrize("lang, words", [("zh-hans", "我的级别"), ("zh-hant", "我的級別"), ("en", "My level")])
def test_in_three_languages(client, setup, lang, words):
    client.force_login(setup["me"].user)
    client.cookies["django_language"] = lang
    body = client.get(reverse("agents:level"), HTTP_ACCEPT_LANGUAGE=lang).content.decode()
    assert words in body
