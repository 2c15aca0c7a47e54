"""Code files for label printers: streamed CSV/TXT, a parallel file writer, PDF label sheets
and single QR images.

CSV columns: url, kind (item/box/case), case, box — the 1-based case and box numbers within
the batch under its uniform packing, so the packing line knows which item labels go into
which box. Items come first, then boxes, then cases.
"""

from __future__ import annotations

import io
import multiprocessing
from collections.abc import Iterator
from dataclasses import dataclass

from .codec import Codec

CSV_HEADER = "url,kind,case,box\n"


@dataclass(frozen=True)
class Layout:
    """What a worker needs to write part of a batch's file (picklable, no Django)."""

    keys: tuple[tuple[int, bytes], ...]
    version: int
    prefix: str  # "https://host/v/"
    serial_start: int
    quantity: int
    items_per_box: int
    boxes_per_case: int
    box_count: int
    case_count: int

    @classmethod
    def of(cls, batch, codec: Codec, keys: dict[int, bytes], site_url: str) -> Layout:
        return cls(keys=tuple(sorted(keys.items())), version=batch.key_version, prefix=f"{site_url}/v/",
                   serial_start=batch.serial_start, quantity=batch.quantity, items_per_box=batch.items_per_box,
                   boxes_per_case=batch.boxes_per_case, box_count=batch.box_count, case_count=batch.case_count)


_CODECS: dict[tuple, Codec] = {}


def _codec(layout: Layout) -> Codec:
    c = _CODECS.get(layout.keys)
    if c is None:
        c = _CODECS[layout.keys] = Codec(dict(layout.keys), max(dict(layout.keys)))
    return c


def item_rows(layout: Layout, first_box: int, last_box: int, *, csv: bool = True) -> str:
    """CSV (or TXT) text for the items of boxes [first_box, last_box) (0-based)."""
    codec = _codec(layout)
    ipb, bpc = layout.items_per_box, layout.boxes_per_case
    a = first_box * ipb
    b = min(last_box * ipb, layout.quantity)
    if b <= a:
        return ""
    codes = codec.bulk(layout.serial_start + a, b - a, layout.version, lower=True)
    prefix = layout.prefix
    parts = []
    for box in range(first_box, last_box):
        lo, hi = box * ipb - a, min((box + 1) * ipb, layout.quantity) - a
        if lo >= hi:
            break
        suffix = f",item,{box // bpc + 1},{box + 1}\n" if csv else "\n"
        parts.append(prefix + (suffix + prefix).join(codes[lo:hi]) + suffix)
    return "".join(parts)


def box_rows(layout: Layout, first: int, last: int, *, csv: bool = True) -> str:
    """Rows for boxes [first, last) (0-based)."""
    if last <= first:
        return ""
    codes = _codec(layout).bulk(layout.serial_start + layout.quantity + first, last - first, layout.version,
                                lower=True)
    prefix, bpc = layout.prefix, layout.boxes_per_case
    if not csv:
        return prefix + ("\n" + prefix).join(codes) + "\n"
    return "".join(f"{prefix}{c},box,{(first + i) // bpc + 1},{first + i + 1}\n" for i, c in enumerate(codes))


def case_rows(layout: Layout, first: int, last: int, *, csv: bool = True) -> str:
    """Rows for cases [first, last) (0-based)."""
    if last <= first:
        return ""
    codes = _codec(layout).bulk(layout.serial_start + layout.quantity + layout.box_count + first, last - first,
                                layout.version, lower=True)
    prefix = layout.prefix
    if not csv:
        return prefix + ("\n" + prefix).join(codes) + "\n"
    return "".join(f"{prefix}{c},case,{first + i + 1},\n" for i, c in enumerate(codes))


def _jobs(layout: Layout, csv: bool, target: int) -> list[tuple[str, int, int]]:
    """The whole file as ordered pieces of about `target` codes."""
    jobs = []
    step = max(1, target // layout.items_per_box)
    jobs += [("item", f, min(f + step, layout.box_count)) for f in range(0, layout.box_count, step)]
    jobs += [("box", f, min(f + target, layout.box_count)) for f in range(0, layout.box_count, target)]
    jobs += [("case", f, min(f + target, layout.case_count)) for f in range(0, layout.case_count, target)]
    return jobs


_ROWS = {"item": item_rows, "box": box_rows, "case": case_rows}


def iter_file(layout: Layout, *, csv: bool = True) -> Iterator[str]:
    """The whole file as text chunks, in order, in this process (for streaming responses)."""
    if csv:
        yield CSV_HEADER
    for kind, first, last in _jobs(layout, csv, 20_000):
        yield _ROWS[kind](layout, first, last, csv=csv)


def _work(args: tuple[Layout, str, int, int, bool]) -> bytes:
    layout, kind, first, last, csv = args
    return _ROWS[kind](layout, first, last, csv=csv).encode()


def write_file(layout: Layout, out: io.BufferedIOBase, *, csv: bool = True, workers: int = 2) -> int:
    """Write the whole file using `workers` processes (in order). Returns bytes written."""
    written = 0
    if csv:
        written += out.write(CSV_HEADER.encode())
    jobs = [(layout, kind, first, last, csv) for kind, first, last in _jobs(layout, csv, 100_000)]
    if workers > 1 and len(jobs) > 1:
        ctx = multiprocessing.get_context("fork")
        with ctx.Pool(workers) as pool:
            for chunk in pool.imap(_work, jobs, chunksize=1):
                written += out.write(chunk)
    else:
        for job in jobs:
            written += out.write(_work(job))
    return written


# --- QR images and PDF label sheets -------------------------------------------------------
LABEL_SIZES_MM = {"30x20": (30, 20), "40x30": (40, 30), "50x30": (50, 30), "60x40": (60, 40)}
QUIET_ZONE = 4  # modules, as the QR standard requires
MIN_MODULE_MM = 0.33  # smaller modules stop scanning reliably on phone cameras


def qr(url: str):
    import segno

    return segno.make(url, error="m", micro=False)


def qr_image(url: str, kind: str) -> bytes:
    buf = io.BytesIO()
    qr(url).save(buf, kind=kind, scale=10 if kind == "png" else 4, border=QUIET_ZONE)
    return buf.getvalue()


def _font(name_hint: str = "") -> str:
    from django.conf import settings
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    path = settings.FONT_DIR_SC / "400Regular" / "NotoSansSC_400Regular.ttf"
    if "NotoSansSC" not in pdfmetrics.getRegisteredFontNames() and path.exists():
        pdfmetrics.registerFont(TTFont("NotoSansSC", str(path)))
    return "NotoSansSC" if "NotoSansSC" in pdfmetrics.getRegisteredFontNames() else "Helvetica"


def label_geometry(size: str, url: str) -> tuple[float, int]:
    """(module size in mm, modules across including the quiet zone) for a label size."""
    w, h = LABEL_SIZES_MM[size]
    n = qr(url).symbol_size(scale=1, border=QUIET_ZONE)[0]
    side = min(h - 6, w - 2)  # leave room for the printed code under the QR
    return side / n, n


def labels_pdf(rows: list[tuple[str, str, str]], size: str, title: str) -> bytes:
    """One label per (url, printed code, caption), on A4 sheets, QR drawn as vector rectangles."""
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.pdfgen import canvas

    w, h = LABEL_SIZES_MM[size]
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(title)
    font = _font()
    margin = 8 * mm
    cols = int((A4[0] - 2 * margin) // (w * mm))
    rows_per_page = int((A4[1] - 2 * margin) // (h * mm))
    per_page = cols * rows_per_page
    for i, (url, printed, caption) in enumerate(rows):
        if i and i % per_page == 0:
            c.showPage()
        k = i % per_page
        x0 = margin + (k % cols) * w * mm
        y0 = A4[1] - margin - (k // cols + 1) * h * mm
        c.setLineWidth(0.2)
        c.setStrokeGray(0.8)
        c.rect(x0, y0, w * mm, h * mm)
        symbol = qr(url)
        matrix = list(symbol.matrix)
        n = len(matrix) + 2 * QUIET_ZONE
        side = min(h - 6, w - 2) * mm
        module = side / n
        qx = x0 + (w * mm - side) / 2
        qy = y0 + h * mm - 1 * mm - side
        c.setFillGray(0)
        for r, line in enumerate(matrix):
            run = None
            for col, dark in enumerate(list(line) + [0]):
                if dark and run is None:
                    run = col
                elif not dark and run is not None:
                    c.rect(qx + (QUIET_ZONE + run) * module, qy + side - (QUIET_ZONE + r + 1) * module,
                           (col - run) * module, module, stroke=0, fill=1)
                    run = None
        c.setFont("Courier", 5.5 if w < 40 else 7)
        c.drawCentredString(x0 + w * mm / 2, y0 + 3.2 * mm, printed)
        c.setFont(font, 4.5 if w < 40 else 6)
        c.drawCentredString(x0 + w * mm / 2, y0 + 1.2 * mm, caption[:40])
    c.save()
    return buf.getvalue()
