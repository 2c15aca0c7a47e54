from decimal import Decimal

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weishang.ledger import services as L
from weishang.ledger.models import Account, AccountKind, Entry, Journal
from weishang.ledger.selectors import cents_sum, drift, money_of, unbalanced_journals

pytestmark = pytest.mark.django_db


def accs():
    return (L.account(AccountKind.PAYMENT_CLEARING, "CNY"), L.account(AccountKind.HQ_REVENUE, "CNY"),
            L.account(AccountKind.AGENT_PREPAID, "CNY", agent_id=None, supplier_id=None))


def test_post_is_idempotent_and_refuses_bad_postings():
    a, b, _c = accs()
    j, created = L.post(key="k1", kind="order_payment", currency="CNY", lines=[(a, Decimal("-1.10")), (b, Decimal("1.10"))])
    assert created
    j2, created = L.post(key="k1", kind="order_payment", currency="CNY", lines=[(a, Decimal("-9")), (b, Decimal("9"))])
    assert not created and j2.pk == j.pk and L.balance(b) == Decimal("1.10")
    with pytest.raises(L.UnbalancedPosting):
        L.post(key="k2", kind="order_payment", currency="CNY", lines=[(a, Decimal("-1")), (b, Decimal("2"))])
    with pytest.raises(L.UnbalancedPosting):
        L.post(key="k3", kind="order_payment", currency="CNY", lines=[(a, Decimal("-1.001")), (b, Decimal("1.001"))])
    with pytest.raises(L.InsufficientBalance):
        L.post(key="k4", kind="order_payment", currency="CNY", lines=[(b, Decimal("-5")), (a, Decimal("5"))], no_negative=[b])
    assert not Journal.objects.filter(key__in=["k2", "k3", "k4"]).exists()
    assert L.balance(b) == Decimal("1.10")


def test_post_many_is_idempotent_and_set_based(django_assert_max_num_queries):
    a, b, _c = accs()
    postings = [L.Posting(key=f"m{i}", kind="order_payment", currency="CNY", lines=((a.pk, Decimal("-0.10")),
                                                                         (b.pk, Decimal("0.10"))))
                for i in range(500)]
    with django_assert_max_num_queries(12):
        ids = L.post_many(postings)
    assert len(ids) == 500 and L.balance(b) == Decimal("50.00")
    assert L.post_many(postings) == {}
    assert L.balance(b) == Decimal("50.00") and Entry.objects.count() == 1000
    with pytest.raises(L.UnbalancedPosting):
        L.post_many([L.Posting(key="bad", kind="order_payment", currency="CNY", lines=((a.pk, Decimal("1")),))])


def test_ledger_check_and_exact_sums():
    a, b, _c = accs()
    for i in range(30):  # 0.1 + 0.2 ... in floating point would drift on SQLite
        L.post(key=f"f{i}", kind="order_payment", currency="CNY", lines=[(a, Decimal("-0.10")), (b, Decimal("0.10"))])
    assert money_of(Entry.objects.filter(account=b).aggregate(s=cents_sum())["s"]) == Decimal("3.00")
    call_command("ledger_check")
    Account.objects.filter(pk=b.pk).update(balance=Decimal("2.99"))
    assert [x[0].pk for x in drift()] == [b.pk]
    with pytest.raises(CommandError):
        call_command("ledger_check")


@settings(max_examples=30, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(st.lists(st.tuples(st.integers(0, 2), st.integers(0, 2), st.integers(1, 10**7)), min_size=1, max_size=25))
def test_random_postings_keep_balances_equal_to_entries(data):
    from django.db import transaction

    with transaction.atomic():
        a = accs()
        for n, (i, j, cents) in enumerate(data):
            amount = Decimal(cents) / 100
            if i != j:
                L.post(key=f"p{n}", kind="order_payment", currency="CNY", lines=[(a[i], -amount), (a[j], amount)])
        assert unbalanced_journals() == [] and drift() == []
        assert sum(L.balance(x) for x in a) == 0
        transaction.set_rollback(True)
