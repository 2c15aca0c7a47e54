"""Demo orders: a shipping fee template, drop-ship costs, restocks through the tree (paid
by offline transfer confirmed by the seller) and consumer orders in every state.
Idempotent: each demo order carries a fixed note ("demo:…") and is made only once."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.base import ContentFile

from weishang.agents.models import Agent, LevelPrice
from weishang.catalog.models import SKU
from weishang.core.errors import DomainError
from weishang.inventory.models import Stock

from . import services
from .models import DropShipCost, FeeRule, FeeTemplate, Order, OrderStatus

ADDRESS = {"name": "林晓雨", "phone": "+8613900000001", "province_code": "330000", "city_code": "330100",
           "district_code": "330106", "detail": "文三路 90 号 3 幢 502"}


def proof_image() -> ContentFile:
    from PIL import Image, ImageDraw

    img = Image.new("RGB", (360, 200), (245, 245, 250))
    ImageDraw.Draw(img).text((20, 80), "transfer OK (demo)", fill=(30, 30, 30))
    buf = io.BytesIO()
    img.save(buf, "PNG")
    return ContentFile(buf.getvalue(), name="demo-proof.png")


def _done(note: str) -> Order | None:
    return Order.objects.filter(note=note).first()


def _pay_offline(order: Order, confirmer) -> None:
    from weishang.payments import services as pay

    payment = pay.pay(order_no=order.no, user=order.buyer, method="offline", proof=proof_image(),
                      reference="DEMO")
    if confirmer is not None:
        pay.confirm(payment_id=payment.pk, user=confirmer)


def _fee_template(ctx) -> None:
    if FeeTemplate.objects.filter(name="全国默认 (demo)").exists():
        return
    t = FeeTemplate.objects.create(name="全国默认 (demo)", currency="CNY", first_fee=Decimal("10"),
                                   extra_fee=Decimal("2"), free_over=Decimal("199"))
    FeeRule.objects.create(template=t, province_code="650000", first_fee=Decimal("25"), extra_fee=Decimal("8"))
    FeeRule.objects.create(template=t, province_code="540000", first_fee=Decimal("25"), extra_fee=Decimal("8"))
    FeeRule.objects.create(template=t, province_code="330000", city_code="330100", first_fee=Decimal("6"),
                           extra_fee=Decimal("1"))
    ctx["created"].append("fee template")


def load(ctx: dict) -> None:
    ctx.setdefault("created", [])
    _fee_template(ctx)
    skus = list(ctx.get("skus") or SKU.objects.all())
    for sku in skus:
        if sku.drop_shipped and not DropShipCost.objects.filter(sku=sku).exists():
            DropShipCost.objects.create(sku=sku, cost=(sku.retail_price * Decimal("0.35")).quantize(Decimal("1")))
            ctx["created"].append(f"drop-ship cost {sku.code}")
    stocked = [s for s in skus if not s.drop_shipped]
    if not stocked:
        return
    sku = stocked[0]
    priced = set(LevelPrice.objects.filter(sku=sku).values_list("level_id", flat=True))
    # Restocks: agents whose upline is of a higher level buy from it (or further up / HQ).
    buyers = [a for a in Agent.objects.select_related("level", "upline__level").filter(status="active")
              .exclude(upline=None).order_by("depth", "id") if a.level_id in priced
              and a.upline is not None and a.upline.level.rank < a.level.rank][:4]
    for i, agent in enumerate(buyers):
        note = f"demo:restock:{i}"
        if _done(note):
            continue
        try:
            order = services.create_restock(user=agent.user, lines=[(sku.pk, 6)], note=note)
        except DomainError:
            continue
        ctx["created"].append(f"restock {order.no}")
        if order.status == OrderStatus.PENDING and i % 2 == 0:
            seller_user = order.seller_agent.user if order.seller_agent is not None else ctx.get("hq_finance")
            _pay_offline(order, seller_user)
    # Consumer orders in the shop of an agent holding stock.
    consumer = ctx.get("consumer")
    shop_stock = (Stock.objects.filter(agent__isnull=False, sku=sku, agent__status="active",
                                       agent__level_id__in=priced).order_by("-quantity").first())
    if consumer is None or shop_stock is None or shop_stock.agent is None:
        return
    shop = shop_stock.agent
    ctx.setdefault("shop_agent", shop)
    warehouse = ctx.get("hq_warehouse")
    plan = ["pending", "paid", "shipped", "received", "cancelled", "completed", "refund_requested", "refunded"]
    for state in plan:
        note = f"demo:consumer:{state}"
        if _done(note):
            continue
        try:
            order = services.create_consumer_order(user=consumer, shop_agent_id=shop.pk, lines=[(sku.pk, 1)],
                                                   address=ADDRESS, note=note)
        except DomainError:
            break
        ctx["created"].append(f"consumer order {order.no}")
        if state == "cancelled":
            services.cancel(order, actor=consumer, reason="不想要了 (demo)")
            continue
        if state == "pending":
            continue
        _pay_offline(order, shop.user)
        if state == "paid":
            continue
        services.ship(order, actor=warehouse, carrier="顺丰速运", tracking_no=f"SF{order.pk:010d}")
        if state in ("refund_requested", "refunded"):
            from . import refunds
            from .models import RefundKind

            req = refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="瓶盖破损 (demo)")
            if state == "refunded":
                refunds.decide_refund(req.pk, actor=shop.user, approve=True, reason="同意退款 (demo)")
                # Shipped goods come back first: the buyer's parcel, then the warehouse's inspection.
                refunds.ship_return(req.pk, user=consumer, carrier="顺丰速运", tracking_no=f"SFR{order.pk:09d}")
                refunds.receive_return(req.pk, actor=warehouse, note="验货完好 (demo)")
            continue
        if state in ("received", "completed"):
            services.confirm_received(order, actor=consumer)
        if state == "completed":
            services.transition(Order.objects.get(pk=order.pk), OrderStatus.COMPLETED,
                                reason="Return window closed (demo).")
