"""Refunds (退款/退货) and cancellation after payment.

The buyer (a consumer, or an agent for a restock) asks within the return window for
everything back, some units back (goods return), or an amount (goods kept). While the
request is open the order's earnings stay pending (earnings.set_refund_hold). The seller
agent or HQ (orders permission) approves or rejects it with a reason. Approval runs
`refund` in one transaction:

* a Refund row with its per-line amounts (RefundLine; line empty = the shipping fee);
* goods that come back go back where they were sold from: a restock's units leave the
  buyer's cloud stock (return out) into the seller's stock, the upline's or HQ's (return
  in); a consumer order's units sold from the shop agent's cloud stock go back into it
  (return in; the HQ warehouse receives the parcel), drop-shipped units go back to the
  supplier (no cloud stock moves; its payable is reversed by earnings);
* a restock's refunded goods no longer count toward the buyer's purchase volume
  (agents.services.reverse_purchase_volume, in the month the restock was counted);
* order_refunded is sent, so earnings reverses every entry of the order in proportion,
  to the cent, which puts the refunded amount back into PAYMENT_CLEARING;
* the same amount leaves PAYMENT_CLEARING to where the buyer's money came from, through
  the payment provider (`Provider.refund_lines`: the buyer's prepaid balance, or the
  payee who holds an offline transfer and pays it back), journal `order:refund:<no>:<id>`;
  an online payment's refund waits in REFUND_CLEARING while `Provider.refund` asks the
  provider, and leaves it on the provider's verified refund notification.

A refund can never exceed what was paid (remaining amounts per line, and a database
check), is idempotent by key per order, and a request is decided once (conditional
update under the order's row lock). HQ cancelling a paid order refunds everything that
remains and sends order_cancelled(was_paid=True) instead (earnings reverses in full).

After-sales (售后) of goods the consumer already has: a request whose units were shipped
(a consumer order's goods return or exchange) is not refunded at approval. It waits for
the goods: approved → the buyer sends them back with carrier and tracking number
(`ship_return`) → the HQ warehouse receives and inspects them (`receive_return`: good
units back to the stock they were sold from, damaged ones to HQ's damaged stock) → the
refund runs then, in the same transaction; an exchange instead ships the same SKU again
(`ship_exchange`). A refund with goods kept (an amount), a restock (units in cloud
stock) and units not shipped yet (refund only) are refunded at approval as before.
Every refund sends `refund_completed` (see signals) for points and coupons."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from decimal import Decimal
from typing import Any

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.accounts.roles import hq_can
from weishang.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from weishang.core.money import Money, MoneyError, format_money, parse_amount
from weishang.inventory import services as stock
from weishang.inventory.models import MovementKind

from . import conf, history, photos, signals, states
from .models import (
    OPEN_REFUND_REQUEST,
    LineSource,
    Order,
    OrderKind,
    OrderLine,
    OrderStatus,
    Refund,
    RefundKind,
    RefundLine,
    RefundRequest,
    RefundRequestStatus,
    ShareRole,
)
from .services import _event, _lock, transition

MAX_REASON = 200


class RefundInvalid(DomainError):
    code = "refund_invalid"


@dataclass
class PlanLine:
    line: OrderLine | None  # None: the order-level part (shipping fee)
    amount: Decimal
    quantity: int = 0


# --- rules -------------------------------------------------------------------------------

def window_closes_at(order: Order):
    """When the buyer can no longer ask (None: still open until received)."""
    if order.status in (OrderStatus.PAID, OrderStatus.SHIPPED):
        return None
    if order.status == OrderStatus.RECEIVED and order.received_at is not None:
        return order.received_at + timedelta(days=conf.return_window_days())
    return order.created_at  # any other state: closed


def window_open(order: Order, now=None) -> bool:
    if order.kind not in (OrderKind.RESTOCK, OrderKind.CONSUMER) or order.status not in states.REFUNDABLE:
        return False
    closes = window_closes_at(order)
    return closes is None or (now or timezone.now()) < closes


def is_hq_refunder(user) -> bool:
    return hq_can(user, "orders.change_refundrequest")


def can_decide(user, order: Order, req: RefundRequest | None = None) -> bool:
    """The seller agent (its own sale) or HQ staff with the orders permission. A return of
    a non-returnable SKU for defects is HQ's alone to decide."""
    if not (user and user.is_authenticated):
        return False
    if req is not None and req.defective and _non_returnable_lines(order, req):
        return is_hq_refunder(user)
    agent = getattr(user, "agent", None)
    if order.seller_agent_id and agent is not None and agent.pk == order.seller_agent_id:
        return True
    return is_hq_refunder(user)


def can_receive_returns(user) -> bool:
    """HQ warehouse staff (the inventory permission) receive and inspect returned parcels."""
    return bool(user and user.is_authenticated and user.is_staff and user.has_perm("inventory.change_stock"))


def _requested_lines(order: Order, req: RefundRequest) -> list[tuple[OrderLine, int]]:
    """(line, units) the request would bring back; everything left for a full refund."""
    lines = list(order.lines.all())
    if req.kind == RefundKind.FULL:
        return [(ln, ln.quantity - ln.refunded_quantity) for ln in lines if ln.quantity > ln.refunded_quantity]
    if req.kind in (RefundKind.LINES, RefundKind.EXCHANGE):
        wanted = {int(k): int(v) for k, v in (req.lines or {}).items()}
        return [(ln, wanted[ln.pk]) for ln in lines if wanted.get(ln.pk)]
    return []


def needs_return(order: Order, req: RefundRequest) -> bool:
    """The consumer has (some of) the goods: they must come back before money moves."""
    return order.kind == OrderKind.CONSUMER and any(
        ln.shipped_quantity > 0 for ln, _q in _requested_lines(order, req))


def _non_returnable_lines(order: Order, req: RefundRequest) -> list[OrderLine]:
    """Lines of a non-returnable SKU the buyer already has and wants to send back."""
    if order.kind != OrderKind.CONSUMER:
        return []
    return [ln for ln, _q in _requested_lines(order, req) if ln.shipped_quantity > 0 and ln.sku.non_returnable]


def _fee_remaining(order: Order, lines: list[OrderLine]) -> Decimal:
    return order.shipping_fee - (order.refunded_total - sum((ln.refunded_amount for ln in lines), Decimal(0)))


def plan(order: Order, lines: list[OrderLine], *, kind: str, quantities: dict | None = None,
         amount: Any = None) -> list[PlanLine]:
    """What a refund of `kind` would return per line, from what each line still holds.
    Raises RefundInvalid for anything beyond it. Pure apart from reading its arguments."""
    remaining = [(ln, ln.amount - ln.refunded_amount, ln.quantity - ln.refunded_quantity) for ln in lines]
    fee_left = _fee_remaining(order, lines)
    out: list[PlanLine] = []
    if kind == RefundKind.FULL:
        out = [PlanLine(ln, rem, qty) for ln, rem, qty in remaining]
        out.append(PlanLine(None, fee_left))
    elif kind in (RefundKind.LINES, RefundKind.EXCHANGE):
        wanted: dict[int, int] = {}
        fields: dict[str, list] = {}
        for raw_id, raw_qty in dict(quantities or {}).items():
            try:
                line_id, qty = int(raw_id), int(raw_qty)
            except (TypeError, ValueError):
                raise RefundInvalid(_("Quantities must be whole numbers."), fields={"lines": [
                    _("Quantities must be whole numbers.")]}) from None
            if qty < 0:
                fields[f"line_{line_id}"] = [_("The quantity cannot be negative.")]
            elif qty:
                wanted[line_id] = wanted.get(line_id, 0) + qty
        by_id = {ln.pk: (ln, rem, qty) for ln, rem, qty in remaining}
        for line_id, qty in wanted.items():
            if line_id not in by_id:
                fields[f"line_{line_id}"] = [_("This item is not part of the order.")]
            elif qty > by_id[line_id][2]:
                fields[f"line_{line_id}"] = [_("At most %(n)d.") % {"n": by_id[line_id][2]}]
        if fields:
            raise RefundInvalid(next(iter(fields.values()))[0], fields=fields)
        if not wanted:
            raise RefundInvalid(_("Choose at least one item to return."), fields={"lines": [_("Choose an item.")]})
        for line_id, qty in sorted(wanted.items()):
            ln, rem, _left = by_id[line_id]
            out.append(PlanLine(ln, min(ln.unit_price * qty, rem), qty))
        if all(wanted.get(ln.pk, 0) == qty for ln, _rem, qty in remaining):  # every unit back: the fee too
            out.append(PlanLine(None, fee_left))
    elif kind == RefundKind.AMOUNT:
        from weishang.earnings.rules import from_units, split_order_refund, to_units

        try:
            value = parse_amount(amount, order.currency)
        except MoneyError as exc:
            raise RefundInvalid(str(exc), code="invalid_amount", fields={"amount": [str(exc)]}) from None
        if value <= 0:
            raise RefundInvalid(_("Enter an amount above zero."), code="invalid_amount",
                                fields={"amount": [_("Enter an amount above zero.")]})
        parts = [(ln, rem) for ln, rem, _q in remaining] + [(None, fee_left)]
        left = sum((rem for _ln, rem in parts), Decimal(0))
        if value > left:
            msg = _("At most %(a)s can still be refunded.") % {"a": format_money(left, order.currency)}
            raise RefundInvalid(msg, code="refund_too_much", fields={"amount": [msg]})
        units = split_order_refund([to_units(rem, order.currency) for _ln, rem in parts],
                                   to_units(value, order.currency))
        out = [PlanLine(ln, from_units(u, order.currency)) for (ln, _rem), u in zip(parts, units, strict=True)]
    else:
        raise RefundInvalid(_("Choose what to refund."), fields={"kind": [_("Choose what to refund.")]})
    out = [p for p in out if p.amount or p.quantity]
    if not sum((p.amount for p in out), Decimal(0)) > 0:
        raise RefundInvalid(_("Nothing is left to refund on this order."), code="nothing_to_refund")
    return out


def _reason(reason: Any, required_msg) -> str:
    text = str(reason or "").strip()
    if not text:
        raise RefundInvalid(required_msg, code="reason_required", fields={"reason": [_("This field is required.")]})
    return text[:MAX_REASON]


def _hold(order_no: str, open_: bool) -> None:
    from weishang.earnings import services as earnings

    earnings.set_refund_hold(order_no, open_)


# --- the buyer asks ------------------------------------------------------------------------

def request_refund(order: Order, *, user, kind: str, reason: Any, quantities: dict | None = None,
                   amount: Any = None, photos_in: list | None = None, defective: bool = False) -> RefundRequest:
    """Open a refund request (one open at a time per order) and hold the order's earnings.
    Photos are inspected before anything is written; a bad one refuses the request."""
    from django.core.exceptions import ValidationError

    try:
        checked = photos.check(photos_in)
    except ValidationError as exc:
        raise RefundInvalid(exc.messages[0], code="invalid_photo", fields={"photos": exc.messages}) from None
    with transaction.atomic():
        order = _lock(order.pk)
        if user is None or user.pk != order.buyer_id:
            raise PermissionDenied(_("Only the buyer can ask for a refund."))
        if order.status in (OrderStatus.PENDING, OrderStatus.AWAITING_STOCK):
            raise RefundInvalid(_("This order is not paid; there is nothing to refund."), code="not_paid",
                                status=409)
        if not window_open(order):
            raise RefundInvalid(_("This order can no longer be refunded: the return window has closed."),
                                code="return_window_closed", status=409)
        if kind == RefundKind.EXCHANGE and not (order.kind == OrderKind.CONSUMER and order.status in (
                OrderStatus.SHIPPED, OrderStatus.RECEIVED)):
            raise RefundInvalid(_("Only goods you have received can be exchanged."), code="exchange_not_possible",
                                fields={"kind": [_("Only goods you have received can be exchanged.")]})
        text = _reason(reason, _("Say why you want a refund."))
        lines = list(order.lines.select_related("sku"))
        parts = plan(order, lines, kind=kind, quantities=quantities, amount=amount)
        total = sum((p.amount for p in parts), Decimal(0))
        wanted = {str(p.line.pk): p.quantity for p in parts if p.line is not None and p.quantity} \
            if kind in (RefundKind.LINES, RefundKind.EXCHANGE) else {}
        if kind == RefundKind.EXCHANGE and not wanted:
            raise RefundInvalid(_("Choose the items to exchange."), fields={"lines": [_("Choose an item.")]})
        probe = RefundRequest(order=order, kind=kind, lines=wanted)
        blocked = _non_returnable_lines(order, probe)
        if blocked and not defective:
            names = ", ".join(f"{ln.sku.product.name} {ln.sku.name}" for ln in blocked)
            msg = _("%(items)s cannot be returned (you confirmed this when buying). If it is defective, tick "
                    "\"The goods are defective\" and attach photos: HQ decides.") % {"items": names}
            raise RefundInvalid(msg, code="not_returnable", fields={"lines": [msg]})
        if blocked and not checked:
            need = _("Attach photos of the defect.")
            raise RefundInvalid(need, code="photos_required", fields={"photos": [need]})
        try:
            with transaction.atomic():
                req = RefundRequest.objects.create(order=order, kind=kind, lines=wanted, amount=total, reason=text,
                                                   requested_by=user, defective=bool(defective))
        except IntegrityError:
            raise Conflict(_("A refund request for this order is already waiting for a decision."),
                           code="refund_request_open") from None
        photos.save(req, checked)
        if kind == RefundKind.EXCHANGE:
            what = history.note(_("Exchange requested: %(r)s"), r=text)
        else:
            what = history.note(_("Refund of %(a)s requested: %(r)s"), a=Money(total, order.currency), r=text)
        _event(order, order.status, order.status, user, what)
        _hold(order.no, True)
        return req


def decide_refund(request_id: int, *, actor, approve: bool, reason: Any = "") -> RefundRequest:
    """Approve (refund at once) or reject (reason required). Decided once, even with
    concurrent decisions: the order row is locked and the state change is conditional."""
    with transaction.atomic():
        order_id = RefundRequest.objects.filter(pk=request_id).values_list("order_id", flat=True).first()
        if order_id is None:
            raise NotFound(_("Refund request not found."))
        order = _lock(order_id)
        req = RefundRequest.objects.get(pk=request_id)
        if not can_decide(actor, order, req):
            if req.defective and _non_returnable_lines(order, req):
                raise PermissionDenied(_("Only HQ can decide the return of a non-returnable item."))
            raise PermissionDenied(_("Only the seller or HQ can decide this refund."))
        now = timezone.now()
        text = str(reason or "").strip()[:MAX_REASON]
        if not approve:
            text = _reason(reason, _("Say why the refund is rejected."))
        back = approve and needs_return(order, req)
        to = (RefundRequestStatus.AWAITING_RETURN if back else RefundRequestStatus.APPROVED) if approve \
            else RefundRequestStatus.REJECTED
        if RefundRequest.objects.filter(pk=req.pk, status=RefundRequestStatus.REQUESTED).update(
                status=to, decided_by=actor, decided_at=now, decision_reason=text,
                completed_at=None if back else now) != 1:
            raise Conflict(_("This refund request was already decided."), code="already_decided")
        req.refresh_from_db()
        if back:
            _event(order, order.status, order.status, actor,
                   history.note(_("Return approved: send the goods back and enter the tracking number. %(r)s"), r=text))
            return req  # earnings stay on hold until the goods are back
        if approve:
            refund(order, actor=actor, reason=req.reason, key=f"request:{req.pk}", kind=req.kind,
                   quantities=req.lines or None, amount=req.amount, request=req)
        else:
            _event(order, order.status, order.status, actor, history.note(_("Refund rejected: %(r)s"), r=text))
        _hold(order.no, False)
        return req


# --- the goods come back ------------------------------------------------------------------------

def _clean_parcel(carrier: Any, tracking_no: Any) -> tuple[str, str]:
    carrier, tracking_no = str(carrier or "").strip()[:40], str(tracking_no or "").strip()[:40]
    fields: dict[str, list] = {}
    if not carrier:
        fields["carrier"] = [_("Enter the carrier.")]
    if not tracking_no:
        fields["tracking_no"] = [_("Enter the tracking number.")]
    if fields:
        raise RefundInvalid(next(iter(fields.values()))[0], code="invalid_tracking", fields=fields)
    return carrier, tracking_no


def _locked_request(request_id: int) -> tuple[Order, RefundRequest]:
    order_id = RefundRequest.objects.filter(pk=request_id).values_list("order_id", flat=True).first()
    if order_id is None:
        raise NotFound(_("Refund request not found."))
    order = _lock(order_id)
    return order, RefundRequest.objects.get(pk=request_id)


def _to_state(req: RefundRequest, frm: str, to: str, **fields) -> None:
    """Conditional state change: a concurrent or repeated step fails instead of applying twice."""
    if RefundRequest.objects.filter(pk=req.pk, status=frm).update(status=to, **fields) != 1:
        raise Conflict(_("This return is no longer at this step; reload the page."), code="return_step_changed")
    req.refresh_from_db()


def ship_return(request_id: int, *, user, carrier: Any, tracking_no: Any) -> RefundRequest:
    """The buyer sent the goods back: carrier and tracking number of the parcel. A tracking
    number already recorded for another order (or the parcel it received) is refused."""
    from .models import Shipment

    carrier, tracking_no = _clean_parcel(carrier, tracking_no)
    with transaction.atomic():
        order, req = _locked_request(request_id)
        if user is None or user.pk != order.buyer_id:
            raise PermissionDenied(_("Only the buyer can send the goods back."))
        if req.status != RefundRequestStatus.AWAITING_RETURN:
            raise Conflict(_("This return is no longer at this step; reload the page."), code="return_step_changed")
        if Shipment.objects.filter(tracking_no=tracking_no).exclude(order=order).exists() or \
                RefundRequest.objects.filter(return_tracking_no=tracking_no).exclude(order=order).exists():
            msg = _("This tracking number belongs to another order. Enter the tracking number of the parcel you "
                    "sent back for this order.")
            raise RefundInvalid(msg, code="tracking_of_another_order", fields={"tracking_no": [msg]})
        if Shipment.objects.filter(tracking_no=tracking_no, order=order).exists():
            msg = _("This is the tracking number of the parcel sent to you; enter the one of your return parcel.")
            raise RefundInvalid(msg, code="tracking_of_delivery", fields={"tracking_no": [msg]})
        _to_state(req, RefundRequestStatus.AWAITING_RETURN, RefundRequestStatus.RETURN_SHIPPED,
                  return_carrier=carrier, return_tracking_no=tracking_no, return_shipped_at=timezone.now())
        _event(order, order.status, order.status, user,
               history.note(_("Goods sent back by %(c)s, tracking %(t)s."), c=carrier, t=tracking_no))
        return req


def _clean_damaged(order: Order, req: RefundRequest, damaged: dict | None) -> dict[str, int]:
    back = {ln.pk: q for ln, q in _requested_lines(order, req)}
    out: dict[str, int] = {}
    fields: dict[str, list] = {}
    for raw_id, raw_qty in dict(damaged or {}).items():
        try:
            line_id, qty = int(raw_id), int(raw_qty or 0)
        except (TypeError, ValueError):
            fields[f"damaged_{raw_id}"] = [_("Quantities must be whole numbers.")]
            continue
        if line_id not in back:
            fields[f"damaged_{line_id}"] = [_("This item is not part of the return.")]
        elif not 0 <= qty <= back[line_id]:
            fields[f"damaged_{line_id}"] = [_("Between 0 and %(n)d.") % {"n": back[line_id]}]
        elif qty:
            out[str(line_id)] = qty
    if fields:
        raise RefundInvalid(next(iter(fields.values()))[0], code="invalid_inspection", fields=fields)
    return out


def receive_return(request_id: int, *, actor, damaged: dict | None = None, note: Any = "") -> RefundRequest:
    """The HQ warehouse received the parcel and inspected it ({line id: units damaged}).
    In one transaction: good units go back to the stock they were sold from, damaged ones
    to HQ's damaged stock, and the refund runs (an exchange waits for ship_exchange)."""
    if not can_receive_returns(actor):
        raise PermissionDenied(_("Only the HQ warehouse can receive returned goods."))
    with transaction.atomic():
        order, req = _locked_request(request_id)
        if req.status != RefundRequestStatus.RETURN_SHIPPED:
            raise Conflict(_("This return is no longer at this step; reload the page."), code="return_step_changed")
        bad = _clean_damaged(order, req, damaged)
        text = str(note or "").strip()[:MAX_REASON]
        now = timezone.now()
        exchange = req.kind == RefundKind.EXCHANGE
        _to_state(req, RefundRequestStatus.RETURN_SHIPPED,
                  RefundRequestStatus.AWAITING_EXCHANGE if exchange else RefundRequestStatus.APPROVED,
                  damaged=bad, received_by=actor, goods_received_at=now, inspection_note=text,
                  completed_at=None if exchange else now)
        n_bad = sum(bad.values())
        _event(order, order.status, order.status, actor,
               history.note(_("Returned goods received; %(n)s unit(s) damaged. %(note)s"), n=n_bad, note=text))
        if exchange:
            back = [PlanLine(ln, Decimal(0), q) for ln, q in _requested_lines(order, req)]
            _return_goods(order, back, actor, damaged=bad, ref_id=f"{order.no}:x{req.pk}")
        else:
            refund(order, actor=actor, reason=req.reason, key=f"request:{req.pk}", kind=req.kind,
                   quantities=req.lines or None, amount=req.amount, request=req, damaged=bad)
            _hold(order.no, False)
        return req


def ship_exchange(request_id: int, *, actor, carrier: Any, tracking_no: Any) -> RefundRequest:
    """The replacement (the same SKU and quantity) leaves the stock the goods were sold
    from; no money moves and the order's earnings are released as they were."""
    from .models import Shipment

    if not can_receive_returns(actor):
        raise PermissionDenied(_("Only the HQ warehouse can ship a replacement."))
    carrier, tracking_no = _clean_parcel(carrier, tracking_no)
    with transaction.atomic():
        order, req = _locked_request(request_id)
        if req.status != RefundRequestStatus.AWAITING_EXCHANGE:
            raise Conflict(_("This return is no longer at this step; reload the page."), code="return_step_changed")
        if Shipment.objects.filter(tracking_no=tracking_no).exists() or RefundRequest.objects.filter(
                return_tracking_no=tracking_no).exists():
            msg = _("This tracking number is already recorded for another parcel.")
            raise RefundInvalid(msg, code="duplicate_tracking", fields={"tracking_no": [msg]})
        lines = _requested_lines(order, req)
        from_stock = _from_stock_ids(order)
        moves = [(ln.sku_id, -q) for ln, q in lines if ln.source == LineSource.SELLER_STOCK or ln.pk in from_stock]
        if moves:
            try:
                stock.move(order.seller_agent_id, moves, kind=MovementKind.SALE_OUT, ref_type="refund",
                           ref_id=f"{order.no}:x{req.pk}", reason=str(_("Replacement for an exchange")), user=actor)
            except stock.OutOfStock as exc:
                raise RefundInvalid(_("The shop has no free units left for the replacement."),
                                    code="out_of_stock", status=409, fields=exc.fields) from None
        _to_state(req, RefundRequestStatus.AWAITING_EXCHANGE, RefundRequestStatus.APPROVED,
                  exchange_carrier=carrier, exchange_tracking_no=tracking_no, completed_at=timezone.now())
        _event(order, order.status, order.status, actor,
               history.note(_("Replacement shipped by %(c)s, tracking %(t)s."), c=carrier, t=tracking_no))
        _hold(order.no, False)
        return req


# --- the money and the goods ------------------------------------------------------------------

def _confirmed_payment(order: Order):
    from weishang.payments.models import Payment, PaymentStatus

    return Payment.objects.filter(order=order, status=PaymentStatus.CONFIRMED).first()


def _from_stock_ids(order: Order) -> set[int]:
    """Consumer-order lines whose units came out of the shop agent's cloud stock."""
    return set(order.shares.filter(role=ShareRole.SELLER_PROCEEDS).values_list("line_id", flat=True))


def _return_goods(order: Order, parts: list[PlanLine], actor, damaged: dict | None = None,
                  ref_id: str | None = None) -> None:
    ref = {"ref_type": "refund", "ref_id": ref_id or order.no, "user": actor}
    back = [(p.line, p.quantity) for p in parts if p.line is not None and p.quantity]
    if not back:
        return
    bad = {int(k): int(v) for k, v in (damaged or {}).items()}
    if bad:
        # Inspected as damaged: HQ's damaged stock, whichever stock the units were sold from.
        stock.move(None, [(ln.sku_id, min(q, bad.get(ln.pk, 0))) for ln, q in back], kind=MovementKind.DAMAGED_IN,
                   reason=str(_("Returned damaged")), damaged=True, **ref)
        back = [(ln, q - min(q, bad.get(ln.pk, 0))) for ln, q in back]
    if order.kind == OrderKind.RESTOCK:
        try:
            stock.move(order.buyer_agent_id, [(ln.sku_id, -q) for ln, q in back], kind=MovementKind.RETURN_OUT,
                       reason=str(_("Returned to the seller")), **ref)
        except stock.OutOfStock as exc:
            raise RefundInvalid(_("The returned units are no longer free in the buyer's cloud stock."),
                                code="units_not_in_stock", status=409, fields=exc.fields) from None
        by_seller: dict[int | None, list] = {}
        for ln, q in back:
            by_seller.setdefault(ln.seller_agent_id, []).append((ln.sku_id, q))
        for seller, moves in by_seller.items():
            stock.move(seller, moves, kind=MovementKind.RETURN_IN, reason=str(_("Returned by the buyer")), **ref)
        return
    # Consumer order: units sold from the shop agent's cloud stock go back into it.
    from_stock = _from_stock_ids(order)
    moves = [(ln.sku_id, q) for ln, q in back if q and (ln.source == LineSource.SELLER_STOCK or ln.pk in from_stock)]
    if moves:
        stock.move(order.seller_agent_id, moves, kind=MovementKind.RETURN_IN,
                   reason=str(_("Returned by the consumer")), **ref)


def _take_back_volume(order: Order, parts: list[PlanLine], refund_obj: Refund) -> None:
    """A refunded restock no longer counts toward the buyer's volume: the goods part of the
    refund (a restock's lines add up to its goods total, which was counted when it was paid)
    is taken back from the month it was counted in. A level already reached stays."""
    if order.kind != OrderKind.RESTOCK or order.buyer_agent_id is None or order.paid_at is None:
        return
    goods = sum((p.amount for p in parts if p.line is not None), Decimal(0))
    if goods <= 0:
        return
    from weishang.agents.models import Agent
    from weishang.agents.services import reverse_purchase_volume

    reverse_purchase_volume(Agent(pk=order.buyer_agent_id), goods, order.paid_at, currency=order.currency,
                            reason=_("Refund of order %(no)s") % {"no": order.no})


def _pay_back(order: Order, refund_obj: Refund, actor) -> None:
    from weishang.ledger.models import AccountKind, JournalKind
    from weishang.ledger.services import account, post
    from weishang.payments import providers

    payment = _confirmed_payment(order)
    if payment is None:
        raise RefundInvalid(_("This order has no confirmed payment to refund."), code="not_paid", status=409)
    provider = providers.get(payment.method)
    if provider is None:
        raise RefundInvalid(_("This payment method cannot refund."), code="invalid_method", status=409)
    clearing = account(AccountKind.PAYMENT_CLEARING, order.currency)
    post(key=f"order:refund:{order.no}:{refund_obj.pk}", kind=JournalKind.ORDER_REFUND, currency=order.currency,
         lines=[(clearing, -refund_obj.amount), *provider.refund_lines(payment, refund_obj.amount)],
         ref_type="order", ref_id=order.no, created_by=actor,
         memo=f"{order.no} ({provider.label})")
    provider.refund(payment, refund_obj, actor)  # online providers: the provider refund request


def refund(order: Order, *, actor, reason: Any, key: str, kind: str = RefundKind.FULL,
           quantities: dict | None = None, amount: Any = None, request: RefundRequest | None = None,
           cancellation: bool = False, damaged: dict | None = None) -> Refund:
    """Return money (and goods) to the buyer in one transaction; see the module docstring.
    Idempotent: a second call with the same key returns the first Refund unchanged."""
    text = _reason(reason, _("Give the reason for this refund."))
    with transaction.atomic():
        order = _lock(order.pk)
        prior = Refund.objects.filter(order=order, key=key[:100]).first()
        if prior is not None:
            return prior
        if order.kind not in (OrderKind.RESTOCK, OrderKind.CONSUMER) or order.status not in states.REFUNDABLE:
            raise RefundInvalid(_("This order is %(s)s; it cannot be refunded.") % {"s": order.get_status_display()},
                                code="not_refundable", status=409)
        lines = list(order.lines.all())
        parts = plan(order, lines, kind=kind, quantities=quantities, amount=amount)
        total = sum((p.amount for p in parts), Decimal(0))
        obj = Refund.objects.create(order=order, request=request, key=key[:100], amount=total,
                                    is_cancellation=cancellation, reason=text, actor=actor)
        obj_lines = RefundLine.objects.bulk_create([RefundLine(refund=obj, line=p.line, quantity=p.quantity,
                                                               amount=p.amount) for p in parts])
        # Exact values, not F() increments (SQLite would add them as floats): the order's row
        # lock serialises every change of its lines.
        for p in parts:
            if p.line is not None:
                OrderLine.objects.filter(pk=p.line.pk).update(refunded_amount=p.line.refunded_amount + p.amount,
                                                              refunded_quantity=p.line.refunded_quantity + p.quantity)
        order.refunded_total += total
        Order.objects.filter(pk=order.pk).update(refunded_total=order.refunded_total)
        _return_goods(order, parts, actor, damaged=damaged)
        _take_back_volume(order, parts, obj)
        obj._prefetched_objects_cache = {"lines": obj_lines}  # type: ignore[attr-defined]  # line_amounts(), no query
        what = history.note(_("Refunded %(a)s: %(r)s"), a=Money(total, order.currency), r=text)
        if cancellation:
            transition(order, OrderStatus.CANCELLED, actor=actor, reason=history.note(_("Cancelled after payment; %(w)s"), w=what),
                       cancelled_at=timezone.now())
            signals.order_cancelled.send(sender=Order, order=order, was_paid=True)
        else:
            signals.order_refunded.send(sender=Order, order=order, refund=obj)
            if order.refunded_total == order.total:
                transition(order, OrderStatus.REFUNDED, actor=actor, reason=what)
            else:
                _event(order, order.status, order.status, actor, what)
        _pay_back(order, obj, actor)
        signals.refund_completed.send(sender=Refund, refund=obj, order=order,
                                      parts=[signals.RefundPart(line=p.line, quantity=p.quantity, amount=p.amount)
                                             for p in parts])
        return obj


def cancel_paid(order: Order, *, actor, reason: Any) -> Refund:
    """HQ cancels a paid order that is not on its way (a consumer order nothing of which has
    shipped; a restock whose units are still free in the buyer's cloud stock): everything
    that remains is refunded and order_cancelled(was_paid=True) is sent."""
    if not is_hq_refunder(actor):
        raise PermissionDenied(_("Only HQ can cancel a paid order."))
    text = _reason(reason, _("Give the reason for the cancellation."))
    with transaction.atomic():
        order = _lock(order.pk)
        prior = Refund.objects.filter(order=order, key=f"cancel:{order.no}").first()
        if prior is not None:
            return prior
        if not states.can(order.kind, order.status, OrderStatus.CANCELLED) or order.status == OrderStatus.PENDING \
                or order.status == OrderStatus.AWAITING_STOCK:
            raise RefundInvalid(_("Only a paid order that has not shipped can be cancelled."),
                                code="not_cancellable", status=409)
        now = timezone.now()
        for req in RefundRequest.objects.filter(order=order, status__in=OPEN_REFUND_REQUEST):
            RefundRequest.objects.filter(pk=req.pk).update(status=RefundRequestStatus.REJECTED, decided_by=actor,
                                                           decided_at=now,
                                                           decision_reason=str(_("The order was cancelled.")))
        obj = refund(order, actor=actor, reason=text, key=f"cancel:{order.no}", kind=RefundKind.FULL,
                     cancellation=True)
        _hold(order.no, False)
        return obj


def returns_to_receive():
    """Parcels on their way back, and exchanges whose replacement is still to ship (HQ warehouse)."""
    return RefundRequest.objects.filter(status__in=(RefundRequestStatus.RETURN_SHIPPED,
                                                   RefundRequestStatus.AWAITING_EXCHANGE)).select_related(
        "order", "requested_by").order_by("return_shipped_at", "pk")


def refund_due_at(req: RefundRequest):
    """When the money is due under the brand's refund deadline (Taiwan: 15 days), or None.
    The clock runs from the request (nothing to send back) or from when the buyer sent the
    goods back; waiting for the buyer's parcel does not count."""
    days = conf.refund_due_days(req.order.currency)
    if days is None or req.kind == RefundKind.EXCHANGE:
        return None
    if req.status == RefundRequestStatus.REQUESTED:
        return req.created_at + timedelta(days=days)
    if req.status == RefundRequestStatus.RETURN_SHIPPED and req.return_shipped_at is not None:
        return req.return_shipped_at + timedelta(days=days)
    return None


def overdue_refunds(now=None) -> list[RefundRequest]:
    """Open requests past their refund deadline, oldest first (HQ's overdue list)."""
    now = now or timezone.now()
    currencies = [c for c in conf.refund_due_rules()]
    if not currencies:
        return []
    qs = RefundRequest.objects.filter(
        status__in=(RefundRequestStatus.REQUESTED, RefundRequestStatus.RETURN_SHIPPED),
        order__currency__in=currencies).exclude(kind=RefundKind.EXCHANGE).select_related(
        "order", "order__seller_agent", "requested_by")
    out = []
    for req in qs:
        due = refund_due_at(req)
        if due is not None and due < now:
            req.due_at = due  # type: ignore[attr-defined]  # for the page
            out.append(req)
    return sorted(out, key=lambda r: r.due_at)  # type: ignore[attr-defined]


def open_requests_for(user):
    """Refund requests waiting for this user's decision: its own sales, or all for HQ."""
    qs = RefundRequest.objects.filter(status=RefundRequestStatus.REQUESTED).select_related(
        "order", "requested_by", "order__seller_agent").order_by("created_at", "pk")
    if is_hq_refunder(user):
        return qs
    agent = getattr(user, "agent", None)
    if agent is None:
        return qs.none()
    return qs.filter(order__seller_agent_id=agent.pk)
