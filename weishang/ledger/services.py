"""Posting to the ledger. The one way money moves in Weishang."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal

from django.db import IntegrityError, connection, transaction
from django.db.models import F, OuterRef, Subquery, Sum
from django.db.models.functions import Coalesce
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

from .models import JOURNAL_KIND_PREFIXES, Account, Entry, Journal, JournalKind


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
    check_kind(kind)
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


@dataclass(frozen=True)
class Posting:
    """One journal for `post_many`: lines are (account id, amount) pairs summing to zero."""

    key: str
    kind: str
    currency: str
    lines: tuple[tuple[int, Decimal], ...]
    memo: str = ""
    ref_type: str = ""
    ref_id: str = ""


def check_kind(kind: str) -> None:
    """Every journal kind has a label people read (statements, Excel, the back office):
    a new kind is added to JournalKind, never posted as a bare string."""
    if kind not in JournalKind.values and kind.partition(":")[0] not in JOURNAL_KIND_PREFIXES:
        raise ValueError(f"unknown journal kind {kind!r}: add it to ledger.models.JournalKind")


def _check_posting(p: Posting) -> dict[int, Decimal]:
    check_kind(p.kind)
    merged: dict[int, Decimal] = defaultdict(Decimal)
    for acc_id, amount in p.lines:
        if amount != amount.quantize(Decimal("0.01")):
            raise UnbalancedPosting(_("Ledger amounts are kept to the cent."))
        merged[acc_id] += amount
    if sum(merged.values(), Decimal(0)) != 0:
        raise UnbalancedPosting(_("A posting must balance to zero."))
    return merged


def insert_rows(model, fields: list[str], rows: list[tuple], *, batch_size: int = 5000) -> None:
    """A bare multi-row INSERT (cursor.executemany) of plain values: no model instances,
    no per-value ORM compilation. Values must already be in database form (Decimal,
    aware datetimes adapted with `db_datetime`, ids)."""
    if not rows:
        return
    qn = connection.ops.quote_name
    cols = ", ".join(qn(model._meta.get_field(f).column) for f in fields)
    sql = (f"INSERT INTO {qn(model._meta.db_table)} ({cols}) "
           f"VALUES ({', '.join(['%s'] * len(fields))})")
    with connection.cursor() as cur:
        for i in range(0, len(rows), batch_size):
            cur.executemany(sql, rows[i:i + batch_size])


def db_datetime(value):
    return connection.ops.adapt_datetimefield_value(value)


def ids_by(model, field: str, values: list, chunk: int = 900) -> dict:
    """{value: pk} for rows whose unique `field` is in `values` (chunked IN queries)."""
    out: dict = {}
    for i in range(0, len(values), chunk):
        out.update(model.objects.filter(**{f"{field}__in": values[i:i + chunk]}).values_list(field, "pk"))
    return out


def post_many(postings: Iterable[Posting], *, created_by=None, batch_size: int = 5000) -> dict[str, int]:
    """Post many balanced journals in one transaction with set-based writes (multi-row
    INSERTs and one UPDATE per touched account, in account-id order). Idempotent per key
    like `post`: keys that already exist (or repeat within the batch) are skipped.
    Returns the ids of the journals created, by key. No `no_negative` guard here: use
    `post` for guarded debits. The caller has checked currencies (accounts go by id)."""
    todo: dict[str, tuple[Posting, dict[int, Decimal]]] = {}
    for p in postings:
        if p.key not in todo:
            todo[p.key] = (p, _check_posting(p))
    if not todo:
        return {}
    with transaction.atomic():
        keys = list(todo)
        existing = ids_by(Journal, "key", keys)
        fresh = [todo[k] for k in keys if k not in existing]
        now = db_datetime(timezone.now())
        by = created_by.pk if created_by is not None else None
        insert_rows(Journal, ["key", "kind", "currency", "memo", "ref_type", "ref_id", "created_by", "created_at"],
                    [(p.key, p.kind, p.currency, p.memo[:255], p.ref_type, str(p.ref_id), by, now)
                     for p, _m in fresh], batch_size=batch_size)
        ids = ids_by(Journal, "key", [p.key for p, _m in fresh])
        deltas: dict[int, Decimal] = defaultdict(Decimal)
        entries = []
        for p, merged in fresh:
            jid = ids[p.key]
            for acc_id, amount in sorted(merged.items()):
                if amount:
                    entries.append((jid, acc_id, amount, now))
                    deltas[acc_id] += amount
        insert_rows(Entry, ["journal", "account", "amount", "created_at"], entries, batch_size=batch_size)
        for acc_id in sorted(deltas):
            if deltas[acc_id]:
                Account.objects.filter(pk=acc_id).update(balance=F("balance") + deltas[acc_id])
    return ids


def apply_journal_to_balances(journal_id: int) -> None:
    """Add one journal's entries to the cached balances in a single set-based UPDATE (used
    by jobs that insert a journal's entries in bulk)."""
    per_account = Entry.objects.filter(journal_id=journal_id, account_id=OuterRef("pk")).values("account_id") \
        .annotate(s=Sum("amount")).values("s")
    Account.objects.filter(pk__in=Entry.objects.filter(journal_id=journal_id).values("account_id")) \
        .update(balance=F("balance") + Coalesce(Subquery(per_account), Decimal(0)))


def balance(acc: Account) -> Decimal:
    return Account.objects.values_list("balance", flat=True).get(pk=acc.pk)
