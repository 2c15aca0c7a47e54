import pytest
from django.db.models import F

from weishang.agents.models import Agent, AgentPurchase, Level, LevelPrice

from .recompute import assert_counters_match

pytestmark = pytest.mark.django_db


def _load():
    from weishang.accounts import demo as accounts_demo
    from weishang.agents import demo as agents_demo
    from weishang.catalog import demo as catalog_demo

    ctx: dict = {"logins": [], "created": []}
    for module in (accounts_demo, catalog_demo, agents_demo):
        module.load(ctx)
    return ctx


def test_demo_tree_is_realistic_and_idempotent():
    ctx = _load()
    assert Level.objects.count() == 4
    assert LevelPrice.objects.count() == 4 * len(ctx["skus"])
    n = Agent.objects.count()
    assert 30 <= n <= 60 and max(Agent.objects.values_list("depth", flat=True)) == 3
    assert Agent.objects.filter(status="frozen").count() == 1 and Agent.objects.filter(status="expired").count() == 1
    assert Agent.objects.exclude(recruiter=None).exclude(recruiter_id=F("upline_id")).count() == 1
    assert len({a.province_code for a in Agent.objects.all()}) >= 4
    purchases = AgentPurchase.objects.count()
    assert purchases > 20
    assert ctx["agent"].depth == 0 and ctx["agent"].team_size > 5
    phones = [p for _label, p, _pw in ctx["logins"]]
    assert ctx["agent"].user.phone in phones
    assert_counters_match()
    ctx2 = _load()
    assert Agent.objects.count() == n and AgentPurchase.objects.count() == purchases
    assert not [c for c in ctx2["created"] if c.startswith(("agent", "level"))]
