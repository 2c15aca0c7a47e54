from __future__ import annotations

from decimal import Decimal

from django.db.models import BigIntegerField, F, Sum
from django.db.models.functions import Cast, Round

from .models import Account, Entry

CENT = Decimal("0.01")


def cents_sum(field="amount", **kw) -> Sum:
    """An exact money SUM on every backend: SQLite stores decimals as REAL and would add
    them in floating point, so sum whole cents as integers instead (see money_of).
    `field` is a field name or an expression."""
    expr = F(field) if isinstance(field, str) else field
    return Sum(Cast(Round(expr * 100), BigIntegerField()), **kw)


def money_of(cents) -> Decimal:
    """Turn a cents_sum() result (None when no rows) back into an amount."""
    return (Decimal(int(cents or 0)) * CENT).quantize(CENT)


def drift() -> list[tuple[Account, Decimal, Decimal]]:
    """Accounts whose cached balance differs from the sum of their entries."""
    sums = dict(Entry.objects.values_list("account_id").annotate(s=cents_sum()).values_list("account_id", "s"))
    out = []
    for acc in Account.objects.all().iterator():
        actual = money_of(sums.get(acc.pk))
        if actual != acc.balance.quantize(CENT):
            out.append((acc, acc.balance, actual))
    return out


def unbalanced_journals() -> list[int]:
    return list(Entry.objects.values("journal_id").annotate(s=cents_sum()).exclude(s=0)
                .values_list("journal_id", flat=True))
