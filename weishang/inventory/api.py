"""Cloud stock API: my stock and its history; HQ: all stock and adjustments."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictInt

from weishang.accounts.auth import session_or_token, staff_only
from weishang.accounts.roles import check_hq
from weishang.agents.models import Agent
from weishang.core import idempotency
from weishang.core.api import BodyId, ErrorOut
from weishang.core.errors import NotFound, PermissionDenied

from . import selectors, services

API_PREFIX = "inventory"
router = Router(tags=["inventory"], auth=session_or_token)
IDEM_DOC = ("Requires an `Idempotency-Key` header (at most 100 characters): a retry with the same key and "
            "body returns the first result; the same key with another body is 422 idempotency_key_reused.")
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class StockOut(Schema):
    sku_id: int
    sku_code: str
    owner: str
    quantity: int
    reserved: int
    available: int


class MovementOut(Schema):
    id: int
    sku_id: int
    kind: str
    quantity: int
    balance_after: int
    ref_type: str
    ref_id: str
    reason: str
    created_at: datetime


class AdjustIn(Schema):
    sku_id: BodyId
    quantity: Annotated[StrictInt, Field(ge=-10**6, le=10**6)]
    reason: str
    agent_id: BodyId | None = None


def stock_out(s) -> dict:
    return {"sku_id": s.sku_id, "sku_code": s.sku.code, "owner": s.owner, "quantity": s.quantity,
            "reserved": s.reserved, "available": s.available}


def movement_out(m) -> dict:
    return {"id": m.pk, "sku_id": m.stock.sku_id, "kind": m.kind, "quantity": m.quantity,
            "balance_after": m.balance_after, "ref_type": m.ref_type, "ref_id": m.ref_id, "reason": m.reason,
            "created_at": m.created_at.isoformat()}


def _my_agent(request) -> Agent:
    agent = Agent.objects.filter(user=request.user).first()
    if agent is None:
        raise PermissionDenied()
    return agent


@router.get("/stock", response={200: list[StockOut], **ERRORS}, summary="My cloud stock")
def my_stock(request):
    return Status(200, [stock_out(s) for s in selectors.stock_of(_my_agent(request).pk)])


@router.get("/movements", response={200: list[MovementOut], **ERRORS}, summary="My stock history")
def my_movements(request, sku_id: int | None = Query(None, ge=1, le=2**53), limit: int = Query(50, ge=1, le=200),
                 offset: int = Query(0, ge=0, le=10**6)):
    qs = selectors.movements_of(_my_agent(request).pk, sku_id)
    limit = max(1, min(limit, 200))
    return Status(200, [movement_out(m) for m in qs[offset:offset + limit]])


@router.get("/hq/stock", response={200: list[StockOut], **ERRORS}, auth=staff_only, summary="All stock (HQ)")
def all_stock(request, sku_id: int | None = Query(None, ge=1, le=2**53), limit: int = Query(100, ge=1, le=500),
              offset: int = Query(0, ge=0, le=10**6)):
    check_hq(request.auth, "inventory.view_stock")
    qs = selectors.all_stock()
    if sku_id:
        qs = qs.filter(sku_id=sku_id)
    limit = max(1, min(limit, 500))
    return Status(200, [stock_out(s) for s in qs[offset:offset + limit]])


@router.post("/hq/adjust", response={201: MovementOut, **ERRORS}, auth=staff_only,
             summary="HQ adjustment with a reason (agent_id empty: HQ warehouse stock)", description=IDEM_DOC)
def adjust(request, data: AdjustIn):
    key = idempotency.key_from(request)

    def run():
        if data.agent_id and not Agent.objects.filter(pk=data.agent_id).exists():
            raise NotFound()
        check_hq(request.auth, "inventory.add_stockmovement")
        m = services.adjust(agent_id=data.agent_id, sku_id=data.sku_id, quantity=data.quantity, reason=data.reason,
                            user=request.user)
        if data.quantity > 0:  # waiting restocks of this owner may now be filled
            from weishang.orders.services import retry_waiting_for

            retry_waiting_for(data.agent_id)
        return 201, movement_out(m)

    return Status(*idempotency.run(key=key, user=request.user, endpoint="inventory.adjust", payload=data.dict(), fn=run))
