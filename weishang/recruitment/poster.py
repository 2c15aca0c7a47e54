"""The invite poster: a PNG to long-press and save, with the brand, the level, the
inviter's masked name and a QR of the invite link."""

from __future__ import annotations

import io

from django.conf import settings
from django.urls import reverse
from django.utils import translation
from django.utils.translation import gettext as _

from weishang.certificates import fonts
from weishang.certificates.render import mask_name

from .models import Invite

BRAND_COLOR = (194, 24, 91)


def invite_url(invite: Invite) -> str:
    return f"{settings.SITE_URL}{reverse('recruitment:join', args=[invite.token])}"


def render_poster(invite: Invite) -> bytes:
    import segno
    from PIL import Image, ImageDraw

    taiwan = bool(invite.inviter and (invite.inviter.province_code or "").startswith("71"))
    brand = getattr(settings, "BRAND_NAME", "") or _("Weishang")
    inviter = mask_name(invite.inviter.name) if invite.inviter else _("Brand HQ")
    with translation.override("zh-hant" if taiwan else "zh-hans"):
        lines = [
            (str(brand), "bold", 56, (255, 255, 255)),
            (_("Invites you to become our %(level)s") % {"level": invite.level.name}, "bold", 40, (255, 255, 255)),
            (_("Invited by %(name)s") % {"name": inviter}, "regular", 30, (255, 230, 240)),
        ]
        caption = _("Press and hold the QR code to apply")
        expires = _("Valid until %(date)s") % {"date": invite.expires_at.date().isoformat()}
    script = fonts.choose([t for t, *_rest in lines] + [caption, expires], taiwan=taiwan)
    W, H = 750, 1200
    img = Image.new("RGB", (W, H), BRAND_COLOR)
    d = ImageDraw.Draw(img)
    y = 110
    for text, weight, size, color in lines:
        d.text((W / 2, y), text, font=fonts.pil_font(script, weight, size), fill=color, anchor="ma")
        y += int(size * 1.8)
    buf = io.BytesIO()
    segno.make(invite_url(invite), error="m", micro=False).save(buf, kind="png", scale=10, border=2)
    qr = Image.open(io.BytesIO(buf.getvalue())).convert("RGB")
    side = 460
    qr = qr.resize((side, side), Image.Resampling.NEAREST)
    card_top = y + 30
    d.rounded_rectangle([(W - side) / 2 - 30, card_top, (W + side) / 2 + 30, card_top + side + 140], radius=24,
                        fill=(255, 255, 255))
    img.paste(qr, ((W - side) // 2, card_top + 30))
    d.text((W / 2, card_top + side + 50), caption, font=fonts.pil_font(script, "regular", 28), fill=(60, 60, 60),
           anchor="ma")
    d.text((W / 2, H - 70), expires, font=fonts.pil_font(script, "regular", 24), fill=(255, 230, 240), anchor="ma")
    out = io.BytesIO()
    img.save(out, format="PNG", optimize=True)
    return out.getvalue()
