"""Supplier drop-ship orders to and from Excel (openpyxl)."""

from __future__ import annotations

import io

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
