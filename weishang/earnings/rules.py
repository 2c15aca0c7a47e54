"""Earning rules with no database: compliance profiles, rule validation, the rewards of one
paid order line, and the proration of refunds. Everything here is a pure function of its
inputs and is property-tested with hypothesis (tests/earnings/test_rules.py).

Vocabulary
- *origin*: the agent whose purchase or sale the line is: the buying agent of a restock,
  the shop agent of a consumer order. Distances are counted in generations above it.
- *shares*: what the order recorded for each beneficiary of the paid amount (sale
  proceeds to the fulfilling agent, shop margin, HQ revenue, supplier payable, a passed-
  over upline's price difference). They always add up to the paid amount.
- *rewards*: brand-funded extras on top (share commission, referral reward, same-level
  reward). They are capped by the profile's depth and the brand-wide cap on the share of
  the paid amount.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_DOWN, ROUND_HALF_UP, Decimal, InvalidOperation
from typing import Any

from django.utils.translation import gettext_lazy as _

from weishang.core.money import quantum

HUNDRED = Decimal(100)


# --------------------------------------------------------------------------- profiles
@dataclass(frozen=True)
class Profile:
    code: str
    name: Any  # a lazy translation
    max_depth: int  # generations above the origin that may receive anything from one sale
    headcount_rewards: bool
    entry_fee: bool
    buyback_rate: Decimal | None = None  # share of the purchase price HQ must pay back
    buyback_days: int | None = None  # legal period for a buy-back after termination
    reminders: tuple = ()


PROFILES: dict[str, Profile] = {
    "cn": Profile(
        code="cn", name=_("China (禁止传销条例)"), max_depth=2, headcount_rewards=False, entry_fee=False,
        reminders=(_("Rewards are paid only on real purchases, never per recruit; joining costs nothing."),),
    ),
    "tw": Profile(
        code="tw", name=_("Taiwan (多層次傳銷管理法)"), max_depth=2, headcount_rewards=False, entry_fee=False,
        buyback_rate=Decimal("0.90"), buyback_days=30,
        reminders=(
            _("A multi-level sales scheme must be reported to the Fair Trade Commission (公平交易委員會) "
              "before it starts."),
            _("An agent who terminates may return unsold stock; HQ must buy it back at 90 percent of the purchase "
              "price within the legal period."),
        ),
    ),
}


def get_profile(code: str) -> Profile:
    try:
        return PROFILES[code]
    except KeyError:
        raise RuleError(_("Unknown compliance profile %(p)s.") % {"p": code}, field="profile") from None


# --------------------------------------------------------------------------- rules
class RuleKind:
    SALE_PROCEEDS = "sale_proceeds"
    PASSED_OVER = "passed_over"
    SHOP_MARGIN = "shop_margin"
    SHARE = "share_commission"
    REFERRAL = "referral"
    SAME_LEVEL = "same_level"
    # Shares that are not agents' earnings but still leave clearing.
    HQ_REVENUE = "hq_revenue"
    SUPPLIER = "supplier_payable"

    CHOICES = [
        (SALE_PROCEEDS, _("sale proceeds")),
        (PASSED_OVER, _("passed-over upline difference")),
        (SHOP_MARGIN, _("shop margin")),
        (SHARE, _("share commission")),
        (REFERRAL, _("referral reward")),
        (SAME_LEVEL, _("same-level reward")),
    ]
    ALL_CHOICES = [*CHOICES, (HQ_REVENUE, _("HQ revenue")), (SUPPLIER, _("supplier payable"))]
    REWARDS = (SHARE, REFERRAL, SAME_LEVEL)  # brand-funded, count toward the cap
    RATED = REWARDS  # rules configured by percentages per generation

    @classmethod
    def label(cls, kind: str) -> str:
        return str(dict(cls.ALL_CHOICES).get(kind, kind))


class RuleError(ValueError):
    """A rule or an amount that the rules refuse; `field` names the offending input."""

    def __init__(self, message, *, field: str = "__all__") -> None:
        self.message = message
        self.field = field
        super().__init__(str(message))


@dataclass(frozen=True)
class RuleSpec:
    """One version of one rule. `rates` are percentages per generation (index 0 pays the
    first beneficiary, 1 its recruiter, ...); `depth` is used by the passed-over rule."""

    kind: str
    rates: tuple[Decimal, ...] = ()
    depth: int = 0
    enabled: bool = True
    version: int = 1

    @property
    def reach(self) -> int:
        """How many generations above the origin this rule can pay."""
        if not self.enabled:
            return 0
        if self.kind in RuleKind.RATED:
            return len(self.rates)
        if self.kind == RuleKind.PASSED_OVER:
            return self.depth
        return 0


def parse_rates(text: str) -> tuple[Decimal, ...]:
    """'3, 1.5' -> (Decimal('3'), Decimal('1.5')). Refuses non-numbers; range is checked by validate_rule."""
    out = []
    for part in (text or "").replace("，", ",").split(","):
        part = part.strip().rstrip("%")
        if not part:
            continue
        try:
            value = Decimal(part)
        except InvalidOperation:
            raise RuleError(_("“%(v)s” is not a percentage.") % {"v": part}, field="rates") from None
        if not value.is_finite():
            raise RuleError(_("“%(v)s” is not a percentage.") % {"v": part}, field="rates")
        out.append(value)
    return tuple(out)


def validate_rule(spec: RuleSpec, profile: Profile, cap_percent: Decimal) -> None:
    """Raise RuleError naming the rule and the limit it breaks; return None if it is lawful."""
    label = RuleKind.label(spec.kind)
    if spec.kind not in dict(RuleKind.CHOICES):
        raise RuleError(_("Unknown rule type %(k)s.") % {"k": spec.kind}, field="kind")
    if spec.depth < 0:
        raise RuleError(_("%(rule)s: the depth cannot be negative.") % {"rule": label}, field="depth")
    for rate in spec.rates:
        if rate < 0:
            raise RuleError(_("%(rule)s: the rate %(rate)s%% is negative; rates must be between 0%% and 100%%.")
                            % {"rule": label, "rate": rate}, field="rates")
        if rate > HUNDRED:
            raise RuleError(_("%(rule)s: the rate %(rate)s%% is above the limit of 100%%.")
                            % {"rule": label, "rate": rate}, field="rates")
        if rate != rate.quantize(Decimal("0.01")):
            raise RuleError(_("%(rule)s: rates have at most two decimal places (%(rate)s%%).")
                            % {"rule": label, "rate": rate}, field="rates")
    if spec.kind in RuleKind.RATED and spec.enabled and not spec.rates:
        raise RuleError(_("%(rule)s: enter at least one rate, or disable the rule.") % {"rule": label},
                        field="rates")
    if spec.kind not in RuleKind.RATED and spec.rates:
        raise RuleError(_("%(rule)s takes no rates.") % {"rule": label}, field="rates")
    if spec.kind != RuleKind.PASSED_OVER and spec.depth:
        raise RuleError(_("%(rule)s takes no depth.") % {"rule": label}, field="depth")
    if spec.reach > profile.max_depth:
        field_name = "depth" if spec.kind == RuleKind.PASSED_OVER else "rates"
        raise RuleError(
            _("%(rule)s would pay %(n)d levels above the seller; the %(profile)s profile allows at most %(max)d.")
            % {"rule": label, "n": spec.reach, "profile": profile.code, "max": profile.max_depth}, field=field_name)
    if spec.kind in RuleKind.REWARDS and spec.enabled:
        total = sum(spec.rates, Decimal(0))
        if total > cap_percent:
            raise RuleError(
                _("%(rule)s could pay %(total)s%% of an order; the brand-wide cap on rewards is %(cap)s%%.")
                % {"rule": label, "total": total, "cap": cap_percent}, field="rates")


def validate_cap(cap_percent: Decimal) -> None:
    if cap_percent < 0 or cap_percent > HUNDRED:
        raise RuleError(_("The reward cap must be between 0 and 100 percent."), field="cap")


# --------------------------------------------------------------------------- one paid line
@dataclass(frozen=True)
class AgentNode:
    id: int
    rank: int  # level rank, 1 highest
    recruiter_id: int | None = None


@dataclass(frozen=True)
class Share:
    """What the order recorded for one beneficiary. role: proceeds | margin | passed_over | hq | supplier."""

    role: str
    amount: Decimal
    agent_id: int | None = None
    supplier_id: int | None = None
    distance: int = 0  # passed_over: generations above the buying agent


@dataclass(frozen=True)
class PaidLine:
    ref: str  # unique per order line
    order_ref: str
    kind: str  # "restock" | "consumer"
    currency: str
    paid: Decimal  # what the buyer paid for the line, after discounts
    origin_id: int | None  # restock: buying agent; consumer: shop agent
    shares: tuple[Share, ...]
    first_restock: bool = False
    sharer_id: int | None = None  # consumer orders: agent whose share link brought the consumer


@dataclass(frozen=True)
class Allocation:
    kind: str  # RuleKind value
    amount: Decimal
    funding: str  # "clearing" (part of the paid amount) | "rewards" (brand-funded)
    agent_id: int | None = None
    supplier_id: int | None = None
    distance: int = 0

    @property
    def beneficiary(self) -> str:
        return f"a{self.agent_id}" if self.agent_id else f"s{self.supplier_id}" if self.supplier_id else "hq"


ROLE_KIND = {"proceeds": RuleKind.SALE_PROCEEDS, "margin": RuleKind.SHOP_MARGIN, "hq": RuleKind.HQ_REVENUE,
             "supplier": RuleKind.SUPPLIER, "passed_over": RuleKind.PASSED_OVER}


def to_units(amount: Decimal, currency: str) -> int:
    q = quantum(currency)
    units = amount / q
    if units != units.to_integral_value():
        raise RuleError(_("%(a)s is more precise than %(c)s allows.") % {"a": amount, "c": currency}, field="amount")
    return int(units)


def from_units(units: int, currency: str) -> Decimal:
    return (quantum(currency) * units).quantize(Decimal("0.01"))


def cap_amount(paid: Decimal, cap_percent: Decimal, currency: str) -> Decimal:
    """The most rewards one line may pay: cap% of the paid amount, rounded DOWN to the unit."""
    return (paid * cap_percent / HUNDRED).quantize(quantum(currency), rounding=ROUND_DOWN).quantize(Decimal("0.01"))


def _recruiter_chain(start: int | None, agents: Mapping[int, AgentNode], n: int) -> list[AgentNode]:
    out: list[AgentNode] = []
    seen: set[int] = set()
    current = agents.get(start) if start is not None else None
    while current is not None and len(out) < n and current.id not in seen:
        seen.add(current.id)
        out.append(current)
        current = agents.get(current.recruiter_id) if current.recruiter_id else None
    return out


def compute_line(line: PaidLine, rules: Mapping[str, RuleSpec], profile: Profile, cap_percent: Decimal,
                 agents: Mapping[int, AgentNode]) -> list[Allocation]:
    """Every allocation of one paid line: the recorded shares (out of clearing) and the
    brand-funded rewards, within the depth cap and the brand-wide cap."""
    cur = line.currency
    if line.paid < 0:
        raise RuleError(_("The paid amount cannot be negative."), field="paid")
    to_units(line.paid, cur)
    total = Decimal(0)
    for s in line.shares:
        if s.amount < 0 and s.role != "hq":  # HQ's share may be negative (it pays a supplier more than it got)
            raise RuleError(_("A recorded share cannot be negative."), field="shares")
        to_units(s.amount, cur)
        if s.role not in ROLE_KIND:
            raise RuleError(_("Unknown share role %(r)s.") % {"r": s.role}, field="shares")
        total += s.amount
    if total != line.paid:
        raise RuleError(_("The recorded shares (%(s)s) do not add up to the paid amount (%(p)s).")
                        % {"s": total, "p": line.paid}, field="shares")

    # 1. Recorded shares. A passed-over upline keeps its difference only when the rule
    # allows it at that distance (and the profile's depth cap); otherwise the difference
    # stays with whoever fulfilled the order (the proceeds share, or HQ).
    passed = rules.get(RuleKind.PASSED_OVER)
    allowed_depth = min(passed.reach if passed else 0, profile.max_depth)
    out: list[Allocation] = []
    redirected = Decimal(0)
    for s in line.shares:
        if s.role == "passed_over" and not (1 <= s.distance <= allowed_depth):
            redirected += s.amount
            continue
        out.append(Allocation(kind=ROLE_KIND[s.role], amount=s.amount, funding="clearing", agent_id=s.agent_id,
                              supplier_id=s.supplier_id, distance=s.distance if s.role == "passed_over" else 0))
    if redirected:
        fulfiller = next((i for i, a in enumerate(out) if a.kind == RuleKind.SALE_PROCEEDS), None)
        if fulfiller is None:
            fulfiller = next((i for i, a in enumerate(out) if a.kind == RuleKind.HQ_REVENUE), None)
        if fulfiller is None:
            out.append(Allocation(kind=RuleKind.HQ_REVENUE, amount=redirected, funding="clearing"))
        else:
            a = out[fulfiller]
            out[fulfiller] = Allocation(a.kind, a.amount + redirected, a.funding, a.agent_id, a.supplier_id, 0)
    out = [a for a in out if a.amount != 0]
    if line.kind not in ("consumer", "restock"):
        return out  # order-level shares (shipping fees) carry no rewards

    # 2. Rewards, each generation a percentage of the paid amount.
    rewards: list[Allocation] = []

    def pay(kind: str, chain: Sequence[AgentNode]) -> None:
        rule = rules.get(kind)
        if rule is None or not rule.enabled:
            return
        for generation, (node, rate) in enumerate(zip(chain, rule.rates, strict=False), start=1):
            if generation > profile.max_depth:
                break
            amount = (line.paid * rate / HUNDRED).quantize(quantum(cur), rounding=ROUND_HALF_UP)
            if amount > 0:
                rewards.append(Allocation(kind=kind, amount=amount.quantize(Decimal("0.01")), funding="rewards",
                                          agent_id=node.id, distance=generation))

    origin = agents.get(line.origin_id) if line.origin_id else None
    if line.kind == "consumer":
        if line.sharer_id and line.sharer_id != line.origin_id and line.sharer_id in agents:
            rule = rules.get(RuleKind.SHARE)
            pay(RuleKind.SHARE, _recruiter_chain(line.sharer_id, agents, len(rule.rates) if rule else 0))
    elif line.kind == "restock" and origin is not None:
        if line.first_restock:
            rule = rules.get(RuleKind.REFERRAL)
            pay(RuleKind.REFERRAL, _recruiter_chain(origin.recruiter_id, agents, len(rule.rates) if rule else 0))
        rule = rules.get(RuleKind.SAME_LEVEL)
        if rule is not None:
            same = [n for n in _recruiter_chain(origin.recruiter_id, agents, len(rule.rates))]
            chain = []
            for node in same:  # stop at the first recruiter who is not at the origin's level
                if node.rank != origin.rank:
                    break
                chain.append(node)
            pay(RuleKind.SAME_LEVEL, chain)

    cap = cap_amount(line.paid, cap_percent, cur)
    reward_total = sum((r.amount for r in rewards), Decimal(0))
    if reward_total > cap:
        scaled = prorate([to_units(r.amount, cur) for r in rewards], to_units(cap, cur))
        rewards = [Allocation(r.kind, from_units(u, cur), r.funding, r.agent_id, r.supplier_id, r.distance)
                   for r, u in zip(rewards, scaled, strict=True)]
    return out + [r for r in rewards if r.amount > 0]


# --------------------------------------------------------------------------- proration
def prorate(weights: Sequence[int], target: int) -> list[int]:
    """Split `target` units over `weights` (all >= 0) in proportion, by largest remainder.

    Each share is floor(target * w / W); the units left over go one each to the largest
    fractional parts, ties to the EARLIER position. The shares add up to `target` exactly,
    none exceeds its weight when target <= W, and target == W gives back the weights."""
    if target < 0 or any(w < 0 for w in weights):
        raise ValueError("prorate needs non-negative inputs")
    total = sum(weights)
    if total == 0:
        if target:
            raise ValueError("nothing to prorate over")
        return [0] * len(weights)
    base = [target * w // total for w in weights]
    rema = [(target * w % total, -i) for i, w in enumerate(weights)]
    left = target - sum(base)
    for _rem, neg_i in sorted(rema, reverse=True)[:left]:
        base[-neg_i] += 1
    return base


@dataclass
class Reversible:
    """What remains to be reversed of one posted allocation."""

    funding: str
    remaining: int  # units


@dataclass
class RefundPlan:
    reversals: list[int] = field(default_factory=list)  # units per allocation, same order


def plan_refund(items: Sequence[Reversible], remaining_paid: int, refund: int) -> list[int]:
    """Units to reverse per allocation for a refund of `refund` units out of the
    `remaining_paid` units not yet refunded on the line.

    Clearing-funded allocations (they add up to remaining_paid) give back exactly `refund`;
    brand-funded rewards give back round-half-up(rewards_remaining * refund / remaining_paid).
    Within each group, cents go by largest remainder over what each allocation still holds,
    so a refund of everything that remains reverses every allocation exactly."""
    if refund < 0 or refund > remaining_paid:
        raise ValueError("refund out of range")
    if refund == remaining_paid:  # everything that remains: reverse every allocation exactly
        return [it.remaining for it in items]
    out = [0] * len(items)
    for funding in ("clearing", "rewards"):
        pos = [i for i, it in enumerate(items) if it.funding == funding and it.remaining > 0]
        neg = [i for i, it in enumerate(items) if it.funding == funding and it.remaining < 0]
        p_total = sum(items[i].remaining for i in pos)
        n_total = -sum(items[i].remaining for i in neg)
        # Positive side: its share of the refund, rounded half-up; the negative side (only
        # HQ's share can be negative) takes what makes the clearing side exactly `refund`.
        p_target = min(_half_up(p_total * refund, remaining_paid), p_total)
        if funding == "clearing" and p_total - n_total == remaining_paid:
            n_target = p_target - refund
            if not 0 <= n_target <= n_total:
                p_target, n_target = refund + min(max(n_target, 0), n_total), min(max(n_target, 0), n_total)
        else:
            n_target = min(_half_up(n_total * refund, remaining_paid), n_total)
        for i, units in zip(pos, prorate([items[i].remaining for i in pos], p_target), strict=True):
            out[i] = units
        for i, units in zip(neg, prorate([-items[i].remaining for i in neg], n_target), strict=True):
            out[i] = -units
    return out


def _half_up(num: int, den: int) -> int:
    return (2 * num + den) // (2 * den)


def split_order_refund(line_remaining: Sequence[int], refund: int) -> list[int]:
    """Spread an order-level refund over its lines in proportion to what each still holds."""
    if refund > sum(line_remaining):
        raise ValueError("refund out of range")
    return prorate(line_remaining, refund)


# --------------------------------------------------------------------------- withdrawals, buy-back
def withdrawal_fee(amount: Decimal, currency: str, percent: Decimal, minimum: Decimal) -> Decimal:
    """Fee = max(minimum, amount * percent%), rounded half-up to the currency unit, never above the amount."""
    fee = max(minimum, (amount * percent / HUNDRED))
    fee = fee.quantize(quantum(currency), rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))
    return min(fee, amount)


def buyback_amount(purchase_price: Decimal, quantity: int, profile: Profile, currency: str) -> Decimal:
    """What HQ owes for `quantity` unsold units bought at `purchase_price` (tw: 90%)."""
    if profile.buyback_rate is None:
        raise RuleError(_("The %(p)s profile has no buy-back duty.") % {"p": profile.code})
    if quantity < 0 or purchase_price < 0:
        raise RuleError(_("Quantity and price cannot be negative."))
    return (purchase_price * quantity * profile.buyback_rate).quantize(
        quantum(currency), rounding=ROUND_DOWN).quantize(Decimal("0.01"))
