from datetime import timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from weishang.earnings import services as S
from weishang.earnings.models import RuleVersion, Withdrawal

from .conftest import restock

pytestmark = pytest.mark.django_db


@pytest.fixture
def funded(tree):
    S.settle_lines([restock("V1", tree["b"], tree["mid"], "800.00", order="OV1"),
                    restock("V2", tree["b"], tree["mid"], "50.00", order="OV2")])
    S.mark_received("OV1", timezone.now() - timedelta(days=8))
    S.release_due()
    return tree


def test_agent_page_shows_pending_and_available_and_withdraws(client, funded, django_assert_max_num_queries):
    mid = funded["mid"]
    client.force_login(mid.user)
    with django_assert_max_num_queries(12):
        resp = client.get(reverse("earnings:home"))
    text = resp.content.decode()
    assert resp.status_code == 200 and "¥800.00" in text and "¥50.00" in text and "OV2" in text
    bad = client.post(reverse("earnings:home"), {"amount": "900", "payee_name": "张三", "payee_account": "622"})
    assert bad.status_code == 400 and Withdrawal.objects.count() == 0
    bad = client.post(reverse("earnings:home"), {"amount": "-1", "payee_name": "张三", "payee_account": "622"})
    assert bad.status_code == 400 and Withdrawal.objects.count() == 0
    ok = client.post(reverse("earnings:home"), {"amount": "500", "payee_name": "张三", "payee_account": "622",
                                                "idempotency_key": "abc"})
    assert ok.status_code == 302 and Withdrawal.objects.get().amount == Decimal("500.00")


def test_statement_is_own_only(client, funded):
    mid, other = funded["mid"], funded["a"]
    client.force_login(mid.user)
    resp = client.get(reverse("earnings:statement"))
    assert resp.status_code == 200 and "OV1" in resp.content.decode()
    assert client.get(reverse("earnings:statement") + f"?agent={other.pk}").status_code == 404
    x = client.get(reverse("earnings:statement_xlsx"))
    assert x.status_code == 200 and x.content[:2] == b"PK"
    client.force_login(other.user)
    assert "OV1" not in client.get(reverse("earnings:statement")).content.decode()


def test_non_agents_and_non_staff_are_refused(client, factories, funded):
    client.force_login(factories.user())
    assert client.get(reverse("earnings:home")).status_code == 403
    for name in ("earnings:hq_profile", "earnings:hq_totals", "earnings:hq_withdrawals"):
        assert client.get(reverse(name)).status_code == 403
    client.force_login(funded["mid"].user)
    assert client.get(reverse("earnings:hq_withdrawals")).status_code == 403
    client.logout()
    assert client.get(reverse("earnings:hq_withdrawals")).status_code == 302  # to the login page


def test_hq_pages(client, factories, funded):
    fin = factories.staff("finance")
    client.force_login(fin)
    prof = client.get(reverse("earnings:hq_profile")).content.decode()
    assert "cn" in prof and "2" in prof
    totals = client.get(reverse("earnings:hq_totals")).content.decode()
    assert "0.00" in totals
    assert client.get(reverse("earnings:hq_totals_xlsx")).content[:2] == b"PK"
    w = S.request_withdrawal(agent=funded["mid"], amount="300", currency="CNY", payee_name="x", payee_account="1")
    client.post(reverse("earnings:hq_withdrawals"), {"action": "reject", "id": w.pk, "reason": ""})
    w.refresh_from_db()
    assert w.state == "requested"
    client.post(reverse("earnings:hq_withdrawals"), {"action": "approve", "id": w.pk})
    client.post(reverse("earnings:hq_withdrawals"), {"action": "batch", "currency": "CNY"})
    w.refresh_from_db()
    assert w.state == "approved" and w.batch_id
    x = client.get(reverse("earnings:batch_xlsx", args=[w.batch_id]))
    assert x.content[:2] == b"PK"
    client.post(reverse("earnings:hq_withdrawals"), {"action": "paid", "batch": w.batch_id})
    w.refresh_from_db()
    assert w.state == "paid"


def test_admin_rule_edit_makes_a_new_version_and_refuses_unlawful(client, factories):
    admin = factories.staff("admin")
    client.force_login(admin)
    url = reverse("admin:earnings_ruleversion_add")
    resp = client.post(url, {"kind": "same_level", "enabled": "on", "rates": "3,1,1", "depth": "0", "note": ""})
    assert resp.status_code == 200 and "at most 2" in resp.content.decode()
    assert RuleVersion.objects.count() == 0
    resp = client.post(url, {"kind": "same_level", "enabled": "on", "rates": "3", "depth": "0", "note": ""})
    assert resp.status_code == 302
    v1 = RuleVersion.objects.get()
    change = reverse("admin:earnings_ruleversion_change", args=[v1.pk])
    resp = client.post(change, {"enabled": "on", "rates": "4", "depth": "0", "note": "raise"})
    assert resp.status_code == 302
    assert list(RuleVersion.objects.order_by("version").values_list("version", "rates")) == [(1, "3"), (2, "4")]


def test_back_office_menu_links_open_the_hq_pages(client, factories):
    client.force_login(factories.staff("finance"))
    index = client.get("/admin/").content.decode()
    for path, target in (("compliancepage", "earnings:hq_profile"), ("settlementpage", "earnings:hq_withdrawals"),
                         ("monthtotalspage", "earnings:hq_totals")):
        assert f"/admin/earnings/{path}/" in index
        resp = client.get(f"/admin/earnings/{path}/")
        assert resp.status_code == 302 and resp["Location"] == reverse(target)
