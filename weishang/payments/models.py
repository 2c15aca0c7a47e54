"""Payments and prepaid top-ups (预充值), plus the idempotency records behind
`weishang.core.idempotency` (the one way the project makes a call safe to retry).

A Payment belongs to one order. Methods are providers (`weishang.payments.providers`):
"prepaid" settles at once from the buyer's AGENT_PREPAID ledger account; "offline" waits
for the payee (the seller agent, or HQ staff) to confirm the uploaded transfer proof.
WeChat Pay / Alipay will be further providers. A balance is never a stored number here:
the ledger holds it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weishang.core.money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS
from weishang.core.uploads import RandomName, ReencodedImageField, get_private_storage


def money(verbose_name, **kw):
    return models.DecimalField(verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kw)


class IdempotencyRecord(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    key = models.CharField(max_length=100)
    endpoint = models.CharField(max_length=100)
    request_hash = models.CharField(max_length=64)
    status_code = models.PositiveSmallIntegerField(default=200)
    response = models.JSONField(default=dict)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("idempotency key")
        verbose_name_plural = _("idempotency keys")
        constraints = [models.UniqueConstraint(fields=["user", "key"], name="payments_idem_user_key")]


class PaymentStatus(models.TextChoices):
    SUBMITTED = "submitted", _("waiting for confirmation")
    CONFIRMED = "confirmed", _("confirmed")
    REJECTED = "rejected", _("rejected")


class Payment(models.Model):
    order = models.ForeignKey("orders.Order", on_delete=models.PROTECT, related_name="payments",
                              verbose_name=_("order"))
    method = models.CharField(_("method"), max_length=20)
    amount = money(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(_("status"), max_length=12, choices=PaymentStatus.choices)
    payer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="payments",
                              verbose_name=_("payer"))
    # Who receives the money: an agent (the seller / shop agent) or HQ (empty).
    payee_agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="payments_received", verbose_name=_("payee"))
    # Private: re-encoded, random name, outside MEDIA_ROOT; see views.proof.
    proof = ReencodedImageField(_("transfer proof"), upload_to=RandomName("payments/proofs"), blank=True,
                                storage=get_private_storage)
    reference = models.CharField(_("transfer reference"), max_length=60, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reject_reason = models.CharField(_("reason"), max_length=200, blank=True)
    # Online providers: our trade number sent to the provider (out_trade_no), and the
    # provider's own transaction id once a verified notification or query names it.
    trade_no = models.CharField(_("trade number"), max_length=32, blank=True, db_index=True)
    provider_ref = models.CharField(_("provider transaction"), max_length=64, blank=True)
    # Where the payer pays at the provider, when the provider gives one per payment
    # (LINE Pay's paymentUrl): kept so the checkout page does not request a second one.
    checkout_url = models.URLField(_("provider checkout address"), max_length=500, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment")
        verbose_name_plural = _("payments")
        permissions = [("confirm_hq_payment", "Can confirm payments and top-ups made to HQ")]
        ordering = ["-id"]
        constraints = [
            # At most one confirmed payment per order: paying twice is impossible.
            models.UniqueConstraint(fields=["order"], condition=models.Q(status="confirmed"),
                                    name="payments_one_confirmed_per_order"),
        ]


class TopUpMethod(models.TextChoices):
    HQ = "hq", _("HQ credit")
    UPLINE_TRANSFER = "upline_transfer", _("transfer to upline")


class TopUp(models.Model):
    """A prepaid top-up: by HQ with a reason, or by a transfer to the upline confirmed by
    the upline with the proof image. Confirming posts to the ledger."""

    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="topups",
                              verbose_name=_("agent"))
    method = models.CharField(_("method"), max_length=20, choices=TopUpMethod.choices)
    amount = money(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(_("status"), max_length=12, choices=PaymentStatus.choices)
    payee_agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="topups_received", verbose_name=_("payee"))
    # Private: re-encoded, random name, outside MEDIA_ROOT; see views.proof.
    proof = ReencodedImageField(_("transfer proof"), upload_to=RandomName("payments/proofs"), blank=True,
                                storage=get_private_storage)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("requested by"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("prepaid top-up")
        verbose_name_plural = _("prepaid top-ups")
        ordering = ["-id"]


class NotificationOutcome(models.TextChoices):
    APPLIED = "applied", _("applied")
    IGNORED = "ignored", _("no effect")
    REVIEW = "review", _("accepted: for review")
    REFUSED = "refused", _("refused: for review")


class ProviderNotification(models.Model):
    """Every notification an online provider sent (and every query answer the pending job
    applied), stored before it has any effect. A provider's event id is stored once: a
    repeat is answered as success without effect. Refused ones stay here for review."""

    provider = models.CharField(_("provider"), max_length=20)
    # Empty when the notification could not be verified (its id cannot be trusted).
    event_id = models.CharField(_("event id"), max_length=100, blank=True)
    kind = models.CharField(_("kind"), max_length=10, blank=True)  # "payment" / "refund"
    trade_no = models.CharField(_("trade number"), max_length=32, blank=True, db_index=True)
    headers = models.JSONField(_("headers"), default=dict, blank=True)
    body = models.TextField(_("raw body"), blank=True)
    verified = models.BooleanField(_("signature verified"), default=False)
    outcome = models.CharField(_("outcome"), max_length=10, choices=NotificationOutcome.choices)
    error = models.CharField(_("error"), max_length=300, blank=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="notifications", verbose_name=_("payment"))
    created_at = models.DateTimeField(_("received"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("provider notification")
        verbose_name_plural = _("provider notifications")
        ordering = ["-id"]
        constraints = [
            models.UniqueConstraint(fields=["provider", "event_id"], condition=~models.Q(event_id=""),
                                    name="payments_notification_once"),
        ]


class ProviderRefundStatus(models.TextChoices):
    PENDING = "pending", _("sent to the provider")
    SUCCEEDED = "succeeded", _("refunded")
    FAILED = "failed", _("failed: for review")


class ProviderRefund(models.Model):
    """A refund of an online payment asked from the provider. The amount waits in
    REFUND_CLEARING until the provider's verified refund notification says it is done."""

    payment = models.ForeignKey(Payment, on_delete=models.PROTECT, related_name="provider_refunds",
                                verbose_name=_("payment"))
    refund = models.OneToOneField("orders.Refund", on_delete=models.PROTECT, related_name="provider_refund",
                                  verbose_name=_("refund"))
    refund_no = models.CharField(_("refund number"), max_length=64, unique=True)  # out_refund_no
    amount = money(_("amount"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    status = models.CharField(_("status"), max_length=10, choices=ProviderRefundStatus.choices,
                              default=ProviderRefundStatus.PENDING)
    provider_ref = models.CharField(_("provider refund id"), max_length=64, blank=True)
    error = models.CharField(_("error"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True)
    finished_at = models.DateTimeField(_("finished"), null=True, blank=True)

    class Meta:
        verbose_name = _("provider refund")
        verbose_name_plural = _("provider refunds")
        ordering = ["-id"]

class CollectionDetails(models.Model):
    """How a payee wants offline transfers (收款信息): free text (WeChat ID, Alipay account,
    bank and account name) and a collection QR code. One per agent; the row without an
    agent is HQ's. Shown on the pay page to buyers who owe this payee money; the QR is a
    private upload (it identifies the payee's wallet), served by views.collection_qr."""

    agent = models.OneToOneField("agents.Agent", null=True, blank=True, on_delete=models.CASCADE,
                                 related_name="collection_details", verbose_name=_("agent"))
    details = models.TextField(_("collection details"), max_length=500, blank=True,
                               help_text=_("For example: WeChat ID, Alipay account, or bank, account number and name."))
    qr = ReencodedImageField(_("collection QR code"), upload_to=RandomName("payments/collection"), blank=True,
                             storage=get_private_storage)
    updated_at = models.DateTimeField(_("updated"), auto_now=True)

    class Meta:
        verbose_name = _("collection details")
        verbose_name_plural = _("collection details")
        constraints = [
            # At most one HQ row (agent NULL); agents have one each already (OneToOne).
            models.UniqueConstraint(models.Value(1), condition=models.Q(agent__isnull=True),
                                    name="payments_one_hq_collection"),
        ]

    def __str__(self) -> str:
        return str(self.agent) if self.agent_id else str(_("HQ"))


class Reconciliation(models.Model):
    """One provider's bill for one day (对账), as last imported: importing the same day
    again replaces the result. Its mismatches are the lines; none means a clean day."""

    provider = models.CharField(_("provider"), max_length=20)
    day = models.DateField(_("day"))
    bill = models.FileField(_("bill file"), upload_to="payments/bills/", storage=get_private_storage)
    filename = models.CharField(_("file name"), max_length=200)
    bill_lines = models.PositiveIntegerField(_("bill lines"), default=0)
    matched = models.PositiveIntegerField(_("matched"), default=0)
    mismatch_count = models.PositiveIntegerField(_("mismatches"), default=0)
    imported_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                    verbose_name=_("imported by"))
    imported_at = models.DateTimeField(_("imported"))

    class Meta:
        verbose_name = _("reconciliation")
        verbose_name_plural = _("reconciliations")
        ordering = ["-day", "provider"]
        permissions = [("reconcile", _("Can import provider bills and reconcile"))]
        constraints = [models.UniqueConstraint(fields=["provider", "day"], name="payments_reconciliation_day")]

    @property
    def is_clean(self) -> bool:
        return self.mismatch_count == 0


class MismatchKind(models.TextChoices):
    MISSING_THERE = "missing_there", _("paid here, not in the bill")
    MISSING_HERE = "missing_here", _("in the bill, not paid here")
    AMOUNT_DIFFERS = "amount_differs", _("amounts differ")
    REFUND_UNMATCHED = "refund_unmatched", _("refund unmatched")


class ReconciliationMismatch(models.Model):
    run = models.ForeignKey(Reconciliation, on_delete=models.CASCADE, related_name="mismatches",
                            verbose_name=_("reconciliation"))
    kind = models.CharField(_("kind"), max_length=20, choices=MismatchKind.choices)
    trade_no = models.CharField(_("trade number"), max_length=64, blank=True)
    refund_no = models.CharField(_("refund number"), max_length=64, blank=True)
    provider_ref = models.CharField(_("provider transaction"), max_length=64, blank=True)
    amount_here = money(_("amount here"), null=True, blank=True)
    amount_there = money(_("amount in the bill"), null=True, blank=True)
    currency = models.CharField(_("currency"), max_length=3, blank=True)
    payment = models.ForeignKey(Payment, null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("payment"))
    detail = models.CharField(_("detail"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("reconciliation mismatch")
        verbose_name_plural = _("reconciliation mismatches")
        ordering = ["run", "kind", "id"]
