import pytest

from weishang.earnings import demo
from weishang.earnings.models import Earning, RuleVersion, Withdrawal

pytestmark = pytest.mark.django_db


def test_demo_is_idempotent(factories):
    top_l, mid_l, _low = factories.standard_levels()
    top = factories.agent(top_l)
    agent = factories.agent(mid_l, upline=top)
    factories.agent(_low, upline=agent)
    ctx = {"agent": agent}
    demo.load(ctx)
    counts = (RuleVersion.objects.count(), Earning.objects.count(), Withdrawal.objects.count())
    assert counts[1] >= 3 and counts[2] == 1
    demo.load(ctx)
    assert (RuleVersion.objects.count(), Earning.objects.count(), Withdrawal.objects.count()) == counts
