"""Every HQ page and HQ API endpoint, walked as each HQ role: the role opens it (200/302)
or gets 403, as the permission map in README ("HQ staff permissions") says. The list is
checked against the URL resolver, so a new HQ URL cannot be left out of this test."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.test import Client
from django.urls import URLResolver, get_resolver, reverse

from tests.orders.helpers import build_tree, give

pytestmark = pytest.mark.django_db

ROLES = ("admin", "operator", "finance", "warehouse")
ALL = frozenset(ROLES)
FINANCE = frozenset({"admin", "finance"})
WAREHOUSE = frozenset({"admin", "warehouse"})
STOCK = frozenset({"admin", "operator", "warehouse"})  # inventory and anti-counterfeit codes
OPERATIONS = frozenset({"admin", "operator"})
ADMIN = frozenset({"admin"})

# url name -> (method, who may). Method "POST" sends `body` (a dict, or JSON for the API).
HQ_URLS: dict[str, tuple[str, frozenset[str]]] = {
    "orders:pick_list": ("GET", WAREHOUSE),
    "orders:pack": ("POST", WAREHOUSE),
    "payments:ship_to_store": ("POST", WAREHOUSE),
    "inventory:hq_stock": ("GET", STOCK),
    "inventory:hq_adjust": ("GET", STOCK),
    "payments:hq_topup": ("GET", FINANCE),
    "earnings:hq_profile": ("GET", FINANCE),
    "earnings:hq_totals": ("GET", FINANCE),
    "earnings:hq_totals_xlsx": ("GET", FINANCE),
    "earnings:hq_withdrawals": ("GET", FINANCE),
    "earnings:batch_xlsx": ("GET", FINANCE),
    "codes:batches": ("GET", STOCK),
    "codes:batch": ("GET", STOCK),
    "codes:batch_file": ("GET", STOCK),
    "codes:batch_labels": ("GET", STOCK),
    "codes:qr": ("GET", STOCK),
    "codes:trace": ("GET", STOCK),
    "codes:alerts": ("GET", STOCK),
    "codes:alert_status": ("POST", STOCK),
    "api:hq_move": ("POST", OPERATIONS),
    "api:hq_freeze": ("POST", OPERATIONS),
    "api:hq_reactivate": ("POST", OPERATIONS),
    "api:all_stock": ("GET", STOCK),
    "api:adjust": ("POST", STOCK),
    "api:buyback_quote": ("GET", FINANCE),
    "api:create_buyback": ("POST", FINANCE),
    "payments:reconcile": ("GET", FINANCE),
    "payments:reconciliation": ("GET", FINANCE),
    "payments:reconciliation_xlsx": ("GET", FINANCE),
    "payments:reconciliation_bill": ("GET", FINANCE),
    "complaints:hq_list": ("GET", OPERATIONS),
    "complaints:hq_assign": ("POST", OPERATIONS),
    "complaints:hq_close": ("POST", OPERATIONS),
    "analytics:jobs": ("GET", ALL),
    # a job started by an HQ admin: only its starter and those who see every job (admin)
    "analytics:job": ("GET", ADMIN),
    "analytics:job_progress": ("GET", ADMIN),
    "analytics:job_file": ("GET", ADMIN),
    "analytics:start_code_export": ("POST", STOCK),
}


def _walk(patterns, prefix="", namespace=None):
    for p in patterns:
        if isinstance(p, URLResolver):
            yield from _walk(p.url_patterns, prefix + str(p.pattern), p.namespace or namespace)
        else:
            yield prefix + str(p.pattern), f"{namespace}:{p.name}" if namespace else p.name, p.callback


def test_every_hq_url_is_in_the_walk():
    """An HQ page is one decorated with hq_page (or with "hq" in its path)."""
    found = {name for route, name, view in _walk(get_resolver().url_patterns)
             if getattr(view, "hq_permission", None) or "hq/" in route}
    assert found == set(HQ_URLS)


@pytest.fixture
def world(factories, settings):
    from weishang.accounts.roles import sync_hq_roles
    from weishang.codes import conf
    from weishang.codes import services as codes
    from weishang.earnings.models import PayoutBatch
    from weishang.orders import services as orders

    settings.CODE_KEYS = "1:" + "a" * 32
    settings.CODE_KEY_VERSION = 1
    conf.reset()
    sync_hq_roles()
    tree = build_tree(factories)
    give(tree.mid, tree.sku, 50)
    give(None, tree.sku, 50)
    address = {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
               "district_code": "110101", "detail": "东华门街道 1 号"}
    batch = codes.create_batch(sku=tree.sku, lot="L1", production_date=dt.date(2026, 1, 1),
                               expiry_date=dt.date(2028, 1, 1), quantity=10, items_per_box=10,
                               boxes_per_case=1, user=tree.hq_user)
    return {
        "tree": tree,
        "order": lambda: orders.create_pickup(user=tree.mid.user, lines=[(tree.sku.pk, 1)], address=address),
        "batch": batch,
        "code": conf.get_codec().encode(batch.serial_start, batch.key_version),
        "payout": PayoutBatch.objects.create(currency="CNY", created_by=tree.hq_user),
        "users": {role: factories.staff(role) for role in ROLES},
        "reconciliation": _reconciliation(tree.hq_user),
        "complaint": _complaint(tree.low.user, tree.mid),
        "job": _job(tree.hq_user, batch),
    }


def _job(user, batch):
    """A finished code export started by an HQ admin: who else may look at it and download it."""
    from weishang.analytics import services as jobs

    with _on_commit_now():
        return jobs.start(kind="code_export", user=user, params={"batch": batch.pk, "format": "csv"})


def _on_commit_now():
    from unittest import mock

    return mock.patch("django.db.transaction.on_commit", lambda fn, *a, **k: fn())


def _reconciliation(user):
    from django.core.files.base import ContentFile
    from django.utils import timezone

    from weishang.payments.models import Reconciliation

    run = Reconciliation(provider="wechatpay", day=dt.date(2026, 1, 2), filename="bill.csv", imported_by=user,
                         imported_at=timezone.now())
    run.bill.save("bill.csv", ContentFile(b"bill"), save=False)
    run.save()
    return run


def _complaint(user, agent):
    from weishang.complaints.models import Complaint

    return Complaint.objects.create(complainant=user, agent=agent, subject="质量", body="质量问题")


def _request(client: Client, name: str, method: str, w) -> int:
    tree = w["tree"]
    args: dict[str, list] = {
        "orders:pack": [w["order"]().no], "payments:ship_to_store": ["WS-NO-SUCH"], "earnings:batch_xlsx": [w["payout"].pk],
        "codes:batch": [w["batch"].pk], "codes:batch_file": [w["batch"].pk, "csv"],
        "codes:batch_labels": [w["batch"].pk], "codes:qr": [w["code"], "svg"], "codes:alert_status": [0],
        "api:hq_move": [tree.low.pk], "api:hq_freeze": [tree.low.pk], "api:hq_reactivate": [tree.low.pk],
        "payments:reconciliation": [w["reconciliation"].pk], "payments:reconciliation_xlsx": [w["reconciliation"].pk],
        "payments:reconciliation_bill": [w["reconciliation"].pk],
        "complaints:hq_assign": [w["complaint"].pk], "complaints:hq_close": [w["complaint"].pk],
        "analytics:job": [w["job"].pk], "analytics:job_progress": [w["job"].pk], "analytics:job_file": [w["job"].pk],
        "analytics:start_code_export": [w["batch"].pk, "csv"],
    }
    query = {"api:buyback_quote": {"agent_id": tree.low.pk, "sku_id": tree.sku.pk, "quantity": 1},
             "codes:batch_labels": {"kind": "item", "first": 1, "count": 2, "size": "40x30"}}
    bodies = {
        "api:hq_move": {"new_upline_id": tree.top.pk, "reason": "调整"},
        "api:hq_freeze": {"reason": "调查"}, "api:hq_reactivate": {"reason": "恢复"},
        "api:adjust": {"sku_id": tree.sku.pk, "quantity": 1, "reason": "盘点"},
        "api:create_buyback": {"agent_id": tree.low.pk, "sku_id": tree.sku.pk, "quantity": 1, "reason": "回购"},
        "codes:alert_status": {"status": "closed"},
        "complaints:hq_close": {"outcome": "已退款并致歉"},
    }
    url = reverse(name, args=args.get(name, []))
    if method == "GET":
        return client.get(url, query.get(name, {})).status_code
    if name.startswith("api:"):
        return client.post(url, json.dumps(bodies.get(name, {})), content_type="application/json",
                           headers={"Idempotency-Key": f"k-{name}"}).status_code
    return client.post(url, bodies.get(name, {})).status_code


@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_only_its_hq_urls(world, role):
    client = Client()
    client.force_login(world["users"][role])
    wrong = []
    for name, (method, allowed) in HQ_URLS.items():
        status = _request(client, name, method, world)
        if role in allowed:
            # The permission lets it through; a page then answers. An action or API call may
            # still meet a business rule (a missing alert is 404, buy-back off is 400): never 403.
            page = method == "GET" and not name.startswith("api:")
            ok = status in (200, 302) if page else status not in (401, 403) and status < 500
        else:
            ok = status == 403
        if not ok:
            wrong.append((name, status))
    assert wrong == []


@pytest.mark.parametrize("role", ROLES)
def test_ship_pack_statement_and_hq_payments_follow_the_map(world, role):
    from weishang.orders.models import OrderStatus

    tree = world["tree"]
    client = Client()
    client.force_login(world["users"][role])
    order = world["order"]()
    # Every HQ role may look at any order (finance and warehouse only look).
    assert client.get(reverse("orders:detail", args=[order.no])).status_code == 200
    shipped = client.post(reverse("orders:ship", args=[order.no]), {"carrier": "SF", "tracking_no": "SF1"})
    order.refresh_from_db()
    if role in WAREHOUSE:
        assert shipped.status_code == 302 and order.status == OrderStatus.SHIPPED
    else:
        assert shipped.status_code == 403 and order.status == OrderStatus.PAID
    api = client.post(f"/api/v1/orders/{world['order']().no}/ship", {"carrier": "SF", "tracking_no": "SF2"},
                      content_type="application/json")
    assert api.status_code == (200 if role in WAREHOUSE else 403)
    # Any agent's statement (and its Excel) is finance's.
    for name in ("earnings:statement", "earnings:statement_xlsx"):
        r = client.get(reverse(name), {"agent": tree.low.pk})
        assert r.status_code == (200 if role in FINANCE else 403), name
    # Payments made to HQ are confirmed by finance; the others have no payments page.
    assert client.get(reverse("payments:home")).status_code == (200 if role in FINANCE else 403)


def test_services_check_the_permission_too(world):
    """Defense in depth: a service called by a staff member without the permission refuses."""
    from weishang.core.errors import PermissionDenied
    from weishang.earnings import services as earnings
    from weishang.inventory import services as stock
    from weishang.orders import services as orders

    users = world["users"]
    order = world["order"]()
    with pytest.raises(PermissionDenied):
        orders.pack(order, actor=users["finance"])
    with pytest.raises(PermissionDenied):
        orders.ship(order, actor=users["operator"], carrier="SF", tracking_no="SF9")
    with pytest.raises(PermissionDenied):
        earnings.create_batch(by=users["warehouse"], currency="CNY")
    with pytest.raises(PermissionDenied):
        stock.adjust(agent_id=None, sku_id=world["tree"].sku.pk, quantity=1, reason="x", user=users["finance"])
    orders.pack(order, actor=users["warehouse"])
