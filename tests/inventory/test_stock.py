from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from weishang.core.errors import DomainError
from weishang.inventory import selectors, services
from weishang.inventory.models import Stock, StockMovement

pytestmark = pytest.mark.django_db


def test_adjust_needs_reason_staff_and_known_sku(tree, factories):
    with pytest.raises(DomainError) as exc:
        services.adjust(agent_id=None, sku_id=tree.sku.pk, quantity=5, reason=" ", user=tree.hq_user)
    assert "reason" in exc.value.fields
    with pytest.raises(DomainError):
        services.adjust(agent_id=None, sku_id=tree.sku.pk, quantity=5, reason="x", user=tree.low.user)
    with pytest.raises(DomainError):
        services.adjust(agent_id=None, sku_id=999999, quantity=5, reason="x", user=tree.hq_user)
    m = services.adjust(agent_id=None, sku_id=tree.sku.pk, quantity=5, reason="入库", user=tree.hq_user)
    assert (m.kind, m.quantity, m.balance_after, m.reason, m.created_by) == ("adjustment", 5, 5, "入库", tree.hq_user)
    with pytest.raises(services.OutOfStock):
        services.adjust(agent_id=None, sku_id=tree.sku.pk, quantity=-6, reason="盘亏", user=tree.hq_user)
    assert StockMovement.objects.count() == 1


def test_database_refuses_reserved_above_quantity(tree):
    services.adjust(agent_id=tree.mid.pk, sku_id=tree.sku.pk, quantity=2, reason="x", user=tree.hq_user)
    with pytest.raises(IntegrityError), transaction.atomic():
        Stock.objects.filter(owner=f"a{tree.mid.pk}").update(reserved=3)


def test_reserved_units_cannot_be_picked_or_adjusted_away(tree):
    services.adjust(agent_id=tree.mid.pk, sku_id=tree.sku.pk, quantity=3, reason="x", user=tree.hq_user)
    services.reserve(tree.mid.pk, [(tree.sku.pk, 2)])
    with pytest.raises(services.OutOfStock):
        services.adjust(agent_id=tree.mid.pk, sku_id=tree.sku.pk, quantity=-2, reason="x", user=tree.hq_user)
    services.adjust(agent_id=tree.mid.pk, sku_id=tree.sku.pk, quantity=-1, reason="x", user=tree.hq_user)
    assert not services.try_reserve(tree.mid.pk, [(tree.sku.pk, 1)])
    assert not services.try_reserve(tree.mid.pk, [(tree.sku.pk, 1), (tree.sku2.pk, 0)])


OPS = st.lists(st.tuples(st.sampled_from(["in", "out", "reserve", "release", "consume"]),
                         st.integers(min_value=1, max_value=5)), max_size=25)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(ops=OPS)
def test_any_sequence_keeps_balance_equal_to_movements_and_never_negative(tree, ops):
    sid, aid = tree.sku.pk, tree.mid.pk
    with transaction.atomic():
        held = 0
        reserved = 0
        for op, n in ops:
            try:
                if op == "in":
                    services.move(aid, [(sid, n)], kind="purchase_in")
                    held += n
                elif op == "out":
                    services.move(aid, [(sid, -n)], kind="sale_out")
                    held -= n
                elif op == "reserve":
                    services.reserve(aid, [(sid, n)], savepoint=True)
                    reserved += n
                elif op == "release":
                    services.release(aid, [(sid, n)])
                    reserved -= n
                else:
                    services.move(aid, [(sid, -n)], kind="sale_out", from_reserved=True)
                    held -= n
                    reserved -= n
            except DomainError:
                pass
            row = Stock.objects.filter(owner=f"a{aid}", sku_id=sid).first()
            if row is not None:
                assert (row.quantity, row.reserved) == (held, reserved)
                assert row.quantity >= row.reserved >= 0
        assert selectors.drift() == []
        transaction.set_rollback(True)
