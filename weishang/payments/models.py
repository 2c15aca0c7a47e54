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
from weishang.core.validators import validate_image_size


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
    proof = models.ImageField(_("transfer proof"), upload_to="payments/proofs/", blank=True,
                              validators=[validate_image_size])
    reference = models.CharField(_("transfer reference"), max_length=60, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    reject_reason = models.CharField(_("reason"), max_length=200, blank=True)
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
    proof = models.ImageField(_("transfer proof"), upload_to="payments/proofs/", blank=True,
                              validators=[validate_image_size])
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
