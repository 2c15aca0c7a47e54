"""Level rules as pure functions (no database): upgrade rules and their evaluation, progress
toward the next level, and the level price table's validation.

Upgrade rules count purchase volume only. A rule that counts people recruited (拉人头) is
pyramid selling and cannot be expressed: payloads that carry such a criterion are refused
by name (see HEADCOUNT_KEYS and docs/decisions.md)."""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.utils.translation import gettext as _

from weishang.core.errors import DomainError
from weishang.core.money import MoneyError, format_money, parse_amount

# --- upgrade rules ------------------------------------------------------------------------

RULE_FIELDS = ("upgrade_single_purchase", "upgrade_cumulative_amount", "upgrade_period_days",
               "upgrade_needs_approval", "first_purchase_amount")
# Words that mean "count the people recruited"; any payload key containing one is refused.
_HEADCOUNT_WORDS = ("headcount", "head_count", "recruit", "referral", "invite", "downline", "team_size",
                    "team_count", "member", "people", "person", "direct_count", "subordinate", "人头", "人数",
                    "下级", "下线", "团队人", "推荐人", "邀请")
# Words that mean "a fee for joining" (入门费): also refused.
_FEE_WORDS = ("entry_fee", "joining_fee", "join_fee", "membership_fee", "fee", "入门费", "加盟费", "会费", "會費")


def _norm_key(key: object) -> str:
    return re.sub(r"[\s\-]+", "_", str(key).strip().lower())


def is_headcount_key(key: object) -> bool:
    k = _norm_key(key)
    return any(w in k for w in _HEADCOUNT_WORDS)


def is_fee_key(key: object) -> bool:
    k = _norm_key(key)
    return any(w in k for w in _FEE_WORDS)


def refuse_forbidden_criteria(keys: Iterable[object]) -> None:
    """Refuse a rule payload (API body, import columns) that counts recruits or charges a fee."""
    keys = list(keys)
    headcount = [str(k) for k in keys if is_headcount_key(k) and not is_fee_key(k)]
    if headcount:
        msg = _("Upgrade rules cannot count people recruited (%(keys)s): that is 拉人头, pyramid selling. "
                "Levels are reached by purchase volume only.") % {"keys": ", ".join(headcount)}
        raise DomainError(msg, code="headcount_rule", fields={k: [msg] for k in headcount})
    fees = [str(k) for k in keys if is_fee_key(k)]
    if fees:
        msg = _("A level cannot charge an entry fee (%(keys)s): that is 入门费, pyramid selling. A level may "
                "require a first stock purchase, which is a purchase of goods.") % {"keys": ", ".join(fees)}
        raise DomainError(msg, code="entry_fee", fields={k: [msg] for k in fees})


def rule_errors(*, single: Decimal | None, cumulative: Decimal | None, period_days: int | None,
                first_purchase: Decimal | None, currency: str) -> dict[str, list[str]]:
    """Field errors of one level's upgrade rule (empty dict: valid)."""
    errors: dict[str, list[str]] = {}
    for name, value in (("upgrade_single_purchase", single), ("upgrade_cumulative_amount", cumulative),
                        ("first_purchase_amount", first_purchase)):
        if value is None:
            continue
        try:
            amount = parse_amount(value, currency)
        except MoneyError as exc:
            errors.setdefault(name, []).append(str(exc))
            continue
        if amount <= 0:
            errors.setdefault(name, []).append(_("Enter an amount above zero, or leave it empty."))
    if cumulative is not None and not period_days:
        errors.setdefault("upgrade_period_days", []).append(
            _("A cumulative amount needs a period: enter the number of days."))
    if period_days and cumulative is None:
        errors.setdefault("upgrade_cumulative_amount", []).append(
            _("A period needs a cumulative amount to reach within it."))
    if period_days is not None and period_days < 1:
        errors.setdefault("upgrade_period_days", []).append(_("The period is at least one day."))
    return errors


def parse_rule_payload(payload: Mapping[str, Any], currency: str) -> dict[str, Any]:
    """Clean values for a level's upgrade rule from an API body or an import row. Unknown
    keys are refused; head-count and entry-fee criteria are refused by name first."""
    refuse_forbidden_criteria(payload.keys())
    unknown = [k for k in payload if k not in RULE_FIELDS]
    if unknown:
        msg = _("Unknown rule fields: %(keys)s.") % {"keys": ", ".join(map(str, unknown))}
        raise DomainError(msg, code="unknown_rule_field", fields={k: [msg] for k in unknown})
    out: dict[str, Any] = {}
    fields: dict[str, list[str]] = {}
    for name in ("upgrade_single_purchase", "upgrade_cumulative_amount", "first_purchase_amount"):
        raw = payload.get(name)
        if raw in (None, ""):
            out[name] = None
            continue
        try:
            out[name] = parse_amount(raw, currency)
        except MoneyError as exc:
            fields[name] = [str(exc)]
    raw_days = payload.get("upgrade_period_days")
    try:
        out["upgrade_period_days"] = None if raw_days in (None, "") else int(str(raw_days).strip())
    except ValueError:
        fields["upgrade_period_days"] = [_("Enter a whole number of days.")]
    raw_flag = payload.get("upgrade_needs_approval", False)
    out["upgrade_needs_approval"] = raw_flag if isinstance(raw_flag, bool) else \
        str(raw_flag).strip().lower() in ("1", "true", "yes", "y", "是", "x", "✓")
    if not fields:
        fields = rule_errors(single=out["upgrade_single_purchase"], cumulative=out["upgrade_cumulative_amount"],
                             period_days=out["upgrade_period_days"], first_purchase=out["first_purchase_amount"],
                             currency=currency)
    if fields:
        raise DomainError(next(iter(fields.values()))[0], code="invalid_rule", fields=fields)
    return out


@dataclass(frozen=True)
class UpgradeRule:
    """How to reach one level. rank 1 is the highest level."""

    level_id: int | None
    rank: int
    single: Decimal | None = None
    cumulative: Decimal | None = None
    period_days: int | None = None
    needs_approval: bool = False

    @property
    def is_reachable(self) -> bool:
        return self.single is not None or (self.cumulative is not None and bool(self.period_days))


def period_bounds(anchor: datetime, days: int, at: datetime) -> tuple[datetime, datetime]:
    """The period of `days` days containing `at`; periods run back to back from `anchor`."""
    length = timedelta(days=days)
    k = (at - anchor) // length
    start = anchor + k * length
    return start, start + length


def period_total(purchases: Iterable[tuple[datetime, Decimal]], start: datetime, end: datetime) -> Decimal:
    return sum((amount for when, amount in purchases if start <= when < end), Decimal(0))


@dataclass(frozen=True)
class Met:
    rule: UpgradeRule
    trigger: str  # "single" | "cumulative"
    amount: Decimal
    period: tuple[datetime, datetime] | None = None


@dataclass(frozen=True)
class Decision:
    """What one purchase leads to: an automatic upgrade, a request for HQ, both or neither."""

    automatic: Met | None = None
    request: Met | None = None


def met_rule(rule: UpgradeRule, *, amount: Decimal, at: datetime, purchases: Sequence[tuple[datetime, Decimal]],
             anchor: datetime) -> Met | None:
    """Whether this purchase (of `amount` at `at`; `purchases` includes it) meets the rule."""
    if rule.single is not None and amount >= rule.single:
        return Met(rule, "single", amount)
    if rule.cumulative is not None and rule.period_days:
        start, end = period_bounds(anchor, rule.period_days, at)
        total = period_total(purchases, start, end)
        if total >= rule.cumulative:
            return Met(rule, "cumulative", total, (start, end))
    return None


def evaluate(rules: Iterable[UpgradeRule], *, current_rank: int, amount: Decimal, at: datetime,
             purchases: Sequence[tuple[datetime, Decimal]], anchor: datetime) -> Decision:
    """The highest automatic level the agent now reaches, and the highest level needing HQ
    approval if it is above that. Only levels above the current one count: never a downgrade."""
    higher = sorted((r for r in rules if r.rank < current_rank and r.is_reachable), key=lambda r: r.rank)
    met = [m for m in (met_rule(r, amount=amount, at=at, purchases=purchases, anchor=anchor) for r in higher) if m]
    automatic = next((m for m in met if not m.rule.needs_approval), None)
    best = met[0] if met else None
    request = best if best is not None and best.rule.needs_approval and \
        (automatic is None or best.rule.rank < automatic.rule.rank) else None
    return Decision(automatic=automatic, request=request)


@dataclass(frozen=True)
class Progress:
    """How far the agent is from one level: what a single restock must reach, and within the
    current period how much it bought and how much more it needs."""

    rule: UpgradeRule
    single: Decimal | None = None
    period_start: datetime | None = None
    period_end: datetime | None = None
    bought: Decimal = Decimal(0)
    remaining: Decimal | None = None
    percent: int = 0


def progress(rule: UpgradeRule, *, purchases: Iterable[tuple[datetime, Decimal]], anchor: datetime,
             now: datetime) -> Progress:
    if rule.cumulative is None or not rule.period_days:
        return Progress(rule=rule, single=rule.single)
    start, end = period_bounds(anchor, rule.period_days, now)
    bought = period_total(purchases, start, end)
    remaining = max(rule.cumulative - bought, Decimal(0))
    percent = 100 if remaining == 0 else int(bought * 100 / rule.cumulative) if rule.cumulative else 0
    return Progress(rule=rule, single=rule.single, period_start=start, period_end=end, bought=bought,
                    remaining=remaining, percent=max(0, min(percent, 100)))


# --- level price table --------------------------------------------------------------------

@dataclass(frozen=True)
class LevelCol:
    id: int
    name: str
    rank: int


@dataclass(frozen=True)
class SkuRow:
    id: int
    code: str
    name: str
    currency: str
    floor: Decimal
    retail: Decimal


class Rule:
    INVALID = "invalid_amount"
    BELOW_FLOOR = "below_floor"
    ABOVE_RETAIL = "above_retail"
    ORDER = "higher_rank_pays_more"


@dataclass(frozen=True)
class CellError:
    level_id: int
    level_name: str
    sku_id: int
    sku_code: str
    price: Decimal | str | None
    rule: str
    message: str = field(compare=False)

    def __str__(self) -> str:
        return _("%(level)s × %(sku)s (%(price)s): %(message)s") % {
            "level": self.level_name, "sku": self.sku_code, "price": self.price, "message": self.message}


def validate_price_table(levels: Sequence[LevelCol], skus: Sequence[SkuRow],
                         prices: Mapping[tuple[int, int], Decimal]) -> list[CellError]:
    """Every cell that breaks a rule, named: each price lies between the SKU's floor and
    retail price (inclusive) and has the currency's decimals; for one SKU a higher rank
    (smaller number) never pays more than a lower rank. Missing cells are allowed (that
    level cannot buy that SKU yet). An empty list means the whole table is valid."""
    errors: list[CellError] = []
    ordered = sorted(levels, key=lambda lv: lv.rank)
    for sku in skus:
        present: list[tuple[LevelCol, Decimal]] = []
        for lv in ordered:
            price = prices.get((lv.id, sku.id))
            if price is None:
                continue
            try:
                parse_amount(price, sku.currency)
            except MoneyError as exc:
                errors.append(CellError(lv.id, lv.name, sku.id, sku.code, price, Rule.INVALID, str(exc)))
                continue
            if price < sku.floor:
                errors.append(CellError(lv.id, lv.name, sku.id, sku.code, price, Rule.BELOW_FLOOR,
                                        _("below the floor price %(floor)s") % {
                                            "floor": format_money(sku.floor, sku.currency)}))
            if price > sku.retail:
                errors.append(CellError(lv.id, lv.name, sku.id, sku.code, price, Rule.ABOVE_RETAIL,
                                        _("above the retail price %(retail)s") % {
                                            "retail": format_money(sku.retail, sku.currency)}))
            present.append((lv, price))
        for i, (lv, price) in enumerate(present):
            lower = [(other, p) for other, p in present[i + 1:] if other.rank > lv.rank and p < price]
            if lower:
                other, p = min(lower, key=lambda op: (op[1], op[0].rank))
                errors.append(CellError(lv.id, lv.name, sku.id, sku.code, price, Rule.ORDER,
                                        _("more than the lower level %(other)s pays (%(price)s)") % {
                                            "other": other.name, "price": format_money(p, sku.currency)}))
    return errors


def price_table_error(errors: Sequence[CellError]) -> DomainError:
    """One DomainError naming every bad cell; fields keyed "price_<level>_<sku>"."""
    fields: dict[str, list[Any]] = {}
    for e in errors:
        fields.setdefault(f"price_{e.level_id}_{e.sku_id}", []).append(str(e))
    return DomainError(_("The price table was not saved: %(n)d cells break the rules.") % {"n": len(errors)},
                       code="invalid_price_table", fields=fields)
