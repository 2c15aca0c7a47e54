"""Batches, nesting, scan-out binding, undo, traceability and consumer scans."""

from __future__ import annotations

import datetime as dt

import pytest

from weishang.codes import selectors, services
from weishang.codes.location import Place
from weishang.codes.models import (
    CodeBatch,
    CodeState,
    DiversionAlert,
    Holding,
    Kind,
    LocationSource,
    ScanEvent,
    Verdict,
)
from weishang.codes.signals import first_genuine_scan
from weishang.core.errors import Conflict, DomainError, NotFound, PermissionDenied

from .conftest import code_of

pytestmark = pytest.mark.django_db


def test_batch_layout_and_nesting(batch):
    assert (batch.quantity, batch.box_count, batch.case_count) == (100, 10, 3)
    assert batch.serial_end - batch.serial_start == 113
    s0 = batch.serial_start
    assert batch.kind_of(s0) == Kind.ITEM and batch.kind_of(batch.box_start) == Kind.BOX
    assert batch.kind_of(batch.case_start + 2) == Kind.CASE
    assert selectors.parent(batch, s0 + 25) == batch.box_start + 2
    assert selectors.parent(batch, batch.box_start + 9) == batch.case_start + 2
    # last case: boxes 8,9 (items 80..99)
    last = batch.case_start + 2
    assert selectors.contents(batch, last) == [(s0 + 80, s0 + 100), (batch.box_start + 8, batch.box_start + 10),
                                               (last, last + 1)]
    assert selectors.contents(batch, batch.box_start + 1) == [(s0 + 10, s0 + 20), (batch.box_start + 1,
                                                                                     batch.box_start + 2)]


def test_batches_take_disjoint_ranges_and_the_current_key(batch, sku, hq, codec):
    second = services.create_batch(sku=sku, lot="L2", production_date=dt.date(2026, 1, 1),
                                   expiry_date=dt.date(2027, 1, 1), quantity=5, items_per_box=5,
                                   boxes_per_case=1, user=hq)
    assert second.serial_start == batch.serial_end
    assert second.key_version == codec.current == 2


def test_hundred_million_codes_cost_one_row(sku, hq):
    b = services.create_batch(sku=sku, lot="BIG", production_date=dt.date(2026, 1, 1),
                              expiry_date=dt.date(2027, 1, 1), quantity=100_000_000, items_per_box=12,
                              boxes_per_case=8, user=hq)
    assert CodeBatch.objects.count() == 1 and CodeState.objects.count() == 0 and Holding.objects.count() == 0
    assert selectors.batch_for_serial(b.serial_start + 99_999_999) == b


@pytest.mark.parametrize("field,kw", [
    ("quantity", {"quantity": 0}), ("items_per_box", {"items_per_box": 0}),
    ("expiry_date", {"expiry_date": dt.date(2025, 1, 1)}), ("lot", {"lot": " "}),
])
def test_bad_batch_input(sku, hq, field, kw):
    args = dict(sku=sku, lot="L", production_date=dt.date(2026, 1, 1), expiry_date=dt.date(2027, 1, 1),
                quantity=10, items_per_box=5, boxes_per_case=2, user=hq) | kw
    with pytest.raises(DomainError) as err:
        services.create_batch(**args)
    assert field in err.value.fields
    assert CodeBatch.objects.count() == 0


def ship(user, to, codes, reference=""):
    shipment = services.open_shipment(user=user, to_agent=to, reference=reference)
    lines = [services.scan_out(user=user, shipment=shipment, code=c) for c in codes]
    return shipment, lines


def test_case_scan_binds_everything_inside_and_agent_rebinds_a_box(batch, hq, net):
    top, down, _ = net
    case0 = batch.case_start
    _, (line,) = ship(hq, top, [code_of(batch, case0)], reference="PK2026-001")
    assert line.items == 40
    s0 = batch.serial_start
    for s in (s0, s0 + 39, batch.box_start + 3, case0):
        assert selectors.holding_at(s).agent == top
    assert selectors.holding_at(s0 + 40) is None  # case 1 is still at HQ
    # the top agent ships box 2 on to its downline
    ship(top.user, down, [code_of(batch, batch.box_start + 2)])
    assert selectors.holding_at(s0 + 25).agent == down
    assert selectors.holding_at(s0 + 19).agent == top and selectors.holding_at(s0 + 30).agent == top
    placed = selectors.place(s0 + 25)
    assert (placed.box, placed.case, placed.holder_id) == (batch.box_start + 2, case0, down.pk)
    # trail: HQ -> top -> down, with times
    hands = [(t.line.shipment.from_agent, t.line.shipment.to_agent) for t in selectors.trail(batch, s0 + 25)]
    assert hands == [(None, top), (top, down)]


def test_holdings_merge_so_rows_grow_with_shipments_not_items(batch, hq, net):
    top, _, _ = net
    ship(hq, top, [code_of(batch, batch.case_start + k) for k in range(3)])
    # the whole batch (items, boxes, cases) to one agent collapses into one interval
    ship(hq, net[2], [])
    assert list(Holding.objects.values_list("start", "end")) == [(batch.serial_start, batch.serial_end)]


def test_cannot_ship_twice_or_what_you_do_not_hold(batch, hq, net):
    top, down, stranger = net
    ship(hq, top, [code_of(batch, batch.box_start)])
    shipment = services.open_shipment(user=hq, to_agent=stranger)
    with pytest.raises(Conflict):  # an item inside was already shipped
        services.scan_out(user=hq, shipment=shipment, code=code_of(batch, batch.case_start))
    shipment = services.open_shipment(user=top.user, to_agent=down)
    with pytest.raises(PermissionDenied):  # box 1 is still at HQ, not top's stock
        services.scan_out(user=top.user, shipment=shipment, code=code_of(batch, batch.box_start + 1))
    with pytest.raises(DomainError):  # not a downline
        services.open_shipment(user=top.user, to_agent=stranger)
    with pytest.raises(PermissionDenied):  # a plain consumer
        services.open_shipment(user=stranger.user, to_agent=top, as_hq=True)
    # another agent cannot use someone else's shipment
    with pytest.raises(NotFound):
        services.scan_out(user=stranger.user, shipment=shipment, code=code_of(batch, batch.serial_start))


def test_forged_and_foreign_codes_refused_at_scan_out(batch, hq, net, codec):
    top, _, _ = net
    shipment = services.open_shipment(user=hq, to_agent=top)
    good = code_of(batch, batch.serial_start)
    forged = good[:12] + ("0" if good[12] != "0" else "1") + good[13:17]
    from weishang.codes.codec import check_symbol
    with pytest.raises(services.CodeInvalid):
        services.scan_out(user=hq, shipment=shipment, code=forged + check_symbol(forged))
    with pytest.raises(services.CodeInvalid):  # genuine key, but no batch holds this serial
        services.scan_out(user=hq, shipment=shipment, code=codec.encode(batch.serial_end + 5))
    with pytest.raises(services.CodeInvalid):  # old key version for a serial printed with v2
        services.scan_out(user=hq, shipment=shipment, code=codec.encode(batch.serial_start, 1))


def test_undo_with_reason_restores_previous_holder(batch, hq, net):
    top, down, stranger = net
    ship(hq, top, [code_of(batch, batch.case_start)])
    _, (line,) = ship(top.user, down, [code_of(batch, batch.box_start)])
    with pytest.raises(DomainError):
        services.undo_line(user=top.user, line=line, reason="  ")
    with pytest.raises(NotFound):
        services.undo_line(user=stranger.user, line=line, reason="oops")
    services.undo_line(user=top.user, line=line, reason="scanned the wrong box")
    assert selectors.holding_at(batch.serial_start + 3).agent == top
    with pytest.raises(Conflict):
        services.undo_line(user=top.user, line=line, reason="again")
    trail = selectors.trail(batch, batch.serial_start + 3)
    assert trail[-1].line.undo_reason == "scanned the wrong box"


def test_undo_blocked_once_shipped_on(batch, hq, net):
    top, down, _ = net
    _, (line,) = ship(hq, top, [code_of(batch, batch.box_start)])
    ship(top.user, down, [code_of(batch, batch.serial_start + 1)])
    with pytest.raises(Conflict):
        services.undo_line(user=hq, line=line, reason="wrong agent")
    # HQ undo to the warehouse works once the item is back with top
    assert selectors.holding_at(batch.serial_start + 1).agent == down


def test_explicit_packing_overrides_arithmetic(batch, hq, net):
    top, _, _ = net
    box = batch.box_start + 5
    items = [code_of(batch, batch.serial_start + s) for s in (0, 1, 2, 97)]
    services.report_packing(parent_code=code_of(batch, box), child_codes=items)
    batch.refresh_from_db()
    assert selectors.parent(batch, batch.serial_start + 97) == box
    assert selectors.parent(batch, batch.serial_start + 50) == batch.box_start + 5  # arithmetic still
    assert selectors.contents(batch, box) == [(batch.serial_start, batch.serial_start + 3),
                                              (batch.serial_start + 97, batch.serial_start + 98), (box, box + 1)]
    with pytest.raises(Conflict):
        services.report_packing(parent_code=code_of(batch, box + 1), child_codes=items[:1])
    with pytest.raises(DomainError):  # an item cannot contain anything
        services.report_packing(parent_code=items[0], child_codes=items[1:2])


def _scan(batch, serial, person="p1", division="", source=LocationSource.NONE, consumer=None):
    return services.record_scan(code=code_of(batch, serial), batch=batch, serial=serial,
                                place=Place(division, source), person=person, consumer=consumer)


def test_consumer_scans_unreleased_then_genuine_then_warning(batch, hq, net, settings):
    top, _, _ = net
    s = batch.serial_start
    r = _scan(batch, s)
    assert r.event.verdict == Verdict.UNRELEASED and r.state.unreleased_scans == 1
    ship(hq, top, [code_of(batch, batch.box_start)])
    settings.CODES_WARN_PEOPLE = 2
    r = _scan(batch, s, person="p1", division="440106", source=LocationSource.CHOICE)
    assert r.event.verdict == Verdict.GENUINE and r.state.count == 2 and r.holder.id == top.pk
    _scan(batch, s, person="p2")
    r = _scan(batch, s, person="p3")
    assert r.state.people_count == 3 and r.event.verdict == Verdict.WARNING
    assert ScanEvent.objects.filter(serial=s).count() == 4


def test_first_genuine_scan_signal_once(batch, hq, net):
    top, _, _ = net
    ship(hq, top, [code_of(batch, batch.box_start)])
    seen = []

    def receiver(sender, code, consumer, batch, **kw):
        seen.append((code, consumer, batch))

    first_genuine_scan.connect(receiver)
    try:
        _scan(batch, batch.serial_start)
        _scan(batch, batch.serial_start, person="p2")
    finally:
        first_genuine_scan.disconnect(receiver)
    assert len(seen) == 1 and seen[0][2] == batch


def test_diversion_alert_with_evidence(batch, hq, net):
    top, down, _ = net
    ship(hq, top, [code_of(batch, batch.case_start)])
    # in Guangzhou: fine
    assert _scan(batch, batch.serial_start, division="440106", source=LocationSource.CHOICE).alert is None
    # in Beijing by IP: alert, weak evidence
    alert = _scan(batch, batch.serial_start + 1, division="110100", source=LocationSource.IP).alert
    assert alert.agent == top and alert.weak and alert.scan_province == "11" and alert.agent_region == "440100"
    # Shenzhen is outside top's city (Guangzhou): alert; strong because chosen by the consumer
    alert = _scan(batch, batch.serial_start + 2, division="440300", source=LocationSource.CHOICE).alert
    assert alert is not None and not alert.weak
    # province-only location inside the province is inconclusive
    assert _scan(batch, batch.serial_start + 3, division="440000", source=LocationSource.IP).alert is None
    assert DiversionAlert.objects.count() == 2


def test_relocate_only_own_recent_scan(batch, hq, net):
    top, _, _ = net
    ship(hq, top, [code_of(batch, batch.case_start)])
    r = _scan(batch, batch.serial_start, division="440100", source=LocationSource.IP)
    with pytest.raises(NotFound):
        services.relocate_scan(serial=batch.serial_start, token="wrong", place=Place("110100", "choice"))
    services.relocate_scan(serial=batch.serial_start, token=r.event.token, place=Place("110100", "choice"))
    alert = DiversionAlert.objects.get()
    assert alert.source == "choice" and not alert.weak
    assert CodeState.objects.get(serial=batch.serial_start).first_division == "110100"
    with pytest.raises(Conflict):
        services.relocate_scan(serial=batch.serial_start, token=r.event.token, place=Place("440100", "choice"))


def test_scan_writes_queue_on_a_file_lock_with_sqlite(batch, monkeypatch, tmp_path, settings):
    from django.db import connection

    from weishang.codes import writelock

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL uses row locks")
    lock = tmp_path / "db.scanlock"
    monkeypatch.setattr(writelock, "_lock_path", lambda settings_dict: str(lock))
    _scan(batch, batch.serial_start)
    assert lock.exists() and ScanEvent.objects.filter(serial=batch.serial_start).count() == 1
    lock.unlink()
    settings.CODES_SCAN_FILE_LOCK = "0"  # SQLite's own busy handling only
    _scan(batch, batch.serial_start)
    assert not lock.exists() and ScanEvent.objects.filter(serial=batch.serial_start).count() == 2


def test_no_lock_file_beside_a_test_database():
    """Other tests (the demo loader) scan on the throw-away test database: no lock file is
    made beside it, so no /tmp/weishang-test-*.scanlock is left behind."""
    from django.db import connection

    from weishang.codes import writelock

    from .conftest import ORIGINAL_LOCK_PATH

    if connection.vendor != "sqlite":
        pytest.skip("SQLite only")
    assert writelock._lock_path is not ORIGINAL_LOCK_PATH  # the fixture points tests at tmp_path
    original = connection.settings_dict
    assert ORIGINAL_LOCK_PATH(original) is None
    real = {**original, "TEST": {**original.get("TEST", {}), "NAME": None}}
    assert ORIGINAL_LOCK_PATH(real) == f"{original['NAME']}.scanlock"  # a real database gets its lock


def test_reward_signal_ignores_scans_before_release(batch, hq, net):
    top, _, _ = net
    seen = []

    def receiver(sender, code, consumer, batch, **kw):
        seen.append(code)

    first_genuine_scan.connect(receiver)
    try:
        _scan(batch, batch.serial_start, person="leaker")  # not yet released: no reward
        assert seen == []
        ship(hq, top, [code_of(batch, batch.box_start)])
        _scan(batch, batch.serial_start, person="buyer")
        _scan(batch, batch.serial_start, person="buyer")
    finally:
        first_genuine_scan.disconnect(receiver)
    assert len(seen) == 1


def test_masked_names():
    from weishang.codes.selectors import mask_name

    assert [mask_name(n) for n in ("张三明", "张三", "欧阳娜娜", "A", "", "Alice")] == [
        "张*明", "张*", "欧**娜", "*", "", "A***e"]


def test_counters_cap_stored_people_and_count_the_rest(batch, hq, net, monkeypatch):
    """The scan upsert keeps the copied-code sets capped, like services._add, in SQL."""
    monkeypatch.setattr(services, "PEOPLE_CAP", 3)
    services._scan_sql.cache_clear()
    try:
        ship(hq, net[0], [code_of(batch, batch.box_start)])
        for i in range(5):
            _scan(batch, batch.serial_start, person=f"p{i}", division=f"{110100 + i * 100}",
                  source=LocationSource.CHOICE)
        r = _scan(batch, batch.serial_start, person="p0", division="110100", source=LocationSource.CHOICE)
    finally:
        services._scan_sql.cache_clear()
    state = CodeState.objects.get(serial=batch.serial_start)
    assert state.people == "p0,p1,p2" and state.people_count == 5 and r.state.people_count == 5
    assert state.cities.split(",")[:2] == ["110100", "110200"] and state.count == 6
    assert r.event.verdict == Verdict.WARNING
