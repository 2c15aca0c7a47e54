"""Demo data for earnings: lawful rules, (when the orders demo has not paid anything for the
demo agent) a few settled lines, and the demo agent's withdrawals: one paid out by finance
twelve days ago, one waiting (weishang.core.demo_clock). Idempotent: fixed keys, nothing is
created twice."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from weishang.agents.models import Agent
from weishang.core import demo_clock

from . import services
from .models import Earning, RuleVersion, Withdrawal
from .rules import PaidLine, Share

RULES = [("same_level", "3", 0), ("referral", "5", 0), ("share_commission", "2", 0), ("passed_over", "", 0)]


def _demo_agent(ctx: dict) -> Agent | None:
    agent = ctx.get("agent")
    if agent is None:
        agent = Agent.objects.filter(upline__isnull=False).order_by("depth", "pk").first()
    return agent


RULES_DAYS_AGO = 60  # in force before the orders demo's first restock


def save_rules(ctx: dict) -> None:
    """The demo's lawful rules (the orders demo calls this first, so its restocks earn rewards)."""
    with demo_clock.days_ago(RULES_DAYS_AGO):
        for kind, rates, depth in RULES:
            if not RuleVersion.objects.filter(kind=kind).exists():
                services.save_rule(kind=kind, rates=rates, depth=depth, note="demo", by=ctx.get("hq_admin"))


def load(ctx: dict) -> None:
    save_rules(ctx)
    agent = _demo_agent(ctx)
    if agent is None:
        return
    ctx["earnings_agent"] = agent
    if not Earning.objects.filter(agent=agent).exists():
        now = timezone.now()
        buyer = agent.downlines.first()
        lines = [
            PaidLine(ref="DEMO-E1:1", order_ref="DEMO-E1", kind="consumer", currency="CNY", paid=Decimal("256.00"),
                     origin_id=agent.pk, shares=(Share("proceeds", Decimal("256.00"), agent_id=agent.pk),)),
            PaidLine(ref="DEMO-E2:1", order_ref="DEMO-E2", kind="consumer", currency="CNY", paid=Decimal("128.00"),
                     origin_id=agent.pk, shares=(Share("proceeds", Decimal("128.00"), agent_id=agent.pk),)),
        ]
        if buyer is not None:
            lines.append(PaidLine(ref="DEMO-E3:1", order_ref="DEMO-E3", kind="restock", currency="CNY",
                                  paid=Decimal("900.00"), origin_id=buyer.pk, first_restock=True,
                                  shares=(Share("proceeds", Decimal("900.00"), agent_id=agent.pk),)))
        services.settle_lines(lines, paid_at=now - timedelta(days=12))
        services.mark_received("DEMO-E1", now - timedelta(days=10))
        services.mark_received("DEMO-E3", now - timedelta(days=9))
        services.mark_received("DEMO-E2", now - timedelta(days=2))
    services.release_due()
    _withdrawals(agent, ctx)


# (idempotency key, amount, days ago, how far finance took it): one paid out, one waiting.
WITHDRAWALS = [("demo-paid-1", "300", 12, "paid"), ("demo-1", "200", 0, "requested")]


def _withdrawals(agent: Agent, ctx: dict) -> None:
    finance = ctx.get("hq_finance")
    for key, amount, days, until in WITHDRAWALS:
        if Withdrawal.objects.filter(agent=agent, idempotency_key=key).exists():
            continue
        if until == "paid" and finance is None:
            continue  # a paid-out withdrawal needs finance to decide it
        with demo_clock.days_ago(days):
            if services.available_balance(agent.pk, "CNY") < Decimal(amount):
                continue
            w = services.request_withdrawal(agent=agent, amount=amount, currency="CNY", payee_name=agent.name,
                                            payee_account="6222 0000 1111 2222", payee_bank="招商银行",
                                            idempotency_key=key)
            ctx.setdefault("created", []).append(f"withdrawal {key}")
            if until == "paid":
                services.approve_withdrawal(w.pk, by=finance)
                services.mark_paid(w.pk, by=finance)
