"""Posting to the ledger. The one way money moves in Weishang."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

from .models import Account, Entry, Journal


class UnbalancedPosting(DomainError):
    code = "unbalanced_posting"


class InsufficientBalance(DomainError):
    code = "insufficient_balance"
    status = 409


@dataclass(frozen=True)
class Line:
    account: Account
    amount: Decimal


def account(kind: str, currency: str, *, agent_id: int | None = None, supplier_id: int | None = None) -> Account:
    """Get or create the account (idempotent; safe under concurrency)."""
    key = Account.make_key(kind, currency, agent_id, supplier_id)
    acc = Account.objects.filter(key=key).first()
    if acc is not None:
        return acc
    try:
        with transaction.atomic():
            return Account.objects.create(key=key, kind=kind, currency=currency, agent_id=agent_id,
                                          supplier_id=supplier_id)
    except IntegrityError:
        return Account.objects.get(key=key)


def post(*, key: str, kind: str, currency: str, lines: Iterable[Line | tuple[Account, Decimal]], memo: str = "",
         ref_type: str = "", ref_id: str = "", created_by=None,
         no_negative: Iterable[Account] = ()) -> tuple[Journal, bool]:
    """Post one balanced journal. Returns (journal, created).

    Idempotent by `key`: if a journal with this key exists it is returned unchanged and
    nothing is posted. Accounts in `no_negative` may not go below zero (checked with a
    conditional UPDATE, so two concurrent withdrawals cannot both pass)."""
    merged: dict[int, Decimal] = defaultdict(Decimal)
    accounts: dict[int, Account] = {}
    for item in lines:
        acc, amount = (item.account, item.amount) if isinstance(item, Line) else item
        if acc.currency != currency:
            raise UnbalancedPosting(_("All entries of a posting must be in one currency."))
        amount = Decimal(amount)
        if amount != amount.quantize(Decimal("0.01")):
            raise UnbalancedPosting(_("Ledger amounts are kept to the cent."))
        merged[acc.pk] += amount
        accounts[acc.pk] = acc
    if sum(merged.values(), Decimal(0)) != 0:
        raise UnbalancedPosting(_("A posting must balance to zero."))
    guarded = {a.pk for a in no_negative}
    with transaction.atomic():
        existing = Journal.objects.filter(key=key).first()
        if existing is not None:
            return existing, False
        try:
            with transaction.atomic():
                journal = Journal.objects.create(key=key, kind=kind, currency=currency, memo=memo[:255],
                                                 ref_type=ref_type, ref_id=str(ref_id), created_by=created_by)
        except IntegrityError:
            return Journal.objects.get(key=key), False
        # Fixed lock order (account id) so concurrent postings cannot deadlock.
        for acc_id in sorted(merged):
            amount = merged[acc_id]
            if amount == 0:
                continue
            qs = Account.objects.filter(pk=acc_id)
            if acc_id in guarded and amount < 0:
                qs = qs.filter(balance__gte=-amount)
            if qs.update(balance=F("balance") + amount) != 1:
                raise InsufficientBalance(_("The balance is not enough for this."))
        Entry.objects.bulk_create([Entry(journal=journal, account_id=acc_id, amount=amount)
                                   for acc_id, amount in sorted(merged.items()) if amount != 0])
    return journal, True


def balance(acc: Account) -> Decimal:
    return Account.objects.values_list("balance", flat=True).get(pk=acc.pk)
