"""Concurrent purchases along one line of the tree (each agent an upline of the next) and
new agents joining at the same time: no deadlock, no lost update, totals exact."""

import threading
from decimal import Decimal

import pytest
from django.db import close_old_connections, connection
from django.utils import timezone

from weishang.agents import selectors, services
from weishang.agents.models import Agent

from .recompute import assert_counters_match

pytestmark = [
    pytest.mark.django_db(transaction=True),
    pytest.mark.skipif(connection.vendor != "postgresql" and not connection.settings_dict["TEST"].get("NAME"),
                       reason="threads need a real (file or server) database"),
]


def run_threads(n, fn):
    barrier = threading.Barrier(n)
    errors = []

    def worker(i):
        close_old_connections()
        try:
            barrier.wait()
            fn(i)
        except Exception as exc:  # reported below
            errors.append(exc)
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return errors


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

    errors = run_threads(12, work)
    assert errors == []
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

    errors = run_threads(12, work)
    assert errors == []
    # each even-indexed call hits agents 0, 2, 4 twice: 40 + at most the 10 left (plus any 10 bought)
    assert sum(taken) <= Decimal("60.00") * 3
    assert_counters_match()  # also: no monthly total below zero
    total = sum((selectors.team_summary(a).own_purchases for a in line), Decimal(0))
    assert total == Decimal("50.00") * 6 + Decimal("10.00") * 6 - sum(taken)
