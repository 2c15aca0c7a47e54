"""Upgrades by purchase volume, through services.record_purchase_volume (as the orders area
calls it): automatic, by HQ approval (one pending request, never duplicated), never a
downgrade, and the tree unchanged by a level change."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from tests.threads import run_together
from weishang.agents import services, upgrades
from weishang.agents.level_models import UpgradeRequest, UpgradeStatus
from weishang.agents.models import Agent, AgentEvent, EventKind
from weishang.core.errors import Conflict, DomainError, PermissionDenied


@pytest.fixture
def ladder(factories):
    """总代 (approval, single ≥ 10000) / 一级 (auto, single ≥ 3000 or 8000 in 30 days) /
    二级 (auto, 2000 in 30 days) / 特约 (no rule)."""
    top = factories.level(1, "总代", upgrade_single_purchase=Decimal("10000"), upgrade_needs_approval=True)
    one = factories.level(2, "一级", upgrade_single_purchase=Decimal("3000"),
                          upgrade_cumulative_amount=Decimal("8000"), upgrade_period_days=30)
    two = factories.level(3, "二级", upgrade_cumulative_amount=Decimal("2000"), upgrade_period_days=30)
    special = factories.level(4, "特约")
    return top, one, two, special


def _level(agent):
    return Agent.objects.select_related("level").get(pk=agent.pk).level


def _buy(agent, amount, at=None):
    services.record_purchase_volume(agent, Decimal(amount), at or timezone.now())


def test_a_single_purchase_upgrades_at_once_and_is_recorded_in_history(factories, ladder):
    top, one, two, special = ladder
    a = factories.agent(special)
    _buy(a, "2999.99")
    assert _level(a) == two  # 2999.99 within the period also reaches 二级's cumulative 2000
    _buy(a, "3000")
    assert _level(a) == one
    event = AgentEvent.objects.filter(agent=a, kind=EventKind.LEVEL).order_by("-id").first()
    assert event.from_level == two and event.to_level == one and event.actor is None
    assert "3,000.00" in event.reason
    assert not UpgradeRequest.objects.exists()


def test_cumulative_purchases_within_the_period_upgrade(factories, ladder):
    top, one, two, special = ladder
    a = factories.agent(special)
    start = upgrades.period_anchor(a)
    _buy(a, "1200", start + timedelta(days=1))
    assert _level(a) == special
    _buy(a, "800", start + timedelta(days=29))
    assert _level(a) == two


def test_purchases_in_an_earlier_period_do_not_add_up(factories, ladder):
    top, one, two, special = ladder
    a = factories.agent(special)
    start = upgrades.period_anchor(a)
    _buy(a, "1500", start + timedelta(days=29, hours=23))
    _buy(a, "1500", start + timedelta(days=30, hours=1))
    assert _level(a) == special


def test_a_level_needing_approval_creates_one_request_and_never_a_duplicate(factories, ladder):
    top, one, two, special = ladder
    a = factories.agent(special)
    _buy(a, "12000")
    assert _level(a) == one  # the automatic part happens at once
    req = UpgradeRequest.objects.get(agent=a)
    assert (req.status, req.level, req.from_level, req.trigger, req.amount) == (
        UpgradeStatus.PENDING, top, one, "single", Decimal("12000"))
    _buy(a, "15000")
    _buy(a, "11000")
    assert UpgradeRequest.objects.filter(agent=a).count() == 1
    assert _level(a) == one


def test_the_database_refuses_a_second_pending_request(factories, ladder):
    top, one, two, special = ladder
    a = factories.agent(one)
    UpgradeRequest.objects.create(agent=a, from_level=one, level=top, trigger="single", amount=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        UpgradeRequest.objects.create(agent=a, from_level=one, level=top, trigger="single", amount=2)


def test_a_request_created_by_a_concurrent_purchase_is_reused(factories, ladder, monkeypatch):
    """Another purchase inserted the pending request after this one looked for it: the insert
    fails on the unique index (inside a savepoint) and the existing request is used."""
    top, one, two, special = ladder
    a = factories.agent(one)
    theirs = UpgradeRequest.objects.create(agent=a, from_level=one, level=top, trigger="single", amount=1)
    real_pending = upgrades._pending
    looks = []

    def stale_then_real(agent_id):
        looks.append(agent_id)
        return None if len(looks) == 1 else real_pending(agent_id)

    monkeypatch.setattr(upgrades, "_pending", stale_then_real)
    _buy(a, "10000")
    assert len(looks) == 2
    assert list(UpgradeRequest.objects.filter(agent=a)) == [theirs]


@pytest.mark.django_db(transaction=True)
@pytest.mark.skipif(connection.vendor != "postgresql", reason="threads need a server database (PostgreSQL)")
def test_concurrent_purchases_on_postgresql_create_one_request(factories, ladder):
    top, one, two, special = ladder
    a = factories.agent(one)
    run_together(6, lambda i: _buy(Agent.objects.get(pk=a.pk), "10000"))  # fails on any exception
    assert UpgradeRequest.objects.filter(agent=a, status=UpgradeStatus.PENDING).count() == 1


def test_a_higher_level_reached_later_updates_the_pending_request(factories):
    top = factories.level(1, "总代", upgrade_single_purchase=Decimal("10000"), upgrade_needs_approval=True)
    one = factories.level(2, "一级", upgrade_single_purchase=Decimal("3000"), upgrade_needs_approval=True)
    two = factories.level(3, "二级")
    a = factories.agent(two)
    _buy(a, "3000")
    req = UpgradeRequest.objects.get(agent=a)
    assert req.level == one
    _buy(a, "10000")
    req.refresh_from_db()
    assert req.level == top and req.amount == Decimal("10000")
    assert UpgradeRequest.objects.filter(agent=a).count() == 1
    assert _level(a) == two


def test_never_a_downgrade(factories, ladder):
    top, one, two, special = ladder
    a = factories.agent(one)
    _buy(a, "2500")  # meets 二级's rule, which is below 一级
    assert _level(a) == one
    b = factories.agent(top)
    _buy(b, "50000")
    assert _level(b) == top and not UpgradeRequest.objects.exists()


def test_inactive_levels_are_not_reached(factories, ladder):
    top, one, two, special = ladder
    one.is_active = False
    one.save()
    a = factories.agent(special)
    _buy(a, "3000")
    assert _level(a) == two


def test_hq_approves_with_a_reason(factories, ladder):
    top, one, two, special = ladder
    hq = factories.staff("operator")
    a = factories.agent(one)
    _buy(a, "10000")
    req = UpgradeRequest.objects.get(agent=a)
    upgrades.approve(req, actor=hq, reason="首单达标")
    req.refresh_from_db()
    assert (req.status, req.decided_by, req.reason) == (UpgradeStatus.APPROVED, hq, "首单达标")
    assert _level(a) == top
    event = AgentEvent.objects.filter(agent=a, kind=EventKind.LEVEL).latest("id")
    assert event.actor == hq and event.to_level == top
    with pytest.raises(Conflict):
        upgrades.approve(req, actor=hq)


def test_hq_rejects_with_a_reason_and_later_purchases_may_ask_again(factories, ladder):
    top, one, two, special = ladder
    hq = factories.staff("operator")
    a = factories.agent(one)
    _buy(a, "10000")
    req = UpgradeRequest.objects.get(agent=a)
    with pytest.raises(DomainError) as exc:
        upgrades.reject(req, actor=hq, reason="  ")
    assert exc.value.code == "reason_required"
    upgrades.reject(req, actor=hq, reason="资料不全")
    req.refresh_from_db()
    assert req.status == UpgradeStatus.REJECTED and _level(a) == one
    _buy(a, "10000")
    assert UpgradeRequest.objects.filter(agent=a, status=UpgradeStatus.PENDING).count() == 1


def test_only_hq_staff_may_decide(factories, ladder):
    top, one, two, special = ladder
    a = factories.agent(one)
    _buy(a, "10000")
    req = UpgradeRequest.objects.get(agent=a)
    for actor in (None, a.user, factories.staff("finance")):
        with pytest.raises(PermissionDenied):
            upgrades.approve(req, actor=actor)
    assert _level(a) == one


def test_approving_a_request_the_agent_already_passed_closes_it_without_a_downgrade(factories, ladder):
    top, one, two, special = ladder
    hq = factories.staff("operator")
    a = factories.agent(one)
    _buy(a, "10000")
    services.change_level(a, top, actor=hq, reason="HQ decision")
    req = UpgradeRequest.objects.get(agent=a)
    upgrades.approve(req, actor=hq)
    req.refresh_from_db()
    assert req.status == UpgradeStatus.CANCELLED and _level(a) == top


def test_an_automatic_upgrade_closes_a_pending_request_it_reaches(factories):
    one = factories.level(1, "一级", upgrade_single_purchase=Decimal("9000"))
    factories.level(2, "二级", upgrade_single_purchase=Decimal("1000"), upgrade_needs_approval=True)
    three = factories.level(3, "三级")
    a = factories.agent(three)
    _buy(a, "1000")
    assert UpgradeRequest.objects.get(agent=a).status == UpgradeStatus.PENDING
    _buy(a, "9000")
    assert _level(a) == one
    assert UpgradeRequest.objects.get(agent=a).status == UpgradeStatus.CANCELLED


def test_reaching_the_uplines_level_keeps_the_tree_and_the_recruiter(factories, ladder):
    top, one, two, special = ladder
    boss = factories.agent(top)
    up = factories.agent(one, upline=boss)
    me = factories.agent(two, upline=up)
    before = Agent.objects.values("upline_id", "recruiter_id", "path", "depth").get(pk=me.pk)
    _buy(me, "3000")
    assert _level(me) == one
    assert Agent.objects.values("upline_id", "recruiter_id", "path", "depth").get(pk=me.pk) == before
    up.refresh_from_db()
    assert up.team_size == 1 and up.direct_count == 1


def test_upgrade_evaluation_costs_a_fixed_number_of_queries(factories, ladder, django_assert_max_num_queries):
    """Whatever the purchase history: lock the agent, read the levels, read the purchases of
    the period, then at most the level change and one request."""
    top, one, two, special = ladder
    a = factories.agent(special)
    for _ in range(30):
        _buy(a, "10")
    with django_assert_max_num_queries(5):  # savepoint, agent, levels, purchases, release
        upgrades.apply_purchase(a, Decimal("10"), timezone.now())
    with django_assert_max_num_queries(16):
        upgrades.apply_purchase(a, Decimal("12000"), timezone.now())  # upgrade + request
    assert _level(a) == one and UpgradeRequest.objects.filter(agent=a).count() == 1


def test_a_refund_withdraws_a_request_its_single_restock_no_longer_meets(factories, ladder):
    """A big restock asks HQ for 总代 (single ≥ 10000, approval); refunds that bring that
    restock below 10000 withdraw the request. The automatic upgrade it also earned is kept."""
    top, one, two, special = ladder
    a = factories.agent(special)
    at = timezone.now()
    _buy(a, "12000", at)
    assert _level(a) == one
    request = UpgradeRequest.objects.get(agent=a, status=UpgradeStatus.PENDING)
    services.reverse_purchase_volume(a, Decimal("1500"), at, reason="部分退款")  # net 10500: still met
    request.refresh_from_db()
    assert request.status == UpgradeStatus.PENDING
    services.reverse_purchase_volume(a, Decimal("1000"), at, reason="部分退款")  # net 9500
    request.refresh_from_db()
    assert request.status == UpgradeStatus.CANCELLED and request.decided_at is not None
    assert "refunded" in request.reason or "退款" in request.reason
    assert _level(a) == one  # a level already reached is kept
    with pytest.raises(DomainError):
        upgrades.approve(request, actor=factories.user(is_staff=True, is_superuser=True))
    _buy(a, "10000")  # a new qualifying restock asks again
    assert UpgradeRequest.objects.filter(agent=a, status=UpgradeStatus.PENDING).count() == 1


def test_a_refund_withdraws_a_cumulative_request_only_below_the_amount(factories):
    top = factories.level(1, "总代", upgrade_cumulative_amount=Decimal("5000"), upgrade_period_days=30,
                          upgrade_needs_approval=True)
    special = factories.level(2, "特约")
    a = factories.agent(special)
    start = upgrades.period_anchor(a)
    first, second = start + timedelta(days=1), start + timedelta(days=2)
    _buy(a, "3000", first)
    _buy(a, "2500", second)
    request = UpgradeRequest.objects.get(agent=a, status=UpgradeStatus.PENDING)
    assert request.level == top and request.amount == Decimal("5500")
    services.reverse_purchase_volume(a, Decimal("400"), first, reason="退款")  # 5100 in the period
    request.refresh_from_db()
    assert request.status == UpgradeStatus.PENDING
    services.reverse_purchase_volume(a, Decimal("200"), second, reason="退款")  # 4900
    request.refresh_from_db()
    assert request.status == UpgradeStatus.CANCELLED
    assert upgrades.recheck_pending(a) is None  # nothing left to withdraw
