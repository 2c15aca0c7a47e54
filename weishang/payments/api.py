"""Payments API: pay an order (Idempotency-Key), confirm or reject an offline transfer,
prepaid balance and top-ups."""

from __future__ import annotations

from datetime import datetime
from decimal import Decimal

from ninja import File, Form, Path, Router, Schema, Status
from ninja.files import UploadedFile

from weishang.accounts.auth import session_or_token
from weishang.agents.models import Agent
from weishang.core import idempotency
from weishang.core.api import BodyId, ErrorOut
from weishang.core.errors import NotFound

from . import services
from .models import Payment, TopUp

API_PREFIX = "payments"
router = Router(tags=["payments"], auth=session_or_token)
IDEM_DOC = ("Requires an `Idempotency-Key` header (at most 100 characters): a retry with the same key and "
            "body returns the first result; the same key with another body is 422 idempotency_key_reused.")
ERRORS = {400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 409: ErrorOut, 422: ErrorOut}


class PaymentOut(Schema):
    id: int
    order_no: str
    method: str
    amount: Decimal
    currency: str
    status: str
    order_status: str
    created_at: datetime


class TopUpOut(Schema):
    id: int
    agent_id: int
    method: str
    amount: Decimal
    currency: str
    status: str
    reason: str


class BalanceOut(Schema):
    currency: str
    prepaid: Decimal


class HqTopUpIn(Schema):
    agent_id: BodyId
    amount: str
    currency: str = "CNY"
    reason: str


class RejectIn(Schema):
    reason: str


def payment_out(p: Payment) -> dict:
    p.order.refresh_from_db(fields=["status"])
    return {"id": p.pk, "order_no": p.order.no, "method": p.method, "amount": str(p.amount), "currency": p.currency,
            "status": p.status, "order_status": p.order.status, "created_at": p.created_at.isoformat()}


def topup_out(t: TopUp) -> dict:
    return {"id": t.pk, "agent_id": t.agent_id, "method": t.method, "amount": str(t.amount), "currency": t.currency,
            "status": t.status, "reason": t.reason}


@router.post("/orders/{no}/pay", response={201: PaymentOut, **ERRORS},
             summary="Pay an order: method=prepaid settles at once, offline needs a proof image", description=IDEM_DOC)
def pay(request, no: str, method: Form[str], reference: Form[str] = "", proof: File[UploadedFile | None] = None):
    key = idempotency.key_from(request)
    payload = {"no": no, "method": method, "reference": reference,
               "proof": [proof.name, proof.size] if proof is not None else None}

    def run():
        payment = services.pay(order_no=no, user=request.user, method=method, proof=proof, reference=reference)
        return 201, payment_out(payment)

    return Status(*idempotency.run(key=key, user=request.user, endpoint="payments.pay", payload=payload, fn=run))


@router.post("/{payment_id}/confirm", response={200: PaymentOut, **ERRORS},
             summary="The payee confirms an offline transfer")
def confirm(request, payment_id: int = Path(..., ge=1, le=2**53)):
    return Status(200, payment_out(services.confirm(payment_id=payment_id, user=request.user)))


@router.post("/{payment_id}/reject", response={200: PaymentOut, **ERRORS})
def reject(request, data: RejectIn, payment_id: int = Path(..., ge=1, le=2**53)):
    return Status(200, payment_out(services.reject(payment_id=payment_id, user=request.user, reason=data.reason)))


@router.get("/balance", response={200: BalanceOut, **ERRORS}, summary="My prepaid balance")
def balance(request, currency: str = "CNY"):
    agent = getattr(request.user, "agent", None)
    if agent is None:
        raise NotFound()
    return Status(200, {"currency": currency, "prepaid": str(services.prepaid_balance(agent.pk, currency))})


@router.post("/topups", response={201: TopUpOut, **ERRORS}, summary="HQ tops up an agent's prepaid balance", description=IDEM_DOC)
def hq_topup(request, data: HqTopUpIn):
    key = idempotency.key_from(request)

    def run():
        agent = Agent.objects.filter(pk=data.agent_id).first()
        if agent is None:
            raise NotFound()
        topup = services.hq_topup(agent=agent, amount=data.amount, currency=data.currency, reason=data.reason,
                                  user=request.user)
        return 201, topup_out(topup)

    return Status(*idempotency.run(key=key, user=request.user, endpoint="payments.topup", payload=data.dict(), fn=run))


@router.post("/topups/request", response={201: TopUpOut, **ERRORS},
             summary="An agent asks its upline to credit a transfer (with proof)", description=IDEM_DOC)
def request_topup(request, amount: Form[str], proof: File[UploadedFile], currency: Form[str] = "CNY",
                  reason: Form[str] = ""):
    key = idempotency.key_from(request)
    payload = {"amount": amount, "currency": currency, "reason": reason, "proof": [proof.name, proof.size]}

    def run():
        t = services.request_topup(user=request.user, amount=amount, currency=currency, proof=proof, reason=reason)
        return 201, topup_out(t)

    return Status(*idempotency.run(key=key, user=request.user, endpoint="payments.topup_request", payload=payload, fn=run))


@router.post("/topups/{topup_id}/confirm", response={200: TopUpOut, **ERRORS})
def confirm_topup(request, topup_id: int = Path(..., ge=1, le=2**53)):
    return Status(200, topup_out(services.decide_topup(topup_id=topup_id, user=request.user, approve=True)))
