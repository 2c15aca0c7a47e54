"""Pure rules: profiles, validation, one line's allocations, refund proration (no DB)."""

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weishang.earnings import rules as r
from weishang.earnings.rules import AgentNode, PaidLine, RuleError, RuleKind, RuleSpec, Share

CN = r.PROFILES["cn"]
TW = r.PROFILES["tw"]
CAP = Decimal("20")


def test_profiles_share_the_depth_cap_and_refuse_headcount_and_entry_fees():
    for p in (CN, TW):
        assert p.max_depth == 2 and not p.headcount_rewards and not p.entry_fee
    assert TW.buyback_rate == Decimal("0.90") and any("Fair Trade" in str(x) for x in TW.reminders)
    assert CN.buyback_rate is None


@pytest.mark.parametrize(("spec", "field", "words"), [
    (RuleSpec(RuleKind.SHARE, (Decimal("101"),)), "rates", "100%"),
    (RuleSpec(RuleKind.SHARE, (Decimal("-1"),)), "rates", "negative"),
    (RuleSpec(RuleKind.SAME_LEVEL, (Decimal("1"), Decimal("1"), Decimal("1"))), "rates", "at most 2"),
    (RuleSpec(RuleKind.PASSED_OVER, depth=3), "depth", "at most 2"),
    (RuleSpec(RuleKind.REFERRAL, (Decimal("15"), Decimal("6"))), "rates", "cap on rewards is 20%"),
    (RuleSpec(RuleKind.REFERRAL, (Decimal("1.005"),)), "rates", "two decimal"),
    (RuleSpec(RuleKind.SHOP_MARGIN, (Decimal("1"),)), "rates", "no rates"),
])
def test_unlawful_rules_are_refused_naming_rule_and_limit(spec, field, words):
    with pytest.raises(RuleError) as exc:
        r.validate_rule(spec, CN, CAP)
    assert exc.value.field == field
    assert words in str(exc.value)
    assert r.RuleKind.label(spec.kind) in str(exc.value)


def test_lawful_rules_pass():
    r.validate_rule(RuleSpec(RuleKind.SAME_LEVEL, (Decimal("3"), Decimal("1"))), CN, CAP)
    r.validate_rule(RuleSpec(RuleKind.PASSED_OVER, depth=2), TW, CAP)
    r.validate_rule(RuleSpec(RuleKind.SHARE, (Decimal("100"),), enabled=False), CN, CAP)


def test_parse_rates():
    assert r.parse_rates("3, 1.5%，2") == (Decimal("3"), Decimal("1.5"), Decimal("2"))
    with pytest.raises(RuleError):
        r.parse_rates("abc")


def test_prorate_examples():
    assert r.prorate([1, 1, 1], 2) == [1, 1, 0]  # ties go to the earlier entry
    assert r.prorate([50, 30, 20], 100) == [50, 30, 20]
    assert r.prorate([333, 333, 334], 500) == [166, 166, 168] or sum(r.prorate([333, 333, 334], 500)) == 500


def _line(paid="900", shares=None, **kw):
    shares = shares or (Share("proceeds", Decimal(paid), agent_id=2),)
    return PaidLine(ref="L1", order_ref="O1", kind=kw.pop("kind", "restock"), currency=kw.pop("currency", "CNY"),
                    paid=Decimal(paid), origin_id=kw.pop("origin_id", 3), shares=tuple(shares), **kw)


AGENTS = {1: AgentNode(1, 1, None), 2: AgentNode(2, 2, 1), 3: AgentNode(3, 3, 2),
          4: AgentNode(4, 3, 3), 5: AgentNode(5, 3, 4), 6: AgentNode(6, 3, 5)}


def test_example_restock_same_level_and_referral():
    rules = {RuleKind.SAME_LEVEL: RuleSpec(RuleKind.SAME_LEVEL, (Decimal("3"), Decimal("1"))),
             RuleKind.REFERRAL: RuleSpec(RuleKind.REFERRAL, (Decimal("5"),))}
    out = r.compute_line(_line(origin_id=6, first_restock=True), rules, CN, CAP, AGENTS)
    got = {(a.kind, a.agent_id): a.amount for a in out}
    assert got == {("sale_proceeds", 2): Decimal("900"), ("referral", 5): Decimal("45.00"),
                   ("same_level", 5): Decimal("27.00"), ("same_level", 4): Decimal("9.00")}
    # agent 3 is 3 generations up: the depth cap keeps it out even though it is same-level
    assert all(a.distance <= 2 for a in out)


def test_passed_over_difference_only_when_rule_allows():
    shares = (Share("proceeds", Decimal("700"), agent_id=1), Share("passed_over", Decimal("200"), agent_id=2,
                                                                    distance=1))
    off = r.compute_line(_line(shares=shares), {}, CN, CAP, AGENTS)
    assert [(a.kind, a.agent_id, a.amount) for a in off] == [("sale_proceeds", 1, Decimal("900"))]
    on = r.compute_line(_line(shares=shares), {RuleKind.PASSED_OVER: RuleSpec(RuleKind.PASSED_OVER, depth=1)},
                        CN, CAP, AGENTS)
    assert {(a.kind, a.agent_id, a.amount) for a in on} == {("sale_proceeds", 1, Decimal("700")),
                                                            ("passed_over", 2, Decimal("200"))}


def test_shares_must_add_up_and_be_exact():
    with pytest.raises(RuleError):
        r.compute_line(_line(shares=(Share("hq", Decimal("800")),)), {}, CN, CAP, AGENTS)
    with pytest.raises(RuleError):
        r.compute_line(_line(paid="9.001", shares=(Share("hq", Decimal("9.001")),)), {}, CN, CAP, AGENTS)
    with pytest.raises(RuleError):
        r.compute_line(_line(paid="12.5", currency="TWD", shares=(Share("hq", Decimal("12.5")),)), {}, TW, CAP,
                       AGENTS)


def test_share_commission_is_on_the_paid_amount_and_not_to_the_shop_itself():
    rules = {RuleKind.SHARE: RuleSpec(RuleKind.SHARE, (Decimal("5"),))}
    shares = (Share("margin", Decimal("30"), agent_id=3), Share("hq", Decimal("80")))
    out = r.compute_line(_line(paid="110", shares=shares, kind="consumer", sharer_id=5), rules, CN, CAP, AGENTS)
    assert ("share_commission", 5, Decimal("5.50")) in {(a.kind, a.agent_id, a.amount) for a in out}
    out = r.compute_line(_line(paid="110", shares=shares, kind="consumer", sharer_id=3), rules, CN, CAP, AGENTS)
    assert all(a.kind != "share_commission" for a in out)


def test_buyback_and_fee():
    assert r.buyback_amount(Decimal("70"), 10, TW, "TWD") == Decimal("630")
    with pytest.raises(RuleError):
        r.buyback_amount(Decimal("70"), 10, CN, "CNY")
    assert r.withdrawal_fee(Decimal("100"), "CNY", Decimal("0.6"), Decimal("1")) == Decimal("1.00")
    assert r.withdrawal_fee(Decimal("1000"), "CNY", Decimal("0.6"), Decimal("1")) == Decimal("6.00")


# ------------------------------------------------------------------ properties
rate = st.decimals(min_value=0, max_value=30, places=2)


@st.composite
def scenario(draw):
    n = draw(st.integers(2, 12))
    nodes = {}
    for i in range(1, n + 1):
        rec = draw(st.one_of(st.none(), st.integers(1, i - 1))) if i > 1 else None
        nodes[i] = AgentNode(i, draw(st.integers(1, 3)), rec)
    rules = {k: RuleSpec(k, tuple(draw(st.lists(rate, min_size=1, max_size=4))))
             for k in RuleKind.REWARDS if draw(st.booleans())}
    rules[RuleKind.PASSED_OVER] = RuleSpec(RuleKind.PASSED_OVER, depth=draw(st.integers(0, 4)))
    currency = draw(st.sampled_from(["CNY", "TWD"]))
    q = Decimal("0.01") if currency == "CNY" else Decimal(1)
    parts = draw(st.lists(st.integers(0, 100_000), min_size=1, max_size=5))
    roles = [draw(st.sampled_from(["proceeds", "margin", "hq", "supplier", "passed_over"])) for _ in parts]
    if draw(st.booleans()):  # HQ pays a supplier more than it receives: a negative HQ share
        roles.append("hq")
        parts.append(-draw(st.integers(0, sum(parts))))
    shares = tuple(Share(role, q * p, agent_id=draw(st.integers(1, n)) if role not in ("hq", "supplier") else None,
                         supplier_id=7 if role == "supplier" else None, distance=draw(st.integers(1, 4)))
                   for role, p in zip(roles, parts, strict=True))
    paid = sum((s.amount for s in shares), Decimal(0))
    line = PaidLine("L", "O", draw(st.sampled_from(["restock", "consumer"])), currency, paid,
                    draw(st.integers(1, n)), shares, draw(st.booleans()), draw(st.one_of(st.none(), st.integers(1, n))))
    cap = draw(st.decimals(min_value=0, max_value=100, places=2))
    return line, rules, nodes, cap


@settings(max_examples=300, deadline=None)
@given(scenario(), st.sampled_from(["cn", "tw"]))
def test_allocations_respect_depth_and_cap_and_clearing_adds_up(sc, profile_code):
    line, rules, nodes, cap = sc
    profile = r.PROFILES[profile_code]
    out = r.compute_line(line, rules, profile, cap, nodes)
    clearing = sum((a.amount for a in out if a.funding == "clearing"), Decimal(0))
    rewards = sum((a.amount for a in out if a.funding == "rewards"), Decimal(0))
    assert clearing == line.paid
    assert rewards <= line.paid * cap / 100
    assert all(a.amount > 0 or (a.kind == "hq_revenue" and a.amount < 0) for a in out)
    assert all(a.distance <= profile.max_depth for a in out)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.integers(0, 10**6), min_size=1, max_size=8), st.data())
def test_prorate_sums_exactly_and_stays_within_weights(weights, data):
    total = sum(weights)
    target = data.draw(st.integers(0, total))
    out = r.prorate(weights, target)
    assert sum(out) == target
    assert all(0 <= o <= w for o, w in zip(out, weights, strict=True))
    assert total == 0 or all(abs(o * total - target * w) < total for o, w in zip(out, weights, strict=True))  # < 1 unit off


@settings(max_examples=300, deadline=None)
@given(scenario(), st.lists(st.integers(1, 100), max_size=5))
def test_any_sequence_of_partial_refunds_then_the_rest_reverses_everything(sc, pieces):
    line, rules, nodes, cap = sc
    out = r.compute_line(line, rules, CN, cap, nodes)
    cur = line.currency
    items = [r.Reversible(a.funding, r.to_units(a.amount, cur)) for a in out]
    remaining_paid = r.to_units(line.paid, cur)
    original = [it.remaining for it in items]
    refunded = 0
    for p in [*pieces, None]:
        refund = remaining_paid if p is None else remaining_paid * p // 100 // 2
        back = r.plan_refund(items, remaining_paid, refund)
        assert sum(b for b, it in zip(back, items, strict=True) if it.funding == "clearing") == (
            refund if any(it.funding == "clearing" for it in items) else 0)
        for b, it in zip(back, items, strict=True):
            assert 0 <= b <= it.remaining or it.remaining <= b <= 0
            it.remaining -= b
        remaining_paid -= refund
        refunded += refund
    assert remaining_paid == 0
    assert all(it.remaining == 0 for it in items)
    assert refunded == sum(o for o, it in zip(original, items, strict=True) if it.funding == "clearing")
