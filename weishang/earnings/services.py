"""Earnings writes: rules, settling paid lines into the ledger, release of pending money,
refunds (with clawback) and withdrawals. Every money movement goes through
weishang.ledger.services (post / post_many), idempotent by key."""

from __future__ import annotations

import uuid
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from decimal import Decimal

from django.db import IntegrityError, transaction
from django.db.models import F, Max, Sum
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.accounts.roles import check_hq
from weishang.agents.models import Agent
from weishang.core.errors import Conflict, DomainError, NotFound, PermissionDenied
from weishang.core.money import CURRENCY_DECIMALS, MoneyError, format_money, parse_amount
from weishang.ledger import services as ledger
from weishang.ledger.models import Account, AccountKind, Entry, Journal, JournalKind
from weishang.ledger.selectors import cents_sum, money_of

from . import conf
from . import rules as R
from .models import (
    BuyBack,
    Earning,
    EarningLine,
    EarningRefund,
    EarningState,
    PayoutBatch,
    RuleVersion,
    Withdrawal,
    WithdrawalState,
)

K = AccountKind


class RuleRefused(DomainError):
    code = "rule_refused"


class RefundError(DomainError):
    code = "refund_invalid"


class WithdrawalError(DomainError):
    code = "withdrawal_invalid"


def _money(value, currency: str, field: str = "amount") -> Decimal:
    try:
        return parse_amount(value, currency)
    except MoneyError as exc:
        raise DomainError(str(exc), code="invalid_amount", fields={field: [str(exc)]}) from None


# ----------------------------------------------------------------------------- rules
def profile() -> R.Profile:
    return R.get_profile(conf.profile_code())


def check_rule(*, kind: str, rates: str = "", depth: int = 0, enabled: bool = True) -> R.RuleSpec:
    """Parse and validate a rule against the active profile; raise RuleRefused naming the limit."""
    try:
        spec = R.RuleSpec(kind=kind, rates=R.parse_rates(rates), depth=int(depth or 0), enabled=enabled)
        R.validate_rule(spec, profile(), conf.reward_cap_percent())
    except R.RuleError as exc:
        raise RuleRefused(exc.message, fields={exc.field: [exc.message]}) from None
    return spec


@transaction.atomic
def save_rule(*, kind: str, rates: str = "", depth: int = 0, enabled: bool = True, note: str = "",
              by=None) -> RuleVersion:
    """Create the next version of a rule. Past versions (and the earnings that froze them) never change."""
    spec = check_rule(kind=kind, rates=rates, depth=depth, enabled=enabled)
    last = RuleVersion.objects.select_for_update().filter(kind=kind).aggregate(v=Max("version"))["v"] or 0
    canonical = ",".join(format(r.normalize(), "f") for r in spec.rates)
    try:
        with transaction.atomic():
            return RuleVersion.objects.create(kind=kind, version=last + 1, rates=canonical, depth=spec.depth,
                                              enabled=enabled, note=note, created_by=by)
    except IntegrityError:
        raise Conflict(_("Someone else changed this rule at the same moment; please try again.")) from None


def rules_in_force(at: datetime | None = None) -> dict[str, RuleVersion]:
    """The latest version of each rule created at or before `at` (now by default)."""
    qs = RuleVersion.objects.all()
    if at is not None:
        qs = qs.filter(created_at__lte=at)
    out: dict[str, RuleVersion] = {}
    for rv in qs.order_by("kind", "-version"):
        out.setdefault(rv.kind, rv)
    return out


# ----------------------------------------------------------------------------- accounts
def accounts_for(specs: Iterable[tuple[str, str, int | None, int | None]]) -> dict[str, Account]:
    """Get or create many accounts at once: (kind, currency, agent_id, supplier_id) -> Account by key."""
    wanted = {Account.make_key(k, c, a, s): (k, c, a, s) for k, c, a, s in specs}
    found = {acc.key: acc for acc in Account.objects.filter(key__in=list(wanted))}
    missing = [Account(key=key, kind=k, currency=c, agent_id=a, supplier_id=s)
               for key, (k, c, a, s) in wanted.items() if key not in found]
    if missing:
        Account.objects.bulk_create(missing, ignore_conflicts=True)
        found.update({acc.key: acc for acc in Account.objects.filter(key__in=[m.key for m in missing])})
    return found


# ----------------------------------------------------------------------------- settle paid lines
def agent_nodes(ids: Iterable[int], depth: int) -> dict[int, R.AgentNode]:
    """The agents and their recruiter chains up to `depth` generations (one query per generation)."""
    nodes: dict[int, R.AgentNode] = {}
    todo = {i for i in ids if i}
    for _gen in range(depth + 1):
        todo -= set(nodes)
        if not todo:
            break
        rows = Agent.objects.filter(pk__in=todo).values_list("pk", "level__rank", "recruiter_id")
        for pk, rank, rec in rows:
            nodes[pk] = R.AgentNode(pk, rank, rec)
        todo = {rec for _pk, _rank, rec in rows if rec}
    return nodes


def earning_key(line_ref: str, alloc: R.Allocation, version: int) -> str:
    return f"earn:{line_ref}:{alloc.beneficiary}:{alloc.kind}:v{version}"


def settle_lines(lines: Sequence[R.PaidLine], *, paid_at: datetime | None = None,
                 agents: Mapping[int, R.AgentNode] | None = None,
                 rules: Mapping[str, RuleVersion] | None = None, batch_size: int = 2000) -> int:
    """Post the earnings of paid order lines: recorded shares out of payment clearing, and
    brand-funded rewards, all pending for agents until the return window closes.
    Idempotent: a line already settled (same key per line, beneficiary, kind and rule
    version) posts nothing. Returns the number of earnings created."""
    if not lines:
        return 0
    paid_at = paid_at or timezone.now()
    prof = profile()
    cap = conf.reward_cap_percent()
    rules = rules if rules is not None else rules_in_force(paid_at)
    specs = {k: rv.spec() for k, rv in rules.items()}
    if agents is None:
        agents = agent_nodes({i for ln in lines for i in (ln.origin_id, ln.sharer_id) if i}, prof.max_depth)

    plans: list[tuple[R.PaidLine, list[R.Allocation]]] = []
    seen: set[str] = set()
    for ln in lines:
        if ln.ref in seen:  # the same line twice in one call counts once
            continue
        seen.add(ln.ref)
        try:
            allocs = R.compute_line(ln, specs, prof, cap, agents)
        except R.RuleError as exc:
            raise DomainError(exc.message, code="invalid_line", fields={exc.field: [exc.message]}) from None
        merged: dict[tuple[str, str], R.Allocation] = {}
        for a in allocs:
            k = (a.beneficiary, a.kind)
            if k in merged:
                m = merged[k]
                a = R.Allocation(a.kind, m.amount + a.amount, a.funding, a.agent_id, a.supplier_id,
                                 max(a.distance, m.distance))
            merged[k] = a
        plans.append((ln, list(merged.values())))

    acc_specs: set[tuple[str, str, int | None, int | None]] = set()
    for ln, allocs in plans:
        acc_specs.add((K.PAYMENT_CLEARING, ln.currency, None, None))
        acc_specs.add((K.HQ_REWARD_EXPENSE, ln.currency, None, None))
        for a in allocs:
            if a.agent_id:
                acc_specs.add((K.AGENT_EARNINGS_PENDING, ln.currency, a.agent_id, None))
                acc_specs.add((K.AGENT_EARNINGS_AVAILABLE, ln.currency, a.agent_id, None))
            elif a.supplier_id:
                acc_specs.add((K.SUPPLIER_PAYABLE, ln.currency, None, a.supplier_id))
            else:
                acc_specs.add((K.HQ_REVENUE, ln.currency, None, None))
    accs = accounts_for(acc_specs)

    def credit_account(a: R.Allocation, cur: str) -> Account:
        if a.agent_id:
            return accs[Account.make_key(K.AGENT_EARNINGS_PENDING, cur, a.agent_id)]
        if a.supplier_id:
            return accs[Account.make_key(K.SUPPLIER_PAYABLE, cur, supplier_id=a.supplier_id)]
        return accs[Account.make_key(K.HQ_REVENUE, cur)]

    try:
        return _insert_settlement(plans, rules, accs, credit_account, prof, cap, paid_at, batch_size)
    except IntegrityError:
        # A concurrent confirmation of the same payment settled these lines first (their
        # keys are unique): nothing is posted twice, and this call has nothing to add.
        if EarningLine.objects.filter(ref__in=[ln.ref for ln, _a in plans]).count() == len(plans):
            return 0
        raise


def _insert_settlement(plans, rules, accs, credit_account, prof, cap, paid_at, batch_size) -> int:
    with transaction.atomic():
        refs = [ln.ref for ln, _a in plans]
        known: set[str] = set()
        for i in range(0, len(refs), 5000):
            known.update(EarningLine.objects.filter(ref__in=refs[i:i + 5000]).values_list("ref", flat=True))
        fresh = [(ln, allocs) for ln, allocs in plans if ln.ref not in known]
        at = ledger.db_datetime(paid_at)
        ledger.insert_rows(EarningLine, ["ref", "order_ref", "kind", "currency", "paid", "refunded", "origin",
                                         "profile", "cap_percent", "paid_at"],
                           [(ln.ref, ln.order_ref, ln.kind, ln.currency, ln.paid, Decimal(0), ln.origin_id, prof.code,
                             cap, at) for ln, _a in fresh], batch_size=batch_size)
        line_ids = ledger.ids_by(EarningLine, "ref", [ln.ref for ln, _a in fresh])
        postings: list[ledger.Posting] = []
        rows: list[list] = []
        for ln, allocs in fresh:
            for a in allocs:
                rv = rules.get(a.kind)
                version = rv.version if rv is not None and a.kind not in (R.RuleKind.HQ_REVENUE,
                                                                          R.RuleKind.SUPPLIER) else 0
                key = earning_key(ln.ref, a, version)
                credit = credit_account(a, ln.currency)
                debit = accs[Account.make_key(K.PAYMENT_CLEARING if a.funding == "clearing"
                                              else K.HQ_REWARD_EXPENSE, ln.currency)]
                postings.append(ledger.Posting(key=key, kind=f"earning:{a.kind}", currency=ln.currency,
                                               lines=((debit.pk, -a.amount), (credit.pk, a.amount)),
                                               memo=ln.ref, ref_type="order", ref_id=ln.order_ref))
                rows.append([key, line_ids[ln.ref], ln.order_ref, a.kind, a.agent_id, a.supplier_id,
                             rv.pk if rv is not None and version else None, a.distance, a.funding, ln.currency,
                             a.amount, Decimal(0), EarningState.PENDING if a.agent_id else EarningState.AVAILABLE, credit.pk, debit.pk,
                             None, False, None if a.agent_id else at, at])
        journals = ledger.post_many(postings, batch_size=batch_size)
        for row in rows:
            row.append(journals[row[0]])
        ledger.insert_rows(Earning, ["key", "line", "order_ref", "kind", "agent", "supplier", "rule_version",
                                     "distance", "funding", "currency", "amount", "reversed", "state",
                                     "credit_account", "debit_account", "available_at", "hold", "released_at",
                                     "created_at", "journal"], [tuple(r) for r in rows], batch_size=batch_size)
        return len(rows)


# ----------------------------------------------------------------------------- pending -> available
def mark_received(order_ref: str, received_at: datetime | None = None) -> int:
    """The buyer has the goods: the return window starts. Returns earnings dated."""
    received_at = received_at or timezone.now()
    return Earning.objects.filter(order_ref=order_ref, state=EarningState.PENDING).update(
        available_at=received_at + conf.return_window())


def set_refund_hold(order_ref: str, open_: bool) -> int:
    """An open refund request keeps the order's earnings pending whatever the date."""
    return Earning.objects.filter(order_ref=order_ref, state=EarningState.PENDING).update(hold=open_)


def release_due(now: datetime | None = None, *, order_ref: str | None = None) -> int:
    """Move every pending earning whose return window has closed (and has no open refund)
    to available. Set-based: one UPDATE marks the rows, one GROUP BY sums them per agent,
    one journal per currency moves the sums, one UPDATE adjusts the cached balances.
    Re-running finds nothing (the rows are no longer pending). Returns earnings released."""
    now = now or timezone.now()
    released = 0
    for currency in CURRENCY_DECIMALS:
        qs = Earning.objects.filter(state=EarningState.PENDING, available_at__lte=now, hold=False,
                                    currency=currency)
        if order_ref is not None:
            qs = qs.filter(order_ref=order_ref)
        if not qs.exists():
            continue
        with transaction.atomic():
            journal = Journal.objects.create(key=f"release:{now:%Y%m%dT%H%M%S}:{currency}:{uuid.uuid4().hex[:12]}",
                                             kind=JournalKind.EARNINGS_RELEASE, currency=currency,
                                             ref_type="release")
            count = qs.update(state=EarningState.AVAILABLE, released_at=now, release_journal=journal)
            if not count:
                journal.delete()
                continue
            sums = list(Earning.objects.filter(release_journal=journal).values("agent_id", "credit_account_id")
                        .annotate(s=cents_sum(F("amount") - F("reversed")))
                        .values_list("agent_id", "credit_account_id", "s"))
            available = dict(Account.objects.filter(kind=K.AGENT_EARNINGS_AVAILABLE, currency=currency,
                                                    agent_id__in=[a for a, _c, _s in sums])
                             .values_list("agent_id", "pk"))
            entries = []
            for agent_id, pending_id, cents in sums:
                s = money_of(cents)
                if s:
                    entries += [Entry(journal=journal, account_id=pending_id, amount=-s),
                                Entry(journal=journal, account_id=available[agent_id], amount=s)]
            Entry.objects.bulk_create(entries, batch_size=2000)
            ledger.apply_journal_to_balances(journal.pk)
            released += count
    return released


def complete_order(order_ref: str, now: datetime | None = None) -> int:
    """The orders side says the return window closed with nothing open: release now."""
    now = now or timezone.now()
    Earning.objects.filter(order_ref=order_ref, state=EarningState.PENDING).filter(
        available_at__isnull=True).update(available_at=now)
    Earning.objects.filter(order_ref=order_ref, state=EarningState.PENDING, available_at__gt=now).update(
        available_at=now)
    return release_due(now, order_ref=order_ref)


# ----------------------------------------------------------------------------- refunds
def _reverse_account(e: Earning) -> int:
    if e.agent_id and e.state == EarningState.AVAILABLE:
        return Account.objects.values_list("pk", flat=True).get(
            key=Account.make_key(K.AGENT_EARNINGS_AVAILABLE, e.currency, e.agent_id))
    return e.credit_account_id


def refund_line(line_ref: str, amount, *, key: str, by=None) -> list[Decimal]:
    """Reverse the earnings of one line in proportion to `amount` refunded (see
    rules.plan_refund for the rounding rule). Money an agent already withdrew makes its
    available balance negative; later earnings fill it back. Idempotent by `key`."""
    with transaction.atomic():
        line = EarningLine.objects.select_for_update().filter(ref=line_ref).first()
        if line is None:
            raise NotFound(_("This order line has no earnings."))
        amount = _money(amount, line.currency)
        rkey = f"{key}:{line.ref}"
        if EarningRefund.objects.filter(key=rkey).exists():
            return []
        remaining_paid = line.paid - line.refunded
        if amount > remaining_paid:
            raise RefundError(_("The refund (%(a)s) is more than what remains paid on the line (%(r)s).")
                              % {"a": amount, "r": remaining_paid}, fields={"amount": [_("Too much.")]})
        if amount == 0:
            return []
        earnings = list(Earning.objects.select_for_update().filter(line=line).order_by("pk"))
        cur = line.currency
        plan = R.plan_refund([R.Reversible(e.funding, R.to_units(e.net, cur)) for e in earnings],
                             R.to_units(remaining_paid, cur), R.to_units(amount, cur))
        postings, out = [], []
        for e, units in zip(earnings, plan, strict=True):
            back = R.from_units(units, cur)
            out.append(back)
            if not back:
                continue
            postings.append(ledger.Posting(key=f"rev:{e.pk}:{rkey}", kind=f"reversal:{e.kind}", currency=cur,
                                           lines=((_reverse_account(e), -back), (e.debit_account_id, back)),
                                           memo=line.ref, ref_type="order", ref_id=line.order_ref))
            e.reversed += back
            if e.reversed == e.amount and e.state == EarningState.PENDING:
                e.state = EarningState.REVERSED
        ledger.post_many(postings, created_by=by)
        Earning.objects.bulk_update(earnings, ["reversed", "state"])
        EarningLine.objects.filter(pk=line.pk).update(refunded=F("refunded") + amount)
        EarningRefund.objects.create(key=rkey, line=line, amount=amount)
        return out


def refund_order(order_ref: str, *, key: str, amount=None, line_amounts: Mapping[str, object] | None = None,
                 by=None) -> Decimal:
    """Refund an order: per-line amounts if given, else `amount` spread over the lines in
    proportion to what each still holds (largest remainder), else everything that remains
    (a full refund or a cancellation after payment). Returns the total refunded."""
    with transaction.atomic():
        lines = list(EarningLine.objects.select_for_update().filter(order_ref=order_ref).order_by("pk"))
        if not lines:
            return Decimal(0)
        cur = lines[0].currency
        if line_amounts is not None:
            per = {ln.ref: _money(line_amounts.get(ln.ref, 0), cur) for ln in lines}
            unknown = set(line_amounts) - set(per)
            if unknown:
                raise RefundError(_("Unknown order line %(l)s.") % {"l": ", ".join(sorted(unknown))})
        else:
            rem = [R.to_units(ln.paid - ln.refunded, cur) for ln in lines]
            total = sum(rem) if amount is None else R.to_units(_money(amount, cur), cur)
            if total > sum(rem):
                raise RefundError(_("The refund is more than what remains paid on the order."),
                                  fields={"amount": [_("Too much.")]})
            per = {ln.ref: R.from_units(u, cur) for ln, u in zip(lines, R.split_order_refund(rem, total), strict=True)}
        for ln in lines:
            refund_line(ln.ref, per[ln.ref], key=key, by=by)
        return sum(per.values(), Decimal(0))


# ----------------------------------------------------------------------------- withdrawals
def available_balance(agent_id: int, currency: str) -> Decimal:
    acc = Account.objects.filter(key=Account.make_key(K.AGENT_EARNINGS_AVAILABLE, currency, agent_id)).first()
    return acc.balance if acc else Decimal(0)


def request_withdrawal(*, agent: Agent, amount, currency: str, payee_name: str, payee_account: str,
                       payee_bank: str = "", idempotency_key: str = "") -> Withdrawal:
    """Hold `amount` of the agent's available earnings for payout. The hold is a guarded
    ledger debit (conditional UPDATE), so concurrent requests can never exceed the balance."""
    amount = _money(amount, currency)
    minimum = conf.withdrawal_minimum(currency)
    if amount < minimum:
        raise WithdrawalError(_("The minimum withdrawal is %(m)s.") % {"m": minimum},
                              fields={"amount": [_("Below the minimum.")]})
    if not payee_name.strip() or not payee_account.strip():
        raise WithdrawalError(_("Enter the account holder and account number."),
                              fields={"payee_account": [_("Required.")]})
    if idempotency_key:
        prior = Withdrawal.objects.filter(agent=agent, idempotency_key=idempotency_key).first()
        if prior is not None:
            return prior
    fee = R.withdrawal_fee(amount, currency, conf.withdrawal_fee_percent(), conf.withdrawal_fee_minimum(currency))
    accs = accounts_for([(K.AGENT_EARNINGS_AVAILABLE, currency, agent.pk, None),
                         (K.WITHDRAWAL_CLEARING, currency, None, None)])
    avail = accs[Account.make_key(K.AGENT_EARNINGS_AVAILABLE, currency, agent.pk)]
    clearing = accs[Account.make_key(K.WITHDRAWAL_CLEARING, currency)]
    try:
        with transaction.atomic():
            w = Withdrawal.objects.create(agent=agent, currency=currency, amount=amount, fee=fee,
                                          payee_name=payee_name.strip(), payee_account=payee_account.strip(),
                                          payee_bank=payee_bank.strip(), idempotency_key=idempotency_key)
            ledger.post(key=f"wd:{w.pk}", kind=JournalKind.WITHDRAWAL, currency=currency,
                        lines=[(avail, -amount), (clearing, amount)],
                        ref_type="withdrawal", ref_id=str(w.pk), created_by=agent.user, no_negative=[avail])
    except ledger.InsufficientBalance:
        message = _("You can withdraw at most %(a)s.") % {"a": format_money(available_balance(agent.pk, currency), currency)}
        raise WithdrawalError(message, code="insufficient_balance", fields={"amount": [message]},
                              status=409) from None
    except IntegrityError:
        return Withdrawal.objects.get(agent=agent, idempotency_key=idempotency_key)
    return w


def _finance(user) -> None:
    check_hq(user, "earnings.pay_withdrawal", _("Only finance staff can decide withdrawals."))


def _decide(withdrawal_id: int, by, frm: str, to: str, **extra) -> Withdrawal:
    _finance(by)
    w = Withdrawal.objects.select_related("agent").filter(pk=withdrawal_id).first()
    if w is None:
        raise NotFound()
    if w.agent.user_id == by.pk:
        raise PermissionDenied(_("You cannot decide your own withdrawal."), code="own_withdrawal")
    if Withdrawal.objects.filter(pk=w.pk, state=frm).update(state=to, **extra) != 1:
        raise Conflict(_("This withdrawal is %(s)s; it cannot become %(t)s.")
                       % {"s": Withdrawal.objects.get(pk=w.pk).get_state_display(),
                          "t": WithdrawalState(to).label})
    w.refresh_from_db()
    return w


@transaction.atomic
def approve_withdrawal(withdrawal_id: int, *, by) -> Withdrawal:
    return _decide(withdrawal_id, by, WithdrawalState.REQUESTED, WithdrawalState.APPROVED, decided_by=by,
                   decided_at=timezone.now())


@transaction.atomic
def reject_withdrawal(withdrawal_id: int, *, by, reason: str) -> Withdrawal:
    if not (reason or "").strip():
        raise WithdrawalError(_("Give a reason for the rejection."), fields={"reason": [_("Required.")]})
    w = _decide(withdrawal_id, by, WithdrawalState.REQUESTED, WithdrawalState.REJECTED, decided_by=by,
                decided_at=timezone.now(), reason=reason.strip()[:200])
    accs = accounts_for([(K.AGENT_EARNINGS_AVAILABLE, w.currency, w.agent_id, None),
                         (K.WITHDRAWAL_CLEARING, w.currency, None, None)])
    ledger.post(key=f"wd-reject:{w.pk}", kind=JournalKind.WITHDRAWAL_REJECTED, currency=w.currency,
                lines=[(accs[Account.make_key(K.WITHDRAWAL_CLEARING, w.currency)], -w.amount),
                       (accs[Account.make_key(K.AGENT_EARNINGS_AVAILABLE, w.currency, w.agent_id)], w.amount)],
                memo=reason[:200], ref_type="withdrawal", ref_id=str(w.pk), created_by=by)
    return w


@transaction.atomic
def create_batch(*, by, currency: str) -> PayoutBatch:
    """Put every approved, unbatched withdrawal in one payment batch (for the Excel export)."""
    _finance(by)
    batch = PayoutBatch.objects.create(currency=currency, created_by=by)
    n = Withdrawal.objects.filter(state=WithdrawalState.APPROVED, batch__isnull=True, currency=currency) \
        .update(batch=batch)
    if not n:
        raise WithdrawalError(_("There are no approved withdrawals to pay."), code="empty_batch")
    return batch


@transaction.atomic
def mark_paid(withdrawal_id: int, *, by) -> Withdrawal:
    """The money left the bank: pay out once (a conditional state change and a keyed journal)."""
    w = _decide(withdrawal_id, by, WithdrawalState.APPROVED, WithdrawalState.PAID, paid_by=by,
                paid_at=timezone.now())
    accs = accounts_for([(K.WITHDRAWAL_CLEARING, w.currency, None, None),
                         (K.AGENT_WITHDRAWN, w.currency, w.agent_id, None), (K.HQ_FEES, w.currency, None, None)])
    lines = [(accs[Account.make_key(K.WITHDRAWAL_CLEARING, w.currency)], -w.amount),
             (accs[Account.make_key(K.AGENT_WITHDRAWN, w.currency, w.agent_id)], w.net)]
    if w.fee:
        lines.append((accs[Account.make_key(K.HQ_FEES, w.currency)], w.fee))
    ledger.post(key=f"wd-paid:{w.pk}", kind=JournalKind.WITHDRAWAL_PAID, currency=w.currency, lines=lines,
                ref_type="withdrawal", ref_id=str(w.pk), created_by=by)
    return w


def mark_batch_paid(batch_id: int, *, by) -> int:
    ids = list(Withdrawal.objects.filter(batch_id=batch_id, state=WithdrawalState.APPROVED).values_list("pk",
                                                                                                         flat=True))
    for pk in ids:
        mark_paid(pk, by=by)
    return len(ids)


# ----------------------------------------------------------------------------- tw buy-back
def buyback_quote(agent: Agent, sku_id: int, quantity: int) -> Decimal:
    """What HQ owes (tw profile) for `quantity` unsold units the agent returns: each unit
    valued at what the agent paid for it, latest purchases first, times the profile's
    buy-back rate (90%). Refuses more units than the agent ever bought."""
    from weishang.orders.models import OrderKind, OrderLine, OrderStatus

    prof = profile()
    if prof.buyback_rate is None:
        raise DomainError(_("The %(p)s profile has no buy-back duty.") % {"p": prof.code}, code="no_buyback")
    if quantity <= 0:
        raise DomainError(_("Enter a positive quantity."), fields={"quantity": [_("Enter a positive quantity.")]})
    lines = (OrderLine.objects.filter(order__kind=OrderKind.RESTOCK, order__buyer_agent=agent, sku_id=sku_id,
                                      order__status__in=[OrderStatus.PAID, OrderStatus.RECEIVED,
                                                         OrderStatus.COMPLETED])
             .order_by("-order__paid_at", "-pk").values_list("unit_price", "quantity", "refunded_quantity",
                                                             "order__currency"))
    # Units already bought back were valued at the latest purchases: skip those first.
    skip = BuyBack.objects.filter(agent=agent, sku_id=sku_id).aggregate(n=Sum("quantity"))["n"] or 0
    left, total = quantity, Decimal(0)
    for price, qty, refunded, cur in lines:
        qty -= refunded  # units returned with a refund were never kept
        used = min(skip, qty)
        skip -= used
        take = min(left, qty - used)
        if take <= 0:
            continue
        total += R.buyback_amount(price, take, prof, cur)
        left -= take
        if not left:
            break
    if left:
        raise DomainError(_("The agent bought only %(n)d of these units.") % {"n": quantity - left},
                          code="buyback_too_many", fields={"quantity": [_("Too many.")]})
    return total


def buy_back(*, agent: Agent, sku_id: int, quantity: int, by, reason: str, key: str = "") -> BuyBack:
    """tw profile: HQ buys back `quantity` unsold units of the agent's cloud stock, in one
    transaction: the units leave the agent's cloud stock (return out) into HQ's stock
    (return in), and HQ pays the agent buyback_quote() (90% of what it paid) into its
    available earnings (withdrawable), journal `buyback:<id>` from HQ_BUYBACK. Finance or
    admin staff only; idempotent by `key`; units reserved for an open order cannot go."""
    from weishang.catalog.models import SKU
    from weishang.inventory import services as stock
    from weishang.inventory.models import MovementKind

    _finance(by)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Give the reason for the buy-back."), code="reason_required",
                          fields={"reason": [_("Required.")]})
    if key:
        prior = BuyBack.objects.filter(key=key).first()
        if prior is not None:
            return prior
    sku = SKU.objects.filter(pk=sku_id).first()
    if sku is None:
        raise NotFound(_("Unknown SKU."))
    with transaction.atomic():
        Agent.objects.select_for_update(no_key=True).filter(pk=agent.pk).first()  # one buy-back of an agent at a time
        amount = buyback_quote(agent, sku.pk, quantity)
        bb = BuyBack.objects.create(key=key or f"bb:{uuid.uuid4().hex}", agent=agent, sku=sku, quantity=quantity,
                                    currency=sku.currency, amount=amount, reason=reason[:200], created_by=by)
        ref = {"ref_type": "buyback", "ref_id": str(bb.pk), "user": by, "reason": reason}
        try:
            stock.move(agent.pk, [(sku.pk, -quantity)], kind=MovementKind.RETURN_OUT, **ref)
        except stock.OutOfStock:
            raise DomainError(_("The agent's cloud stock does not hold %(n)d free units of this item.")
                              % {"n": quantity}, code="buyback_not_in_stock", status=409,
                              fields={"quantity": [_("Too many.")]}) from None
        stock.move(None, [(sku.pk, quantity)], kind=MovementKind.RETURN_IN, **ref)
        accs = accounts_for([(K.HQ_BUYBACK, sku.currency, None, None),
                             (K.AGENT_EARNINGS_AVAILABLE, sku.currency, agent.pk, None)])
        ledger.post(key=f"buyback:{bb.pk}", kind=JournalKind.BUYBACK, currency=sku.currency,
                    lines=[(accs[Account.make_key(K.HQ_BUYBACK, sku.currency)], -amount),
                           (accs[Account.make_key(K.AGENT_EARNINGS_AVAILABLE, sku.currency, agent.pk)], amount)],
                    memo=f"{quantity} × {sku.code}", ref_type="buyback", ref_id=str(bb.pk), created_by=by)
        return bb
