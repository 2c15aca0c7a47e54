"""Complaints: a consumer complains about its order (or an agent); HQ assigns and closes
it with an outcome; only HQ staff with the complaints permission may."""

from __future__ import annotations

import pytest

from tests.orders.helpers import build_tree, give
from weishang.complaints import services
from weishang.complaints.models import Complaint, ComplaintStatus
from weishang.core.errors import Conflict, DomainError, PermissionDenied
from weishang.orders import services as orders

pytestmark = pytest.mark.django_db
ADDRESS = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
           "district_code": "110101", "detail": "东华门街道 1 号"}


def test_consumer_complains_and_hq_assigns_and_closes(factories, client):
    t = build_tree(factories)
    give(t.mid, t.sku, 2)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=t.mid.pk, lines=[(t.sku.pk, 1)],
                                         address=ADDRESS)
    with pytest.raises(DomainError) as exc:
        services.open_complaint(user=factories.user(), subject="x", body="y", order_no=order.no)
    assert "order_no" in exc.value.fields  # not one's own order
    with pytest.raises(DomainError):
        services.open_complaint(user=consumer, subject="", body="")
    c = services.open_complaint(user=consumer, subject="发货太慢", body="十天没发货", order_no=order.no)
    assert c.agent_id == t.mid.pk and c.status == ComplaintStatus.OPEN
    operator, warehouse = factories.staff("operator"), factories.staff("warehouse")
    with pytest.raises(PermissionDenied):
        services.assign(c.pk, actor=warehouse, assignee=operator)
    with pytest.raises(DomainError):
        services.assign(c.pk, actor=operator, assignee=warehouse)  # cannot handle complaints
    services.assign(c.pk, actor=operator, assignee=operator)
    with pytest.raises(DomainError):
        services.close(c.pk, actor=operator, outcome=" ")
    services.close(c.pk, actor=operator, outcome="已催促代理发货并补偿优惠券")
    c.refresh_from_db()
    assert c.status == ComplaintStatus.CLOSED and c.closed_by == operator and c.outcome
    with pytest.raises(Conflict):
        services.close(c.pk, actor=operator, outcome="again")


def test_pages_check_permissions(factories, client):
    t = build_tree(factories)
    consumer = factories.user()
    client.force_login(consumer)
    assert client.get("/complaints/hq/").status_code == 403
    r = client.post("/complaints/new/", {"subject": "态度差", "body": "代理骂人", "agent_id": t.mid.pk})
    assert r.status_code == 302 and Complaint.objects.filter(agent=t.mid).count() == 1
    r = client.post("/complaints/new/", {"subject": "x", "body": "y", "order_no": "NOPE"})
    assert r.status_code == 400 and Complaint.objects.count() == 1
    c = Complaint.objects.get()
    client.force_login(factories.staff("warehouse"))
    assert client.get("/complaints/hq/").status_code == 403
    operator = factories.staff("operator")
    client.force_login(operator)
    page = client.get("/complaints/hq/")
    assert page.status_code == 200 and "态度差" in page.content.decode()
    client.post(f"/complaints/hq/{c.pk}/close/", {"outcome": "已核实，代理已道歉"})
    assert Complaint.objects.get().status == ComplaintStatus.CLOSED
