"""Pure level rules (weishang.agents.levels): the price table check, upgrade rules and their
evaluation, progress toward the next level. Property-tested against brute-force oracles."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from decimal import Decimal

import pytest
from hypothesis import assume, given, settings
from hypothesis import strategies as st

from weishang.agents import levels as L
from weishang.core.errors import DomainError

# --- price table ---------------------------------------------------------------------------

CENTS = st.integers(min_value=0, max_value=50_000)


def _money(cents: int) -> Decimal:
    return (Decimal(cents) / 100).quantize(Decimal("0.01"))


@st.composite
def tables(draw):
    n_levels = draw(st.integers(1, 4))
    ranks = draw(st.lists(st.integers(1, 9), min_size=n_levels, max_size=n_levels, unique=True))
    levels = [L.LevelCol(i + 1, f"L{r}", r) for i, r in enumerate(ranks)]
    skus = []
    for j in range(draw(st.integers(1, 3))):
        floor, retail = sorted(draw(st.lists(CENTS, min_size=2, max_size=2)))
        skus.append(L.SkuRow(100 + j, f"S{j}", f"sku {j}", "CNY", _money(floor), _money(retail)))
    prices = {}
    for lv in levels:
        for s in skus:
            if draw(st.booleans()):
                prices[(lv.id, s.id)] = _money(draw(CENTS))
    return levels, skus, prices


def _oracle(levels, skus, prices) -> set[tuple[int, int, str]]:
    """Every (level, sku, rule) broken, computed the obvious way."""
    bad = set()
    for s in skus:
        for lv in levels:
            p = prices.get((lv.id, s.id))
            if p is None:
                continue
            if p < s.floor:
                bad.add((lv.id, s.id, L.Rule.BELOW_FLOOR))
            if p > s.retail:
                bad.add((lv.id, s.id, L.Rule.ABOVE_RETAIL))
            for other in levels:
                q = prices.get((other.id, s.id))
                if q is not None and other.rank > lv.rank and q < p:
                    bad.add((lv.id, s.id, L.Rule.ORDER))
    return bad


@settings(max_examples=300)
@given(tables())
def test_price_table_errors_are_exactly_the_broken_cells(table):
    levels, skus, prices = table
    errors = L.validate_price_table(levels, skus, prices)
    assert {(e.level_id, e.sku_id, e.rule) for e in errors} == _oracle(levels, skus, prices)
    assert len(errors) == len({(e.level_id, e.sku_id, e.rule) for e in errors})  # each cell named once per rule
    for e in errors:
        assert e.price == prices[(e.level_id, e.sku_id)]
        assert e.level_name and e.sku_code and e.message


@settings(max_examples=200)
@given(tables(), st.data())
def test_a_table_built_within_bounds_and_ordered_by_rank_is_accepted(table, data):
    levels, skus, _prices = table
    prices = {}
    for s in skus:
        floor_c, retail_c = int(s.floor * 100), int(s.retail * 100)
        # One price per level, drawn in the band, then sorted so the highest rank pays least.
        drawn = sorted(data.draw(st.lists(st.integers(floor_c, retail_c), min_size=len(levels),
                                          max_size=len(levels))))
        for lv, cents in zip(sorted(levels, key=lambda x: x.rank), drawn, strict=True):
            prices[(lv.id, s.id)] = _money(cents)
    assert L.validate_price_table(levels, skus, prices) == []


@given(tables())
def test_swapping_two_different_prices_of_one_sku_breaks_the_rank_order(table):
    levels, skus, prices = table
    assume(len(levels) >= 2)
    hi, lo = sorted(levels, key=lambda x: x.rank)[:2]
    s = skus[0]
    assume(s.retail > s.floor)
    prices = {(hi.id, s.id): s.retail, (lo.id, s.id): s.floor}
    errors = L.validate_price_table(levels, skus, prices)
    assert [(e.level_id, e.rule) for e in errors] == [(hi.id, L.Rule.ORDER)]
    assert lo.name in errors[0].message


def test_the_example_from_the_brief_and_named_offending_cells():
    levels = [L.LevelCol(1, "总代", 1), L.LevelCol(2, "一级", 2), L.LevelCol(3, "二级", 3)]
    sku = L.SkuRow(7, "LX-HA-30", "精华 30ml", "CNY", Decimal("50"), Decimal("128"))
    ok = {(1, 7): Decimal("50"), (2, 7): Decimal("70"), (3, 7): Decimal("90")}
    assert L.validate_price_table(levels, [sku], ok) == []
    # inclusive bounds
    assert L.validate_price_table(levels, [sku], {(1, 7): Decimal("50"), (3, 7): Decimal("128")}) == []
    bad = {(1, 7): Decimal("80"), (2, 7): Decimal("70"), (3, 7): Decimal("129")}
    errors = L.validate_price_table(levels, [sku], bad)
    text = [str(e) for e in errors]
    assert {(e.level_name, e.rule) for e in errors} == {("总代", L.Rule.ORDER), ("二级", L.Rule.ABOVE_RETAIL)}
    assert any("总代" in t and "LX-HA-30" in t and "80" in t and "一级" in t for t in text)
    assert any("二级" in t and "129" in t and "retail" in t for t in text)
    err = L.price_table_error(errors)
    assert set(err.fields) == {"price_1_7", "price_3_7"}


def test_twd_prices_must_be_whole_dollars():
    levels = [L.LevelCol(1, "總代", 1)]
    sku = L.SkuRow(1, "TW-1", "x", "TWD", Decimal("500"), Decimal("1280"))
    errors = L.validate_price_table(levels, [sku], {(1, 1): Decimal("600.50")})
    assert [e.rule for e in errors] == [L.Rule.INVALID]


# --- upgrade rules: what can be expressed ---------------------------------------------------

@pytest.mark.parametrize("key", ["recruits", "min_recruits", "team_size", "headcount", "direct_downlines",
                                 "invite_count", "referrals", "people", "下级人数", "推荐人数"])
def test_headcount_criteria_are_refused_as_pyramid_selling(key):
    with pytest.raises(DomainError) as exc:
        L.parse_rule_payload({"upgrade_single_purchase": "1000", key: 5}, "CNY")
    assert exc.value.code == "headcount_rule"
    assert "拉人头" in exc.value.message and "pyramid" in exc.value.message
    assert key in exc.value.fields


@pytest.mark.parametrize("key", ["entry_fee", "joining_fee", "入门费", "membership fee"])
def test_entry_fees_are_refused(key):
    with pytest.raises(DomainError) as exc:
        L.parse_rule_payload({key: "999"}, "CNY")
    assert exc.value.code == "entry_fee" and "入门费" in exc.value.message


def test_a_purchase_volume_rule_parses_and_unknown_keys_are_refused():
    out = L.parse_rule_payload({"upgrade_single_purchase": "5000", "upgrade_cumulative_amount": "20000",
                                "upgrade_period_days": "30", "upgrade_needs_approval": "yes",
                                "first_purchase_amount": "2000"}, "CNY")
    assert out == {"upgrade_single_purchase": Decimal("5000.00"), "upgrade_cumulative_amount": Decimal("20000.00"),
                   "upgrade_period_days": 30, "upgrade_needs_approval": True,
                   "first_purchase_amount": Decimal("2000.00")}
    with pytest.raises(DomainError) as exc:
        L.parse_rule_payload({"bonus_points": 1}, "CNY")
    assert exc.value.code == "unknown_rule_field"


@pytest.mark.parametrize("payload, field", [
    ({"upgrade_cumulative_amount": "100"}, "upgrade_period_days"),
    ({"upgrade_period_days": "30"}, "upgrade_cumulative_amount"),
    ({"upgrade_single_purchase": "0"}, "upgrade_single_purchase"),
    ({"upgrade_single_purchase": "abc"}, "upgrade_single_purchase"),
    ({"upgrade_period_days": "x", "upgrade_cumulative_amount": "1"}, "upgrade_period_days"),
])
def test_incomplete_or_bad_rules_name_their_field(payload, field):
    with pytest.raises(DomainError) as exc:
        L.parse_rule_payload(payload, "CNY")
    assert field in exc.value.fields


# --- evaluation -----------------------------------------------------------------------------

T0 = datetime(2026, 1, 1, tzinfo=UTC)


@given(st.integers(0, 10_000), st.integers(1, 400), st.integers(-10_000, 10_000))
def test_periods_tile_time_from_the_anchor(offset_hours, days, shift_hours):
    at = T0 + timedelta(hours=offset_hours + shift_hours)
    start, end = L.period_bounds(T0, days, at)
    assert start <= at < end
    assert end - start == timedelta(days=days)
    assert (start - T0) % timedelta(days=days) == timedelta(0)


RULES = [L.UpgradeRule(1, 1, single=Decimal("10000"), needs_approval=True),
         L.UpgradeRule(2, 2, single=Decimal("3000"), cumulative=Decimal("8000"), period_days=30),
         L.UpgradeRule(3, 3, cumulative=Decimal("2000"), period_days=30)]


def test_single_purchase_reaches_the_highest_automatic_level_and_asks_for_the_approved_one():
    d = L.evaluate(RULES, current_rank=4, amount=Decimal("3000"), at=T0, purchases=[(T0, Decimal("3000"))],
                   anchor=T0)
    assert d.automatic.rule.rank == 2 and d.automatic.trigger == "single" and d.request is None
    d = L.evaluate(RULES, current_rank=4, amount=Decimal("12000"), at=T0, purchases=[(T0, Decimal("12000"))],
                   anchor=T0)
    assert d.automatic.rule.rank == 2 and d.request.rule.rank == 1


def test_cumulative_counts_only_the_current_period():
    last_period = T0 + timedelta(days=29, hours=23)
    this_period = T0 + timedelta(days=30, hours=1)
    history = [(last_period, Decimal("1500")), (this_period, Decimal("600"))]
    d = L.evaluate(RULES, current_rank=4, amount=Decimal("600"), at=this_period, purchases=history, anchor=T0)
    assert d.automatic is None and d.request is None
    history.append((this_period + timedelta(days=2), Decimal("1400")))
    d = L.evaluate(RULES, current_rank=4, amount=Decimal("1400"), at=this_period + timedelta(days=2),
                   purchases=history, anchor=T0)
    assert d.automatic.rule.rank == 3 and d.automatic.trigger == "cumulative" and d.automatic.amount == 2000
    assert d.automatic.period == (T0 + timedelta(days=30), T0 + timedelta(days=60))


amounts = st.integers(0, 20_000).map(Decimal)


@settings(max_examples=300)
@given(st.integers(1, 5), amounts, st.lists(st.tuples(st.integers(0, 90 * 24), amounts), max_size=8))
def test_never_a_downgrade_and_the_highest_met_level_wins(current, amount, past):
    at = T0 + timedelta(days=45)
    history = [(T0 + timedelta(hours=h), a) for h, a in past] + [(at, amount)]
    d = L.evaluate(RULES, current_rank=current, amount=amount, at=at, purchases=history, anchor=T0)
    met = [r for r in RULES if r.rank < current and L.met_rule(r, amount=amount, at=at, purchases=history,
                                                                 anchor=T0)]
    for m in (d.automatic, d.request):
        if m is not None:
            assert m.rule.rank < current  # strictly higher than now
    autos = [r for r in met if not r.needs_approval]
    assert (d.automatic.rule if d.automatic else None) == (min(autos, key=lambda r: r.rank) if autos else None)
    if d.request is not None:
        assert d.request.rule.needs_approval and d.request.rule == min(met, key=lambda r: r.rank)
        assert d.automatic is None or d.request.rule.rank < d.automatic.rule.rank


def test_progress_shows_what_is_left_in_the_period():
    rule = RULES[2]
    now = T0 + timedelta(days=40)
    p = L.progress(rule, purchases=[(T0 + timedelta(days=5), Decimal("5000")), (T0 + timedelta(days=31), Decimal("500"))],
                   anchor=T0, now=now)
    assert (p.bought, p.remaining, p.percent) == (Decimal("500"), Decimal("1500"), 25)
    assert p.period_end == T0 + timedelta(days=60)
    single_only = L.progress(RULES[0], purchases=[], anchor=T0, now=now)
    assert single_only.single == Decimal("10000") and single_only.remaining is None
