"""Concurrent withdrawals never exceed the available balance; a withdrawal is never paid twice."""

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.threads import needs_shared_database, run_together
from weishang.core.errors import DomainError
from weishang.earnings import services as S
from weishang.earnings.models import Withdrawal
from weishang.ledger.models import Account, Journal
from weishang.ledger.selectors import drift, unbalanced_journals

from .conftest import restock

pytestmark = [
    pytest.mark.django_db(transaction=True),
    needs_shared_database,
]




def test_concurrent_withdrawals_never_exceed_available(tree, factories, settings):
    settings.EARNINGS_WITHDRAWAL_FEE_PERCENT = "0"
    settings.EARNINGS_WITHDRAWAL_FEE_MIN_CNY = "0"
    mid = tree["mid"]
    S.settle_lines([restock("T1", tree["b"], mid, "1000.00", order="OT1")])
    S.mark_received("OT1", timezone.now() - timedelta(days=10))
    S.release_due()
    results = run_together(8, lambda i: S.request_withdrawal(agent=mid, amount="300", currency="CNY",
                                                            payee_name="x", payee_account="1"), expected=(DomainError,))
    ok = [r for r in results if isinstance(r, Withdrawal)]
    assert len(ok) == 3 and len(results) == 8
    avail = Account.objects.get(key=Account.make_key("agent_earnings_available", "CNY", mid.pk))
    assert avail.balance == Decimal("100.00")
    from weishang.accounts.roles import sync_hq_roles

    sync_hq_roles()  # a transactional test starts from a flushed database
    fin = factories.staff("finance")
    S.approve_withdrawal(ok[0].pk, by=fin)
    paid = run_together(6, lambda i: S.mark_paid(ok[0].pk, by=fin), expected=(DomainError,))
    assert sum(isinstance(r, Withdrawal) for r in paid) == 1
    assert Journal.objects.filter(key=f"wd-paid:{ok[0].pk}").count() == 1
    assert unbalanced_journals() == [] and drift() == []


def test_concurrent_confirmations_of_one_payment_post_once(tree):
    S.save_rule(kind="same_level", rates="3")
    lines = [restock(f"C{i}", tree["b"], tree["mid"], "100.00", order="OC") for i in range(3)]
    results = run_together(6, lambda i: S.settle_lines(lines), expected=(DomainError,))
    assert sorted(results) == [0, 0, 0, 0, 0, 6]
    assert Journal.objects.filter(kind__startswith="earning:").count() == 6
    assert unbalanced_journals() == [] and drift() == []
