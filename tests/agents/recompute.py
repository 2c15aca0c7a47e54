"""Recompute the maintained tree totals from scratch (slow, tests only) and compare."""

from collections import defaultdict
from decimal import Decimal

from weishang.agents.models import Agent, AgentMonth, AgentPurchase
from weishang.agents.services import month_of


def assert_counters_match() -> None:
    agents = {a.pk: a for a in Agent.objects.all()}
    size: dict[int, int] = defaultdict(int)
    direct: dict[int, int] = defaultdict(int)
    own: dict[tuple, Decimal] = defaultdict(Decimal)
    team: dict[tuple, Decimal] = defaultdict(Decimal)
    for a in agents.values():
        # path = ancestors + self, consistent with upline links and depth
        chain, cur = [], a
        while cur.upline_id is not None:
            cur = agents[cur.upline_id]
            chain.append(cur.pk)
        assert a.path == "/" + "".join(f"{i:010d}/" for i in [*reversed(chain), a.pk]), a.pk
        assert a.depth == len(chain)
        for anc in chain:
            size[anc] += 1
        if a.upline_id:
            direct[a.upline_id] += 1
    for p in AgentPurchase.objects.all():
        m = month_of(p.at)
        own[(p.agent_id, m)] += p.amount
        for anc in agents[p.agent_id].ancestor_ids:
            team[(anc, m)] += p.amount
    for a in agents.values():
        assert (a.team_size, a.direct_count) == (size[a.pk], direct[a.pk]), a.pk
    stored = {(r.agent_id, r.month): (r.own_total, r.team_total) for r in AgentMonth.objects.all()}
    assert all(o >= 0 and t >= 0 for o, t in stored.values()), "a monthly total went below zero"
    for key in set(own) | set(team) | set(stored):
        assert stored.get(key, (0, 0)) == (own.get(key, 0), team.get(key, 0)), key
