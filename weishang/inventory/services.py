"""Stock writes. Every change of a Stock's quantity goes through `move`/`consume`, which
write the StockMovement in the same transaction; reservations use a conditional UPDATE
(`… WHERE quantity - reserved >= n`) so two buyers can never take the same last unit.
Lines are always handled in SKU-id order so concurrent writers lock rows in one order.
"""

from __future__ import annotations

from collections.abc import Iterable

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from weishang.accounts.roles import check_hq
from weishang.core.errors import Conflict, DomainError

from .models import HQ, HQ_DAMAGED, MovementKind, Stock, StockMovement, owner_key


class OutOfStock(Conflict):
    code = "out_of_stock"

    def __init__(self, sku_id: int, message=None):
        self.sku_id = sku_id
        super().__init__(message or _("Not enough stock for this item."), fields={f"sku_{sku_id}": [
            _("Not enough stock.")]})


def _merge(lines: Iterable[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: dict[int, int] = {}
    for sku_id, qty in lines:
        merged[int(sku_id)] = merged.get(int(sku_id), 0) + int(qty)
    return sorted(merged.items())


def stock_row(agent_id: int | None, sku_id: int, key: str | None = None) -> Stock:
    """Get or create the owner's row for a SKU (safe under concurrency)."""
    key = key or owner_key(agent_id)
    row = Stock.objects.filter(owner=key, sku_id=sku_id).first()
    if row is not None:
        return row
    try:
        with transaction.atomic():
            return Stock.objects.create(owner=key, agent_id=agent_id, sku_id=sku_id)
    except IntegrityError:
        return Stock.objects.get(owner=key, sku_id=sku_id)


def reserve(agent_id: int | None, lines: Iterable[tuple[int, int]], *, savepoint: bool = False) -> None:
    """Reserve every line or nothing. Raises OutOfStock; without a savepoint the caller's
    whole transaction is marked for rollback (what order creation wants)."""
    key = owner_key(agent_id)
    with transaction.atomic(savepoint=savepoint):
        for sku_id, qty in _merge(lines):
            if qty <= 0:
                continue
            done = (Stock.objects.filter(owner=key, sku_id=sku_id, quantity__gte=F("reserved") + qty)
                    .update(reserved=F("reserved") + qty))
            if done != 1:
                raise OutOfStock(sku_id)


def try_reserve(agent_id: int | None, lines: Iterable[tuple[int, int]]) -> bool:
    """Reserve all lines or none; False when stock is short. One line needs no savepoint
    (a conditional UPDATE that matches nothing changed nothing); several lines use one."""
    merged = [(s, q) for s, q in _merge(lines) if q > 0]
    if len(merged) == 1:
        sku_id, qty = merged[0]
        return (Stock.objects.filter(owner=owner_key(agent_id), sku_id=sku_id, quantity__gte=F("reserved") + qty)
                .update(reserved=F("reserved") + qty)) == 1
    try:
        reserve(agent_id, merged, savepoint=True)
    except OutOfStock:
        return False
    return True


def release(agent_id: int | None, lines: Iterable[tuple[int, int]]) -> None:
    key = owner_key(agent_id)
    for sku_id, qty in _merge(lines):
        if qty <= 0:
            continue
        done = (Stock.objects.filter(owner=key, sku_id=sku_id, reserved__gte=qty)
                .update(reserved=F("reserved") - qty))
        if done != 1:
            raise DomainError(_("Stock reservation is inconsistent."), code="reservation_mismatch", status=409)


def move(agent_id: int | None, lines: Iterable[tuple[int, int]], *, kind: str, ref_type: str = "", ref_id: str = "",
         reason: str = "", user=None, from_reserved: bool = False, damaged: bool = False) -> list[StockMovement]:
    """Change quantities (signed per line) and record one movement per line.

    A negative line takes only unreserved units, or (from_reserved=True) units reserved
    earlier for this very reference. Raises OutOfStock when the units are not there.
    damaged=True: HQ's damaged stock (agent_id must be None), never sold from."""
    if damaged and agent_id is not None:
        raise ValueError("damaged stock belongs to HQ")
    key = HQ_DAMAGED if damaged else owner_key(agent_id)
    movements = []
    with transaction.atomic():
        for sku_id, qty in _merge(lines):
            if qty == 0:
                continue
            if qty > 0:
                stock_row(agent_id, sku_id, key)
                qs = Stock.objects.filter(owner=key, sku_id=sku_id)
                done = qs.update(quantity=F("quantity") + qty)
            elif from_reserved:
                qs = Stock.objects.filter(owner=key, sku_id=sku_id)
                done = qs.filter(reserved__gte=-qty).update(quantity=F("quantity") + qty,
                                                           reserved=F("reserved") + qty)
            else:
                qs = Stock.objects.filter(owner=key, sku_id=sku_id)
                done = qs.filter(quantity__gte=F("reserved") - qty).update(quantity=F("quantity") + qty)
            if done != 1:
                raise OutOfStock(sku_id)
            stock_id, balance = qs.values_list("pk", "quantity").get()
            movements.append(StockMovement(stock_id=stock_id, kind=kind, quantity=qty, balance_after=balance,
                                           ref_type=ref_type, ref_id=str(ref_id), reason=reason[:200],
                                           created_by=user))
        StockMovement.objects.bulk_create(movements)
    return movements


def transfer(seller_id: int | None, buyer_id: int | None, lines: Iterable[tuple[int, int]], *, ref_type: str,
             ref_id: str, user=None) -> None:
    """A sale of reserved units from the seller's stock into the buyer's cloud stock."""
    lines = _merge(lines)
    with transaction.atomic():
        move(seller_id, [(s, -q) for s, q in lines], kind=MovementKind.SALE_OUT, ref_type=ref_type, ref_id=ref_id,
             user=user, from_reserved=True)
        move(buyer_id, lines, kind=MovementKind.PURCHASE_IN, ref_type=ref_type, ref_id=ref_id, user=user)


def adjust(*, agent_id: int | None, sku_id: int, quantity: int, reason: str, user) -> StockMovement:
    """HQ changes a stock by hand (count correction, goods received at the warehouse)."""
    reason = (reason or "").strip()
    fields: dict[str, list] = {}
    if not reason:
        fields["reason"] = [_("Give the reason for this adjustment.")]
    if not quantity:
        fields["quantity"] = [_("Enter a quantity other than zero.")]
    check_hq(user, "inventory.add_stockmovement", _("Only HQ can adjust stock."))
    from weishang.catalog.models import SKU

    if not SKU.objects.filter(pk=sku_id).exists():
        fields["sku_id"] = [_("Unknown SKU.")]
    if fields:
        raise DomainError(_("Please correct the errors below."), code="invalid_adjustment", fields=fields)
    moved = move(agent_id, [(sku_id, int(quantity))], kind=MovementKind.ADJUSTMENT, ref_type="adjustment",
                 reason=reason, user=user)
    return moved[0]


__all__ = ["HQ", "HQ_DAMAGED", "OutOfStock", "adjust", "move", "release", "reserve", "stock_row", "transfer", "try_reserve"]
