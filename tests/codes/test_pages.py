"""Scan-out pages, HQ pages, code files and labels, access control."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from django.urls import reverse

from weishang.codes import conf, selectors, services
from weishang.codes.codec import normalize
from weishang.codes.location import Place
from weishang.codes.models import CodeBatch, Shipment, ShipmentLine

from .conftest import code_of

pytestmark = pytest.mark.django_db
PASSWORD = "Weishang-Test-2026"


def login(client, user):
    client.force_login(user)
    return client


def test_hq_scan_out_flow_over_pages(client, batch, hq, net):
    top, _, _ = net
    login(client, hq)
    r = client.post(reverse("codes:ship_home"), {"to_agent": "+86 139 0000 0000", "reference": "TH-001"})
    assert r.status_code == 200 and "error" in r.content.decode()  # nobody has this number
    r = client.post(reverse("codes:ship_home"), {"to_agent": top.user.phone, "reference": "TH-001"})
    assert r.status_code == 302
    shipment = Shipment.objects.get()
    assert shipment.from_agent is None and shipment.reference == "TH-001"
    scan_url = reverse("codes:ship_scan", args=[shipment.pk])
    page = client.get(scan_url).content.decode()
    assert "BarcodeDetector" not in page and "codes/scan.js" in page  # camera script is local
    r = client.post(scan_url, {"code": "https://brand.example/v/" + code_of(batch, batch.case_start).lower()})
    assert r.status_code == 302
    assert selectors.holding_at(batch.serial_start + 5).agent == top
    # htmx partial with an error for a second scan of the same case
    r = client.post(scan_url, {"code": code_of(batch, batch.case_start)}, HTTP_HX_REQUEST="true")
    assert r.status_code == 400 and 'id="ship-lines"' in r.content.decode()
    line = ShipmentLine.objects.get()
    r = client.post(reverse("codes:ship_undo", args=[line.pk]), {"reason": "wrong case"})
    assert r.status_code == 302 and selectors.holding_at(batch.serial_start + 5) is None
    r = client.post(reverse("codes:ship_finish", args=[shipment.pk]))
    assert r.status_code == 302 and Shipment.objects.get().status == "open"  # nothing left to ship


def test_agent_scans_out_only_own_stock_to_own_downline(client, batch, hq, net):
    top, down, stranger = net
    services.scan_out(user=hq, shipment=services.open_shipment(user=hq, to_agent=top),
                      code=code_of(batch, batch.case_start))
    login(client, top.user)
    page = client.get(reverse("codes:ship_home")).content.decode()
    assert down.name in page and stranger.name not in page  # only direct downlines offered
    r = client.post(reverse("codes:ship_home"), {"to_agent": stranger.pk})
    assert r.status_code == 200 and Shipment.objects.filter(from_agent=top).count() == 0
    client.post(reverse("codes:ship_home"), {"to_agent": down.pk})
    shipment = Shipment.objects.get(from_agent=top)
    scan_url = reverse("codes:ship_scan", args=[shipment.pk])
    r = client.post(scan_url, {"code": code_of(batch, batch.box_start + 1)})
    assert r.status_code == 302 and selectors.holding_at(batch.serial_start + 15).agent == down
    r = client.post(scan_url, {"code": code_of(batch, batch.case_start + 1)})  # still at HQ
    assert r.status_code == 400
    # the stranger sees neither the shipment nor its lines
    login(client, stranger.user)
    assert client.get(scan_url).status_code == 404
    line = ShipmentLine.objects.get(shipment=shipment)
    assert client.post(reverse("codes:ship_undo", args=[line.pk]), {"reason": "x"}).status_code == 404
    assert selectors.holding_at(batch.serial_start + 15).agent == down
    # the API shows each agent only its own shipments
    assert client.get("/api/v1/codes/shipments").json() == []
    r = client.post(f"/api/v1/codes/shipments/{shipment.pk}/scan", {"code": code_of(batch, batch.serial_start)},
                    content_type="application/json")
    assert r.status_code == 404


def test_api_scan_out_and_undo(client, batch, hq, net):
    top, _, _ = net
    login(client, hq)
    r = client.post("/api/v1/codes/shipments", {"to_agent_id": top.pk, "reference": "P-9"},
                    content_type="application/json")
    assert r.status_code == 201
    sid = r.json()["id"]
    r = client.post(f"/api/v1/codes/shipments/{sid}/scan", {"code": code_of(batch, batch.box_start)},
                    content_type="application/json")
    assert r.status_code == 201 and r.json()["items"] == 10
    r = client.post(f"/api/v1/codes/shipments/{sid}/scan", {"code": "garbage"}, content_type="application/json")
    assert r.status_code == 404 and r.json()["code"] == "code_not_genuine"
    lid = ShipmentLine.objects.get().pk
    r = client.post(f"/api/v1/codes/lines/{lid}/undo", {"reason": ""}, content_type="application/json")
    assert r.status_code == 400
    r = client.post(f"/api/v1/codes/lines/{lid}/undo", {"reason": "mistake"}, content_type="application/json")
    assert r.status_code == 200 and r.json()["undo_reason"] == "mistake"


def test_plain_users_and_agents_cannot_reach_hq_pages(client, batch, net, factories):
    top, _, _ = net
    for user in (top.user, factories.user(), factories.staff("finance")):
        login(client, user)
        for name, args in (("codes:batches", []), ("codes:batch", [batch.pk]), ("codes:alerts", []),
                           ("codes:trace", []), ("codes:batch_file", [batch.pk, "csv"])):
            assert client.get(reverse(name, args=args)).status_code == 403, (user, name)
    client.logout()
    assert client.get(reverse("codes:batches")).status_code == 302  # to the login page
    assert client.get(reverse("codes:ship_home")).status_code == 302


def test_hq_generates_a_batch_on_the_page(client, hq, sku):
    login(client, hq)
    r = client.post(reverse("codes:batches"), {"sku": sku.pk, "lot": "L-PAGE", "production_date": "2026-02-01",
                                               "expiry_date": "2028-02-01", "quantity": 1000,
                                               "items_per_box": 12, "boxes_per_case": 8})
    batch = CodeBatch.objects.get()
    assert r.status_code == 302 and (batch.box_count, batch.case_count) == (84, 11)
    r = client.post(reverse("codes:batches"), {"sku": sku.pk, "lot": "L-BAD", "production_date": "2026-02-01",
                                               "expiry_date": "2025-02-01", "quantity": 10,
                                               "items_per_box": 12, "boxes_per_case": 8})
    assert r.status_code == 200 and CodeBatch.objects.count() == 1
    assert client.get(reverse("codes:batch", args=[batch.pk])).status_code == 200


def test_csv_and_txt_files_stream_every_code(client, hq, batch):
    login(client, hq)
    r = client.get(reverse("codes:batch_file", args=[batch.pk, "csv"]))
    assert r.streaming
    lines = b"".join(r.streaming_content).decode().splitlines()
    assert lines[0] == "url,kind,case,box"
    rows = [line.split(",") for line in lines[1:]]
    assert len(rows) == 100 + 10 + 3
    codec = conf.get_codec()
    first = rows[0]
    assert first[0] == "https://brand.example/v/" + code_of(batch, batch.serial_start).lower()
    assert first[1:] == ["item", "1", "1"]
    assert rows[99][1:] == ["item", "3", "10"]  # item 100 is in box 10, case 3
    assert rows[100][1:] == ["box", "1", "1"] and rows[-1][1:] == ["case", "3", ""]
    serials = [codec.decode(row[0]).serial for row in rows]
    assert serials == list(range(batch.serial_start, batch.serial_end))
    r = client.get(reverse("codes:batch_file", args=[batch.pk, "txt"]))
    txt = b"".join(r.streaming_content).decode().splitlines()
    assert txt == [row[0] for row in rows]


def test_parallel_file_writer_matches_the_stream(batch, tmp_path):
    from weishang.codes import export

    layout = export.Layout.of(batch, conf.get_codec(), conf.code_keys(), conf.site_url())
    path = tmp_path / "codes.csv"
    with open(path, "wb") as f:
        export.write_file(layout, f, workers=2)
    assert path.read_text() == "".join(export.iter_file(layout))


def test_pdf_labels_and_qr_images(client, hq, batch):
    login(client, hq)
    r = client.get(reverse("codes:batch_labels", args=[batch.pk]), {"kind": "box", "first": 1, "count": 10,
                                                                    "size": "40x30"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")
    r = client.get(reverse("codes:batch_labels", args=[batch.pk]), {"kind": "case", "first": 2, "count": 5,
                                                                    "size": "40x30"})
    assert r.status_code == 400  # only 3 cases
    code = code_of(batch, batch.serial_start).lower()
    png = client.get(reverse("codes:qr", args=[code, "png"]))
    assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
    svg = client.get(reverse("codes:qr", args=[code, "svg"]))
    assert svg.status_code == 200 and b"<svg" in svg.content


def test_label_geometry_keeps_the_quiet_zone_and_readable_modules(batch):
    from weishang.codes import export

    url = "https://brand.example/v/" + code_of(batch, batch.serial_start).lower()
    module_mm, modules = export.label_geometry("30x20", url)
    assert module_mm >= export.MIN_MODULE_MM and modules == 29 + 8  # version 3 + 4-module quiet zones


def test_trace_page_shows_each_hand(client, hq, batch, net):
    top, down, _ = net
    services.scan_out(user=hq, shipment=services.open_shipment(user=hq, to_agent=top, reference="R1"),
                      code=code_of(batch, batch.case_start))
    services.scan_out(user=top.user, shipment=services.open_shipment(user=top.user, to_agent=down),
                      code=code_of(batch, batch.serial_start + 3))
    login(client, hq)
    html = client.get(reverse("codes:trace"), {"code": code_of(batch, batch.serial_start + 3)}).content.decode()
    assert top.name in html and down.name in html and "R1" in html


def test_alerts_page_filters_counts_chart_and_price_flags(client, hq, batch, net, factories):
    top, _, _ = net
    from django.contrib.auth.models import Group

    services.scan_out(user=hq, shipment=services.open_shipment(user=hq, to_agent=top),
                      code=code_of(batch, batch.case_start))
    for i, (division, source) in enumerate((("110100", "ip"), ("310100", "choice"), ("440100", "choice"))):
        s = batch.serial_start + i
        services.record_scan(code=normalize(code_of(batch, s)), batch=batch, serial=s,
                             place=Place(division, source), person=f"p{i}")
    admin = factories.staff("operator")
    admin.groups.add(Group.objects.get(name="admin"))
    login(client, admin)
    r = client.get(reverse("codes:alerts"))
    html = r.content.decode()
    assert r.status_code == 200 and "vendor/echarts/echarts.min.js" in html and "alerts-chart-data" in html
    assert html.count("<tr>") >= 2 and top.name in html
    from weishang.codes.codec import format_code

    # the evidence: the code as printed (linked to its trace), places by name, IP-only marked weak
    assert format_code(code_of(batch, batch.serial_start)) in html and "北京市" in html and "上海市" in html
    # a code queried before release is listed for HQ (leaked code list?)
    leaked = batch.serial_start + 99  # never shipped: case 1 holds items 0..39 only
    services.record_scan(code=normalize(code_of(batch, leaked)), batch=batch, serial=leaked,
                         place=Place("310100", "ip"), person="leaker")
    r = client.get(reverse("codes:alerts"))
    assert r.context["unreleased_by_batch"] == [{"batch_id": batch.pk, "batch__lot": batch.lot, "codes": 1,
                                                 "scans": 1}]
    assert format_code(code_of(batch, leaked)) in r.content.decode()
    r = client.get(reverse("codes:alerts"), {"strength": "weak"})
    assert r.context["page"].paginator.count == 1
    r = client.get(reverse("codes:alerts"), {"province": "31"})
    assert r.context["page"].paginator.count == 1
    assert r.context["by_agent"][0]["n"] == 1


def test_batch_generation_needs_dates_in_order(hq, sku):
    with pytest.raises(services.DomainError):
        services.create_batch(sku=sku, lot="x", production_date=dt.date(2026, 1, 2),
                              expiry_date=dt.date(2026, 1, 2), quantity=1, items_per_box=1, boxes_per_case=1)


def test_labels_refused_when_modules_would_be_too_small(client, hq, batch, settings):
    settings.SITE_URL = "https://" + "very-long-brand-domain-name." * 6 + "example"
    login(client, hq)
    r = client.get(reverse("codes:batch_labels", args=[batch.pk]), {"kind": "item", "first": 1, "count": 2,
                                                                    "size": "30x20"})
    assert r.status_code == 400


def test_packing_line_reports_pairs_over_the_api(client, hq, batch, net):
    top, _, _ = net
    box = code_of(batch, batch.box_start)
    items = [code_of(batch, batch.serial_start + s) for s in (50, 51, 52)]
    login(client, top.user)
    r = client.post("/api/v1/codes/packing", {"parent": box, "children": items}, content_type="application/json")
    assert r.status_code == 403
    login(client, hq)
    r = client.post("/api/v1/codes/packing", {"parent": box, "children": items}, content_type="application/json")
    assert r.status_code == 201 and r.json()["ranges"] == [[batch.serial_start + 50, batch.serial_start + 53]]
    batch.refresh_from_db()
    assert selectors.contents(batch, batch.box_start) == [(batch.serial_start + 50, batch.serial_start + 53),
                                                          (batch.box_start, batch.box_start + 1)]


def test_price_breaking_flags_shop_prices_below_floor(client, hq, net, sku, factories):
    from decimal import Decimal

    from django.contrib.auth.models import Group

    from weishang.orders.models import ShopPrice

    top, down, _ = net
    ShopPrice.objects.create(agent=top, sku=sku, price=Decimal("30.00"))  # floor is 40.00
    ShopPrice.objects.create(agent=down, sku=sku, price=Decimal("99.00"))
    admin = factories.staff("operator")
    admin.groups.add(Group.objects.get(name="admin"))
    login(client, admin)
    flags = list(client.get(reverse("codes:alerts")).context["price_flags"])
    assert [(f.agent, f.price) for f in flags] == [(top, Decimal("30.00"))]


def test_pin_labels_need_room_for_the_pin_line(client, hq, sku):
    """The PIN takes a line under the QR: on 30×20 mm its modules would drop below 0.33 mm."""
    b = services.create_batch(sku=sku, lot="PINLBL", production_date=dt.date(2026, 1, 1),
                              expiry_date=dt.date(2027, 1, 1), quantity=20, items_per_box=10, boxes_per_case=2,
                              with_pin=True, user=hq)
    login(client, hq)
    labels = reverse("codes:batch_labels", args=[b.pk])
    r = client.get(labels, {"kind": "item", "first": 1, "count": 4, "size": "30x20"})
    html = r.content.decode()
    assert r.status_code == 400 and "0.31" in html  # the module size it would have had (0.33 needed)
    assert reverse("codes:batch_file", args=[b.pk, "csv"]) in html  # the refused page is the whole batch page
    assert client.get(labels, {"kind": "box", "first": 1, "count": 2, "size": "30x20"}).status_code == 200
    r = client.get(labels, {"kind": "item", "first": 1, "count": 4, "size": "40x30"})
    assert r.status_code == 200 and r.content.startswith(b"%PDF")


def test_label_text_is_fitted_to_the_label():
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    from weishang.codes import export

    c = canvas.Canvas(io.BytesIO())
    width = 28 * mm
    text, size = export._fit(c, "玻尿酸精华液 50ml 旗舰装 LX2026-0101-加长批号", "Helvetica", 4.5, width, 3.5)
    assert c.stringWidth(text, "Helvetica", size) <= width and size >= 3.5
    text, size = export._fit(c, "ABCDEF-GHJKMN-PQRSTV", "Courier", 5.5, width)
    assert text == "ABCDEF-GHJKMN-PQRSTV" and size == 5.5  # the code itself always fits whole
