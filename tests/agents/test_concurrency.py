"""Concurrent purchases along one line of the tree (each agent an upline of the next) and
new agents joining at the same time: no deadlock, no lost update, totals exact."""

from decimal import Decimal

import pytest
from django.utils import timezone

from tests.threads import needs_shared_database, run_together
from weishang.agents import selectors, services
from weishang.agents.models import Agent

from .recompute import assert_counters_match

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_shared_database,
]




def test_purchases_and_joins_along_one_line(factories):
    level = factories.standard_levels()[0]
    line = []
    for i in range(6):
        line.append(factories.agent(level, upline=line[-1] if line else None, name=f"L{i}"))
    users = [factories.user() for _ in range(6)]
    now = timezone.now()

    def work(i):
        agent = Agent.objects.get(pk=line[i % 6].pk)
        if i % 2:
            services.create_agent(user=users[i // 2], name=f"N{i}", level=level, upline=agent)
        for _ in range(3):
            services.record_purchase_volume(agent, Decimal("10.00"), now)

    run_together(12, work)  # fails on any exception in a thread
    assert selectors.team_summary(line[0]).team_purchases == Decimal("10.00") * 3 * 10
    assert Agent.objects.get(pk=line[0].pk).team_size == 5 + 6
    assert_counters_match()


def test_refunds_and_purchases_along_one_line(factories):
    """Reversals lock the month rows in the same order as purchases: no deadlock, and two
    refunds at once never take back more than the month holds."""
    level = factories.standard_levels()[0]
    line = []
    for i in range(6):
        line.append(factories.agent(level, upline=line[-1] if line else None, name=f"R{i}"))
    now = timezone.now()
    for agent in line:
        services.record_purchase_volume(agent, Decimal("50.00"), now)
    taken = []

    def work(i):
        agent = Agent.objects.get(pk=line[i % 6].pk)
        if i % 2:
            services.record_purchase_volume(agent, Decimal("10.00"), now)
        else:
            taken.append(services.reverse_purchase_volume(agent, Decimal("40.00"), now, reason="并发退款"))

    run_together(12, work)  # fails on any exception in a thread
    # each even-indexed call hits agents 0, 2, 4 twice: 40 + at most the 10 left (plus any 10 bought)
    assert sum(taken) <= Decimal("60.00") * 3
    assert_counters_match()  # also: no monthly total below zero
    total = sum((selectors.team_summary(a).own_purchases for a in line), Decimal(0))
    assert total == Decimal("50.00") * 6 + Decimal("10.00") * 6 - sum(taken)
