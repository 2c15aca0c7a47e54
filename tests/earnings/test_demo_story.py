"""The demo tells a sensible earnings story (issue 11 #3): no agent below zero, the demo
agents have earnings to withdraw, old orders completed with their earnings released, a
withdrawal paid out, and the ledger balances. With the sandbox (embedded default) consumer
orders are paid online; without an online provider they are paid by transfer."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.core.management import call_command

from weishang.agents.models import Agent
from weishang.earnings import selectors
from weishang.earnings.models import Earning, EarningState, Withdrawal, WithdrawalState
from weishang.ledger.models import Account, AccountKind
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders.models import Order, OrderStatus
from weishang.payments.models import Payment

pytestmark = [pytest.mark.django_db, pytest.mark.slow]
DEMO_AGENT_PHONES = ("+8613500000001", "+8613500000002", "+8613500000003")  # 总代, 一级, 二级 logins


@pytest.mark.parametrize("providers", ["sandbox", ""])
def test_demo_leaves_every_agent_with_a_positive_story(settings, providers, django_capture_on_commit_callbacks):
    settings.PAYMENTS_PROVIDERS = providers
    with django_capture_on_commit_callbacks(execute=True):  # the sandbox's refund notification
        call_command("load_demo", stdout=io.StringIO())

    balances: dict[tuple[int, str], Decimal] = {
        (agent_id, kind): bal for agent_id, kind, bal in Account.objects.filter(agent__isnull=False)
        .values_list("agent_id", "kind", "balance")}
    for agent in Agent.objects.all():
        available = balances.get((agent.pk, AccountKind.AGENT_EARNINGS_AVAILABLE), Decimal(0))
        pending = balances.get((agent.pk, AccountKind.AGENT_EARNINGS_PENDING), Decimal(0))
        assert available >= 0, f"{agent.name} has {available} available"
        assert pending >= 0, f"{agent.name} has {pending} pending"
        ov = selectors.overview(agent)
        assert not ov.refund_after_withdrawal and not ov.owes_for_transfers
    with_money = [a for (a, kind), bal in balances.items() if kind == AccountKind.AGENT_EARNINGS_AVAILABLE and bal > 0]
    assert len(with_money) >= 4
    for phone in DEMO_AGENT_PHONES:  # every demo agent login has something to withdraw
        agent = Agent.objects.get(user__phone=phone)
        assert balances.get((agent.pk, AccountKind.AGENT_EARNINGS_AVAILABLE), 0) > 0, phone

    # Old orders went through the return window: completed by the job, earnings released.
    completed = Order.objects.get(note="demo:consumer:completed")
    assert completed.status == OrderStatus.COMPLETED and completed.completed_at is not None
    assert completed.received_at < completed.completed_at < Order.objects.get(note="demo:consumer:paid").paid_at
    assert not Earning.objects.filter(order_ref=completed.no).exclude(state=EarningState.AVAILABLE).exists()
    assert Earning.objects.filter(order_ref=Order.objects.get(note="demo:consumer:received").no,
                                  state=EarningState.PENDING).exists()
    assert Order.objects.get(note="demo:consumer:refunded").status == OrderStatus.REFUNDED
    methods = set(Payment.objects.filter(order__kind="consumer").values_list("method", flat=True))
    assert methods == ({"sandbox"} if providers else {"offline"})
    # A withdrawal history: one paid out, one waiting.
    states = set(Withdrawal.objects.values_list("state", flat=True))
    assert {WithdrawalState.PAID, WithdrawalState.REQUESTED} <= states

    assert unbalanced_journals() == [] and drift() == []

    out = io.StringIO()
    call_command("load_demo", stdout=out)
    assert "nothing new" in out.getvalue() or "没有新建" in out.getvalue()
