"""Double-entry ledger. Every cent that moves is a Journal whose Entries sum to zero.

An account's balance is the sum of its entries; `Account.balance` is a cached total kept
in the same transaction as the entries (and checked by `manage.py ledger_check`). Sign
convention: a positive balance on an agent's or supplier's account is value they hold;
HQ-side accounts (revenue, clearing) carry the mirror image.
"""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from weishang.core.money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS


class AccountKind(models.TextChoices):
    # Agent-owned
    AGENT_PREPAID = "agent_prepaid", _("agent prepaid balance")
    AGENT_EARNINGS_PENDING = "agent_earnings_pending", _("agent earnings (pending)")
    AGENT_EARNINGS_AVAILABLE = "agent_earnings_available", _("agent earnings (available)")
    AGENT_WITHDRAWN = "agent_withdrawn", _("agent withdrawals paid out")
    # Supplier-owned
    SUPPLIER_PAYABLE = "supplier_payable", _("payable to supplier")
    # HQ-side
    HQ_REVENUE = "hq_revenue", _("HQ revenue")
    HQ_FEES = "hq_fees", _("HQ fee income")
    HQ_REWARD_EXPENSE = "hq_reward_expense", _("HQ rewards paid (expense)")
    HQ_BUYBACK = "hq_buyback", _("HQ buy-backs of unsold stock")
    PAYMENT_CLEARING = "payment_clearing", _("payments clearing")
    REFUND_CLEARING = "refund_clearing", _("refunds clearing")
    PREPAID_FUNDING = "prepaid_funding", _("prepaid top-ups received")
    WITHDRAWAL_CLEARING = "withdrawal_clearing", _("withdrawals clearing")


class JournalKind(models.TextChoices):
    """What a journal records. Earnings post "earning:<rule kind>" and their refunds
    "reversal:<rule kind>" (labelled by earnings.selectors.journal_label)."""

    ORDER_PAYMENT = "order_payment", _("order payment")
    ORDER_REFUND = "order_refund", _("refund paid back to the buyer")
    PREPAID_TOPUP = "prepaid_topup", _("prepaid balance top-up")
    WITHDRAWAL = "withdrawal", _("withdrawal request")
    WITHDRAWAL_REJECTED = "withdrawal_rejected", _("withdrawal rejected")
    WITHDRAWAL_PAID = "withdrawal_paid", _("withdrawal paid")
    EARNINGS_RELEASE = "earnings_release", _("became available")
    BUYBACK = "buyback", _("buy-back of unsold stock")
    PROVIDER_REFUND = "provider_refund", _("refund paid out by the payment provider")


# Kinds made of a prefix and an earnings rule kind.
JOURNAL_KIND_PREFIXES = ("earning", "reversal")


# What Journal.ref_type names, for people.
REF_TYPE_LABELS = {"order": _("order"), "topup": _("prepaid balance top-up"), "withdrawal": _("withdrawal"),
                   "release": _("became available"), "buyback": _("buy-back of unsold stock"),
                   "adjustment": _("adjustment"), "demo": _("demo data")}


class Account(models.Model):
    """One balance: (kind, owner, currency). Owner is an agent, a supplier, or HQ (none)."""

    key = models.CharField(max_length=80, unique=True, editable=False)
    kind = models.CharField(_("kind"), max_length=40, choices=AccountKind.choices)
    agent = models.ForeignKey("agents.Agent", verbose_name=_("agent"), null=True, blank=True,
                              on_delete=models.PROTECT, related_name="ledger_accounts")
    supplier = models.ForeignKey("catalog.Supplier", verbose_name=_("supplier"), null=True, blank=True,
                                 on_delete=models.PROTECT, related_name="ledger_accounts")
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    balance = models.DecimalField(_("balance"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, default=0)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger account")
        verbose_name_plural = _("ledger accounts")
        indexes = [models.Index(fields=["agent", "kind"])]

    def __str__(self) -> str:
        return self.key

    @staticmethod
    def make_key(kind: str, currency: str, agent_id: int | None = None, supplier_id: int | None = None) -> str:
        owner = f"a{agent_id}" if agent_id else f"s{supplier_id}" if supplier_id else "hq"
        return f"{kind}:{owner}:{currency}"


class Journal(models.Model):
    """One balanced posting. `key` makes posting idempotent: the same business event
    (a payment confirmation, an earning for an order line and rule version) always
    produces the same key, so a retry or a repeated callback posts nothing new."""

    key = models.CharField(_("idempotency key"), max_length=160, unique=True)
    kind = models.CharField(_("kind"), max_length=40)
    memo = models.CharField(_("memo"), max_length=255, blank=True)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    # What caused it, e.g. ("order", "WS2611240001") or ("withdrawal", "17").
    ref_type = models.CharField(_("reference type"), max_length=30, blank=True)
    ref_id = models.CharField(_("reference"), max_length=64, blank=True)
    created_by = models.ForeignKey("accounts.User", null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+")
    created_at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)

    class Meta:
        verbose_name = _("journal")
        verbose_name_plural = _("journals")
        indexes = [models.Index(fields=["ref_type", "ref_id"])]

    def __str__(self) -> str:
        return self.key


class Entry(models.Model):
    journal = models.ForeignKey(Journal, on_delete=models.PROTECT, related_name="entries")
    # (account, created_at) below serves every lookup by account.
    account = models.ForeignKey(Account, on_delete=models.PROTECT, related_name="entries", db_index=False)
    amount = models.DecimalField(_("amount"), max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        indexes = [models.Index(fields=["account", "created_at"])]
