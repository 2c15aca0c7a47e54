from __future__ import annotations

from decimal import Decimal

from django.db.models import Sum

from .models import Account, Entry


def drift() -> list[tuple[Account, Decimal, Decimal]]:
    """Accounts whose cached balance differs from the sum of their entries."""
    sums = dict(Entry.objects.values_list("account_id").annotate(s=Sum("amount")).values_list("account_id", "s"))
    out = []
    for acc in Account.objects.all().iterator():
        actual = sums.get(acc.pk) or Decimal(0)
        if actual != acc.balance:
            out.append((acc, acc.balance, actual))
    return out


def unbalanced_journals() -> list[int]:
    return list(Entry.objects.values("journal_id").annotate(s=Sum("amount")).exclude(s=0)
                .values_list("journal_id", flat=True))
