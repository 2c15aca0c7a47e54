from datetime import datetime
from decimal import Decimal

import pytest
from django.utils import timezone

from weishang.agents import selectors, services
from weishang.agents.models import Agent, AgentEvent, AgentMonth, AgentPurchase, EventKind, path_segment
from weishang.core.errors import Conflict, DomainError

from .recompute import assert_counters_match

pytestmark = pytest.mark.django_db


def fresh(a):
    return Agent.objects.get(pk=a.pk)


def test_create_maintains_counters_and_history(tree):
    top, a = fresh(tree["top"]), fresh(tree["a"])
    assert (top.team_size, top.direct_count) == (5, 2)
    assert (a.team_size, a.direct_count) == (3, 2)
    assert AgentEvent.objects.filter(agent=tree["a11"], kind=EventKind.JOINED, to_upline=tree["a1"]).exists()
    assert_counters_match()


def test_record_purchase_volume_updates_own_and_every_upline(tree):
    at = timezone.now()
    services.record_purchase_volume(tree["a11"], Decimal("100.00"), at)
    services.record_purchase_volume(tree["a11"], Decimal("50.00"), at)
    services.record_purchase_volume(tree["a"], Decimal("7.00"), at)
    assert AgentPurchase.objects.filter(agent=tree["a11"]).count() == 2
    s = selectors.team_summary(tree["top"])
    assert (s.team_size, s.direct_count, s.team_purchases, s.own_purchases) == (5, 2, Decimal("157.00"), 0)
    assert selectors.team_summary(tree["a1"]).team_purchases == Decimal("150.00")
    assert selectors.team_summary(tree["a11"]).own_purchases == Decimal("150.00")
    assert selectors.team_summary(tree["other"]).team_purchases == 0
    assert_counters_match()


def test_purchases_go_to_the_month_they_happened(tree):
    services.record_purchase_volume(tree["a1"], Decimal("10"), timezone.make_aware(datetime(2026, 1, 31, 23, 30)))
    services.record_purchase_volume(tree["a1"], Decimal("20"), timezone.make_aware(datetime(2026, 2, 1, 0, 30)))
    months = dict(AgentMonth.objects.filter(agent=tree["a"]).values_list("month__month", "team_total"))
    assert months == {1: Decimal("10"), 2: Decimal("20")}


def test_negative_purchase_is_refused(tree):
    with pytest.raises(DomainError):
        services.record_purchase_volume(tree["a"], Decimal("-1"), timezone.now())


def test_move_subtree_rewrites_paths_and_counters(tree, factories):
    at = timezone.now()
    services.record_purchase_volume(tree["a11"], Decimal("30"), at)
    services.record_purchase_volume(tree["a1"], Decimal("5"), at)
    staff = factories.staff()
    moved = services.move_agent(tree["a1"], new_upline=tree["b"], actor=staff, reason="区域调整")
    assert moved.upline_id == tree["b"].pk and moved.recruiter_id == tree["a"].pk
    a11 = fresh(tree["a11"])
    assert a11.path == tree["top"].path + "".join(path_segment(x.pk) for x in (tree["b"], tree["a1"], a11))
    assert a11.depth == 3
    assert selectors.team_summary(tree["a"]).team_purchases == 0
    assert selectors.team_summary(tree["b"]).team_purchases == Decimal("35")
    assert selectors.team_summary(tree["top"]).team_purchases == Decimal("35")
    assert (fresh(tree["a"]).team_size, fresh(tree["b"]).team_size) == (1, 2)
    ev = AgentEvent.objects.get(agent=tree["a1"], kind=EventKind.MOVED)
    assert (ev.from_upline_id, ev.to_upline_id, ev.actor_id, ev.reason, ev.team_size) == (
        tree["a"].pk, tree["b"].pk, staff.pk, "区域调整", 1)
    assert_counters_match()


def test_move_to_hq_and_across_trees(tree, factories):
    services.record_purchase_volume(tree["a2"], Decimal("9"), timezone.now())
    services.move_agent(tree["a"], new_upline=None, actor=None, reason="升为总代")
    a = fresh(tree["a"])
    assert (a.path, a.depth, a.upline_id) == ("/" + path_segment(a.pk), 0, None)
    services.move_agent(a, new_upline=tree["other"], actor=None, reason="并入")
    assert selectors.team_summary(tree["other"]).team_purchases == Decimal("9")
    assert selectors.team_summary(tree["top"]).team_purchases == 0
    assert_counters_match()


@pytest.mark.parametrize("target", ["a", "a1", "a11"])
def test_cannot_move_under_itself_or_own_downline(tree, target):
    with pytest.raises(Conflict):
        services.move_agent(tree["a"], new_upline=tree[target], actor=None, reason="x")
    assert fresh(tree["a"]).upline_id == tree["top"].pk
    assert_counters_match()


def test_move_needs_a_reason(tree):
    with pytest.raises(DomainError) as err:
        services.move_agent(tree["a1"], new_upline=tree["b"], actor=None, reason="  ")
    assert err.value.code == "reason_required"


def test_freeze_reactivate_expire(tree, factories):
    staff = factories.staff()
    a = services.freeze_agent(tree["a"], actor=staff, reason="投诉核查")
    assert a.status == "frozen" and not a.can_trade
    assert fresh(tree["a1"]).status == "active" and fresh(tree["a1"]).upline_id == tree["a"].pk
    with pytest.raises(DomainError):
        services.freeze_agent(tree["a2"], actor=staff, reason="")
    a = services.reactivate_agent(a, actor=staff, reason="核查完毕")
    assert a.status == "active"
    a = services.expire_agent(a, reason="授权书到期")
    assert a.status == "expired"
    with pytest.raises(Conflict):
        services.freeze_agent(a, actor=staff, reason="x")
    kinds = list(AgentEvent.objects.filter(agent=a).order_by("id").values_list("kind", "from_status", "to_status"))
    assert kinds[1:] == [("frozen", "active", "frozen"), ("reactivated", "frozen", "active"),
                         ("expired", "active", "expired")]


def test_change_level_records_history(tree, factories):
    top_l, _mid, _low = factories.standard_levels()
    staff = factories.staff()
    a = services.change_level(tree["a1"], top_l, actor=staff, reason="累计进货达标")
    assert a.level == top_l and fresh(a).upline_id == tree["a"].pk
    ev = AgentEvent.objects.get(agent=a, kind=EventKind.LEVEL)
    assert ev.to_level == top_l and ev.from_level.rank == 3


def test_upline_chain_and_is_in_team(tree):
    assert [x.pk for x in selectors.upline_chain(tree["a11"])] == [tree["a1"].pk, tree["a"].pk, tree["top"].pk]
    assert selectors.is_in_team(tree["top"], tree["a11"])
    assert not selectors.is_in_team(tree["a"], tree["b"])
    assert not selectors.is_in_team(tree["a"], tree["a"])
    assert not selectors.is_in_team(tree["a11"], tree["a"])


def _deep_chain(factories, depth):
    low = factories.standard_levels()[2]
    cur = None
    chain = []
    for i in range(depth):
        cur = factories.agent(low, upline=cur, name=f"D{i}")
        chain.append(cur)
    return chain


@pytest.mark.parametrize("depth", [2, 12])
def test_reads_cost_fixed_queries_whatever_the_depth(factories, depth, django_assert_max_num_queries):
    chain = _deep_chain(factories, depth)
    top, leaf = fresh(chain[0]), fresh(chain[-1])
    services.record_purchase_volume(leaf, Decimal("10"), timezone.now())
    with django_assert_max_num_queries(1):
        assert selectors.team_summary(top).team_size == depth - 1
    with django_assert_max_num_queries(1):
        assert len(selectors.upline_chain(leaf)) == depth - 1
    with django_assert_max_num_queries(2):
        assert len(selectors.team_page(top, direct_only=False).members) == depth - 1
    with django_assert_max_num_queries(2):
        selectors.team_page(top, direct_only=True, filters={"q": "D", "level": leaf.level_id})


@pytest.mark.parametrize("depth", [2, 12])
def test_writes_cost_fixed_queries_whatever_the_depth(factories, depth, django_assert_max_num_queries):
    chain = _deep_chain(factories, depth)
    leaf = fresh(chain[-1])
    # select path, insert purchase, upsert months, 2 updates, (upgrade hook reads)
    with django_assert_max_num_queries(14):
        services.record_purchase_volume(leaf, Decimal("10"), timezone.now())
    other = factories.agent(factories.standard_levels()[0], name="T")
    with django_assert_max_num_queries(20):
        services.move_agent(chain[1], new_upline=other, actor=None, reason="x")
    assert_counters_match()


def test_whole_team_is_in_tree_order_with_siblings_by_joining(factories):
    level = factories.standard_levels()[0]
    top = factories.agent(level, name="top")
    kids = [factories.agent(level, upline=top, name=f"k{i}") for i in range(12)]  # ids cross 1 → 2 digits
    grandchild = factories.agent(level, upline=kids[1], name="g")
    names = [m.agent.name for m in selectors.team_page(fresh(top), direct_only=False, page_size=50).members]
    assert names == ["k0", "k1", "g", *[f"k{i}" for i in range(2, 12)]]
    assert fresh(grandchild).ancestor_ids == [top.pk, kids[1].pk]
