"""Supplier drop-ship orders to and from Excel (openpyxl); HQ's order lists to Excel."""

from __future__ import annotations

import io
import tempfile

from django.http import FileResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

HEADERS = ("order_no", "sku_code", "product", "quantity", "recipient", "phone", "region", "address", "paid_at",
           "carrier", "tracking_no")
MAX_ROWS = 5000


def export_lines(lines) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "orders"
    ws.append([_("Order number"), _("SKU code"), _("Product"), _("Quantity"), _("Recipient"), _("Phone"),
               _("Region"), _("Street address"), _("Paid"), _("Carrier"), _("Tracking number")])
    ws.append(list(HEADERS))
    for line in lines:
        o = line.order
        ws.append([o.no, line.sku.code, f"{line.sku.product.name} {line.sku.name}", line.quantity, o.ship_name,
                   o.ship_phone, o.address_text, o.address_detail,
                   o.paid_at.strftime("%Y-%m-%d %H:%M") if o.paid_at else "", "", ""])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def read_tracking(data: bytes) -> list[tuple[int, str, str, str]]:
    """Rows (row number, order no, carrier, tracking no) with a tracking number filled in.
    The second row holds the machine-readable column names (as exported)."""
    try:
        wb = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a non-xlsx file
        raise ValueError(_("This is not an Excel .xlsx file.")) from exc
    ws = wb.active
    rows = ws.iter_rows(values_only=True)
    index = None
    out = []
    for n, row in enumerate(rows, start=1):
        if n > MAX_ROWS + 2:
            raise ValueError(_("Too many rows (at most %(n)d).") % {"n": MAX_ROWS})
        cells = [str(c).strip() if c is not None else "" for c in row]
        if index is None:
            if "order_no" in cells and "tracking_no" in cells:
                index = {name: cells.index(name) for name in ("order_no", "carrier", "tracking_no")
                         if name in cells}
            continue
        no = cells[index["order_no"]] if index["order_no"] < len(cells) else ""
        tracking = cells[index["tracking_no"]] if index["tracking_no"] < len(cells) else ""
        carrier = cells[index["carrier"]] if "carrier" in index and index["carrier"] < len(cells) else ""
        if no and tracking:
            out.append((n, no, carrier, tracking))
    if index is None:
        raise ValueError(_("The column names row (order_no … tracking_no) is missing."))
    return out


ORDER_COLUMNS = ("no", "kind", "status", "buyer", "buyer_level", "seller", "currency", "goods_total", "shipping_fee",
                 "total", "refunded_total", "province", "paid_at", "created_at")


def write_orders(queryset, fh) -> int:
    """Any filtered list of orders (the back office's), streamed row by row as the agents'
    export is, then one total row per currency: the sum of the order totals listed."""
    from weishang.ledger.selectors import cents_sum, money_of
    from weishang.regions import divisions

    from .models import OrderKind, OrderStatus

    wb = Workbook(write_only=True)
    ws = wb.create_sheet("orders")
    ws.append([_("Order number"), _("Kind"), _("Status"), _("Buyer"), _("Buyer level"), _("Seller"), _("Currency"),
               _("Goods"), _("Shipping fee"), _("Total"), _("Refunded"), _("Province"), _("Paid"), _("Created")])
    ws.append(list(ORDER_COLUMNS))
    kinds, statuses = dict(OrderKind.choices), dict(OrderStatus.choices)
    rows = queryset.order_by("pk").values_list(
        "no", "kind", "status", "buyer__phone", "buyer_agent__level__name", "seller_agent__name", "currency",
        "goods_total", "shipping_fee", "total", "refunded_total", "province_code", "paid_at", "created_at")
    n = 0
    when = lambda t: timezone.localtime(t).strftime("%Y-%m-%d %H:%M") if t else ""  # noqa: E731
    for r in rows.iterator(chunk_size=2000):
        div = divisions.get(r[11]) if r[11] else None
        ws.append([r[0], str(kinds.get(r[1], r[1])), str(statuses.get(r[2], r[2])), r[3], r[4] or "",
                   r[5] or _("HQ"), r[6], float(r[7]), float(r[8]), float(r[9]), float(r[10]),
                   div.name if div else r[11], when(r[12]), when(r[13])])
        n += 1
    totals = queryset.order_by().values("currency").annotate(s=cents_sum("total")).order_by("currency")
    for t in totals:
        ws.append([_("Total"), "", "", "", "", "", t["currency"], "", "", float(money_of(t["s"]))])
    wb.save(fh)
    return n


def orders_xlsx_response(queryset) -> FileResponse:
    fh = tempfile.TemporaryFile()
    write_orders(queryset, fh)
    fh.seek(0)
    name = f"orders-{timezone.localtime():%Y%m%d-%H%M}.xlsx"
    return FileResponse(fh, as_attachment=True, filename=name,
                        content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
