"""Demo orders: a shipping fee template, drop-ship costs, restocks through the tree and
consumer orders in every state, told as the last five weeks of a shop (weishang.core.demo_clock):
every step is a real service call at its day, and the periodic jobs (complete_due, release_due)
run every few days, so old orders are completed and their earnings released.

Restocks are paid from the buyer's prepaid balance (HQ tops it up first) or by a transfer the
seller confirms; consumer orders online through the sandbox when this deployment offers it
(the money lands at HQ, the shop agent earns its proceeds), else by a transfer the shop agent
confirms. A transfer an agent confirms is money it already holds, so the ledger takes it from
its available earnings: the shop agent also sells a prepaid restock, so that no agent ends
below zero. Idempotent: each demo order carries a fixed note ("demo:…") and is made only once."""

from __future__ import annotations

import io
from decimal import Decimal

from django.core.files.base import ContentFile
from django.db.models import F

from weishang.agents.models import Agent, LevelPrice
from weishang.catalog.models import SKU
from weishang.core import demo_clock
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


def _pay_online(order: Order) -> bool:
    """Pay through the sandbox as the buyer would on its page; False if it is not offered."""
    from weishang.payments import notifications
    from weishang.payments import services as pay
    from weishang.payments.online import SandboxProvider

    provider = notifications.online("sandbox")
    if not isinstance(provider, SandboxProvider):
        return False
    payment = pay.pay(order_no=order.no, user=order.buyer, method="sandbox")
    provider.deliver("TRANSACTION.SUCCESS", payment, transaction_id=f"SBX{payment.pk}")
    return True


def _topped_up(agent: Agent, ctx) -> None:
    """HQ's first top-up (the payments demo gives the same one, by reason, to the first agents)."""
    from weishang.payments import services as pay
    from weishang.payments.models import TopUp

    hq = ctx.get("hq_finance") or ctx.get("hq_admin")
    reason = f"首批进货预充值 (demo) #{agent.pk}"
    if hq is not None and not TopUp.objects.filter(agent=agent, reason=reason).exists():
        pay.hq_topup(agent=agent, amount="5000", currency="CNY", reason=reason, user=hq)


def periodic_jobs() -> None:
    """What the scheduler does every few minutes: received orders past the return window
    complete, pending earnings past it become available."""
    from weishang.earnings import services as earnings

    services.complete_due()
    earnings.release_due()


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


# Restocks: (days ago, how it is paid, units). "prepaid": from the buyer's prepaid balance;
# "offline": a transfer the seller confirms; None: waiting for payment (made today, since an
# unpaid restock is cancelled after a day). The first four are bought by the first agents
# below a higher level; the last by the same-level recruit from its 一级, so that its
# recruiter (the demo 二级) earns the referral and same-level rewards.
RESTOCKS = [(30, "prepaid", 6), (0, None, 6), (26, "offline", 6), (28, "prepaid", 6), (18, "prepaid", 3)]
# The restock whose seller runs the demo shop (so the shop agent has restock income too).
SHOP_RESTOCK = 3
# Consumer orders: state -> days ago of (created and paid, shipped, received / refund requested).
CONSUMER = {"completed": (24, 23, 20), "refunded": (10, 9, 6), "received": (5, 4, 2), "shipped": (2, 1, None),
            "refund_requested": (3, 2, 0), "paid": (0, None, None), "pending": (0, None, None),
            "cancelled": (0, None, None)}
# The periodic jobs as the scheduler would have run them (days ago).
JOBS = (21, 14, 7, 1, 0)


def _restocks(ctx, sku) -> list[tuple[float, object]]:
    """Timeline steps for the restocks (the orders are made when their step runs)."""
    priced = set(LevelPrice.objects.filter(sku=sku).values_list("level_id", flat=True))
    # Agents whose upline is of a higher level buy from it (or further up / HQ).
    buyers = [a for a in Agent.objects.select_related("level", "upline__level").filter(status="active")
              .exclude(upline=None).order_by("depth", "id") if a.level_id in priced
              and a.upline is not None and a.upline.level.rank < a.level.rank][:len(RESTOCKS) - 1]
    peer = (Agent.objects.filter(status="active", recruiter__isnull=False, level__in=priced)
            .exclude(recruiter=F("upline")).order_by("pk").first())
    if peer is not None and len(buyers) == len(RESTOCKS) - 1:
        buyers.append(peer)
    steps: list[tuple[float, object]] = []
    for i, (agent, (days, how, units)) in enumerate(zip(buyers, RESTOCKS, strict=False)):
        note = f"demo:restock:{i}"
        if _done(note):
            continue

        def step(agent=agent, note=note, how=how, units=units) -> None:
            if how == "prepaid":
                _topped_up(agent, ctx)
            try:
                order = services.create_restock(user=agent.user, lines=[(sku.pk, units)], note=note)
            except DomainError:
                return
            ctx["created"].append(f"restock {order.no}")
            if order.status != OrderStatus.PENDING or how is None:
                return
            if how == "prepaid":
                from weishang.payments import services as pay

                pay.pay(order_no=order.no, user=agent.user, method="prepaid")
            else:
                seller_user = order.seller_agent.user if order.seller_agent is not None else ctx.get("hq_finance")
                _pay_offline(order, seller_user)
        steps.append((days, step))
    return steps


def _shop(sku) -> Agent | None:
    """The demo shop: the agent that sold the shop restock, else the active agent with most stock."""
    priced = LevelPrice.objects.filter(sku=sku).values_list("level_id", flat=True)
    sold = _done(f"demo:restock:{SHOP_RESTOCK}")
    if sold is not None and sold.seller_agent is not None and sold.seller_agent.level_id in set(priced):
        return sold.seller_agent
    stock = (Stock.objects.filter(agent__isnull=False, sku=sku, agent__status="active", agent__level_id__in=priced)
             .order_by("-quantity", "agent_id").first())
    return stock.agent if stock is not None else None


def _consumer_steps(ctx, sku, shop: Agent) -> list[tuple[float, object]]:
    consumer = ctx["consumer"]
    warehouse = ctx.get("hq_warehouse")
    steps: list[tuple[float, object]] = []
    for state, (paid_days, shipped_days, then_days) in CONSUMER.items():
        note = f"demo:consumer:{state}"
        if _done(note):
            continue
        made: dict[str, Order] = {}

        def create(state=state, note=note, made=made) -> None:
            try:
                order = services.create_consumer_order(user=consumer, shop_agent_id=shop.pk, lines=[(sku.pk, 1)],
                                                       address=ADDRESS, note=note)
            except DomainError:
                return
            made["order"] = order
            ctx["created"].append(f"consumer order {order.no}")
            if state == "cancelled":
                services.cancel(order, actor=consumer, reason="不想要了 (demo)")
            elif state != "pending" and not _pay_online(order):
                _pay_offline(order, shop.user)

        def ship(made=made) -> None:
            if "order" in made:
                order = made["order"]
                services.ship(order, actor=warehouse, carrier="顺丰速运", tracking_no=f"SF{order.pk:010d}")

        def then(state=state, made=made) -> None:
            if "order" not in made:
                return
            order = Order.objects.get(pk=made["order"].pk)
            if state in ("received", "completed"):
                services.confirm_received(order, actor=consumer)
                return
            from . import refunds
            from .models import RefundKind

            req = refunds.request_refund(order, user=consumer, kind=RefundKind.FULL, reason="瓶盖破损 (demo)")
            if state == "refunded":
                refunds.decide_refund(req.pk, actor=shop.user, approve=True, reason="同意退款 (demo)")
                # Shipped goods come back first: the buyer's parcel, then the warehouse's inspection.
                refunds.ship_return(req.pk, user=consumer, carrier="顺丰速运", tracking_no=f"SFR{order.pk:09d}")
                refunds.receive_return(req.pk, actor=warehouse, note="验货完好 (demo)")

        steps.append((paid_days, create))
        if shipped_days is not None:
            steps.append((shipped_days, ship))
        if then_days is not None:
            steps.append((then_days, then))
    return steps


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
    from weishang.earnings.demo import save_rules

    save_rules(ctx)
    run(_restocks(ctx, sku))
    # Consumer orders in the shop of an agent holding stock.
    shop = _shop(sku)
    if ctx.get("consumer") is None or shop is None:
        return
    ctx.setdefault("shop_agent", shop)
    run(_consumer_steps(ctx, sku, shop))


def run(steps: list[tuple[float, object]]) -> None:
    """Each step at its day, oldest first, with the periodic jobs in between."""
    timeline = sorted([(days, 1, step) for days, step in steps] + [(days, 0, periodic_jobs) for days in JOBS],
                      key=lambda t: (-t[0], t[1]))
    for days, _order, step in timeline:
        with demo_clock.days_ago(days):
            step()  # type: ignore[operator]
