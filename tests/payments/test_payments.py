from __future__ import annotations

from decimal import Decimal

import pytest

from tests.orders.helpers import give, png
from weishang.core.errors import DomainError
from weishang.ledger.models import Account, AccountKind, Journal
from weishang.ledger.selectors import drift, unbalanced_journals
from weishang.orders import services
from weishang.payments import services as pay

pytestmark = pytest.mark.django_db


def posted(order_no: str) -> dict:
    """What the payment journal moved, by (account kind, agent id). Earnings may move the
    clearing money on afterwards (its order_paid receiver), so balances are not checked."""
    j = Journal.objects.get(key=f"order:pay:{order_no}")
    return {(e.account.kind, e.account.agent_id): e.amount for e in j.entries.select_related("account")}


def bal(kind, agent=None):
    key = Account.make_key(kind, "CNY", agent.pk if agent else None)
    return Account.objects.filter(key=key).values_list("balance", flat=True).first() or Decimal(0)


def test_hq_topup_needs_finance_reason_and_positive_amount(tree, factories):
    for user, amount, reason in ((factories.staff("warehouse"), "10", "x"), (tree.low.user, "10", "x")):
        with pytest.raises(DomainError):
            pay.hq_topup(agent=tree.low, amount=amount, currency="CNY", reason=reason, user=user)
    for amount, reason in (("0", "x"), ("-5", "x"), ("1.234", "x"), ("abc", "x"), ("10", " ")):
        with pytest.raises(DomainError):
            pay.hq_topup(agent=tree.low, amount=amount, currency="CNY", reason=reason, user=tree.hq_user)
    finance = factories.staff("finance")
    t = pay.hq_topup(agent=tree.low, amount="250.50", currency="CNY", reason="活动返利", user=finance)
    assert bal(AccountKind.AGENT_PREPAID, tree.low) == Decimal("250.50")
    assert bal(AccountKind.PREPAID_FUNDING) == Decimal("-250.50")
    assert Journal.objects.get(key=f"topup:{t.pk}").memo == "活动返利"


def test_topup_in_another_currency_than_the_agents_is_refused(tree, factories):
    assert tree.low.level.currency == "CNY"
    finance = factories.staff("finance")
    with pytest.raises(DomainError) as err:
        pay.hq_topup(agent=tree.low, amount="100", currency="TWD", reason="活动返利", user=finance)
    assert err.value.code == "currency_mismatch" and "currency" in err.value.fields
    with pytest.raises(DomainError) as err:
        pay.request_topup(user=tree.low.user, amount="100", currency="TWD", proof=png(), reason="")
    assert err.value.code == "currency_mismatch"
    assert not Journal.objects.filter(kind="prepaid_topup").exists()


def test_restock_from_hq_paid_offline_confirmed_by_finance(tree, factories):
    give(None, tree.sku, 10)
    order = services.create_restock(user=tree.top.user, lines=[(tree.sku.pk, 4)])  # 总代 buys from HQ
    assert order.seller_agent is None and order.total == Decimal("200.00")
    p = pay.pay(order_no=order.no, user=tree.top.user, method="offline", proof=png())
    with pytest.raises(DomainError):
        pay.confirm(payment_id=p.pk, user=factories.staff("warehouse"))
    pay.confirm(payment_id=p.pk, user=factories.staff("finance"))
    assert posted(order.no) == {(AccountKind.PAYMENT_CLEARING, None): Decimal("200.00"),
                                (AccountKind.PREPAID_FUNDING, None): Decimal("-200.00")}
    j = Journal.objects.get(key=f"order:pay:{order.no}")
    assert (j.ref_type, j.ref_id) == ("order", order.no)
    assert drift() == [] and unbalanced_journals() == []


def test_offline_to_agent_payee_takes_it_from_the_payee(tree):
    give(tree.mid, tree.sku, 10)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 10)])
    p = pay.pay(order_no=order.no, user=tree.low.user, method="offline", proof=png())
    pay.confirm(payment_id=p.pk, user=tree.mid.user)
    assert posted(order.no) == {(AccountKind.PAYMENT_CLEARING, None): Decimal("900.00"),
                                (AccountKind.AGENT_EARNINGS_AVAILABLE, tree.mid.pk): Decimal("-900.00")}


def test_rejected_offline_payment_can_be_paid_again(tree):
    give(tree.mid, tree.sku, 10)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 1)])
    p = pay.pay(order_no=order.no, user=tree.low.user, method="offline", proof=png())
    with pytest.raises(DomainError):
        pay.pay(order_no=order.no, user=tree.low.user, method="offline", proof=png())  # one waiting already
    with pytest.raises(DomainError):
        pay.reject(payment_id=p.pk, user=tree.mid.user, reason="")
    pay.reject(payment_id=p.pk, user=tree.mid.user, reason="没收到")
    pay.hq_topup(agent=tree.low, amount="100", currency="CNY", reason="t", user=tree.hq_user)
    pay.pay(order_no=order.no, user=tree.low.user, method="prepaid")
    order.refresh_from_db()
    assert order.status == "received"


def test_upline_transfer_topup_requires_proof_and_payee(tree, factories):
    with pytest.raises(DomainError):
        pay.request_topup(user=tree.low.user, amount="10", currency="CNY", proof=None)
    with pytest.raises(DomainError):
        pay.request_topup(user=factories.user(), amount="10", currency="CNY", proof=png())
    t = pay.request_topup(user=tree.low.user, amount="10", currency="CNY", proof=png())
    with pytest.raises(DomainError):
        pay.decide_topup(topup_id=t.pk, user=tree.top.user, approve=True)
    pay.decide_topup(topup_id=t.pk, user=tree.mid.user, approve=True)
    with pytest.raises(DomainError):
        pay.decide_topup(topup_id=t.pk, user=tree.mid.user, approve=True)
    assert bal(AccountKind.AGENT_PREPAID, tree.low) == Decimal("10.00")
    assert bal(AccountKind.AGENT_EARNINGS_AVAILABLE, tree.mid) == Decimal("-10.00")
