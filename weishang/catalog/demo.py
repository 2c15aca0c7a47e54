"""Demo catalog: the skincare brand 澜溪 LANXI with 3 product lines and 8 SKUs.

Images are drawn locally with Pillow (a gradient, a bottle, jar or sachet, the product
name in Noto Sans SC), so the demo needs no download. Idempotent: lines, products and SKUs
are found by name/code; an image is drawn only when the product has none."""

from __future__ import annotations

import io
from decimal import Decimal
from pathlib import Path

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from PIL import Image, ImageDraw, ImageFont

from .gtin import gtin_check_digit
from .models import SKU, Product, ProductLine, Supplier

BRAND = "澜溪 LANXI"
SUPPLIER = {"name": "杭州禾润供应链有限公司", "contact_name": "周海", "contact_phone": "+8613700000001"}

LINES = [
    ("水润补水系列", "以玻尿酸与海藻糖为核心，为干燥缺水肌肤持续补水锁水。", (72, 148, 214)),
    ("焕亮精华系列", "烟酰胺与维C衍生物协同，改善暗沉，提亮肤色。", (232, 160, 64)),
    ("修护舒缓系列", "积雪草与神经酰胺修护屏障，适合敏感肌日常护理。", (92, 168, 120)),
]

# line index, name, subtitle, description, shape, [(spec, code, retail, floor, ceiling, grams, drop_shipped)]
PRODUCTS = [
    (0, "澜溪玻尿酸水润精华液", "三重玻尿酸 · 一抹水润一整天",
     "蕴含大、中、小三种分子量玻尿酸，层层渗透补水；添加海藻糖与泛醇，锁住水分不紧绷。\n"
     "质地清透如水，上脸快速吸收不黏腻，早晚洁面爽肤后取 2–3 滴轻拍至吸收。\n"
     "适合肤质：干性、混合性及缺水肌肤。",
     "bottle", [("30ml", "LX-HA-30", "128.00", "98.00", "158.00", 95, False),
                ("50ml", "LX-HA-50", "198.00", "158.00", "238.00", 140, False)]),
    (0, "澜溪水润保湿面霜", "轻盈乳霜 · 48 小时持续保湿",
     "角鲨烷与神经酰胺 NP 搭配，修护屏障的同时给予长效保湿。\n"
     "轻薄乳霜质地，夏季不闷、冬季不干，可作为妆前打底。\n"
     "用法：精华之后取黄豆大小均匀涂抹于面部。",
     "jar", [("50g", "LX-HC-50", "168.00", "128.00", "198.00", 180, False)]),
    (1, "澜溪烟酰胺焕亮精华水", "5% 烟酰胺 · 改善暗沉",
     "5% 烟酰胺配合甘草酸二钾，温和提亮肤色、细致毛孔。\n"
     "水润质地，可湿敷可拍打，作为护肤第一步为后续精华打底。\n"
     "初次使用建议先在耳后试用。",
     "bottle", [("150ml", "LX-NA-150", "138.00", "108.00", "168.00", 230, False)]),
    (1, "澜溪维C焕亮面膜", "VC 衍生物 · 一片透亮",
     "3-O-乙基抗坏血酸稳定型维C，配合天丝膜布服帖脸型，15 分钟为肌肤提亮补水。\n"
     "每周 2–3 次，敷后无需清洗，轻拍至吸收即可。",
     "sachet", [("5片装", "LX-VM-5", "99.00", "79.00", "119.00", 150, False),
                ("10片装", "LX-VM-10", "179.00", "149.00", "219.00", 290, False)]),
    (2, "澜溪积雪草修护霜", "积雪草 · 泛红不适一扫而空",
     "高浓度积雪草提取物与马齿苋舒缓泛红，积雪草苷修护受损屏障。\n"
     "无香精、无酒精，敏感肌与换季不稳定肌肤可放心使用。",
     "jar", [("50g", "LX-CA-50", "188.00", "148.00", "228.00", 185, False)]),
    (2, "澜溪神经酰胺舒缓洁面乳", "氨基酸洁面 · 洗后不紧绷",
     "氨基酸表活温和清洁，添加神经酰胺，洗后肌肤柔软不紧绷。\n"
     "由合作供应商一件代发，下单后 48 小时内从杭州仓发货。",
     "tube", [("120g", "LX-CL-120", "79.00", "59.00", "99.00", 150, True)]),
]


def demo_gtin(n: int) -> str:
    """A real-looking EAN-13 under the 690 (China) prefix with a correct check digit."""
    body = f"6908721{n:05d}"
    return body + str(gtin_check_digit(body))


def _font(size: int, weight: str = "700Bold") -> ImageFont.FreeTypeFont | ImageFont.ImageFont:
    path = Path(settings.FONT_DIR_SC) / weight / f"NotoSansSC_{weight}.ttf"
    if path.exists():
        return ImageFont.truetype(str(path), size)
    return ImageFont.load_default(size)


def _centered(draw: ImageDraw.ImageDraw, y: int, text: str, font, fill, width: int) -> None:
    left, _top, right, _bottom = draw.textbbox((0, 0), text, font=font)
    draw.text(((width - (right - left)) / 2, y), text, font=font, fill=fill)


def draw_product_image(name: str, subtitle: str, color: tuple[int, int, int], shape: str, size: int = 800) -> bytes:
    """A square JPEG: soft gradient, the package drawn as shapes, the name underneath."""
    img = Image.new("RGB", (size, size))
    top = tuple(int(c + (255 - c) * 0.55) for c in color)
    for y in range(size):
        t = y / size
        row = tuple(int(top[i] * (1 - t) + 250 * t) for i in range(3))
        img.paste(row, (0, y, size, y + 1))
    d = ImageDraw.Draw(img)
    dark = tuple(int(c * 0.55) for c in color)
    cx = size // 2
    if shape == "bottle":
        d.rounded_rectangle((cx - 40, 120, cx + 40, 200), 12, fill=(60, 60, 70))               # dropper cap
        d.rectangle((cx - 28, 195, cx + 28, 230), fill=(200, 200, 210))                        # neck
        d.rounded_rectangle((cx - 120, 225, cx + 120, 560), 36, fill=color)                    # body
        d.rounded_rectangle((cx - 95, 330, cx + 95, 470), 10, fill=(255, 255, 255))           # label
        d.rectangle((cx - 105, 245, cx - 85, 540), fill=tuple(min(255, c + 50) for c in color))  # highlight
    elif shape == "jar":
        d.rounded_rectangle((cx - 190, 250, cx + 190, 330), 18, fill=(235, 235, 240))          # lid
        d.rounded_rectangle((cx - 180, 320, cx + 180, 540), 40, fill=color)                    # jar
        d.rounded_rectangle((cx - 130, 380, cx + 130, 490), 10, fill=(255, 255, 255))
    elif shape == "tube":
        d.polygon([(cx - 130, 170), (cx + 130, 170), (cx + 90, 520), (cx - 90, 520)], fill=color)
        d.rounded_rectangle((cx - 60, 515, cx + 60, 570), 10, fill=(235, 235, 240))            # cap
        d.rounded_rectangle((cx - 80, 290, cx + 80, 420), 10, fill=(255, 255, 255))
    else:  # sachet
        d.rounded_rectangle((cx - 170, 150, cx + 170, 560), 18, fill=color)
        d.rectangle((cx - 170, 170, cx + 170, 180), fill=tuple(min(255, c + 40) for c in color))
        d.rounded_rectangle((cx - 130, 300, cx + 130, 440), 10, fill=(255, 255, 255))
    label_y = {"bottle": 350, "jar": 395, "tube": 310, "sachet": 320}[shape]
    _centered(d, label_y, "澜溪", _font(44), dark, size)
    _centered(d, label_y + 58, "LANXI", _font(24, "500Medium"), dark, size)
    _centered(d, 610, name, _font(48), (40, 40, 48), size)
    _centered(d, 690, subtitle, _font(30, "400Regular"), (100, 100, 110), size)
    out = io.BytesIO()
    img.save(out, "JPEG", quality=85, optimize=True)
    return out.getvalue()


@transaction.atomic
def load(ctx: dict) -> None:
    created = ctx.setdefault("created", [])
    supplier, made = Supplier.objects.get_or_create(name=SUPPLIER["name"], defaults=SUPPLIER)
    if made:
        created.append(f"supplier {supplier.name}")
    ctx["supplier"] = supplier
    supplier_user = ctx.get("supplier_user")
    if supplier_user is not None and supplier_user.supplier_id != supplier.pk:
        supplier_user.supplier = supplier
        supplier_user.save(update_fields=["supplier"])

    lines = []
    for position, (name, description, _color) in enumerate(LINES):
        line, made = ProductLine.objects.get_or_create(name=name, defaults={"description": description,
                                                                            "position": position})
        if made:
            created.append(f"line {name}")
        lines.append(line)

    products, skus = [], []
    n = 0
    for position, (line_i, name, subtitle, description, shape, variants) in enumerate(PRODUCTS):
        product, made = Product.objects.get_or_create(
            name=name, defaults={"line": lines[line_i], "subtitle": subtitle, "description": description,
                                 "position": position})
        if made:
            created.append(f"product {name}")
        if not product.image:
            data = draw_product_image(name, subtitle, LINES[line_i][2], shape)
            product.image.save(f"lanxi-{variants[0][1].lower()}.jpg", ContentFile(data), save=True)
        products.append(product)
        for sku_pos, (spec, code, retail, floor, ceiling, grams, drop) in enumerate(variants):
            n += 1
            sku = SKU.objects.filter(code=code).first()
            if sku is None:
                sku = SKU(product=product, name=spec, code=code, gtin=demo_gtin(n), currency="CNY",
                          retail_price=Decimal(retail), floor_price=Decimal(floor), ceiling_price=Decimal(ceiling),
                          weight_grams=grams, drop_shipped=drop, supplier=supplier if drop else None,
                          position=sku_pos)
                sku.full_clean()
                sku.save()
                created.append(f"sku {code}")
            skus.append(sku)
    ctx["products"] = products
    ctx["skus"] = skus
    ctx["brand"] = BRAND
