"""Many buyers race for the last units: nobody oversells, nothing is sold twice."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests.orders.helpers import build_tree, give
from tests.threads import needs_shared_database, run_together
from weishang.core.errors import DomainError
from weishang.inventory import selectors as stock_selectors
from weishang.inventory.models import Stock
from weishang.orders import services
from weishang.orders.models import Order

pytestmark = [pytest.mark.django_db(transaction=True), needs_shared_database]

THREADS = 12
UNITS = 5


def _race(fn) -> tuple[list, list]:
    """What THREADS simultaneous calls returned, and the codes of the domain errors raised."""
    results = run_together(THREADS, fn, expected=(DomainError,))
    return ([r for r in results if not isinstance(r, DomainError)],
            [r.code for r in results if isinstance(r, DomainError)])


def test_consumers_race_for_the_last_units(factories):
    tree = build_tree(factories)
    give(tree.mid, tree.sku, UNITS)
    buyers = [factories.user() for _ in range(THREADS)]
    address = {"name": "李四", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
               "district_code": "110101", "detail": "1 号"}
    ok, refused = _race(lambda i: services.create_consumer_order(
        user=buyers[i], shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)], address=address).no)
    assert len(ok) == UNITS
    assert set(refused) == {"out_of_stock"} and len(refused) == THREADS - UNITS
    row = Stock.objects.get(owner=f"a{tree.mid.pk}", sku=tree.sku)
    assert (row.quantity, row.reserved) == (UNITS, UNITS)
    assert Order.objects.count() == UNITS


def test_restocks_race_for_the_uplines_last_units(factories):
    tree = build_tree(factories)
    l3 = tree.levels[2]
    buyers = [factories.agent(l3, upline=tree.mid) for _ in range(THREADS)]
    give(tree.mid, tree.sku, UNITS * 2)
    from weishang.payments import services as pay

    for b in buyers:
        pay.hq_topup(agent=b, amount="1000", currency="CNY", reason="t", user=tree.hq_user)

    def buy(i):
        order = services.create_restock(user=buyers[i].user, lines=[(tree.sku.pk, 2)])
        if order.status != "pending":
            raise DomainError("waiting", code="waiting")
        pay.pay(order_no=order.no, user=buyers[i].user, method="prepaid")
        return order.no

    ok, refused = _race(buy)
    assert len(ok) == UNITS and len(refused) == THREADS - UNITS
    seller = Stock.objects.get(owner=f"a{tree.mid.pk}", sku=tree.sku)
    assert (seller.quantity, seller.reserved) == (0, 0)
    bought = sum(Stock.objects.filter(agent__in=buyers).values_list("quantity", flat=True))
    assert bought == UNITS * 2
    assert stock_selectors.drift() == []
    assert sum(pay.prepaid_balance(b.pk, "CNY") for b in buyers) == Decimal(1000 * THREADS - 180 * UNITS)


def test_paying_one_order_from_many_threads_charges_once(factories):
    from weishang.payments import services as pay
    from weishang.payments.models import Payment

    tree = build_tree(factories)
    give(tree.mid, tree.sku, 3)
    pay.hq_topup(agent=tree.low, amount="10000", currency="CNY", reason="t", user=tree.hq_user)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 3)])
    ok, refused = _race(lambda i: pay.pay(order_no=order.no, user=tree.low.user, method="prepaid").pk)
    assert len(ok) == 1 and set(refused) <= {"already_paid", "payment_pending", "not_payable"}
    assert Payment.objects.filter(order=order, status="confirmed").count() == 1
    assert pay.prepaid_balance(tree.low.pk, "CNY") == Decimal("9730.00")
    assert Stock.objects.get(owner=f"a{tree.low.pk}", sku=tree.sku).quantity == 3
