"""Earnings reads: an agent's overview, monthly statements, HQ monthly totals, Excel exports."""

from __future__ import annotations

import io
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import datetime
from decimal import Decimal

from django.db.models import Count, Q
from django.utils import timezone
from django.utils.translation import gettext as _

from weishang.ledger.models import Account, AccountKind, Entry, JournalKind
from weishang.ledger.selectors import cents_sum, money_of

from . import conf
from .models import Earning, EarningState, Withdrawal, WithdrawalState
from .rules import RuleKind

K = AccountKind
EARNING_KINDS = (K.AGENT_EARNINGS_PENDING, K.AGENT_EARNINGS_AVAILABLE)


def month_range(year: int, month: int) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime(year, month, 1, tzinfo=tz)
    end = datetime(year + (month == 12), month % 12 + 1, 1, tzinfo=tz)
    return start, end


def journal_label(kind: str) -> str:
    head, _sep, tail = kind.partition(":")
    if head == "earning":
        return RuleKind.label(tail)
    if head == "reversal":
        return _("refund: %(k)s") % {"k": RuleKind.label(tail)}
    if kind in JournalKind.values:
        return str(JournalKind(kind).label)
    return kind


@dataclass
class Overview:
    currency: str
    pending: Decimal
    available: Decimal
    withdrawn: Decimal
    pending_rows: list
    withdrawals: list

    @property
    def refund_after_withdrawal(self) -> bool:
        """Below zero because a refund reversed earnings the agent had already taken out."""
        return self.available < 0 and any(w.state != WithdrawalState.REJECTED for w in self.withdrawals)

    @property
    def owes_for_transfers(self) -> bool:
        """Below zero with nothing withdrawn: the agent holds buyers' transfers it confirmed
        itself (offline payments are taken from its available balance), and the others'
        shares in them are settled from its earnings as they become available."""
        return self.available < 0 and not self.refund_after_withdrawal


def overview(agent, currency: str | None = None, limit: int = 50) -> Overview:
    currency = currency or agent_currency(agent)
    bal = dict(Account.objects.filter(agent=agent, currency=currency).values_list("kind", "balance"))
    rows = list(Earning.objects.filter(agent=agent, currency=currency, state=EarningState.PENDING)
                .order_by("available_at", "pk")[:limit])
    return Overview(currency, bal.get(K.AGENT_EARNINGS_PENDING, Decimal(0)),
                    bal.get(K.AGENT_EARNINGS_AVAILABLE, Decimal(0)), bal.get(K.AGENT_WITHDRAWN, Decimal(0)), rows,
                    list(Withdrawal.objects.filter(agent=agent).order_by("-requested_at")[:20]))


def agent_currency(agent) -> str:
    from django.conf import settings

    cur = Account.objects.filter(agent=agent, kind__in=EARNING_KINDS).values_list("currency", flat=True).first()
    return cur or settings.DEFAULT_CURRENCY


@dataclass
class StatementRow:
    at: datetime
    kind: str
    label: str
    order_ref: str
    memo: str
    amount: Decimal
    balance: Decimal = Decimal(0)


@dataclass
class Statement:
    agent: object
    currency: str
    year: int
    month: int
    opening: Decimal
    closing: Decimal
    rows: list[StatementRow] = field(default_factory=list)


def statement(agent, year: int, month: int, currency: str | None = None) -> Statement:
    """The agent's earnings (pending + available) in one month: opening, every journal
    with its order, closing. Moves between pending and available net to zero and are left out."""
    currency = currency or agent_currency(agent)
    start, end = month_range(year, month)
    accs = list(Account.objects.filter(agent=agent, currency=currency, kind__in=EARNING_KINDS)
                .values_list("pk", flat=True))
    opening = money_of(Entry.objects.filter(account_id__in=accs, created_at__lt=start)
                       .aggregate(s=cents_sum())["s"])
    qs = (Entry.objects.filter(account_id__in=accs, created_at__gte=start, created_at__lt=end)
          .values("journal_id", "journal__kind", "journal__ref_type", "journal__ref_id", "journal__memo",
                  "journal__created_at")
          .annotate(cents=cents_sum()).order_by("journal__created_at", "journal_id"))
    rows, running = [], opening
    for r in qs:
        amount = money_of(r["cents"])
        if not amount:
            continue
        running += amount
        ref = r["journal__ref_id"] if r["journal__ref_type"] == "order" else (
            f"#{r['journal__ref_id']}" if r["journal__ref_type"] == "withdrawal" else "")
        rows.append(StatementRow(r["journal__created_at"], r["journal__kind"], journal_label(r["journal__kind"]),
                                 ref, r["journal__memo"], amount, running))
    return Statement(agent, currency, year, month, opening, running, rows)


def _xlsx(headers: list[str], rows: list[list], title: str) -> bytes:
    from openpyxl import Workbook

    wb = Workbook()
    ws = wb.active
    ws.title = title[:31]
    ws.append(headers)
    for row in rows:
        ws.append(row)
    for col in ws.columns:
        ws.column_dimensions[col[0].column_letter].width = 18
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def statement_xlsx(st: Statement) -> bytes:
    tz = timezone.get_current_timezone()
    rows = [["", _("Opening balance"), "", "", float(st.opening)]]
    for r in st.rows:
        rows.append([timezone.localtime(r.at, tz).strftime("%Y-%m-%d %H:%M"), r.label, r.order_ref, float(r.amount),
                     float(r.balance)])
    rows.append(["", _("Closing balance"), "", "", float(st.closing)])
    return _xlsx([_("Time"), _("Type"), _("Order"), _("Amount") + f" ({st.currency})", _("Balance")], rows,
                 f"{st.year}-{st.month:02d}")


def batch_xlsx(batch) -> bytes:
    rows = [[w.pk, w.agent.name, w.payee_name, w.payee_bank, w.payee_account, float(w.amount), float(w.fee),
             float(w.net), w.currency, w.get_state_display()]
            for w in batch.withdrawals.select_related("agent").order_by("pk")]
    return _xlsx([_("Request"), _("Agent"), _("Account holder"), _("Bank"), _("Account"), _("Amount"), _("Fee"),
                  _("To pay"), _("Currency"), _("State")], rows, f"batch-{batch.pk}")


@dataclass
class MonthTotals:
    year: int
    month: int
    rows: list  # (kind, label, journals, to_agents, to_hq, to_suppliers, reward_cost)
    by_type: dict
    agents_change: Decimal  # from the cached balances
    agents_entries: Decimal  # from the entries by type
    earnings_table: dict  # earning kind -> sum of Earning.amount paid in the month (business records)
    difference: Decimal
    currency: str = ""


def hq_month_totals(year: int, month: int, currency: str | None = None) -> MonthTotals:
    """Totals per entry type for one month, reconciled two ways: the agents' column against
    the change in the agents' cached balances, and new earnings against the Earning records."""
    from django.conf import settings

    currency = currency or settings.DEFAULT_CURRENCY
    start, end = month_range(year, month)
    month_q = Q(created_at__gte=start, created_at__lt=end, account__currency=currency)
    agent_q = Q(account__kind__in=EARNING_KINDS)
    hq_q = Q(account__kind__in=[K.HQ_REVENUE, K.HQ_FEES])
    rew_q = Q(account__kind=K.HQ_REWARD_EXPENSE)
    sup_q = Q(account__kind=K.SUPPLIER_PAYABLE)
    qs = (Entry.objects.filter(month_q).values("journal__kind")
          .annotate(journals=Count("journal_id", distinct=True), agents=cents_sum(filter=agent_q),
                    hq=cents_sum(filter=hq_q), suppliers=cents_sum(filter=sup_q),
                    rewards=cents_sum(filter=rew_q))
          .order_by("journal__kind"))
    rows, by_type = [], {}
    for r in qs:
        a, h, s = money_of(r["agents"]), money_of(r["hq"]), money_of(r["suppliers"])
        rows.append((r["journal__kind"], journal_label(r["journal__kind"]), r["journals"], a, h, s,
                     money_of(r["rewards"])))
        by_type[r["journal__kind"]] = a + h + s
    agents_entries = sum((row[3] for row in rows), Decimal(0))
    agent_accs = Account.objects.filter(kind__in=EARNING_KINDS, currency=currency)
    cached = money_of(agent_accs.aggregate(s=cents_sum("balance"))["s"])
    after = lambda t: money_of(Entry.objects.filter(account__in=agent_accs, created_at__gte=t).aggregate(  # noqa: E731
        s=cents_sum())["s"])
    agents_change = (cached - after(end)) - (cached - after(start))
    table = defaultdict(Decimal)
    for kind, s in (Earning.objects.filter(currency=currency, created_at__gte=start, created_at__lt=end)
                    .values("kind").annotate(s=cents_sum()).values_list("kind", "s")):
        table[kind] = money_of(s)
    diff = abs(agents_entries - agents_change)
    for kind in set(table) | {k.split(":", 1)[1] for k in by_type if k.startswith("earning:")}:
        diff += abs(table.get(kind, Decimal(0)) - by_type.get(f"earning:{kind}", Decimal(0)))
    return MonthTotals(year, month, rows, by_type, agents_change, agents_entries, dict(table), diff, currency)


def totals_xlsx(t: MonthTotals) -> bytes:
    rows = [[label, n, float(a), float(h), float(s), float(rw)] for _k, label, n, a, h, s, rw in t.rows]
    rows.append([_("Difference"), "", float(t.difference), "", "", ""])
    cur = f" ({t.currency})" if t.currency else ""
    return _xlsx([_("Type"), _("Postings"), _("Agents") + cur, _("HQ") + cur, _("Suppliers") + cur,
                  _("Reward cost") + cur], rows,
                 f"{t.year}-{t.month:02d}")


def profile_summary() -> dict:
    from . import services

    prof = services.profile()
    return {"profile": prof, "cap": conf.reward_cap_percent(), "window_days": conf.return_window().days,
            "rules": services.rules_in_force()}


def pending_mismatches() -> list[tuple[int, str, Decimal, Decimal]]:
    """Agents whose pending-earnings account differs from the sum of their pending
    earnings (amount less reversed): (agent id, currency, account balance, earnings)."""
    from django.db.models import F

    from .models import Earning, EarningState

    sums = {(a, c): money_of(s) for a, c, s in
            Earning.objects.filter(state=EarningState.PENDING, agent__isnull=False)
            .values("agent_id", "currency").annotate(s=cents_sum(F("amount") - F("reversed")))
            .values_list("agent_id", "currency", "s")}
    out = []
    for agent_id, currency, balance in Account.objects.filter(kind=K.AGENT_EARNINGS_PENDING).values_list(
            "agent_id", "currency", "balance"):
        expected = sums.pop((agent_id, currency), Decimal(0))
        if balance.quantize(Decimal("0.01")) != expected:
            out.append((agent_id, currency, balance, expected))
    out += [(a, c, Decimal(0), s) for (a, c), s in sums.items() if s]
    return out
