"""Code files for label printers: streamed CSV/TXT, a parallel file writer, PDF label sheets
and single QR images.

CSV columns: url, kind (item/box/case), case, box — the 1-based case and box numbers within
the batch under its uniform packing, so the packing line knows which item labels go into
which box. Items come first, then boxes, then cases.
"""

from __future__ import annotations

import io
import multiprocessing
import os
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
    for text, _done in iter_file_progress(layout, csv=csv):
        yield text


def code_count(layout: Layout) -> int:
    """Rows in the file: every item, box and case code."""
    return layout.quantity + layout.box_count + layout.case_count


def iter_file_progress(layout: Layout, *, csv: bool = True, target: int = 20_000) -> Iterator[tuple[str, int]]:
    """As iter_file, each chunk with the number of codes written so far (of code_count), so
    a long export run as a task can show its progress."""
    done = 0
    if csv:
        yield CSV_HEADER, 0
    for kind, first, last in _jobs(layout, csv, target):
        if kind == "item":
            done += min(last * layout.items_per_box, layout.quantity) - first * layout.items_per_box
        else:
            done += last - first
        yield _ROWS[kind](layout, first, last, csv=csv), done


def _digit_sum(n: int) -> int:
    """Total number of decimal digits in 1..n."""
    total, low, digits = 0, 1, 1
    while low <= n:
        high = min(n, low * 10 - 1)
        total += (high - low + 1) * digits
        low, digits = low * 10, digits + 1
    return total


def _offset(layout: Layout, kind: str, first: int, csv: bool) -> int:
    """Byte offset in the file of the first row of a piece (closed form, no generation):
    what lets worker processes write their pieces straight into the file."""
    base = len(layout.prefix) + 18  # URL + code
    header = len(CSV_HEADER) if csv else 0
    ipb, bpc = layout.items_per_box, layout.boxes_per_case

    def boxes_bytes(n_boxes: int, fixed: int) -> int:
        # Σ over boxes b < n of (fixed + digits(case number of b) + digits(b + 1))
        cases_full, rest = divmod(n_boxes, bpc)
        case_digits = bpc * _digit_sum(cases_full) + rest * len(str(cases_full + 1))
        return fixed * n_boxes + case_digits + _digit_sum(n_boxes)

    if not csv:
        line = base + 1
        items = min(first * ipb, layout.quantity) if kind == "item" else layout.quantity
        boxes = first if kind == "box" else (layout.box_count if kind == "case" else 0)
        cases = first if kind == "case" else 0
        return (items + boxes + cases) * line
    # items: every box holds ipb items except a partial last box
    def item_bytes(n_boxes: int) -> int:
        total = ipb * boxes_bytes(n_boxes, base + 8)
        if n_boxes == layout.box_count and layout.quantity < n_boxes * ipb:
            last = n_boxes - 1
            missing = n_boxes * ipb - layout.quantity
            total -= missing * (base + 8 + len(str(last // bpc + 1)) + len(str(last + 1)))
        return total

    if kind == "item":
        return header + item_bytes(first)
    all_items = item_bytes(layout.box_count)
    if kind == "box":
        return header + all_items + boxes_bytes(first, base + 7)
    all_boxes = boxes_bytes(layout.box_count, base + 7)
    return header + all_items + all_boxes + first * (base + 8) + _digit_sum(first)


def _work(args: tuple[Layout, str, int, int, bool]) -> bytes:
    layout, kind, first, last, csv = args
    return _ROWS[kind](layout, first, last, csv=csv).encode()


def _work_into(args: tuple[int, Layout, str, int, int, bool]) -> int:
    fd, layout, kind, first, last, csv = args
    data = _ROWS[kind](layout, first, last, csv=csv).encode()
    offset = _offset(layout, kind, first, csv)
    done = 0
    while done < len(data):
        done += os.pwrite(fd, data[done:], offset + done)
    return len(data)


def file_size(layout: Layout, *, csv: bool = True) -> int:
    return _offset(layout, "case", layout.case_count, csv)


def write_file(layout: Layout, out: io.BufferedIOBase, *, csv: bool = True, workers: int = 2) -> int:
    """Write the whole file using `workers` processes. Each worker writes its pieces straight
    into the file at offsets computed in closed form, so nothing is piped back. Returns the
    bytes written."""
    jobs = _jobs(layout, csv, 100_000)
    if workers <= 1 or len(jobs) <= 1:
        written = out.write(CSV_HEADER.encode()) if csv else 0
        for kind, first, last in jobs:
            written += out.write(_work((layout, kind, first, last, csv)))
        return written
    out.flush()
    fd = out.fileno()
    start = out.tell()
    if start:
        raise ValueError("write_file with workers writes a whole file from its start")
    if csv:
        os.pwrite(fd, CSV_HEADER.encode(), 0)
    ctx = multiprocessing.get_context("fork")
    with ctx.Pool(workers) as pool:
        written = sum(pool.imap_unordered(_work_into, [(fd, layout, k, f, la, csv) for k, f, la in jobs]))
    written += len(CSV_HEADER) if csv else 0
    out.seek(written)
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


TEXT_MM = 6.0  # room under the QR for the printed code and the caption
PIN_MM = 2.4  # one more line for the scratch-off PIN, printed under the coating


def _qr_side_mm(size: str, pin: bool) -> float:
    w, h = LABEL_SIZES_MM[size]
    return min(h - TEXT_MM - (PIN_MM if pin else 0.0), w - 2)


def label_geometry(size: str, url: str, *, pin: bool = False) -> tuple[float, int]:
    """(module size in mm, modules across including the quiet zone) for a label size."""
    n = qr(url).symbol_size(scale=1, border=QUIET_ZONE)[0]
    return _qr_side_mm(size, pin) / n, n


def _fit(c, text: str, font: str, size: float, width: float, min_size: float = 4.0) -> tuple[str, float]:
    """Shrink the font (down to min_size), then shorten the text, until it fits the width."""
    while size > min_size and c.stringWidth(text, font, size) > width:
        size -= 0.25
    while text and c.stringWidth(text, font, size) > width:
        text = text[:-2] + "…" if len(text) > 1 else ""
    return text, size


def labels_pdf(rows: list[tuple[str, str, str, str]], size: str, title: str) -> bytes:
    """One label per (url, printed code, PIN or "", caption), on A4 sheets, the QR drawn as
    vector rectangles with its quiet zone, every line of text fitted to the label's width."""
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
    text_width = (w - 2) * mm
    small = w < 40
    for i, (url, printed, pin, caption) in enumerate(rows):
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
        side = _qr_side_mm(size, bool(pin)) * mm
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
        cx = x0 + w * mm / 2
        if pin:
            text, pt = _fit(c, f"PIN {pin}", "Courier-Bold", 5.5 if small else 7, text_width)
            c.setFont("Courier-Bold", pt)
            c.drawCentredString(cx, y0 + 5.4 * mm, text)
        text, pt = _fit(c, printed, "Courier", 5.5 if small else 7, text_width)
        c.setFont("Courier", pt)
        c.drawCentredString(cx, y0 + 3.2 * mm, text)
        text, pt = _fit(c, caption, font, 4.5 if small else 6, text_width, min_size=3.5)
        c.setFont(font, pt)
        c.drawCentredString(cx, y0 + 1.2 * mm, text)
    c.save()
    return buf.getvalue()
