"""Demo data for codes: one batch per first two SKUs, the first case of each shipped to the
first top-level agent (and one box on to its downline, if any), a few consumer scans
including a diversion alert, so every codes page has something to show. Idempotent."""

from __future__ import annotations

import datetime as dt

from weishang.agents.models import Agent, AgentStatus
from weishang.catalog.models import SKU

from . import conf, services
from .location import Place
from .models import CodeBatch, LocationSource, ScanEvent, Shipment

LOTS = ("LX2026-0101", "LX2026-0102")


def load(ctx: dict) -> None:
    created = ctx.setdefault("created", [])
    hq = ctx.get("hq_warehouse") or ctx.get("hq_admin")
    skus = list(ctx.get("skus") or SKU.objects.order_by("id"))[:2]
    if hq is None or not skus:
        return
    batches = []
    for sku, lot in zip(skus, LOTS, strict=False):
        batch = CodeBatch.objects.filter(lot=lot).first()
        if batch is None:
            batch = services.create_batch(sku=sku, lot=lot, production_date=dt.date(2026, 1, 1),
                                          expiry_date=dt.date(2029, 1, 1), quantity=960, items_per_box=12,
                                          boxes_per_case=8, with_pin=lot.endswith("02"), user=hq,
                                          note="demo")
            created.append(f"code batch {lot}")
        batches.append(batch)
    ctx["code_batches"] = batches
    codec = conf.get_codec()
    first = batches[0]
    if not ScanEvent.objects.filter(person="demo-leak").exists():
        # a scan of a code never shipped out: "not yet released" (needs no agent)
        serial = first.serial_start + first.quantity - 1
        services.record_scan(code=codec.encode(serial, first.key_version), batch=first, serial=serial,
                             place=Place("110100", LocationSource.IP), person="demo-leak")
        created.append("demo scan of an unreleased code")

    top = (Agent.objects.filter(upline__isnull=True, status=AgentStatus.ACTIVE).order_by("id").first()
           if ctx.get("agent") is None else ctx["agent"])
    if top is None or Shipment.objects.filter(reference="DEMO-PK-001").exists():
        return
    shipment = services.open_shipment(user=hq, to_agent=top, reference="DEMO-PK-001", as_hq=True)
    for batch in batches:
        services.scan_out(user=hq, shipment=shipment, code=codec.encode(batch.case_start, batch.key_version))
    services.finish_shipment(user=hq, shipment=shipment)
    created.append("scan-out DEMO-PK-001")
    down = top.downlines.filter(status=AgentStatus.ACTIVE).order_by("id").first()
    if down is not None:
        onward = services.open_shipment(user=top.user, to_agent=down, reference="DEMO-PK-002", as_hq=False)
        services.scan_out(user=top.user, shipment=onward, code=codec.encode(first.box_start, first.key_version))
        services.finish_shipment(user=top.user, shipment=onward)
    # consumer scans of released items: one at home (chosen city), one far away located by IP
    # only (weak diversion evidence), one far away by the device's location (strong)
    region = top.city_code or top.province_code or "440100"
    far = "110100" if not region.startswith("11") else "310100"
    for i, place in enumerate((Place(region, LocationSource.CHOICE), Place(far, LocationSource.IP),
                               Place(far, LocationSource.GPS))):
        serial = first.serial_start + 20 + i
        services.record_scan(code=codec.encode(serial, first.key_version), batch=first, serial=serial, place=place,
                             person=f"demo-{i}")
    created.append("demo scans")
