"""Property test: random trees, purchases in random months, refunds of them (reversals,
capped at what the month holds), moves (including refused ones), new agents: the maintained counters (team size, direct count, own and team
monthly totals) always equal a recomputation from the tree and the purchase rows."""

from datetime import datetime
from decimal import Decimal

import pytest
from django.db import transaction
from django.utils import timezone
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from tests import factories as F
from weishang.agents import selectors, services
from weishang.agents.models import Agent, AgentMonth
from weishang.core.errors import Conflict

from .recompute import assert_counters_match

pytestmark = pytest.mark.django_db

op = st.one_of(
    st.tuples(st.just("buy"), st.integers(0, 30), st.integers(1, 100_000), st.integers(1, 3)),
    st.tuples(st.just("move"), st.integers(0, 30), st.integers(-1, 30), st.just(0)),
    st.tuples(st.just("join"), st.integers(-1, 30), st.just(0), st.just(0)),
    st.tuples(st.just("refund"), st.integers(0, 30), st.integers(1, 200_000), st.integers(1, 3)),
)


@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture,
                                                                 HealthCheck.too_slow])
@given(parents=st.lists(st.integers(-1, 20), min_size=1, max_size=14), ops=st.lists(op, max_size=14))
def test_counters_equal_a_recomputation(db, parents, ops):
    with transaction.atomic():
        _scenario(parents, ops)
        transaction.set_rollback(True)


def _scenario(parents, ops):
    level = F.standard_levels()[0]
    agents: list[Agent] = []
    for p in parents:  # p indexes an earlier agent (modulo), -1: under HQ
        up = agents[p % len(agents)] if p >= 0 and agents else None
        agents.append(F.agent(level, upline=up))
    for kind, x, y, z in ops:
        if kind == "buy":
            at = timezone.make_aware(datetime(2026, z, 15, 12))
            services.record_purchase_volume(agents[x % len(agents)], Decimal(y) / 100, at)
        elif kind == "refund":
            at = timezone.make_aware(datetime(2026, z, 15, 12))
            who = agents[x % len(agents)]
            before = own_total(who, at)
            taken = services.reverse_purchase_volume(who, Decimal(y) / 100, at, reason="property")
            assert taken == min(Decimal(y) / 100, before) and own_total(who, at) == before - taken >= 0
        elif kind == "move":
            mover = Agent.objects.get(pk=agents[x % len(agents)].pk)
            target = Agent.objects.get(pk=agents[y % len(agents)].pk) if y >= 0 else None
            inside = target is not None and target.path.startswith(mover.path)
            try:
                services.move_agent(mover, new_upline=target, actor=None, reason="property")
            except Conflict:
                assert inside or (target.pk if target else None) == mover.upline_id
            else:
                assert not inside
        else:
            up = agents[x % len(agents)] if x >= 0 else None
            agents.append(F.agent(level, upline=Agent.objects.get(pk=up.pk) if up else None))
    assert_counters_match()
    for a in Agent.objects.filter(pk__in=[a.pk for a in agents]):
        s = selectors.team_summary(a)
        assert (s.team_size, s.direct_count) == (a.team_size, a.direct_count)


def own_total(agent, at) -> Decimal:
    row = AgentMonth.objects.filter(agent_id=agent.pk, month=services.month_of(at)).first()
    return row.own_total if row else Decimal(0)
