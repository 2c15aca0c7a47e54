"""Reconciliation (对账): a provider's daily bill against our payments and provider refunds.

`compare` is the rule (pure: bill lines and our rows in, mismatches out); `import_bill`
stores the run in one transaction. Matching is by our out_trade_no (payments) and
out_refund_no (refunds), found whatever day they were paid here: a payment notified just
after midnight is in the previous day's bill and still matches. Our side of a day is the
online payments of that provider confirmed, and its refunds finished, between 00:00 and
24:00 in the brand's time zone (TIME_ZONE, Asia/Shanghai).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from decimal import Decimal
from zoneinfo import ZoneInfo

from django.conf import settings
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from . import bills
from .models import (
    MismatchKind,
    Payment,
    PaymentStatus,
    ProviderRefund,
    ProviderRefundStatus,
    Reconciliation,
    ReconciliationMismatch,
)

MAX_BILL_BYTES = 20 * 1024 * 1024


@dataclass
class Mismatch:
    kind: str
    trade_no: str = ""
    refund_no: str = ""
    provider_ref: str = ""
    amount_here: Decimal | None = None
    amount_there: Decimal | None = None
    currency: str = ""
    payment_id: int | None = None
    detail: str = ""


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = ZoneInfo(settings.TIME_ZONE)
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, start + timedelta(days=1)


def compare(bill: bills.Bill, payments: dict[str, Payment], refunds: dict[str, ProviderRefund],
            day_payments: list[Payment], day_refunds: list[ProviderRefund]) -> tuple[int, list[Mismatch]]:
    """(matched lines, mismatches). `payments`/`refunds`: our rows named by the bill, by
    trade_no / refund_no; `day_*`: our rows of the day, which the bill must name."""
    found: list[Mismatch] = []
    matched = 0
    seen_trades: set[str] = set()
    seen_refunds: set[str] = set()
    for line in bill.lines:
        if line.kind == "payment":
            seen_trades.add(line.trade_no)
            p = payments.get(line.trade_no)
            if p is None or p.status != PaymentStatus.CONFIRMED:
                found.append(Mismatch(MismatchKind.MISSING_HERE, trade_no=line.trade_no, provider_ref=line.provider_ref,
                                      amount_there=line.amount, currency=line.currency, payment_id=p.pk if p else None,
                                      detail=f"payment {p.status}" if p else "no such payment"))
            elif p.amount != line.amount or p.currency != line.currency:
                found.append(Mismatch(MismatchKind.AMOUNT_DIFFERS, trade_no=line.trade_no,
                                      provider_ref=line.provider_ref, amount_here=p.amount, amount_there=line.amount,
                                      currency=line.currency, payment_id=p.pk,
                                      detail="" if p.currency == line.currency else f"{p.currency} here"))
            else:
                matched += 1
        else:
            seen_refunds.add(line.refund_no)
            r = refunds.get(line.refund_no)
            if r is None or r.status != ProviderRefundStatus.SUCCEEDED:
                found.append(Mismatch(MismatchKind.REFUND_UNMATCHED, trade_no=line.trade_no, refund_no=line.refund_no,
                                      provider_ref=line.provider_refund_ref or line.provider_ref,
                                      amount_there=line.amount, currency=line.currency,
                                      payment_id=r.payment_id if r else None,
                                      detail=f"refund {r.status} here" if r else "no such refund here"))
            elif r.amount != line.amount:
                found.append(Mismatch(MismatchKind.AMOUNT_DIFFERS, trade_no=line.trade_no, refund_no=line.refund_no,
                                      provider_ref=line.provider_refund_ref, amount_here=r.amount,
                                      amount_there=line.amount, currency=line.currency, payment_id=r.payment_id,
                                      detail="refund"))
            else:
                matched += 1
    for p in day_payments:
        if p.trade_no not in seen_trades:
            found.append(Mismatch(MismatchKind.MISSING_THERE, trade_no=p.trade_no, provider_ref=p.provider_ref,
                                  amount_here=p.amount, currency=p.currency, payment_id=p.pk))
    for r in day_refunds:
        if r.refund_no not in seen_refunds:
            found.append(Mismatch(MismatchKind.REFUND_UNMATCHED, trade_no=r.payment.trade_no, refund_no=r.refund_no,
                                  provider_ref=r.provider_ref, amount_here=r.amount, currency=r.currency,
                                  payment_id=r.payment_id, detail="refunded here, not in the bill"))
    return matched, found


def import_bill(*, provider: str, day: date, upload, user) -> Reconciliation:
    """Parse the bill (a file that is not one raises NotABill, nothing stored), compare,
    and store the run for (provider, day), replacing an earlier import of that day."""
    if upload.size > MAX_BILL_BYTES:
        raise bills.NotABill(_("The file is too large for a daily bill."))
    data = upload.read()
    bill = bills.parse(provider, data)
    other_days = sorted(d for d in bill.days if d != day)
    if other_days:
        raise bills.NotABill(_("This bill has payments of %(days)s, not of %(day)s. Choose the bill's day.")
                             % {"days": ", ".join(d.isoformat() for d in other_days[:3]), "day": day.isoformat()})
    start, end = day_bounds(day)
    trade_nos = [line.trade_no for line in bill.lines if line.kind == "payment"]
    refund_nos = [line.refund_no for line in bill.lines if line.kind == "refund"]
    payments = {p.trade_no: p for p in Payment.objects.filter(method=provider, trade_no__in=trade_nos)}
    refunds = {r.refund_no: r for r in ProviderRefund.objects.filter(refund_no__in=refund_nos, payment__method=provider)}
    day_payments = list(Payment.objects.filter(method=provider, status=PaymentStatus.CONFIRMED,
                                               decided_at__gte=start, decided_at__lt=end).order_by("pk"))
    day_refunds = list(ProviderRefund.objects.filter(payment__method=provider, status=ProviderRefundStatus.SUCCEEDED,
                                                     finished_at__gte=start, finished_at__lt=end)
                       .select_related("payment").order_by("pk"))
    matched, found = compare(bill, payments, refunds, day_payments, day_refunds)
    with transaction.atomic():
        run = Reconciliation.objects.select_for_update().filter(provider=provider, day=day).first()
        old_file = run.bill.name if run else ""
        if run is None:
            run = Reconciliation(provider=provider, day=day)
        run.filename = getattr(upload, "name", "")[:200]
        run.bill_lines, run.matched, run.mismatch_count = len(bill.lines), matched, len(found)
        run.imported_by, run.imported_at = user, timezone.now()
        run.bill.save(f"{provider}-{day:%Y%m%d}.csv", ContentFile(data), save=False)
        run.save()
        run.mismatches.all().delete()
        ReconciliationMismatch.objects.bulk_create(
            ReconciliationMismatch(run=run, kind=m.kind, trade_no=m.trade_no[:64], refund_no=m.refund_no[:64],
                                   provider_ref=m.provider_ref[:64], amount_here=m.amount_here,
                                   amount_there=m.amount_there, currency=m.currency[:3], payment_id=m.payment_id,
                                   detail=m.detail[:200]) for m in found)
        if old_file and old_file != run.bill.name:
            storage, name = run.bill.storage, old_file
            transaction.on_commit(lambda: storage.delete(name))
    return run


def providers_with_bills() -> list[tuple[str, str]]:
    from .online import CLASSES

    return [(code, CLASSES[code].label) for code in bills.PARSERS]
