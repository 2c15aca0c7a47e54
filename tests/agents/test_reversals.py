"""Taking back purchase volume (a refunded restock): agents.services.reverse_purchase_volume."""

from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from weishang.agents import selectors, services, upgrades
from weishang.agents.models import Agent, AgentMonth, AgentPurchase
from weishang.core.errors import DomainError

from .recompute import assert_counters_match

pytestmark = pytest.mark.django_db


def month_row(agent, at):
    row = AgentMonth.objects.get(agent_id=agent.pk, month=services.month_of(at))
    return row.own_total, row.team_total


def test_reversal_lowers_own_and_upline_totals_of_the_original_month(tree):
    last_month = timezone.now().replace(day=1) - timedelta(days=3)
    services.record_purchase_volume(tree["a11"], Decimal("500.00"), last_month)
    services.record_purchase_volume(tree["a11"], Decimal("80.00"), timezone.now())
    taken = services.reverse_purchase_volume(tree["a11"], Decimal("200.00"), last_month, reason="退款 R1")
    assert taken == Decimal("200.00")
    assert month_row(tree["a11"], last_month) == (Decimal("300.00"), Decimal("0"))
    for up in ("a1", "a", "top"):
        assert month_row(tree[up], last_month) == (Decimal("0"), Decimal("300.00"))
        assert month_row(tree[up], timezone.now())[1] == Decimal("80.00")  # this month untouched
    assert not AgentMonth.objects.filter(agent=tree["b"]).exists()  # another line of the tree
    row = AgentPurchase.objects.get(amount__lt=0)
    assert (row.amount, row.at, row.reason) == (Decimal("-200.00"), last_month, "退款 R1")
    assert_counters_match()


def test_never_below_zero_and_returns_what_was_taken(tree):
    now = timezone.now()
    services.record_purchase_volume(tree["a1"], Decimal("100.00"), now)
    assert services.reverse_purchase_volume(tree["a1"], Decimal("150.00"), now, reason="r") == Decimal("100.00")
    assert month_row(tree["a1"], now) == (Decimal("0"), Decimal("0"))
    assert month_row(tree["a"], now)[1] == Decimal("0")
    # nothing left, or a month with nothing recorded: nothing is taken and no row is written
    assert services.reverse_purchase_volume(tree["a1"], Decimal("1.00"), now, reason="r") == Decimal("0")
    assert services.reverse_purchase_volume(tree["a1"], Decimal("1.00"), now - timedelta(days=400),
                                            reason="r") == Decimal("0")
    assert AgentPurchase.objects.filter(agent=tree["a1"]).count() == 2
    assert selectors.team_summary(tree["top"]).team_purchases == Decimal("0")
    assert_counters_match()


def test_a_moved_agents_reversal_lowers_its_new_uplines(tree):
    now = timezone.now()
    services.record_purchase_volume(tree["a1"], Decimal("100.00"), now)
    services.move_agent(tree["a1"], new_upline=tree["b"], actor=None, reason="调整")
    services.reverse_purchase_volume(tree["a1"], Decimal("40.00"), now, reason="r")
    assert month_row(tree["b"], now)[1] == Decimal("60.00")
    assert month_row(tree["a"], now)[1] == Decimal("0")
    assert_counters_match()


def test_bad_input_is_refused_and_changes_nothing(tree):
    now = timezone.now()
    services.record_purchase_volume(tree["a1"], Decimal("100.00"), now)
    with pytest.raises(DomainError) as exc:
        services.reverse_purchase_volume(tree["a1"], Decimal("-1"), now, reason="r")
    assert exc.value.code == "negative_amount"
    with pytest.raises(DomainError) as exc:
        services.reverse_purchase_volume(tree["a1"], Decimal("10"), now, reason=" ")
    assert exc.value.code == "reason_required"
    with pytest.raises(DomainError) as exc:
        services.reverse_purchase_volume(tree["a1"], Decimal("10"), now, reason="r", currency="TWD")
    assert exc.value.code == "currency_mismatch"
    assert month_row(tree["a1"], now) == (Decimal("100.00"), Decimal("0"))


def test_purchase_in_another_currency_is_refused(tree):
    now = timezone.now()
    with pytest.raises(DomainError) as exc:
        services.record_purchase_volume(tree["a1"], Decimal("100.00"), now, currency="TWD")
    assert exc.value.code == "currency_mismatch"
    assert not AgentPurchase.objects.exists() and not AgentMonth.objects.exists()
    services.record_purchase_volume(tree["a1"], Decimal("100.00"), now, currency="CNY")  # the level's: counted
    services.record_purchase_volume(tree["a1"], Decimal("1.00"), now)  # none given: the caller vouches
    assert month_row(tree["a1"], now)[0] == Decimal("101.00")


def test_cumulative_upgrade_sees_the_net_but_a_reached_level_stays(factories):
    top = factories.level(1, "总代")
    one = factories.level(2, "一级", upgrade_cumulative_amount=Decimal("1000"), upgrade_period_days=30)
    two = factories.level(3, "二级")
    assert top and one
    me = factories.agent(two, name="我")
    anchor = upgrades.period_anchor(me)
    t1, t2 = anchor + timedelta(days=1, hours=10), anchor + timedelta(days=2, hours=10)
    services.record_purchase_volume(me, Decimal("600"), t1)
    services.reverse_purchase_volume(me, Decimal("600"), t1, reason="退款")
    services.record_purchase_volume(me, Decimal("500"), t2)
    me.refresh_from_db()
    assert me.level == two  # 600 - 600 + 500 = 500 < 1000 within the period
    assert upgrades.my_level(me, now=t2).progress.bought == Decimal("500")
    services.record_purchase_volume(me, Decimal("500"), t2)
    me.refresh_from_db()
    assert me.level == one
    services.reverse_purchase_volume(me, Decimal("1000"), t2, reason="退款")
    assert Agent.objects.get(pk=me.pk).level == one  # not taken back automatically: HQ decides by hand


def test_reversal_costs_a_fixed_number_of_queries(factories, django_assert_max_num_queries):
    level = factories.standard_levels()[2]
    up = None
    for i in range(12):
        up = factories.agent(level, upline=up, name=f"D{i}")
    now = timezone.now()
    services.record_purchase_volume(up, Decimal("100"), now)
    with django_assert_max_num_queries(7):
        services.reverse_purchase_volume(up, Decimal("10"), now, reason="r")


def test_month_boundary_is_the_original_purchases(tree):
    at = timezone.make_aware(datetime(2026, 1, 31, 23, 30))
    services.record_purchase_volume(tree["a1"], Decimal("100.00"), at)
    services.reverse_purchase_volume(tree["a1"], Decimal("100.00"), at, reason="r")
    assert month_row(tree["a1"], at)[0] == Decimal("0")
    assert set(AgentMonth.objects.values_list("month", flat=True)) == {services.month_of(at)}
    assert_counters_match()
