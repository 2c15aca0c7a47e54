"""What a provider's word does: notifications in, refunds out, the pending-payment query.

`receive` is the one entrance for a notification (the endpoint and the sandbox page both
call it). Nothing happens before the provider class has verified it (`verify`); then, in
one transaction, the notification is stored under its provider event id (a repeat hits
the unique constraint and is answered as before, without effect) and applied: the amount
and currency are compared with the payment, and only then is the payment settled through
`services.settle`. The provider is answered after that transaction committed. Refused
notifications are stored (admin: provider notifications) and logged for review.
"""

from __future__ import annotations

import json
import logging
from datetime import timedelta
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from weishang.core.errors import DomainError
from weishang.ledger.models import AccountKind, JournalKind
from weishang.ledger.services import account, post
from weishang.orders.models import Order, OrderStatus

from . import conf, providers, services
from .models import (
    NotificationOutcome,
    Payment,
    PaymentStatus,
    ProviderNotification,
    ProviderRefund,
    ProviderRefundStatus,
)
from .online import Notice, NotVerified, OnlineProvider, ProviderUnavailable

log = logging.getLogger("weishang.payments")
MAX_BODY = 20000


def online(code: str) -> OnlineProvider | None:
    provider = providers.get(code)
    return provider if isinstance(provider, OnlineProvider) else None


def receive(code: str, headers: dict, body: bytes) -> tuple[bool, ProviderNotification]:
    """Verify, store once, apply. Returns (answer success?, the stored notification)."""
    provider = online(code)
    if provider is None:
        raise DomainError(_("This payment method is not available."), code="invalid_method", status=404)
    text = body.decode("utf-8", "replace")[:MAX_BODY]
    try:
        notice = provider.verify(headers, body)
    except NotVerified as exc:
        note = ProviderNotification.objects.create(provider=code, headers=headers, body=text, verified=False,
                                                   outcome=NotificationOutcome.REFUSED, error=str(exc)[:300])
        log.warning("payments: refused %s notification #%s: %s", code, note.pk, exc)
        return False, note
    return apply(provider, notice, headers=headers, body=text)


def apply(provider: OnlineProvider, notice: Notice, *, headers: dict | None = None,
          body: str = "") -> tuple[bool, ProviderNotification]:
    with transaction.atomic():
        payment = _lock_payment(provider.code, notice.trade_no)
        try:
            with transaction.atomic():
                note = ProviderNotification.objects.create(
                    provider=provider.code, event_id=notice.event_id[:100], kind=notice.kind,
                    trade_no=notice.trade_no[:32], headers=headers or {}, body=body, verified=True,
                    outcome=NotificationOutcome.IGNORED, payment=payment)
        except IntegrityError:
            first = ProviderNotification.objects.get(provider=provider.code, event_id=notice.event_id[:100])
            log.info("payments: repeated %s event %s (no effect)", provider.code, notice.event_id)
            return first.outcome != NotificationOutcome.REFUSED, first
        if notice.kind == "refund":
            outcome, error = _apply_refund(provider, notice, payment)
        else:
            outcome, error = _apply_payment(provider, notice, payment)
        note.outcome, note.error = outcome, str(error)[:300]
        note.save(update_fields=["outcome", "error"])
    if outcome in (NotificationOutcome.REFUSED, NotificationOutcome.REVIEW):
        log.warning("payments: %s %s notification #%s (%s): %s", outcome, provider.code, note.pk, notice.trade_no,
                    error)
    return outcome != NotificationOutcome.REFUSED, note


def _lock_payment(code: str, trade_no: str) -> Payment | None:
    """Lock the order, then the payment (the order-first order every payment write uses)."""
    if not trade_no:
        return None
    row = Payment.objects.filter(method=code, trade_no=trade_no).values_list("pk", "order_id").first()
    if row is None:
        return None
    Order.objects.select_for_update().filter(pk=row[1]).first()
    return Payment.objects.select_for_update().select_related("order").get(pk=row[0])


def _money_differs(notice: Notice, amount: Decimal, currency: str) -> str:
    if notice.amount is None or Decimal(notice.amount) != Decimal(amount) or notice.currency != currency:
        return f"amount {notice.amount} {notice.currency}, expected {amount} {currency}"
    return ""


def _apply_payment(provider: OnlineProvider, notice: Notice, payment: Payment | None) -> tuple[str, str]:
    if payment is None:
        return NotificationOutcome.REFUSED, f"unknown trade {notice.trade_no!r}"
    wrong = _money_differs(notice, payment.amount, payment.currency)
    if wrong:
        return NotificationOutcome.REFUSED, wrong
    if not notice.succeeded:
        if notice.final and payment.status == PaymentStatus.SUBMITTED:
            Payment.objects.filter(pk=payment.pk).update(
                status=PaymentStatus.REJECTED, decided_at=timezone.now(),
                reject_reason=(_("The payment failed at the provider (%(s)s).") % {"s": notice.detail})[:200])
            return NotificationOutcome.APPLIED, f"failed: {notice.detail}"
        return NotificationOutcome.IGNORED, f"state {notice.detail}"
    if payment.status == PaymentStatus.CONFIRMED:
        return NotificationOutcome.IGNORED, "already paid"
    order = payment.order
    if payment.status != PaymentStatus.SUBMITTED or order.status != OrderStatus.PENDING:
        # The money was taken for a payment we closed (order cancelled, another method used):
        # acknowledged so the provider stops, kept for HQ to refund at the provider.
        return NotificationOutcome.REVIEW, (f"paid, but the payment is {payment.status} and the order "
                                            f"{order.status}: refund it at the provider")
    try:
        with transaction.atomic():
            Payment.objects.filter(pk=payment.pk).update(provider_ref=notice.provider_ref[:64])
            services.settle(payment, actor=None)
    except DomainError as exc:
        return NotificationOutcome.REFUSED, str(exc.message)
    return NotificationOutcome.APPLIED, ""


def _apply_refund(provider: OnlineProvider, notice: Notice, payment: Payment | None) -> tuple[str, str]:
    pref = ProviderRefund.objects.select_for_update().filter(refund_no=notice.refund_no).first()
    if pref is None or payment is None or pref.payment_id != payment.pk:
        return NotificationOutcome.REFUSED, f"unknown refund {notice.refund_no!r} of trade {notice.trade_no!r}"
    expected = pref.amount
    if notice.refund_total:
        expected = sum(ProviderRefund.objects.filter(payment=payment, status=ProviderRefundStatus.SUCCEEDED)
                       .exclude(pk=pref.pk).values_list("amount", flat=True), Decimal(0)) + pref.amount
    wrong = _money_differs(notice, expected, pref.currency)
    if wrong:
        return NotificationOutcome.REFUSED, wrong
    if pref.status != ProviderRefundStatus.PENDING:
        return NotificationOutcome.IGNORED, f"refund already {pref.status}"
    if not notice.final:
        return NotificationOutcome.IGNORED, f"state {notice.detail}"
    now = timezone.now()
    if not notice.succeeded:
        ProviderRefund.objects.filter(pk=pref.pk).update(status=ProviderRefundStatus.FAILED, finished_at=now,
                                                         error=notice.detail[:300])
        return NotificationOutcome.REVIEW, (f"refund {pref.refund_no} failed ({notice.detail}); "
                                            f"{pref.amount} stays in refund clearing")
    post(key=f"refund:provider:{pref.refund_no}", kind=JournalKind.PROVIDER_REFUND, currency=pref.currency,
         lines=[(account(AccountKind.REFUND_CLEARING, pref.currency), -pref.amount),
                (account(AccountKind.PREPAID_FUNDING, pref.currency), pref.amount)],
         ref_type="order", ref_id=payment.order.no, memo=f"refund {pref.refund_no} ({provider.code})")
    ProviderRefund.objects.filter(pk=pref.pk).update(status=ProviderRefundStatus.SUCCEEDED, finished_at=now,
                                                     provider_ref=notice.provider_ref[:64])
    return NotificationOutcome.APPLIED, ""


# --- refunds out ------------------------------------------------------------------------------

def request_refund(provider: OnlineProvider, payment: Payment, refund_obj) -> ProviderRefund:
    """In the refund's transaction: record what is owed; after commit, ask the provider."""
    pref = ProviderRefund.objects.create(payment=payment, refund=refund_obj,
                                         refund_no=f"{payment.trade_no}_R{refund_obj.pk}", amount=refund_obj.amount,
                                         currency=refund_obj.order.currency)
    transaction.on_commit(lambda: send_refund(pref.pk))
    return pref


def send_refund(pref_id: int) -> None:
    pref = ProviderRefund.objects.select_related("payment", "payment__order").get(pk=pref_id)
    if pref.status != ProviderRefundStatus.PENDING:
        return
    provider = online(pref.payment.method)
    if provider is None:
        ProviderRefund.objects.filter(pk=pref.pk).update(error="provider no longer configured")
        return
    try:
        notice = provider.send_refund(pref)
    except ProviderUnavailable as exc:
        ProviderRefund.objects.filter(pk=pref.pk).update(error=exc.detail[:300])
        log.warning("payments: refund %s not sent yet: %s", pref.refund_no, exc.detail)
        return
    if notice is not None:
        apply(provider, notice, body=json.dumps({"refund_no": pref.refund_no, "detail": notice.detail}))


# --- the pending-payment job --------------------------------------------------------------------

def query_pending(now=None) -> dict[str, int]:
    """Periodic job: online payments still waiting after PAYMENTS_QUERY_AFTER_MINUTES are
    asked about at the provider (the notification may be lost); one the provider calls paid
    is applied like a notification. One whose order's payment time ran out is closed at
    the provider and then given up, so the order's auto-cancel can run. Refunds the
    provider was not reached for are sent again."""
    now = now or timezone.now()
    done = {"paid": 0, "closed": 0, "waiting": 0, "unreachable": 0, "refunds": 0}
    codes = [c for c, p in providers.available().items() if p.online]
    cutoff = now - timedelta(minutes=conf.query_after_minutes())
    waiting = (Payment.objects.filter(status=PaymentStatus.SUBMITTED, method__in=codes, created_at__lte=cutoff)
               .select_related("order").order_by("pk")[:200])
    for payment in waiting:
        provider = online(payment.method)
        assert provider is not None
        try:
            notice = provider.query(payment)
            if notice is not None:
                ok, note = apply(provider, notice, body=json.dumps({"query": payment.trade_no,
                                                                    "state": notice.detail}))
                done["paid" if note.outcome == NotificationOutcome.APPLIED and notice.succeeded else "waiting"] += 1
            elif payment.order.payment_due_at and payment.order.payment_due_at <= now:
                provider.close(payment)
                give_up(payment.pk, reason=_("Payment time ran out."))
                done["closed"] += 1
            else:
                done["waiting"] += 1
        except ProviderUnavailable as exc:
            log.warning("payments: cannot ask %s about %s: %s", payment.method, payment.trade_no, exc.detail)
            done["unreachable"] += 1
    for pref_id in ProviderRefund.objects.filter(status=ProviderRefundStatus.PENDING, created_at__lte=cutoff) \
            .exclude(error="").values_list("pk", flat=True)[:100]:
        send_refund(pref_id)
        done["refunds"] += 1
    return done


def give_up(payment_id: int, *, reason) -> int:
    """A waiting online payment is closed (the provider will not take money for it)."""
    return Payment.objects.filter(pk=payment_id, status=PaymentStatus.SUBMITTED).update(
        status=PaymentStatus.REJECTED, decided_at=timezone.now(), reject_reason=str(reason)[:200])
