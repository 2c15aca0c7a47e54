"""Pure rules: the state machine, shipping fees, order numbers (property-tested)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from hypothesis import given
from hypothesis import strategies as st

from weishang.orders import fees, numbers, states

KINDS = st.sampled_from(sorted(states.TRANSITIONS))
STATES = st.sampled_from(states.ALL)


@given(KINDS, STATES, STATES)
def test_terminal_states_have_no_way_out_and_nothing_returns_to_pending(kind, a, b):
    if a in states.TERMINAL:
        assert not states.can(kind, a, b)
    if states.can(kind, a, b) and b == states.PENDING:
        assert a == states.AWAITING_STOCK
    if b == states.PAID and states.can(kind, a, b):
        assert a == states.PENDING  # payment only from pending: never paid twice


@given(KINDS)
def test_every_state_reachable_from_the_start(kind):
    start = states.AWAITING_STOCK if kind == "restock" else states.PENDING
    seen, todo = {start}, [start]
    while todo:
        for nxt in states.allowed(kind, todo.pop()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    expected = {states.PENDING, states.PAID, states.RECEIVED, states.COMPLETED, states.CANCELLED}
    if kind != "restock":
        expected.add(states.SHIPPED)
    assert expected <= seen


def test_cancel_after_payment_only_before_the_goods_leave():
    # The buyer cancels only unpaid orders (services.cancel); HQ may cancel a paid order
    # with a full refund (refunds.cancel_paid) only while nothing is on its way.
    for kind in states.TRANSITIONS:
        assert not states.can(kind, states.SHIPPED, states.CANCELLED)
        assert not states.can(kind, states.COMPLETED, states.CANCELLED)
    assert states.can("restock", states.RECEIVED, states.CANCELLED)  # units still in the buyer's cloud stock
    assert not states.can("consumer", states.RECEIVED, states.CANCELLED)
    assert not states.can("pickup", states.PAID, states.CANCELLED)


@given(KINDS, STATES)
def test_refunded_only_after_payment(kind, a):
    if states.can(kind, a, states.REFUNDED):
        assert a in states.REFUNDABLE


money = st.decimals(min_value=0, max_value=1000, places=2)


@given(money, money, st.integers(min_value=1, max_value=500), money)
def test_fee_grows_with_units_and_is_zero_over_threshold(first, extra, units, goods):
    fee = fees.shipping_fee(first_fee=first, extra_fee=extra, free_over=None, rules=[], province_code="110000",
                            city_code="110100", units=units, goods_total=goods)
    assert fee == first + extra * (units - 1)
    more = fees.shipping_fee(first_fee=first, extra_fee=extra, free_over=None, rules=[], province_code="110000",
                             city_code="110100", units=units + 1, goods_total=goods)
    assert more >= fee
    free = fees.shipping_fee(first_fee=first, extra_fee=extra, free_over=goods, rules=[], province_code="110000",
                             city_code="110100", units=units, goods_total=goods)
    assert free == 0


def test_city_rule_beats_province_rule():
    rules = [fees.Rule("440000", "", Decimal("8"), Decimal("1")), fees.Rule("440000", "440300", Decimal("5"),
                                                                             Decimal("0"))]
    args = {"first_fee": Decimal("10"), "extra_fee": Decimal("2"), "free_over": None, "rules": rules,
            "units": 3, "goods_total": Decimal("1")}
    assert fees.shipping_fee(province_code="440000", city_code="440300", **args) == Decimal("5.00")
    assert fees.shipping_fee(province_code="440000", city_code="440100", **args) == Decimal("10.00")
    assert fees.shipping_fee(province_code="110000", city_code="110100", **args) == Decimal("14.00")
    assert fees.shipping_fee(province_code="110000", city_code="110100", **{**args, "units": 0}) == 0


@given(st.datetimes(min_value=datetime(2000, 1, 1), max_value=datetime(2099, 12, 31)))
def test_order_numbers_are_readable(now):
    no = numbers.new_number(now)
    assert numbers.looks_valid(no) and no.startswith(f"WS{now:%y%m%d}-")
    assert not set(no[9:]) & set("ILOU")


def test_order_numbers_not_sequential():
    now = datetime(2026, 11, 24)
    many = [numbers.new_number(now) for _ in range(2000)]
    assert len(set(many)) == 2000
    assert sorted(many) != many
