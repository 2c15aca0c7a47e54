"""Uploaded transfer proofs and collection QR codes: checked by content, re-encoded, stored
privately under random names, and served only to the payer, the payee and HQ finance."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from django.conf import settings
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from tests.orders.helpers import give, png
from weishang.core.errors import DomainError
from weishang.orders import services as orders
from weishang.orders.models import OrderEvent
from weishang.payments import services as pay
from weishang.payments.models import Payment

pytestmark = pytest.mark.django_db

HTML = b"<html><body><script>fetch('/api/v1/payments/topups',{method:'POST'})</script></body></html>"
SVG = b'<svg xmlns="http://www.w3.org/2000/svg" onload="alert(document.cookie)"><rect width="1"/></svg>'


def png_bytes(size=(4, 4)) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", size, "white").save(buf, "PNG")
    return buf.getvalue()


def upload(name: str, data: bytes, content_type: str = "image/png") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, data, content_type=content_type)


def restock_to_mid(tree, n: int = 1):
    give(tree.mid, tree.sku, 10)
    return orders.create_restock(user=tree.low.user, lines=[(tree.sku.pk, n)])


def api_pay(client, user, order, proof, key="k1"):
    client.force_login(user)
    return client.post(f"/api/v1/payments/orders/{order.no}/pay", {"method": "offline", "proof": proof},
                       HTTP_IDEMPOTENCY_KEY=key)


@pytest.mark.parametrize("name,data,ctype", [
    ("proof.html", HTML, "text/html"),
    ("proof.svg", SVG, "image/svg+xml"),
    ("proof.png", HTML, "image/png"),  # HTML named .png
    ("proof.png", b"", "image/png"),
])
def test_api_refuses_a_proof_that_is_not_an_image(client, tree, name, data, ctype):
    order = restock_to_mid(tree)
    r = api_pay(client, tree.low.user, order, upload(name, data, ctype))
    assert r.status_code == 400, r.content
    body = r.json()
    assert set(body) == {"code", "message", "fields"} and "proof" in body["fields"]
    assert not Payment.objects.filter(order=order).exists()


def test_api_accepts_a_png_and_stores_it_re_encoded_under_a_random_private_name(client, tree):
    order = restock_to_mid(tree)
    polyglot = png_bytes() + HTML  # a real PNG with an HTML tail
    r = api_pay(client, tree.low.user, order, upload("我的转账 截图.png", polyglot))
    assert r.status_code == 201, r.content
    p = Payment.objects.get(order=order)
    name = Path(p.proof.name)
    assert name.parent.as_posix() == "payments/proofs" and name.suffix == ".png" and "转账" not in name.name
    stored = Path(settings.PRIVATE_MEDIA_ROOT) / p.proof.name
    data = stored.read_bytes()
    assert data.startswith(b"\x89PNG") and b"<script>" not in data
    assert not (Path(settings.MEDIA_ROOT) / p.proof.name).exists()
    # Private root is not below the public one, and /media/ has no route to it.
    assert client.get(f"/media/{p.proof.name}").status_code == 404
    assert client.get(f"/media/../private/{p.proof.name}").status_code in (400, 404)


def test_topup_request_refuses_svg_and_html_and_keeps_a_png(tree):
    for bad in (upload("a.svg", SVG, "image/svg+xml"), upload("a.png", HTML)):
        with pytest.raises(DomainError) as exc:
            pay.request_topup(user=tree.low.user, amount="10", currency="CNY", proof=bad)
        assert "proof" in exc.value.fields
    t = pay.request_topup(user=tree.low.user, amount="10", currency="CNY", proof=png("x.png"))
    assert t.proof.storage.exists(t.proof.name) and t.proof.name != "payments/proofs/x.png"


def test_pay_page_shows_the_error_on_the_proof_field(client, tree):
    order = restock_to_mid(tree)
    client.force_login(tree.low.user)
    r = client.post(f"/payments/pay/{order.no}/", {"method": "offline", "idempotency_key": "pk1",
                                                   "proof": upload("x.png", HTML)})
    assert r.status_code == 400
    html = r.content.decode()
    assert "has-error" in html and "图片" in html and not Payment.objects.exists()


def _get_proof(client, user, url):
    client.logout()
    if user is not None:
        client.force_login(user)
    return client.get(url)


def test_proof_served_to_payer_payee_and_finance_only_with_safe_headers(client, tree, factories):
    order = restock_to_mid(tree)
    p = pay.pay(order_no=order.no, user=tree.low.user, method="offline", proof=png())
    url = f"/payments/{p.pk}/proof/"
    stranger_agent = factories.agent(tree.levels[2], upline=tree.top, name="别的代理")
    for user in (None, stranger_agent.user, factories.user(), factories.staff("warehouse")):
        assert _get_proof(client, user, url).status_code == 404, user
    for user in (tree.low.user, tree.mid.user, factories.staff("finance")):
        r = _get_proof(client, user, url)
        assert r.status_code == 200, user
        assert r["Content-Type"] == "image/png"
        assert r["X-Content-Type-Options"] == "nosniff"
        assert r["Content-Security-Policy"] == "default-src 'none'; style-src 'unsafe-inline'; sandbox"
        assert r["Cache-Control"].startswith("private")
        assert r["Content-Disposition"].startswith("inline;")
        assert b"".join(r.streaming_content).startswith(b"\x89PNG")


def test_topup_proof_permissions(client, tree, factories):
    t = pay.request_topup(user=tree.low.user, amount="10", currency="CNY", proof=png())
    url = f"/payments/topups/{t.pk}/proof/"
    assert _get_proof(client, None, url).status_code == 404
    assert _get_proof(client, tree.top.user, url).status_code == 404  # the upline's upline is not the payee
    for user in (tree.low.user, tree.mid.user, factories.staff("finance")):
        assert _get_proof(client, user, url).status_code == 200


def test_accel_modes_hand_the_file_to_the_web_server(client, tree, settings):
    order = restock_to_mid(tree)
    p = pay.pay(order_no=order.no, user=tree.low.user, method="offline", proof=png())
    client.force_login(tree.low.user)
    settings.PRIVATE_MEDIA_ACCEL = "nginx"
    r = client.get(f"/payments/{p.pk}/proof/")
    assert r.status_code == 200 and r["X-Accel-Redirect"] == f"/private-media/{p.proof.name}" and r.content == b""
    assert r["X-Content-Type-Options"] == "nosniff"
    settings.PRIVATE_MEDIA_ACCEL = "sendfile"
    r = client.get(f"/payments/{p.pk}/proof/")
    assert r["X-Sendfile"] == str(Path(settings.PRIVATE_MEDIA_ROOT).resolve() / p.proof.name)


def test_an_old_non_image_upload_is_only_offered_as_a_download(client, tree):
    order = restock_to_mid(tree)
    p = pay.pay(order_no=order.no, user=tree.low.user, method="offline", proof=png())
    old = p.proof.storage.save("payments/proofs/old.bin", io.BytesIO(HTML))
    Payment.objects.filter(pk=p.pk).update(proof=old)
    client.force_login(tree.low.user)
    r = client.get(f"/payments/{p.pk}/proof/")
    assert r["Content-Type"] == "application/octet-stream" and r["Content-Disposition"].startswith("attachment;")


def test_hq_top_up_queue_and_agent_queue_show_the_proof(client, tree, factories):
    hq_topup = pay.request_topup(user=tree.top.user, amount="10", currency="CNY", proof=png())  # 总代 → HQ
    down_topup = pay.request_topup(user=tree.low.user, amount="10", currency="CNY", proof=png())
    order = restock_to_mid(tree)
    p = pay.pay(order_no=order.no, user=tree.low.user, method="offline", proof=png())
    client.force_login(factories.staff("finance"))
    html = client.get("/payments/").content.decode()
    assert f'src="/payments/topups/{hq_topup.pk}/proof/"' in html
    assert "/media/payments" not in html
    client.force_login(tree.mid.user)
    html = client.get("/payments/").content.decode()
    assert f'src="/payments/topups/{down_topup.pk}/proof/"' in html and f'src="/payments/{p.pk}/proof/"' in html
    html = client.get(f"/orders/{order.no}/").content.decode()
    assert f'src="/payments/{p.pk}/proof/"' in html


def test_catalog_upload_goes_through_the_same_re_encoding(tree):
    from weishang.catalog.services import add_product_image

    with pytest.raises(DomainError):
        add_product_image(tree.sku.product_id, upload("x.png", SVG))
    img = add_product_image(tree.sku.product_id, upload("x.png", png_bytes() + HTML), main=True)
    data = img.image.read()
    assert data.startswith(b"\x89PNG") and b"<script>" not in data and img.image.name != "products/x.png"
    img.product.refresh_from_db()
    assert img.product.image.name == img.image.name


def test_the_data_migration_moves_old_public_proofs_into_private_storage(tree):
    import importlib

    from django.apps import apps

    move = importlib.import_module("weishang.payments.migrations.0004_move_proofs_to_private_storage").move
    order = restock_to_mid(tree)
    p = pay.pay(order_no=order.no, user=tree.low.user, method="offline", proof=png())
    t = pay.request_topup(user=tree.low.user, amount="10", currency="CNY", proof=png())
    public = Path(settings.MEDIA_ROOT) / "payments" / "proofs"
    public.mkdir(parents=True)
    (public / "转账.png").write_bytes(png_bytes())
    (public / "evil.png").write_bytes(HTML)
    Payment.objects.filter(pk=p.pk).update(proof="payments/proofs/转账.png")
    type(t).objects.filter(pk=t.pk).update(proof="payments/proofs/evil.png")
    move(apps, None)
    p.refresh_from_db()
    t.refresh_from_db()
    assert p.proof.name.endswith(".png") and "转账" not in p.proof.name and p.proof.storage.exists(p.proof.name)
    assert t.proof.name.endswith(".bin") and t.proof.storage.exists(t.proof.name)
    assert list(public.iterdir()) == []


# --- 11.9: the payee's collection details and the waiting state -------------------------

def test_collection_details_on_the_pay_page_and_the_waiting_state(client, tree, factories, address):
    give(tree.mid, tree.sku, 5)
    row = pay.set_collection_details(user=tree.mid.user, details="微信号 yiji-b\n支付宝 138****0000", qr=png("qr.png"))
    with pytest.raises(DomainError) as exc:
        pay.set_collection_details(user=tree.mid.user, details="x", qr=upload("qr.png", SVG))
    assert "qr" in exc.value.fields
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                         address=address)
    client.force_login(consumer)
    html = client.get(f"/payments/pay/{order.no}/").content.decode()
    assert "微信号 yiji-b" in html and f'src="/payments/collection/{row.pk}/qr/"' in html and tree.mid.name in html
    assert client.get(f"/payments/collection/{row.pk}/qr/").status_code == 200
    # Someone who owes this agent nothing does not see its wallet's QR code.
    assert _get_proof(client, factories.user(), f"/payments/collection/{row.pk}/qr/").status_code == 404

    pay.pay(order_no=order.no, user=consumer, method="offline", proof=png())
    event = OrderEvent.objects.filter(order=order).last()
    assert event.from_status == event.to_status == "pending" and tree.mid.name in event.text
    client.force_login(consumer)
    detail = client.get(f"/orders/{order.no}/").content.decode()
    assert "待确认收款" in detail and "status-awaiting_confirmation" in detail
    assert "等待" in detail and tree.mid.name in detail
    listing = client.get("/orders/").content.decode()
    assert "待确认收款" in listing
    assert "待确认收款" in client.get(f"/payments/pay/{order.no}/").content.decode()


def test_a_rejected_transfer_is_in_the_history_and_the_order_is_payable_again(client, tree):
    order = restock_to_mid(tree)
    p = pay.pay(order_no=order.no, user=tree.low.user, method="offline", proof=png())
    pay.reject(payment_id=p.pk, user=tree.mid.user, reason="没收到钱")
    assert "没收到钱" in OrderEvent.objects.filter(order=order).last().text
    client.force_login(tree.low.user)
    detail = client.get(f"/orders/{order.no}/").content.decode()
    assert "待确认收款" not in detail and f'href="/payments/pay/{order.no}/"' in detail


def test_private_root_inside_media_root_fails_the_system_check(settings, tmp_path):
    from weishang.core.checks import private_media_outside_public_media

    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "media" / "private"
    assert [e.id for e in private_media_outside_public_media()] == ["weishang.E001"]
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    assert private_media_outside_public_media() == []


def test_only_one_hq_collection_details_row(tree):
    from django.db import IntegrityError, transaction

    from weishang.payments.models import CollectionDetails

    CollectionDetails.objects.create(agent=None, details="工行 6222…")
    with pytest.raises(IntegrityError), transaction.atomic():
        CollectionDetails.objects.create(agent=None, details="again")
    CollectionDetails.objects.create(agent=tree.low, details="x")
