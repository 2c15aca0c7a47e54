from datetime import timedelta

import pytest
from django.utils import timezone

from weishang.earnings import services as S
from weishang.earnings.models import Withdrawal

from .conftest import restock

pytestmark = pytest.mark.django_db


def test_api_summary_statement_and_withdrawal(client, tree, factories):
    S.settle_lines([restock("A1", tree["b"], tree["mid"], "500.00", order="OA1")])
    S.mark_received("OA1", timezone.now() - timedelta(days=8))
    S.settle_lines([restock("A2", tree["b"], tree["mid"], "20.00", order="OA2")])
    S.release_due()
    client.force_login(tree["mid"].user)
    data = client.get("/api/v1/earnings/summary").json()
    assert data["available"] == "500.00" and data["pending"] == "20.00"
    assert data["pending_items"][0]["order_ref"] == "OA2"
    now = timezone.localtime()
    st = client.get(f"/api/v1/earnings/statement/{now.year}/{now.month}").json()
    assert st["closing"] == "520.00" and {r["order_ref"] for r in st["rows"]} == {"OA1", "OA2"}
    body = {"amount": "600", "payee_name": "x", "payee_account": "1"}
    r = client.post("/api/v1/earnings/withdrawals", body, content_type="application/json")
    assert r.status_code == 409 and r.json()["code"] == "insufficient_balance"
    body["amount"] = "300"
    r = client.post("/api/v1/earnings/withdrawals", body, content_type="application/json",
                    headers={"Idempotency-Key": "w1"})
    r2 = client.post("/api/v1/earnings/withdrawals", body, content_type="application/json",
                     headers={"Idempotency-Key": "w1"})
    assert r.status_code == 201 and r2.json()["id"] == r.json()["id"] and Withdrawal.objects.count() == 1
    client.force_login(factories.user())
    assert client.get("/api/v1/earnings/summary").status_code == 403
    client.logout()
    assert client.get("/api/v1/earnings/summary").status_code == 401
