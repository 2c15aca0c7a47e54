"""Earnings API for the agent app: balances, pending dates, statements, withdrawals."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from django.http import HttpRequest
from django.utils.translation import gettext as _
from ninja import Query, Router, Schema, Status
from pydantic import Field, StrictInt

from weishang.accounts.auth import session_or_token
from weishang.agents.models import Agent
from weishang.core.api import BodyId, ErrorOut
from weishang.core.errors import DomainError, PermissionDenied

from . import selectors, services

router = Router(tags=["earnings"])
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut}


def _agent(request: HttpRequest) -> Agent:
    agent = Agent.objects.filter(user_id=request.user.pk).first() if request.user.pk else None
    if agent is None:
        raise PermissionDenied(_("Only agents have earnings."))
    return agent


class PendingOut(Schema):
    order_ref: str
    kind: str
    amount: Decimal
    available_at: datetime | None
    refund_open: bool


class EarningsSummaryOut(Schema):
    currency: str
    pending: Decimal
    available: Decimal
    withdrawn: Decimal
    pending_items: list[PendingOut]


class WithdrawalIn(Schema):
    amount: str = Field(max_length=20)
    payee_name: str = Field(max_length=60)
    payee_account: str = Field(max_length=60)
    payee_bank: str = Field("", max_length=60)


class WithdrawalOut(Schema):
    id: int
    amount: Decimal
    fee: Decimal
    currency: str
    state: str
    reason: str
    requested_at: datetime


class StatementRowOut(Schema):
    at: datetime
    kind: str
    label: str
    order_ref: str
    amount: Decimal
    balance: Decimal


class StatementOut(Schema):
    currency: str
    year: int
    month: int
    opening: Decimal
    closing: Decimal
    rows: list[StatementRowOut]


@router.get("/summary", response={200: EarningsSummaryOut, **ERRORS}, auth=session_or_token)
def summary(request):
    ov = selectors.overview(_agent(request))
    return EarningsSummaryOut(currency=ov.currency, pending=ov.pending, available=ov.available, withdrawn=ov.withdrawn,
                      pending_items=[PendingOut(order_ref=e.order_ref, kind=e.kind, amount=e.net,
                                                available_at=e.available_at, refund_open=e.hold)
                                     for e in ov.pending_rows])


@router.get("/statement/{year}/{month}", response={200: StatementOut, **ERRORS}, auth=session_or_token)
def statement(request, year: int, month: int):
    if not (2000 <= year <= 2100 and 1 <= month <= 12):
        raise DomainError(_("Choose a valid month."), code="invalid_month")
    st = selectors.statement(_agent(request), year, month)
    return StatementOut(currency=st.currency, year=year, month=month, opening=st.opening, closing=st.closing,
                        rows=[StatementRowOut(at=r.at, kind=r.kind, label=str(r.label), order_ref=r.order_ref,
                                              amount=r.amount, balance=r.balance) for r in st.rows])


@router.post("/withdrawals", response={201: WithdrawalOut, **ERRORS}, auth=session_or_token)
def request_withdrawal(request, payload: WithdrawalIn):
    agent = _agent(request)
    key = request.headers.get("Idempotency-Key", "")[:80]
    w = services.request_withdrawal(agent=agent, currency=selectors.agent_currency(agent), idempotency_key=key,
                                    **payload.dict())
    return Status(201, w)


@router.get("/withdrawals", response={200: list[WithdrawalOut], **ERRORS}, auth=session_or_token)
def list_withdrawals(request):
    return list(_agent(request).withdrawals.order_by("-requested_at")[:50])


# --- tw buy-back (HQ finance) ---------------------------------------------------------------

class BuyBackIn(Schema):
    agent_id: BodyId
    sku_id: BodyId
    quantity: StrictInt = Field(ge=1, le=10**6)
    reason: str = Field(max_length=200)


class BuyBackOut(Schema):
    id: int
    agent_id: int
    sku_id: int
    quantity: int
    currency: str
    amount: Decimal
    reason: str
    created_at: datetime


@router.get("/hq/buybacks/quote", response={200: dict[str, Decimal], **ERRORS}, auth=session_or_token,
            summary="tw profile: what HQ would pay to buy back unsold units (90% of the purchase price)")
def buyback_quote(request, agent_id: int = Query(..., ge=1, le=2**53), sku_id: int = Query(..., ge=1, le=2**53),
                  quantity: int = Query(..., ge=1, le=10**6)):
    services._finance(request.user)
    agent = Agent.objects.filter(pk=agent_id).first()
    if agent is None:
        raise DomainError(_("Unknown agent."), code="not_found", status=404)
    return {"amount": services.buyback_quote(agent, sku_id, quantity)}


@router.post("/hq/buybacks", response={201: BuyBackOut, **ERRORS}, auth=session_or_token,
             summary="tw profile: buy back unsold cloud stock (units to HQ, 90% paid to the agent)",
             description="Requires an `Idempotency-Key` header: a retry returns the first buy-back.")
def create_buyback(request, payload: BuyBackIn):
    from weishang.core import idempotency

    key = idempotency.key_from(request)
    agent = Agent.objects.filter(pk=payload.agent_id).first()
    if agent is None:
        raise DomainError(_("Unknown agent."), code="not_found", status=404)
    bb = services.buy_back(agent=agent, sku_id=payload.sku_id, quantity=payload.quantity, by=request.user,
                           reason=payload.reason, key=f"api:{request.user.pk}:{key}")
    return Status(201, bb)
