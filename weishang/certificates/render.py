"""Certificate images: PNG (Pillow) and PDF (reportlab), with a QR to the public lookup.

The text is in Traditional Chinese for Taiwan agents and Simplified Chinese otherwise,
whatever the viewer's language: a certificate is a document, it reads the same for everyone.
`public=True` masks the name (the image shown by the public lookup).
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

# One masking rule for every public page (张三明 → 张*明).
from weishang.core.names import mask_name

from . import fonts
from .models import Certificate

BRAND_COLOR = (194, 24, 91)
GOLD = (176, 141, 87)
INK = (34, 34, 34)


def lookup_url(number: str) -> str:
    return f"{settings.SITE_URL}{reverse('certificates:lookup')}?{urlencode({'q': number})}"


@dataclass
class Doc:
    title: str
    brand: str
    statement: str
    rows: list[tuple[str, str]]
    number: str
    qr_caption: str
    url: str
    script: str

    def texts(self) -> list[str]:
        return [self.title, self.brand, self.statement, self.qr_caption, self.number,
                *[a + b for a, b in self.rows]]


def document(cert: Certificate, *, public: bool = False) -> Doc:
    language = "zh-hant" if cert.is_taiwan else "zh-hans"
    name = mask_name(cert.name) if public else cert.name
    brand = getattr(settings, "BRAND_NAME", "") or _("Weishang")
    with translation.override(language):
        channels = "、".join(cert.channel_labels)
        doc = Doc(
            title=_("Certificate of Authorisation"),
            brand=str(brand),
            statement=_("%(name)s is hereby authorised as our %(level)s, within the region and channels below.")
            % {"name": name, "level": cert.level_name},
            rows=[
                (_("Name"), name),
                (_("Level"), cert.level_name),
                (_("Authorised region"), cert.region_name or _("Nationwide")),
                (_("Authorised channels"), channels),
                (_("Valid"), _("%(a)s to %(b)s") % {"a": cert.valid_from.isoformat(), "b": cert.valid_until.isoformat()}),
                (_("Certificate number"), cert.number),
            ],
            number=cert.number,
            qr_caption=_("Scan to check this certificate"),
            url=lookup_url(cert.number),
            script="",
        )
    doc.script = fonts.choose(doc.texts(), taiwan=cert.is_taiwan)
    return doc


def _qr_png(url: str, scale: int) -> bytes:
    import segno

    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=scale, border=2)
    return buf.getvalue()


def _wrap(text: str, width: float, measure) -> list[str]:
    """Break text to lines no wider than `width` (by character: Chinese has no spaces)."""
    lines, line = [], ""
    for ch in text:
        if line and measure(line + ch) > width:
            lines.append(line)
            line = ch.lstrip() if ch.isspace() else ch
        else:
            line += ch
    if line:
        lines.append(line)
    return lines or [""]


def render_png(cert: Certificate, *, public: bool = False) -> bytes:
    from PIL import Image, ImageDraw

    doc = document(cert, public=public)
    W, H = 1000, 1414
    img = Image.new("RGB", (W, H), (255, 253, 248))
    d = ImageDraw.Draw(img)
    d.rectangle([24, 24, W - 25, H - 25], outline=GOLD, width=6)
    d.rectangle([44, 44, W - 45, H - 45], outline=BRAND_COLOR, width=2)
    f = lambda w, s: fonts.pil_font(doc.script, w, s)  # noqa: E731
    y = 110
    for text, font, color in ((doc.brand, f("bold", 40), BRAND_COLOR), (doc.title, f("bold", 72), INK)):
        for line in _wrap(text, W - 200, font.getlength):
            d.text((W / 2, y), line, font=font, fill=color, anchor="ma")
            y += int(font.size * 1.35)
    y += 30
    body = f("regular", 30)
    for line in _wrap(doc.statement, W - 200, body.getlength):
        d.text((100, y), line, font=body, fill=INK)
        y += 46
    y += 30
    label_font, value_font = f("regular", 28), f("bold", 30)
    for label, value in doc.rows:
        d.text((100, y), label, font=label_font, fill=(110, 110, 110))
        for line in _wrap(value, W - 420, value_font.getlength):
            d.text((320, y), line, font=value_font, fill=INK)
            y += 46
        y += 14
    qr = Image.open(io.BytesIO(_qr_png(doc.url, 7))).convert("RGB")
    side = min(260, qr.width)
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    qy = max(y + 20, H - side - 150)
    img.paste(qr, ((W - side) // 2, qy))
    d.text((W / 2, qy + side + 16), doc.qr_caption, font=f("regular", 24), fill=(110, 110, 110), anchor="ma")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()


def render_pdf(cert: Certificate) -> bytes:
    from reportlab.lib.pagesizes import A4
    from reportlab.lib.units import mm
    from reportlab.lib.utils import ImageReader
    from reportlab.pdfbase.pdfmetrics import stringWidth
    from reportlab.pdfgen import canvas

    doc = document(cert)
    regular, bold = fonts.pdf_font(doc.script, "regular"), fonts.pdf_font(doc.script, "bold")
    W, H = A4
    buf = io.BytesIO()
    c = canvas.Canvas(buf, pagesize=A4, pageCompression=1)
    c.setTitle(f"{doc.title} {doc.number}")
    c.setStrokeColorRGB(*(v / 255 for v in GOLD))
    c.setLineWidth(3)
    c.rect(10 * mm, 10 * mm, W - 20 * mm, H - 20 * mm)
    c.setStrokeColorRGB(*(v / 255 for v in BRAND_COLOR))
    c.setLineWidth(1)
    c.rect(14 * mm, 14 * mm, W - 28 * mm, H - 28 * mm)
    y = H - 40 * mm
    c.setFillColorRGB(*(v / 255 for v in BRAND_COLOR))
    c.setFont(bold, 16)
    c.drawCentredString(W / 2, y, doc.brand)
    y -= 18 * mm
    c.setFillColorRGB(*(v / 255 for v in INK))
    c.setFont(bold, 30)
    c.drawCentredString(W / 2, y, doc.title)
    y -= 18 * mm
    left, width = 30 * mm, W - 60 * mm
    c.setFont(regular, 12)
    for line in _wrap(doc.statement, width, lambda s: stringWidth(s, regular, 12)):
        c.drawString(left, y, line)
        y -= 7 * mm
    y -= 6 * mm
    for label, value in doc.rows:
        c.setFillColorRGB(0.43, 0.43, 0.43)
        c.setFont(regular, 11)
        c.drawString(left, y, label)
        c.setFillColorRGB(*(v / 255 for v in INK))
        c.setFont(bold, 12)
        for line in _wrap(value, width - 40 * mm, lambda s: stringWidth(s, bold, 12)):
            c.drawString(left + 40 * mm, y, line)
            y -= 7 * mm
        y -= 3 * mm
    side = 45 * mm
    qy = max(30 * mm, min(y - side - 5 * mm, 40 * mm))
    c.drawImage(ImageReader(io.BytesIO(_qr_png(doc.url, 8))), (W - side) / 2, qy, side, side)
    c.setFont(regular, 10)
    c.setFillColorRGB(0.43, 0.43, 0.43)
    c.drawCentredString(W / 2, qy - 6 * mm, doc.qr_caption)
    c.showPage()
    c.save()
    return buf.getvalue()
