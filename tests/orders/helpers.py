"""Shared test scaffolding for orders, inventory and payments."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from weishang.inventory import services as stock
from weishang.inventory.models import Stock, owner_key


@dataclass
class Tree:
    sku: object
    sku2: object
    levels: tuple
    top: object  # 总代
    mid: object  # 一级 under top
    low: object  # 二级 under mid
    hq_user: object


def build_tree(f) -> Tree:
    l1, l2, l3 = f.standard_levels()
    sku = f.sku(retail_price=Decimal("128.00"), floor_price=Decimal("100.00"), ceiling_price=Decimal("168.00"))
    sku2 = f.sku(retail_price=Decimal("60.00"), floor_price=Decimal("40.00"), ceiling_price=Decimal("80.00"))
    for level, p1, p2 in ((l1, "50", "20"), (l2, "70", "30"), (l3, "90", "35")):
        f.level_price(level, sku, p1)
        f.level_price(level, sku2, p2)
    top = f.agent(l1, name="总代A")
    mid = f.agent(l2, upline=top, name="一级B")
    low = f.agent(l3, upline=mid, name="二级C")
    hq = f.staff("admin")
    return Tree(sku, sku2, (l1, l2, l3), top, mid, low, hq)


def give(agent, sku, qty: int, user=None) -> None:
    """Put units in an agent's (or HQ's, agent=None) stock through a recorded adjustment."""
    from tests import factories as f

    user = user or f.staff("admin")
    stock.adjust(agent_id=agent.pk if agent else None, sku_id=sku.pk, quantity=qty, reason="test", user=user)


def qty(agent, sku) -> tuple[int, int]:
    row = Stock.objects.filter(owner=owner_key(agent.pk if agent else None), sku=sku).first()
    return (row.quantity, row.reserved) if row else (0, 0)


def png(name: str = "proof.png"):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "white").save(buf, "PNG")
    return SimpleUploadedFile(name, buf.getvalue(), content_type="image/png")


def pay_offline(order, buyer, confirmed_by):
    """The buyer pays by offline transfer (a proof image) and the payee confirms it; the
    order, refreshed."""
    from weishang.payments import services as pay

    payment = pay.pay(order_no=order.no, user=buyer, method="offline", proof=png())
    pay.confirm(payment_id=payment.pk, user=confirmed_by)
    order.refresh_from_db()
    return order


def paid_restock(t: Tree, n: int = 10):
    """The low agent's restock of n units of t.sku from its upline, paid from a prepaid
    balance HQ topped up."""
    from weishang.orders import services as orders
    from weishang.payments import services as pay

    give(t.mid, t.sku, n)
    order = orders.create_restock(user=t.low.user, lines=[(t.sku.pk, n)])
    pay.hq_topup(agent=t.low, amount="10000", currency="CNY", reason="test", user=t.hq_user)
    pay.pay(order_no=order.no, user=t.low.user, method="prepaid")
    order.refresh_from_db()
    return order
