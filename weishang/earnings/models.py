"""Earnings: versioned rules, what each paid order line paid to whom, refunds, withdrawals.

Money itself lives in the ledger (weishang.ledger); these tables say *why* each journal
exists and drive the pending → available job. Every Earning row has exactly one journal
(key unique per order line, beneficiary, kind and rule version), so a repeated payment
confirmation posts nothing twice.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from weishang.core.money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS

from .rules import RuleKind, RuleSpec, parse_rates


def money(verbose_name, **kw) -> models.DecimalField:
    return models.DecimalField(verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kw)


class RuleVersion(models.Model):
    """One version of an earning rule. Rows are never edited: saving a change creates the
    next version, and each Earning keeps the version that was in force when it was paid."""

    kind = models.CharField(_("rule"), max_length=30, choices=RuleKind.CHOICES)
    version = models.PositiveIntegerField(_("version"), editable=False)
    enabled = models.BooleanField(_("enabled"), default=True)
    rates = models.CharField(_("rates (%)"), max_length=60, blank=True,
                             help_text=_("Percent of the paid amount per generation, comma-separated: "
                                         "“3” pays the first beneficiary 3%; “3,1” also pays its recruiter 1%."))
    depth = models.PositiveSmallIntegerField(_("depth"), default=0,
                                             help_text=_("Passed-over uplines only: how many levels above the buyer "
                                                         "may keep their price difference (0 = none)."))
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("in force from"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("earning rule version")
        verbose_name_plural = _("earning rules")
        ordering = ["kind", "-version"]
        constraints = [models.UniqueConstraint(fields=["kind", "version"], name="earnings_rule_kind_version")]

    def __str__(self) -> str:
        return f"{RuleKind.label(self.kind)} v{self.version}"

    def spec(self) -> RuleSpec:
        return RuleSpec(kind=self.kind, rates=parse_rates(self.rates), depth=self.depth, enabled=self.enabled,
                        version=self.version)


class LineKind(models.TextChoices):
    RESTOCK = "restock", _("restock")
    CONSUMER = "consumer", _("consumer order")
    FEE = "fee", _("order fee (shipping)")


class EarningLine(models.Model):
    """One paid order line as earnings saw it: what was paid and how much was refunded."""

    ref = models.CharField(_("order line"), max_length=64, unique=True)
    order_ref = models.CharField(_("order"), max_length=64, db_index=True)
    kind = models.CharField(_("type"), max_length=10, choices=LineKind.choices)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    paid = money(_("paid"))
    refunded = money(_("refunded"), default=0)
    origin = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                               verbose_name=_("agent"))
    profile = models.CharField(_("compliance profile"), max_length=8)
    cap_percent = models.DecimalField(_("reward cap (%)"), max_digits=5, decimal_places=2)
    paid_at = models.DateTimeField(_("paid at"), db_index=True)

    class Meta:
        verbose_name = _("paid order line")
        verbose_name_plural = _("paid order lines")
        permissions = [("view_any_statement", "Can view any agent's earnings statement and HQ earnings totals")]

    def __str__(self) -> str:
        return self.ref


class EarningState(models.TextChoices):
    PENDING = "pending", pgettext_lazy("earnings", "pending")
    AVAILABLE = "available", pgettext_lazy("earnings", "available")
    REVERSED = "reversed", pgettext_lazy("earnings", "reversed")


class Earning(models.Model):
    """One beneficiary's money from one order line under one rule version (one journal)."""

    key = models.CharField(max_length=160, unique=True)
    line = models.ForeignKey(EarningLine, on_delete=models.PROTECT, related_name="earnings")
    order_ref = models.CharField(_("order"), max_length=64, db_index=True)
    kind = models.CharField(_("type"), max_length=30, choices=RuleKind.ALL_CHOICES)
    # Few indexes on purpose: the release job rewrites every due row, and on PostgreSQL
    # each index costs a write per row. (agent, state) covers the agent FK.
    agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.PROTECT,
                              related_name="earnings", verbose_name=_("agent"), db_index=False)
    supplier = models.ForeignKey("catalog.Supplier", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("supplier"), db_index=False)
    rule_version = models.ForeignKey(RuleVersion, null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="earnings", verbose_name=_("rule version"), db_index=False)
    distance = models.PositiveSmallIntegerField(_("levels above"), default=0)
    funding = models.CharField(max_length=10)  # clearing | rewards
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    amount = money(_("amount"))
    reversed = money(_("reversed"), default=0)
    state = models.CharField(_("state"), max_length=10, choices=EarningState.choices)
    credit_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+", db_index=False)
    debit_account = models.ForeignKey("ledger.Account", on_delete=models.PROTECT, related_name="+", db_index=False)
    journal = models.ForeignKey("ledger.Journal", on_delete=models.PROTECT, related_name="+", db_index=False)
    available_at = models.DateTimeField(_("available from"), null=True, blank=True)
    hold = models.BooleanField(_("refund open"), default=False)
    released_at = models.DateTimeField(null=True, blank=True)
    release_journal = models.ForeignKey("ledger.Journal", null=True, blank=True, on_delete=models.PROTECT,
                                        related_name="+")
    created_at = models.DateTimeField(_("paid at"), db_index=True)

    class Meta:
        verbose_name = _("earning")
        verbose_name_plural = _("earnings")
        indexes = [
            models.Index(fields=["state", "available_at"], name="earn_state_avail"),
            models.Index(fields=["agent", "state"], name="earn_agent_state"),
        ]

    def __str__(self) -> str:
        return self.key

    @property
    def net(self):
        return self.amount - self.reversed


class EarningRefund(models.Model):
    """A refund applied to one line (idempotent by key)."""

    key = models.CharField(max_length=120, unique=True)
    line = models.ForeignKey(EarningLine, on_delete=models.PROTECT, related_name="refunds")
    amount = money(_("amount"))
    created_at = models.DateTimeField(auto_now_add=True)


class WithdrawalState(models.TextChoices):
    REQUESTED = "requested", _("requested")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")
    PAID = "paid", _("paid")


class PayoutBatch(models.Model):
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("payment batch")
        verbose_name_plural = _("payment batches")

    def __str__(self) -> str:
        return f"#{self.pk}"


class Withdrawal(models.Model):
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="withdrawals",
                              verbose_name=_("agent"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    amount = money(_("amount"))
    fee = money(_("fee"))
    state = models.CharField(_("state"), max_length=10, choices=WithdrawalState.choices,
                             default=WithdrawalState.REQUESTED)
    payee_name = models.CharField(_("account holder"), max_length=60)
    payee_account = models.CharField(_("bank / Alipay account"), max_length=60)
    payee_bank = models.CharField(_("bank"), max_length=60, blank=True)
    idempotency_key = models.CharField(max_length=80, blank=True)
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    requested_at = models.DateTimeField(_("requested"), auto_now_add=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    batch = models.ForeignKey(PayoutBatch, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="withdrawals", verbose_name=_("payment batch"))
    paid_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                related_name="+", verbose_name=_("paid by"))
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)

    class Meta:
        verbose_name = _("withdrawal")
        verbose_name_plural = _("withdrawals")
        permissions = [("pay_withdrawal", "Can settle withdrawals and buy-backs (payee accounts, payout batches)")]
        ordering = ["-requested_at"]
        indexes = [models.Index(fields=["state", "requested_at"])]
        constraints = [models.UniqueConstraint(fields=["agent", "idempotency_key"],
                                               condition=~models.Q(idempotency_key=""),
                                               name="earnings_withdrawal_idem")]

    def __str__(self) -> str:
        return f"#{self.pk}"

    @property
    def net(self):
        return self.amount - self.fee


class CompliancePage(RuleVersion):
    """Back-office menu entry for the compliance profile page (no table of its own)."""

    class Meta:
        proxy = True
        verbose_name = _("compliance profile")
        verbose_name_plural = _("compliance profile")


class SettlementPage(Withdrawal):
    """Back-office menu entry for the withdrawal settlement page."""

    class Meta:
        proxy = True
        verbose_name = _("withdrawal settlement")
        verbose_name_plural = _("withdrawal settlement")


class MonthTotalsPage(EarningLine):
    """Back-office menu entry for the monthly totals page."""

    class Meta:
        proxy = True
        verbose_name = _("monthly totals")
        verbose_name_plural = _("monthly totals")


class BuyBack(models.Model):
    """A tw-profile buy-back (回購) of unsold cloud stock: the units go back to HQ's stock
    and HQ pays the agent the profile's rate (90%) of what it paid for them, in one
    transaction (services.buy_back). Idempotent by key."""

    key = models.CharField(max_length=100, unique=True)
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="buybacks",
                              verbose_name=_("agent"))
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    quantity = models.PositiveIntegerField(_("quantity"))
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    amount = money(_("amount"))
    reason = models.CharField(_("reason"), max_length=200)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("by"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("buy-back")
        verbose_name_plural = _("buy-backs")
        ordering = ["-id"]
