from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.utils import timezone

from tests.orders.helpers import give, qty
from weishang.core.errors import DomainError
from weishang.inventory.services import OutOfStock
from weishang.orders import selectors, services
from weishang.orders.models import DropShipCost, FeeRule, FeeTemplate, Order, OrderStatus, ShareRole
from weishang.payments import services as pay

pytestmark = pytest.mark.django_db


def test_consumer_order_from_agent_cloud_stock(tree, factories, address):
    give(tree.mid, tree.sku, 5)
    consumer = factories.user()
    order = services.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 2)],
                                           address=address)
    assert order.status == OrderStatus.PENDING and order.total == Decimal("256.00")
    assert order.province_code == "110000" and order.district_code == "110101" and order.address_text
    assert qty(tree.mid, tree.sku) == (5, 2)
    share = order.shares.get()
    assert (share.role, share.agent, share.amount) == (ShareRole.SELLER_PROCEEDS, tree.mid, Decimal("256.00"))
    line = order.lines.get()
    assert line.buyer_level_price == Decimal("70.00")
    # Consumer pays offline; the shop agent confirms.
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    buf = io.BytesIO()
    Image.new("RGB", (2, 2)).save(buf, "PNG")
    payment = pay.pay(order_no=order.no, user=consumer, method="offline",
                      proof=SimpleUploadedFile("p.png", buf.getvalue(), content_type="image/png"))
    with pytest.raises(DomainError):
        pay.pay(order_no=order.no, user=consumer, method="prepaid")  # consumers have no prepaid
    pay.confirm(payment_id=payment.pk, user=tree.mid.user)
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID
    assert qty(tree.mid, tree.sku) == (3, 0)
    # Warehouse ships in two parcels; consumer confirms.
    hq = factories.staff("warehouse")
    services.pack(order, actor=hq)
    line = order.lines.get()
    services.ship(order, actor=hq, carrier="SF", tracking_no="SF1", quantities={line.pk: 1})
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED
    with pytest.raises(services.IllegalTransition):
        services.confirm_received(order, actor=consumer)  # one unit not shipped yet
    services.ship(order, actor=hq, carrier="SF", tracking_no="SF2")
    assert order.shipments.count() == 2
    services.confirm_received(order, actor=consumer)
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED
    assert services.complete_due(timezone.now() + timedelta(days=30)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.COMPLETED
    statuses = list(order.events.values_list("to_status", flat=True))
    # The second "pending" is the transfer proof submitted (waiting for the shop agent).
    assert statuses == ["pending", "pending", "paid", "paid", "shipped", "shipped", "received", "completed"]


def test_not_enough_cloud_stock_refuses_and_saves_nothing(tree, factories, address):
    give(tree.mid, tree.sku, 1)
    with pytest.raises(OutOfStock):
        services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 2)],
                                       address=address)
    assert not Order.objects.exists() and qty(tree.mid, tree.sku) == (1, 0)


def test_bad_address_and_frozen_shop(tree, factories, address):
    give(tree.mid, tree.sku, 5)
    for bad in ({"district_code": "999999"}, {"city_code": "310100"}, {"phone": "12"}, {"name": ""}):
        with pytest.raises(DomainError) as exc:
            services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk,
                                           lines=[(tree.sku.pk, 1)], address={**address, **bad})
        assert exc.value.code == "invalid_address"
    tree.mid.status = "expired"
    tree.mid.save()
    with pytest.raises(DomainError) as exc:
        services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                       address=address)
    assert exc.value.code == "agent_not_active"
    assert not Order.objects.exists() and qty(tree.mid, tree.sku) == (5, 0)


def test_shop_price_within_floor_and_ceiling_same_for_everyone(tree, factories, address):
    give(tree.mid, tree.sku, 10)
    for bad in ("99.99", "168.01", "abc"):
        with pytest.raises(DomainError):
            services.set_shop_price(agent=tree.mid, sku=tree.sku, price=bad)
    services.set_shop_price(agent=tree.mid, sku=tree.sku, price="118.00")
    a = services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                       address=address)
    b = services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                       address=address)
    assert a.goods_total == b.goods_total == Decimal("118.00")


def test_drop_ship_without_cloud_stock_charges_level_price(tree, factories, address):
    supplier = factories.supplier()
    ds = factories.sku(drop_shipped=True, supplier=supplier, retail_price=Decimal("100.00"),
                       floor_price=Decimal("80.00"), ceiling_price=Decimal("120.00"))
    factories.level_price(tree.levels[1], ds, "60")
    DropShipCost.objects.create(sku=ds, cost=Decimal("25.00"))
    order = services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(ds.pk, 2)],
                                           address=address)
    shares = {(s.role, s.agent_id, s.supplier_id, s.is_hq): s.amount for s in order.shares.all()}
    assert shares == {
        (ShareRole.SHOP_MARGIN, tree.mid.pk, None, False): Decimal("80.00"),   # (100 - 60) x 2
        (ShareRole.SUPPLIER_COST, None, supplier.pk, False): Decimal("50.00"),
        (ShareRole.HQ_REVENUE, None, None, True): Decimal("70.00"),
    }
    assert selectors.share_check(order)
    # The supplier sees it once paid, ships it; other suppliers cannot.
    other = factories.user(supplier=factories.supplier())
    sup_user = factories.user(supplier=supplier)
    assert not selectors.supplier_lines(supplier.pk).exists()  # unpaid orders are not the supplier's business
    order.status = "pending"
    from weishang.payments.models import Payment

    Payment.objects.create(order=order, method="offline", amount=order.total, currency="CNY", status="submitted",
                           payer=order.buyer, payee_agent=tree.mid, proof="x.png")
    pay.confirm(payment_id=Payment.objects.get(order=order).pk, user=tree.mid.user)
    assert list(selectors.supplier_lines(supplier.pk).values_list("order_id", flat=True)) == [order.pk]
    order.refresh_from_db()
    with pytest.raises(DomainError):
        services.ship(order, actor=other, carrier="ZTO", tracking_no="Z1")
    with pytest.raises(DomainError):
        services.ship(order, actor=factories.staff("warehouse"), carrier="ZTO", tracking_no="Z1")
    services.ship(order, actor=sup_user, carrier="ZTO", tracking_no="Z1")
    order.refresh_from_db()
    assert order.status == OrderStatus.SHIPPED


def test_drop_ship_with_cloud_stock_uses_it(tree, factories, address):
    supplier = factories.supplier()
    ds = factories.sku(drop_shipped=True, supplier=supplier)
    factories.level_price(tree.levels[1], ds, "60")
    give(tree.mid, ds, 3)
    order = services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(ds.pk, 2)],
                                           address=address)
    assert qty(tree.mid, ds) == (3, 2)
    assert [(s.role, s.amount) for s in order.shares.all()] == [(ShareRole.SELLER_PROCEEDS, Decimal("256.00"))]
    services.cancel(order, actor=order.buyer)
    assert qty(tree.mid, ds) == (3, 0)


def test_shipping_fee_template_by_region_and_free_threshold(tree, factories, address):
    give(tree.mid, tree.sku, 10)
    t = FeeTemplate.objects.create(name="默认", currency="CNY", first_fee=Decimal("10"), extra_fee=Decimal("2"),
                                   free_over=Decimal("500"))
    FeeRule.objects.create(template=t, province_code="110000", first_fee=Decimal("8"), extra_fee=Decimal("1"))
    FeeRule.objects.create(template=t, province_code="110000", city_code="110100", first_fee=Decimal("6"),
                           extra_fee=Decimal("1"))
    o = services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 3)],
                                       address=address)
    assert o.shipping_fee == Decimal("8.00") and o.total == Decimal("392.00")
    assert selectors.share_check(o)
    sh = {**address, "province_code": "310000", "city_code": "310100", "district_code": "310101"}
    o = services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 2)],
                                       address=sh)
    assert o.shipping_fee == Decimal("12.00")
    o = services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 4)],
                                       address=sh)
    assert o.shipping_fee == Decimal("0.00")


def test_pickup_reserves_then_ships(tree, factories, address):
    give(tree.mid, tree.sku, 5)
    order = services.create_pickup(user=tree.mid.user, lines=[(tree.sku.pk, 3)], address=address)
    # No fee template: free, so it is paid at once and the units leave the cloud stock.
    assert order.status == OrderStatus.PAID
    assert qty(tree.mid, tree.sku) == (2, 0)
    from weishang.inventory.models import StockMovement

    assert StockMovement.objects.filter(kind="pickup_out", ref_id=order.no, quantity=-3).exists()
    with pytest.raises(OutOfStock):
        services.create_pickup(user=tree.mid.user, lines=[(tree.sku.pk, 3)], address=address)
    services.ship(order, actor=factories.staff("warehouse"), carrier="SF", tracking_no="P1")
    assert services.auto_receive(timezone.now() + timedelta(days=11)) == 1
    order.refresh_from_db()
    assert order.status == OrderStatus.RECEIVED


def test_pickup_with_fee_pays_from_prepaid(tree, factories, address):
    FeeTemplate.objects.create(name="默认", currency="CNY", first_fee=Decimal("10"), extra_fee=Decimal("2"))
    give(tree.mid, tree.sku, 5)
    order = services.create_pickup(user=tree.mid.user, lines=[(tree.sku.pk, 2)], address=address)
    assert order.status == OrderStatus.PENDING and order.total == Decimal("12.00")
    assert qty(tree.mid, tree.sku) == (5, 2)
    pay.hq_topup(agent=tree.mid, amount="20", currency="CNY", reason="t", user=tree.hq_user)
    pay.pay(order_no=order.no, user=tree.mid.user, method="prepaid")
    order.refresh_from_db()
    assert order.status == OrderStatus.PAID and qty(tree.mid, tree.sku) == (3, 0)


def test_order_number_format_and_uniqueness(tree, factories, address):
    from weishang.orders.numbers import looks_valid

    give(tree.mid, tree.sku, 50)
    nos = {services.create_consumer_order(user=factories.user(), shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                          address=address).no for _ in range(20)}
    assert len(nos) == 20 and all(looks_valid(n) for n in nos)


def test_consumer_order_query_count_constant_per_line(tree, factories, address, django_assert_max_num_queries):
    give(tree.mid, tree.sku, 50)
    give(tree.mid, tree.sku2, 50)
    user = factories.user()
    with django_assert_max_num_queries(14):
        services.create_consumer_order(user=user, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                       address=address)
    with django_assert_max_num_queries(15):
        services.create_consumer_order(user=user, shop_agent_id=tree.mid.pk,
                                       lines=[(tree.sku.pk, 1), (tree.sku2.pk, 1)], address=address)
