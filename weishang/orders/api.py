"""Orders API: restocks, consumer orders, pick-ups, their life. Every creating call takes
an Idempotency-Key header (weishang.core.idempotency)."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal
from typing import Annotated

from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictInt

from weishang.accounts.auth import session_or_token
from weishang.accounts.roles import hq_can
from weishang.core import idempotency
from weishang.core.api import BodyId, ErrorOut

from . import refunds, selectors, services, sharing
from .models import Order, RefundKind, RefundRequest

API_PREFIX = "orders"
router = Router(tags=["orders"], auth=session_or_token)
IDEM_DOC = ("Requires an `Idempotency-Key` header (at most 100 characters): a retry with the same key and "
            "body returns the first result; the same key with another body is 422 idempotency_key_reused.")
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


Id = Annotated[int, Field(ge=1, le=2**53)]
Qty = Annotated[StrictInt, Field(ge=-10**6, le=10**6)]


class LineIn(Schema):
    sku_id: BodyId
    quantity: Qty


class AddressIn(Schema):
    name: str
    phone: str
    province_code: str
    city_code: str
    district_code: str = ""
    detail: str


class RestockIn(Schema):
    lines: list[LineIn]
    note: str = ""


class ConsumerOrderIn(Schema):
    shop_agent_id: BodyId
    lines: list[LineIn]
    address: AddressIn
    note: str = ""
    share: str = Field("", max_length=100, description="The `s` token of the share link the consumer followed")
    non_returnable_ok: bool = Field(False, description="The buyer confirmed that items marked not returnable "
                                                       "cannot be returned (required when the order has one)")


class PickupIn(Schema):
    lines: list[LineIn]
    address: AddressIn
    note: str = ""


class OrderReasonIn(Schema):
    reason: str = ""


class ShipIn(Schema):
    carrier: str
    tracking_no: str
    quantities: dict[Id, Qty] | None = None


class OrderLineOut(Schema):
    id: int
    sku_id: int
    sku_code: str
    name: str
    quantity: int
    unit_price: Decimal
    amount: Decimal
    source: str
    shipped_quantity: int


class OrderShipmentOut(Schema):
    carrier: str
    tracking_no: str
    created_at: datetime


class EventOut(Schema):
    from_status: str
    to_status: str
    reason: str
    created_at: datetime


class RefundOut(Schema):
    amount: Decimal
    reason: str
    is_cancellation: bool
    created_at: datetime


class OrderOut(Schema):
    no: str
    kind: str
    status: str
    currency: str
    goods_total: Decimal
    shipping_fee: Decimal
    total: Decimal
    seller_agent_id: int | None
    buyer_agent_id: int | None
    wait_until: datetime | None
    payment_due_at: datetime | None
    created_at: datetime
    refunded_total: Decimal
    shared_by_id: int | None
    lines: list[OrderLineOut]
    shipments: list[OrderShipmentOut]
    events: list[EventOut]
    refunds: list[RefundOut]


def order_out(order: Order, user=None) -> dict:
    lines = list(order.lines.all())
    if user is not None and user.supplier_id and not hq_can(user, "orders.view_order") and order.buyer_id != user.pk:
        lines = [line for line in lines if line.supplier_id == user.supplier_id]
    return {
        "no": order.no, "kind": order.kind, "status": order.status, "currency": order.currency,
        "goods_total": str(order.goods_total), "shipping_fee": str(order.shipping_fee), "total": str(order.total),
        "seller_agent_id": order.seller_agent_id, "buyer_agent_id": order.buyer_agent_id,
        "wait_until": order.wait_until.isoformat() if order.wait_until else None,
        "payment_due_at": order.payment_due_at.isoformat() if order.payment_due_at else None,
        "created_at": order.created_at.isoformat(),
        "lines": [{"id": line.pk, "sku_id": line.sku_id, "sku_code": line.sku.code,
                   "name": f"{line.sku.product.name} {line.sku.name}", "quantity": line.quantity,
                   "unit_price": str(line.unit_price), "amount": str(line.amount), "source": line.source,
                   "shipped_quantity": line.shipped_quantity} for line in lines],
        "shipments": [{"carrier": s.carrier, "tracking_no": s.tracking_no, "created_at": s.created_at.isoformat()}
                      for s in order.shipments.all()],
        "events": [{"from_status": e.from_status, "to_status": e.to_status, "reason": e.text,
                    "message_key": e.message_key, "params": e.params,
                    "created_at": e.created_at.isoformat()} for e in order.events.all()],
        "refunded_total": str(order.refunded_total), "shared_by_id": order.shared_by_id,
        "refunds": [{"amount": str(r.amount), "reason": r.reason, "is_cancellation": r.is_cancellation,
                     "created_at": r.created_at.isoformat()} for r in order.refunds.all()],
    }


def _fresh(user, no: str) -> dict:
    return order_out(selectors.order_for(user, no), user)


def _create(request, endpoint: str, payload: dict, make):
    key = idempotency.key_from(request)

    def run():
        order = make()
        return 201, _fresh(request.user, order.no)

    status, body = idempotency.run(key=key, user=request.user, endpoint=endpoint, payload=payload, fn=run)
    return Status(status, body)


def _lines(data) -> list[tuple[int, int]]:
    return [(line.sku_id, line.quantity) for line in data.lines]


@router.post("/restocks", response={201: OrderOut, **ERRORS}, summary="Restock (进货) from the nearest upline", description=IDEM_DOC)
def create_restock(request, data: RestockIn):
    return _create(request, "orders.restock", data.dict(),
                   lambda: services.create_restock(user=request.user, lines=_lines(data), note=data.note))


@router.post("/consumer", response={201: OrderOut, **ERRORS}, summary="Consumer order in an agent's shop", description=IDEM_DOC)
def create_consumer(request, data: ConsumerOrderIn):
    return _create(request, "orders.consumer", data.dict(),
                   lambda: services.create_consumer_order(user=request.user, shop_agent_id=data.shop_agent_id,
                                                          lines=_lines(data), address=data.address.dict(),
                                                          note=data.note,
                                                          shared_by_id=sharing.agent_id_from(data.share),
                                                          non_returnable_confirmed=data.non_returnable_ok))


@router.post("/pickups", response={201: OrderOut, **ERRORS}, summary="Pick-up (提货) of cloud stock", description=IDEM_DOC)
def create_pickup(request, data: PickupIn):
    return _create(request, "orders.pickup", data.dict(),
                   lambda: services.create_pickup(user=request.user, lines=_lines(data),
                                                  address=data.address.dict(), note=data.note))


@router.get("/", response={200: list[OrderOut], **ERRORS}, summary="My orders (bought, or sold with role=seller)")
def list_orders(request, role: str = "buyer", status: str = "", limit: int = Query(50, ge=1, le=100),
                offset: int = Query(0, ge=0, le=10**6)):
    agent = getattr(request.user, "agent", None)
    if role == "seller":
        qs = selectors.sold(agent.pk) if agent else Order.objects.none()
    else:
        qs = selectors.bought(request.user)
    if status:
        qs = qs.filter(status=status)
    limit = max(1, min(limit, 100))
    orders = list(selectors.with_details(qs)[offset:offset + limit])
    return Status(200, [order_out(o, request.user) for o in orders])


@router.get("/{no}", response={200: OrderOut, **ERRORS})
def get_order(request, no: str):
    return Status(200, _fresh(request.user, no))


@router.post("/{no}/cancel", response={200: OrderOut, **ERRORS})
def cancel(request, no: str, data: OrderReasonIn):
    order = selectors.order_for(request.user, no)
    services.cancel(order, actor=request.user, reason=data.reason)
    return Status(200, _fresh(request.user, no))


@router.post("/{no}/received", response={200: OrderOut, **ERRORS})
def received(request, no: str):
    order = selectors.order_for(request.user, no)
    services.confirm_received(order, actor=request.user)
    return Status(200, _fresh(request.user, no))


@router.post("/{no}/pass-up", response={200: OrderOut, **ERRORS}, summary="Decline a 补货 request: pass it up now")
def pass_up(request, no: str):
    order = selectors.order_for(request.user, no)
    services.pass_up_now(order, actor=request.user)
    return Status(200, _fresh(request.user, no))


@router.post("/{no}/ship", response={200: OrderOut, **ERRORS}, summary="Record a shipment (warehouse or supplier)")
def ship(request, no: str, data: ShipIn):
    order = selectors.order_for(request.user, no)
    services.ship(order, actor=request.user, carrier=data.carrier, tracking_no=data.tracking_no,
                  quantities=data.quantities)
    return Status(200, _fresh(request.user, no))



# --- refunds --------------------------------------------------------------------------------

class RefundRequestIn(Schema):
    kind: RefundKind = Field(description="full: everything not yet refunded; lines: some units come back; "
                                         "amount: money only, goods kept")
    reason: str = Field(max_length=200)
    lines: dict[Id, Qty] | None = Field(None, description="kind=lines: {order line id: units returned}")
    amount: str | None = Field(None, max_length=20, description="kind=amount: the amount, e.g. \"12.50\"")


class RefundRequestOut(Schema):
    id: int
    order_no: str
    kind: str
    lines: dict[str, int]
    amount: Decimal
    reason: str
    status: str
    decision_reason: str
    created_at: datetime


def request_out(r: RefundRequest) -> dict:
    return {"id": r.pk, "order_no": r.order.no, "kind": r.kind, "lines": r.lines, "amount": str(r.amount),
            "reason": r.reason, "status": r.status, "decision_reason": r.decision_reason,
            "created_at": r.created_at.isoformat()}


@router.post("/{no}/refund-requests", response={201: RefundRequestOut, **ERRORS},
             summary="Ask for a refund (buyer, within the return window)", description=IDEM_DOC)
def create_refund_request(request, no: str, data: RefundRequestIn):
    order = selectors.order_for(request.user, no)

    def run():
        req = refunds.request_refund(order, user=request.user, kind=data.kind, reason=data.reason,
                                     quantities=data.lines, amount=data.amount)
        return 201, request_out(req)

    status, body = idempotency.run(key=idempotency.key_from(request), user=request.user,
                                   endpoint="orders.refund_request", payload={"no": no, **data.dict()}, fn=run)
    return Status(status, body)


@router.get("/refund-requests/open", response={200: list[RefundRequestOut], **ERRORS},
            summary="Refund requests waiting for my decision (seller agent: its sales; HQ: all)")
def open_refund_requests(request, limit: int = Query(50, ge=1, le=100), offset: int = Query(0, ge=0, le=10**6)):
    qs = refunds.open_requests_for(request.user)[offset:offset + limit]
    return Status(200, [request_out(r) for r in qs])


def _decide(request, pk: int, data: OrderReasonIn, approve: bool):
    def run():
        req = refunds.decide_refund(pk, actor=request.user, approve=approve, reason=data.reason)
        return 200, request_out(RefundRequest.objects.select_related("order").get(pk=req.pk))

    status, body = idempotency.run(key=idempotency.key_from(request), user=request.user,
                                   endpoint="orders.refund_approve" if approve else "orders.refund_reject",
                                   payload={"id": pk, **data.dict()}, fn=run)
    return Status(status, body)


@router.post("/refund-requests/{pk}/approve", response={200: RefundRequestOut, **ERRORS},
             summary="Approve: refund at once (seller agent or HQ)", description=IDEM_DOC)
def approve_refund(request, pk: Id, data: OrderReasonIn):
    return _decide(request, pk, data, True)


@router.post("/refund-requests/{pk}/reject", response={200: RefundRequestOut, **ERRORS},
             summary="Reject with a reason (seller agent or HQ)", description=IDEM_DOC)
def reject_refund(request, pk: Id, data: OrderReasonIn):
    return _decide(request, pk, data, False)


@router.post("/{no}/cancel-paid", response={200: OrderOut, **ERRORS},
             summary="HQ: cancel a paid order that has not shipped and refund it in full", description=IDEM_DOC)
def cancel_paid(request, no: str, data: OrderReasonIn):
    order = selectors.order_for(request.user, no)

    def run():
        refunds.cancel_paid(order, actor=request.user, reason=data.reason)
        return 200, _fresh(request.user, no)

    status, body = idempotency.run(key=idempotency.key_from(request), user=request.user,
                                   endpoint="orders.cancel_paid", payload={"no": no, **data.dict()}, fn=run)
    return Status(status, body)
