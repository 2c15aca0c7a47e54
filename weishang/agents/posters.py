"""Share posters for an agent's shop and for one product: PNGs to long-press and save in
WeChat / LINE, with the picture, the price, the agent's name and a QR of the agent's share
link (weishang.orders.sharing). Drawn with Pillow in Noto Sans SC/TC
(weishang.certificates.fonts picks the script that covers the text).

A poster depends only on what is drawn on it, so it is cached under the hash of that
content (`Poster.key`): the same shop with the same prices is drawn once, and a changed
price or picture makes a new key (and a new ETag) by itself, with nothing to invalidate."""

from __future__ import annotations

import hashlib
import io
import json
from dataclasses import dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.cache import cache
from django.utils import translation
from django.utils.translation import gettext as _

from weishang.certificates import fonts
from weishang.core.money import format_money

BRAND_COLOR = (194, 24, 91)
INK = (34, 34, 34)
MUTED = (90, 90, 90)
W, H = 750, 1334  # a phone screen's proportions (9:16), sharp on a 2x display at 375 px
QR_SIDE = 260
QR_BOX = (W - 48 - QR_SIDE, H - 48 - QR_SIDE, QR_SIDE)  # x, y, side of the QR (quiet zone inside)
QR_BORDER = 2  # modules of quiet zone drawn around the symbol
CACHE_SECONDS = 7 * 24 * 3600
VERSION = 2  # bump when the layout changes: old cached posters are no longer asked for


@dataclass(frozen=True)
class Item:
    title: str
    subtitle: str
    price: str  # formatted with its currency (¥128.00)
    image: str = ""  # storage name of the product picture, "" for none


@dataclass(frozen=True)
class Poster:
    kind: str  # "shop" | "product"
    agent_name: str
    level_name: str
    url: str  # the share link the QR encodes
    taiwan: bool
    items: tuple[Item, ...] = field(default_factory=tuple)

    @property
    def key(self) -> str:
        body = json.dumps([VERSION, self.kind, self.agent_name, self.level_name, self.url, self.taiwan,
                           [list(vars(i).values()) for i in self.items]],
                          ensure_ascii=False)
        return hashlib.sha256(body.encode()).hexdigest()[:32]


def is_taiwan(agent) -> bool:
    return (agent.province_code or "").startswith("71") or getattr(agent.level, "currency", "") == "TWD"


def product_items(skus, prices: dict[int, Decimal]) -> tuple[Item, ...]:
    return tuple(Item(title=s.product.name, subtitle=s.name, price=format_money(prices[s.pk], s.currency),
                      image=s.product.image.name if s.product.image else "") for s in skus)


def png(poster: Poster) -> bytes:
    """The poster's PNG, from the cache when the same content was drawn before."""
    cache_key = f"agents:poster:{poster.key}"
    data = cache.get(cache_key)
    if data is None:
        data = render(poster)
        cache.set(cache_key, data, CACHE_SECONDS)
    return data


def _picture(name: str, size: tuple[int, int]):
    """The product picture fitted (cropped to fill) into `size`, or None if there is none."""
    from PIL import Image, ImageOps

    from weishang.catalog.models import Product

    if not name:
        return None
    storage = Product._meta.get_field("image").storage
    try:
        with storage.open(name, "rb") as fh:
            img = Image.open(fh)
            img.load()
    except (OSError, ValueError):  # a file gone missing or unreadable: draw the poster without it
        return None
    return ImageOps.fit(img.convert("RGB"), size, Image.Resampling.LANCZOS)


def qr_image(url: str, side: int = QR_SIDE):
    import segno
    from PIL import Image

    buf = io.BytesIO()
    segno.make(url, error="m", micro=False).save(buf, kind="png", scale=10, border=QR_BORDER)
    return Image.open(io.BytesIO(buf.getvalue())).convert("RGB").resize((side, side), Image.Resampling.NEAREST)


def _fit(draw, text: str, font, width: int) -> str:
    """`text` cut with an ellipsis to fit `width` pixels."""
    if draw.textlength(text, font=font) <= width:
        return text
    while text and draw.textlength(text + "…", font=font) > width:
        text = text[:-1]
    return text + "…"


def texts(poster: Poster) -> dict[str, str]:
    with translation.override("zh-hant" if poster.taiwan else "zh-hans"):
        return {
            "brand": str(getattr(settings, "BRAND_NAME", "") or _("Weishang")),
            "badge": _("%(level)s · authorised agent") % {"level": poster.level_name},
            "caption": _("Press and hold the QR code to open the shop"),
            "shop": _("%(name)s's shop") % {"name": poster.agent_name},
        }


def script_for(poster: Poster) -> str:
    words = list(texts(poster).values()) + [poster.agent_name]
    for item in poster.items:
        words += [item.title, item.subtitle, item.price]
    return fonts.choose(words, taiwan=poster.taiwan)


def render(poster: Poster) -> bytes:
    from PIL import Image, ImageDraw

    t = texts(poster)
    script = script_for(poster)

    def font(weight: str, size: int):
        return fonts.pil_font(script, weight, size)

    img = Image.new("RGB", (W, H), (255, 255, 255))
    d = ImageDraw.Draw(img)
    if poster.kind == "product" and poster.items:
        item = poster.items[0]
        pic = _picture(item.image, (W, W))
        if pic is not None:
            img.paste(pic, (0, 0))
        else:
            d.rectangle((0, 0, W, W), fill=(252, 228, 236))
            d.text((W / 2, W / 2), _fit(d, item.title, font("bold", 56), W - 80), font=font("bold", 56),
                   fill=BRAND_COLOR, anchor="mm")
        y = W + 36
        d.text((40, y), _fit(d, item.title, font("bold", 44), W - 80), font=font("bold", 44), fill=INK)
        y += 66
        d.text((40, y), _fit(d, item.subtitle, font("regular", 32), W - 80), font=font("regular", 32), fill=MUTED)
        y += 60
        d.text((40, y), item.price, font=font("bold", 64), fill=BRAND_COLOR)
        name_y = H - 48 - QR_SIDE + 20
        d.text((40, name_y), _fit(d, poster.agent_name, font("bold", 40), W - 120 - QR_SIDE), font=font("bold", 40),
               fill=INK)
        d.text((40, name_y + 62), _fit(d, t["badge"], font("regular", 28), W - 120 - QR_SIDE),
               font=font("regular", 28), fill=MUTED)
    else:
        d.rectangle((0, 0, W, 300), fill=BRAND_COLOR)
        d.text((W / 2, 70), t["brand"], font=font("bold", 40), fill=(255, 255, 255), anchor="ma")
        d.text((W / 2, 140), _fit(d, t["shop"], font("bold", 56), W - 60), font=font("bold", 56),
               fill=(255, 255, 255), anchor="ma")
        d.text((W / 2, 225), _fit(d, t["badge"], font("regular", 30), W - 60), font=font("regular", 30),
               fill=(255, 240, 245), anchor="ma")
        # Two rows of two products between the header and the QR row.
        cell, gap, top = 230, 60, 330
        for i, item in enumerate(poster.items[:4]):
            x = (W - 2 * cell - gap) // 2 + (i % 2) * (cell + gap)
            y = top + (i // 2) * (cell + 100)
            pic = _picture(item.image, (cell, cell))
            if pic is not None:
                img.paste(pic, (x, y))
            else:
                d.rectangle((x, y, x + cell, y + cell), fill=(252, 228, 236))
            d.text((x, y + cell + 10), _fit(d, f"{item.title} {item.subtitle}", font("regular", 26), cell),
                   font=font("regular", 26), fill=INK)
            d.text((x, y + cell + 48), item.price, font=font("bold", 34), fill=BRAND_COLOR)
        name_y = H - 48 - QR_SIDE + 20
        d.text((40, name_y), _fit(d, poster.agent_name, font("bold", 40), W - 120 - QR_SIDE), font=font("bold", 40),
               fill=INK)
    x, y, side = QR_BOX
    img.paste(qr_image(poster.url, side), (x, y))
    d.text((40, H - 60), _fit(d, t["caption"], font("regular", 26), W - 120 - QR_SIDE), font=font("regular", 26),
           fill=MUTED, anchor="ls")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
