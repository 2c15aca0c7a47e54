from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import call_command
from django.utils import timezone

from weishang.core.errors import Conflict, DomainError, PermissionDenied
from weishang.earnings import selectors
from weishang.earnings import services as S
from weishang.earnings.models import Earning, EarningState, RuleVersion, Withdrawal
from weishang.ledger.models import Account, AccountKind, Entry, Journal
from weishang.ledger.selectors import drift, unbalanced_journals

from .conftest import consumer, restock

pytestmark = pytest.mark.django_db


def bal(agent, kind="agent_earnings_pending"):
    acc = Account.objects.filter(key=Account.make_key(kind, "CNY", agent.pk)).first()
    return acc.balance if acc else Decimal(0)


def ledger_ok():
    assert unbalanced_journals() == []
    assert drift() == []


def test_rules_are_versioned_and_refused_when_unlawful(factories):
    admin = factories.staff("admin")
    v1 = S.save_rule(kind="same_level", rates="3", by=admin)
    v2 = S.save_rule(kind="same_level", rates="3,1", by=admin)
    assert (v1.version, v2.version) == (1, 2)
    assert S.rules_in_force()["same_level"] == v2
    with pytest.raises(S.RuleRefused) as exc:
        S.save_rule(kind="same_level", rates="1,1,1", by=admin)
    assert "at most 2" in str(exc.value.message) and "rates" in exc.value.fields
    with pytest.raises(S.RuleRefused):
        S.save_rule(kind="share_commission", rates="120", by=admin)
    with pytest.raises(S.RuleRefused):
        S.save_rule(kind="passed_over", depth=3, by=admin)
    assert RuleVersion.objects.count() == 2


def test_settle_is_idempotent_and_freezes_rule_version(tree):
    S.save_rule(kind="same_level", rates="5")
    line = restock("L1", tree["b"], tree["mid"], "900.00")
    assert S.settle_lines([line]) == 2
    assert S.settle_lines([line]) == 0  # a repeated payment confirmation
    assert bal(tree["mid"]) == Decimal("900.00")
    assert bal(tree["a"]) == Decimal("45.00")
    e = Earning.objects.get(kind="same_level")
    assert e.rule_version.version == 1 and e.key.endswith(":v1")
    S.save_rule(kind="same_level", rates="10")  # editing never changes past entries
    e.refresh_from_db()
    assert e.amount == Decimal("45.00") and e.rule_version.version == 1
    S.settle_lines([restock("L2", tree["b"], tree["mid"], "100.00")])
    assert Earning.objects.get(line__ref="L2", kind="same_level").amount == Decimal("10.00")
    ledger_ok()


def test_pending_until_window_closes_then_available(tree, settings):
    settings.EARNINGS_RETURN_WINDOW_DAYS = 7
    S.settle_lines([consumer("C1", tree["a"], "38.00", "90.00", order="OC1")])
    now = timezone.now()
    assert S.release_due(now + timedelta(days=30)) == 0  # not received yet: no date
    S.mark_received("OC1", now)
    assert S.release_due(now + timedelta(days=6)) == 0
    S.set_refund_hold("OC1", True)
    assert S.release_due(now + timedelta(days=8)) == 0
    S.set_refund_hold("OC1", False)
    assert S.release_due(now + timedelta(days=8)) == 1
    assert S.release_due(now + timedelta(days=9)) == 0  # nothing twice
    assert bal(tree["a"]) == 0 and bal(tree["a"], "agent_earnings_available") == Decimal("38.00")
    call_command("run_periodic_jobs", "earnings-release")
    ledger_ok()


def test_partial_then_full_refund_reverses_to_the_cent(tree):
    S.save_rule(kind="same_level", rates="3.33")
    S.settle_lines([restock("R1", tree["b"], tree["mid"], "100.01", order="OR1")])
    S.refund_order("OR1", key="rf1", amount="33.33")
    S.refund_order("OR1", key="rf1", amount="33.33")  # retried: no change
    assert bal(tree["mid"]) == Decimal("66.68")
    S.refund_order("OR1", key="rf2")  # the rest
    assert bal(tree["mid"]) == 0 and bal(tree["a"]) == 0
    assert set(Earning.objects.values_list("state", flat=True)) == {EarningState.REVERSED}
    ledger_ok()


def test_refund_after_withdrawal_goes_negative_and_is_recovered(tree, factories, settings):
    settings.EARNINGS_WITHDRAWAL_FEE_PERCENT = "0"
    settings.EARNINGS_WITHDRAWAL_FEE_MIN_CNY = "0"
    now = timezone.now()
    S.settle_lines([restock("W1", tree["b"], tree["mid"], "500.00", order="OW1")])
    S.mark_received("OW1", now - timedelta(days=10))
    S.release_due(now)
    w = S.request_withdrawal(agent=tree["mid"], amount="500", currency="CNY", payee_name="张三",
                             payee_account="6222000011112222")
    fin = factories.staff("finance")
    S.approve_withdrawal(w.pk, by=fin)
    S.mark_paid(w.pk, by=fin)
    S.refund_order("OW1", key="late", amount="200.00")
    assert bal(tree["mid"], "agent_earnings_available") == Decimal("-200.00")
    with pytest.raises(DomainError):
        S.request_withdrawal(agent=tree["mid"], amount="100", currency="CNY", payee_name="张三", payee_account="1")
    S.settle_lines([restock("W2", tree["b"], tree["mid"], "300.00", order="OW2")])
    S.mark_received("OW2", now - timedelta(days=10))
    S.release_due(now)
    assert bal(tree["mid"], "agent_earnings_available") == Decimal("100.00")
    ledger_ok()


def test_withdrawal_rules(tree, factories):
    now = timezone.now()
    S.settle_lines([restock("X1", tree["b"], tree["mid"], "1000.00", order="OX1")])
    S.mark_received("OX1", now - timedelta(days=8))
    S.release_due(now)
    mid = tree["mid"]
    for bad in ("-5", "100.001", "abc", "50"):
        with pytest.raises(DomainError):
            S.request_withdrawal(agent=mid, amount=bad, currency="CNY", payee_name="x", payee_account="1")
    with pytest.raises(DomainError) as exc:
        S.request_withdrawal(agent=mid, amount="1000.01", currency="CNY", payee_name="x", payee_account="1")
    assert exc.value.code == "insufficient_balance"
    assert Withdrawal.objects.count() == 0
    w = S.request_withdrawal(agent=mid, amount="600", currency="CNY", payee_name="x", payee_account="1",
                             idempotency_key="k1")
    assert S.request_withdrawal(agent=mid, amount="600", currency="CNY", payee_name="x", payee_account="1",
                                idempotency_key="k1").pk == w.pk
    assert w.fee == Decimal("3.60")
    assert bal(mid, "agent_earnings_available") == Decimal("400.00")
    # finance who is also this agent cannot approve its own withdrawal
    mid.user.is_staff = True
    mid.user.save()
    from django.contrib.auth.models import Group
    mid.user.groups.add(Group.objects.get(name="finance"))
    with pytest.raises(PermissionDenied):
        S.approve_withdrawal(w.pk, by=mid.user)
    with pytest.raises(PermissionDenied):
        S.approve_withdrawal(w.pk, by=factories.staff("operator"))
    fin = factories.staff("finance")
    with pytest.raises(Conflict):
        S.mark_paid(w.pk, by=fin)  # not approved yet
    S.approve_withdrawal(w.pk, by=fin)
    batch = S.create_batch(by=fin, currency="CNY")
    data = selectors.batch_xlsx(batch)
    assert data[:2] == b"PK"
    assert S.mark_batch_paid(batch.pk, by=fin) == 1
    with pytest.raises(Conflict):
        S.mark_paid(w.pk, by=fin)  # never paid twice
    assert Journal.objects.filter(key=f"wd-paid:{w.pk}").count() == 1
    assert bal(mid, "agent_withdrawn") == Decimal("596.40")
    w2 = S.request_withdrawal(agent=mid, amount="300", currency="CNY", payee_name="x", payee_account="1")
    with pytest.raises(DomainError):
        S.reject_withdrawal(w2.pk, by=fin, reason=" ")
    S.reject_withdrawal(w2.pk, by=fin, reason="账户名不符")
    assert bal(mid, "agent_earnings_available") == Decimal("400.00")
    ledger_ok()


def test_statement_and_hq_totals_reconcile(tree):
    now = timezone.now()
    S.save_rule(kind="same_level", rates="2")
    S.settle_lines([restock("S1", tree["b"], tree["mid"], "900.00", order="OS1"),
                    consumer("S2", tree["mid"], "38.00", "90.00", order="OS2")])
    S.refund_order("OS2", key="r", amount="64.00")
    st = selectors.statement(tree["mid"], now.year, now.month)
    assert st.opening == 0
    assert st.closing == sum((r.amount for r in st.rows), Decimal(0)) == bal(tree["mid"]) + bal(
        tree["mid"], "agent_earnings_available")
    assert all(r.order_ref for r in st.rows)
    assert selectors.statement_xlsx(st)[:2] == b"PK"
    totals = selectors.hq_month_totals(now.year, now.month)
    assert totals.difference == 0
    assert totals.by_type["earning:sale_proceeds"] == Decimal("900.00")
    ledger_ok()


def test_ledger_check_reports_drift(tree):
    from django.core.management.base import CommandError

    S.settle_lines([restock("D1", tree["b"], tree["mid"], "10.00")])
    call_command("ledger_check")
    Account.objects.filter(agent=tree["mid"]).update(balance=Decimal("1.00"))
    with pytest.raises(CommandError):
        call_command("ledger_check")
    assert selectors.pending_mismatches() == [(tree["mid"].pk, "CNY", Decimal("1.00"), Decimal("10.00"))]
    assert Entry.objects.filter(account__kind=AccountKind.AGENT_EARNINGS_PENDING).count() == 1


@pytest.mark.parametrize("n", [1, 10])
def test_settle_query_count_does_not_grow_with_lines(tree, n, django_assert_max_num_queries):
    S.save_rule(kind="same_level", rates="2")
    S.save_rule(kind="referral", rates="1")
    lines = [restock(f"Q{n}-{i}", tree["b"], tree["mid"], "10.00", order=f"OQ{n}", first_restock=True)
             for i in range(n)]
    with django_assert_max_num_queries(24):  # the same bound for 1 and 10 lines
        assert S.settle_lines(lines) == 3 * n


def test_bad_refunds_change_nothing(tree):
    S.settle_lines([restock("B1", tree["b"], tree["mid"], "100.00", order="OB1")])
    before = (Journal.objects.count(), bal(tree["mid"]))
    for amount in ("-1", "10.001", "100.01", "abc"):
        with pytest.raises(DomainError):
            S.refund_order("OB1", key=f"bad{amount}", amount=amount)
        with pytest.raises(DomainError):
            S.refund_line("B1", amount, key=f"badl{amount}")
    with pytest.raises(DomainError):
        S.refund_order("OB1", key="badx", line_amounts={"nope": "1"})
    assert (Journal.objects.count(), bal(tree["mid"])) == before


def test_ledger_admin_is_read_only(client, factories, tree):
    S.settle_lines([restock("AD1", tree["b"], tree["mid"], "10.00")])
    client.force_login(factories.staff("finance"))
    assert client.get("/admin/ledger/journal/").status_code == 200
    assert client.get("/admin/ledger/journal/add/").status_code == 403
    assert client.get("/admin/earnings/earning/").status_code == 200
