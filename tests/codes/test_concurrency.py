"""Consumers scanning at the same moment: no scan is lost, every Nth is given once."""

from __future__ import annotations

import pytest

from tests.threads import needs_shared_database, run_together
from weishang.codes import services
from weishang.codes.location import Place
from weishang.codes.models import CodeState, ScanEvent

from .conftest import code_of

pytestmark = [pytest.mark.django_db(transaction=True), needs_shared_database]

THREADS = 12


def test_simultaneous_scans_of_one_code_are_all_counted(batch, hq, net):
    services.scan_out(user=hq, shipment=services.open_shipment(user=hq, to_agent=net[0]),
                      code=code_of(batch, batch.case_start))
    serial = batch.serial_start
    code = code_of(batch, serial)
    def scan(i: int) -> int:
        r = services.record_scan(code=code, batch=batch, serial=serial, person=f"p{i:02d}",
                                 place=Place(f"{110100 + 100 * (i % 4)}", "choice"))
        return r.event.nth

    results = run_together(THREADS, scan)  # fails on any exception in a thread
    assert sorted(results) == list(range(1, THREADS + 1))  # each Nth answered exactly once
    state = CodeState.objects.get(serial=serial)
    assert (state.count, state.people_count, state.city_count) == (THREADS, THREADS, 4)
    assert sorted(ScanEvent.objects.filter(serial=serial).values_list("nth", flat=True)) == sorted(results)
