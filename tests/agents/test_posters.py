"""Shop and product posters (issue 13 #2): PNGs with the price, the agent's name in a CJK
font (not tofu) and a QR of the agent's share link, cached by content; and the share page
with the link to copy."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from tests.orders.helpers import build_tree
from weishang.agents import posters
from weishang.certificates import fonts
from weishang.orders import sharing

pytestmark = pytest.mark.django_db


def _qr_matches(img: Image.Image, url: str) -> bool:
    """Sample the centre of every module in the poster's QR box and compare with segno's matrix."""
    import segno

    matrix = segno.make(url, error="m", micro=False).matrix
    n = len(matrix) + 2 * posters.QR_BORDER
    x0, y0, side = posters.QR_BOX
    gray = img.convert("L")
    for r, row in enumerate(matrix):
        for c, dark in enumerate(row):
            px = gray.getpixel((int(x0 + (c + posters.QR_BORDER + 0.5) * side / n),
                                int(y0 + (r + posters.QR_BORDER + 0.5) * side / n)))
            if (px < 128) != bool(dark):
                return False
    return True


def test_shop_poster_png(client, factories):
    t = build_tree(factories)
    client.force_login(t.mid.user)
    r = client.get("/agent/share/shop.png")
    assert r.status_code == 200 and r["Content-Type"] == "image/png" and r["ETag"]
    img = Image.open(io.BytesIO(r.content))
    img.load()
    assert img.format == "PNG" and img.size == (posters.W, posters.H)
    colours = img.convert("RGB").getcolors(maxcolors=1 << 20)
    assert colours and len(colours) > 50  # pictures, text and the QR, not a blank page
    url = "http://testserver" + sharing.shop_path(t.mid.pk, t.mid.pk)
    assert _qr_matches(img, url)
    assert not _qr_matches(img, url + "x")  # the comparison can fail
    # The same content again: served from the cache, and a 304 for the same ETag.
    assert client.get("/agent/share/shop.png", HTTP_IF_NONE_MATCH=r["ETag"]).status_code == 304


def test_product_poster_has_price_and_link_to_the_product(client, factories):
    t = build_tree(factories)
    client.force_login(t.low.user)
    r = client.get(f"/agent/share/product/{t.sku.pk}.png")
    img = Image.open(io.BytesIO(r.content))
    assert r["Content-Type"] == "image/png" and img.size == (posters.W, posters.H)
    # A product poster opens the product's page in the agent's shop, signed as the agent's share.
    url = (f"http://testserver/orders/shop/{t.low.pk}/p/{t.sku.product_id}/"
           f"?{sharing.PARAM}={sharing.token_for(t.low.pk)}")
    assert _qr_matches(img, url)
    assert client.get("/agent/share/product/999999.png").status_code == 404
    client.logout()
    assert client.get(f"/agent/share/product/{t.sku.pk}.png").status_code == 302  # to the login


def test_agent_name_is_drawn_in_the_cjk_font_not_tofu():
    poster = posters.Poster(kind="shop", agent_name="张小美", level_name="总代", url="http://x/", taiwan=False)
    script = posters.script_for(poster)
    font = fonts.pil_font(script, "bold", 40)
    def glyph(ch: str) -> bytes:
        img = Image.new("L", (60, 60))
        from PIL import ImageDraw

        ImageDraw.Draw(img).text((5, 0), ch, font=font, fill=255)
        return img.tobytes()

    tofu = glyph("\ue000")  # a private-use code point: the font's .notdef box
    for ch in poster.agent_name:
        drawn = glyph(ch)
        assert any(drawn) and drawn != tofu, ch
    assert fonts.missing(poster.agent_name, fonts.font_path(script, "bold")) == []
    # The name's place on the poster has ink.
    img = Image.open(io.BytesIO(posters.render(poster))).convert("L")
    band = img.crop((40, posters.H - 48 - posters.QR_SIDE + 20, 40 + 160, posters.H - 48 - posters.QR_SIDE + 80))
    assert band.getextrema()[0] < 100


def test_cached_by_content():
    from django.core.cache import cache

    poster = posters.Poster(kind="shop", agent_name="A", level_name="L", url="http://x/1", taiwan=False)
    changed = posters.Poster(kind="shop", agent_name="A", level_name="L", url="http://x/2", taiwan=False)
    assert poster.key != changed.key
    data = posters.png(poster)
    assert cache.get(f"agents:poster:{poster.key}") == data


def test_share_page_has_poster_and_copy_link(client, factories):
    t = build_tree(factories)
    client.force_login(t.mid.user)
    html = client.get("/agent/share/").content.decode()
    assert 'src="/agent/share/shop.png"' in html and "data-copy=\"#share-link\"" in html
    assert sharing.shop_path(t.mid.pk, t.mid.pk).replace("&", "&amp;") in html and "share.js" in html
    html = client.get(f"/agent/share/?sku={t.sku.pk}").content.decode()
    assert f'src="/agent/share/product/{t.sku.pk}.png"' in html and f"/orders/shop/{t.mid.pk}/p/{t.sku.product_id}/?" in html
