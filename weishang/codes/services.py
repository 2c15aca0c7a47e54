"""Writes for anti-counterfeit codes. Each function is one transaction."""

from __future__ import annotations

import functools
import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from django.db import DEFAULT_DB_ALIAS, connections, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

from weishang.accounts.roles import hq_can
from weishang.core.errors import Conflict, DomainError, NotFound, PermissionDenied

from . import conf, selectors
from .codec import MAX_SERIAL, CodeError
from .location import UNKNOWN, Place, city_of, same_city, same_province
from .models import (
    CodeBatch,
    CodeState,
    DiversionAlert,
    Holding,
    Kind,
    LocationSource,
    PackingRange,
    ScanEvent,
    SerialCounter,
    Shipment,
    ShipmentLine,
    ShipmentStatus,
    TraceRange,
    Verdict,
)
from .signals import first_genuine_scan
from .writelock import scan_write_lock

PEOPLE_CAP = 64
CITIES_CAP = 64


class CodeInvalid(DomainError):
    """Not a genuine code. One message for every reason, so answers do not leak which."""

    status = 404
    code = "code_not_genuine"

    def __init__(self, reason: str = "forged") -> None:
        self.reason = reason
        super().__init__(_("This code is not a genuine code of ours."))


def decode_in_batch(text: str):
    """(decoded, batch) for a genuine issued code; CodeInvalid otherwise."""
    try:
        decoded = conf.get_codec().decode(text)
    except CodeError as exc:
        raise CodeInvalid(exc.reason) from None
    batch = selectors.batch_for_serial(decoded.serial)
    if batch is None or batch.key_version != decoded.version:
        raise CodeInvalid("unknown")
    return decoded, batch


# --- batches ----------------------------------------------------------------------------
def create_batch(*, sku, lot: str, production_date: date, expiry_date: date, quantity: int, items_per_box: int,
                 boxes_per_case: int, with_pin: bool = False, note: str = "", user=None) -> CodeBatch:
    errors: dict[str, list] = {}
    lot = (lot or "").strip()
    if not lot:
        errors["lot"] = [_("Enter the lot number.")]
    if quantity is None or quantity < 1:
        errors["quantity"] = [_("A batch needs at least one item.")]
    elif quantity > conf.max_batch_quantity():
        errors["quantity"] = [_("At most %(n)s items per batch.") % {"n": conf.max_batch_quantity()}]
    if not items_per_box or items_per_box < 1:
        errors["items_per_box"] = [_("At least one item per box.")]
    if not boxes_per_case or boxes_per_case < 1:
        errors["boxes_per_case"] = [_("At least one box per case.")]
    if production_date and expiry_date and expiry_date <= production_date:
        errors["expiry_date"] = [_("The expiry date must be after the production date.")]
    if errors:
        raise DomainError(_("Please correct the errors below."), code="invalid_batch", fields=errors)
    box_count = -(-quantity // items_per_box)
    case_count = -(-box_count // boxes_per_case)
    total = quantity + box_count + case_count
    codec = conf.get_codec()
    with transaction.atomic():
        SerialCounter.objects.get_or_create(pk=1)
        counter = SerialCounter.objects.select_for_update().get(pk=1)
        start = counter.next_serial
        if start + total - 1 > MAX_SERIAL:
            raise DomainError(_("The serial space of this key is used up; rotate the code key."), code="serials_full")
        counter.next_serial = start + total
        counter.save(update_fields=["next_serial"])
        selectors.batch_cache.clear()
        transaction.on_commit(selectors.batch_cache.clear)
        return CodeBatch.objects.create(
            sku=sku, lot=lot, production_date=production_date, expiry_date=expiry_date, quantity=quantity,
            items_per_box=items_per_box, boxes_per_case=boxes_per_case, box_count=box_count, case_count=case_count,
            serial_start=start, serial_end=start + total, key_version=codec.current, with_pin=with_pin,
            note=note[:200], created_by=user)


def report_packing(*, parent_code: str, child_codes: list[str]) -> list[PackingRange]:
    """A packing line reports what it put in a box or case: explicit pairs, stored as ranges."""
    decoded_parent, batch = decode_in_batch(parent_code)
    parent = decoded_parent.serial
    pkind = batch.kind_of(parent)
    want = Kind.ITEM if pkind == Kind.BOX else Kind.BOX if pkind == Kind.CASE else None
    if want is None:
        raise DomainError(_("Only boxes and cases contain other codes."), code="not_a_container")
    serials = []
    for text in child_codes:
        decoded, child_batch = decode_in_batch(text)
        if child_batch.pk != batch.pk or batch.kind_of(decoded.serial) != want:
            raise DomainError(_("%(code)s does not belong in this container.") % {"code": text},
                              code="wrong_child")
        serials.append(decoded.serial)
    if not serials:
        raise DomainError(_("Scan at least one code to pack."), code="empty_packing")
    ranges = selectors.merge([(s, s + 1) for s in serials])
    selectors.batch_cache.clear()
    with transaction.atomic():
        CodeBatch.objects.filter(pk=batch.pk).update(explicit_packing=True)
        rows = []
        for a, b in ranges:
            clash = PackingRange.objects.filter(batch=batch, child_start__lt=b, child_end__gt=a).exists()
            if clash:
                raise Conflict(_("Some of these codes were already packed elsewhere."), code="already_packed")
            rows.append(PackingRange.objects.create(batch=batch, parent=parent, child_start=a, child_end=b))
        return rows


# --- holdings: disjoint intervals ----------------------------------------------------------
def _assign(a: int, b: int, agent_id: int | None, now) -> None:
    """Make [a, b) held by agent_id (None: back to HQ). Caller holds the transaction."""
    for h in selectors.overlapping(a, b, lock=True):
        if h.start < a and h.end > b:
            Holding.objects.create(start=b, end=h.end, agent_id=h.agent_id, since=h.since)
            Holding.objects.filter(pk=h.pk).update(end=a)
        elif h.start < a:
            Holding.objects.filter(pk=h.pk).update(end=a)
        elif h.end > b:
            # Move the start past b: delete and re-create (start is unique).
            Holding.objects.filter(pk=h.pk).delete()
            Holding.objects.create(start=b, end=h.end, agent_id=h.agent_id, since=h.since)
        else:
            Holding.objects.filter(pk=h.pk).delete()
    if agent_id is None:
        return
    left = Holding.objects.filter(start__lt=a).order_by("-start").first()
    right = Holding.objects.filter(start=b, agent_id=agent_id).first()
    end = right.end if right is not None else b
    if right is not None:
        right.delete()
    if left is not None and left.end == a and left.agent_id == agent_id:
        Holding.objects.filter(pk=left.pk).update(end=end)
    else:
        Holding.objects.create(start=a, end=end, agent_id=agent_id, since=now)


def _held_entirely_by(a: int, b: int, agent_id: int | None) -> bool:
    parts = selectors.overlapping(a, b, lock=True)
    if agent_id is None:
        return not parts
    pos = a
    for h in parts:
        if h.agent_id != agent_id or h.start > pos:
            return False
        pos = h.end
    return pos >= b


# --- scan-out ----------------------------------------------------------------------------------
def can_ship_from(user, from_agent) -> bool:
    if from_agent is None:
        return hq_can(user, "codes.add_shipment")
    return getattr(user, "agent", None) is not None and user.agent.pk == from_agent.pk


def open_shipment(*, user, to_agent, reference: str = "", as_hq: bool | None = None) -> Shipment:
    """Start a scan-out. HQ staff ship from the warehouse; an agent ships its own stock to one
    of its direct downlines."""
    agent = getattr(user, "agent", None) if user.is_authenticated else None
    from_hq = user.is_staff if as_hq is None else as_hq
    if from_hq:
        if not can_ship_from(user, None):
            raise PermissionDenied()
        from_agent = None
    else:
        if agent is None:
            raise PermissionDenied()
        from_agent = agent
        if to_agent.upline_id != agent.pk:
            raise DomainError(_("You can only ship to your own downline agents."), code="not_downline",
                              fields={"to_agent": [_("Not one of your downline agents.")]})
    if not to_agent.can_trade:
        raise DomainError(_("This agent is not active."), code="agent_inactive",
                          fields={"to_agent": [_("This agent is not active.")]})
    return Shipment.objects.create(from_agent=from_agent, to_agent=to_agent, reference=(reference or "")[:40],
                                   created_by=user)


def _check_shipment_owner(user, shipment: Shipment) -> None:
    if not can_ship_from(user, shipment.from_agent):
        raise NotFound()


def scan_out(*, user, shipment: Shipment, code: str) -> ShipmentLine:
    """Bind a scanned case, box or item (and everything inside it) to the receiving agent."""
    _check_shipment_owner(user, shipment)
    if shipment.status != ShipmentStatus.OPEN:
        raise Conflict(_("This shipment is closed."), code="shipment_closed")
    decoded, batch = decode_in_batch(code)
    ranges = selectors.contents(batch, decoded.serial)
    now = timezone.now()
    with transaction.atomic():
        # Scan-outs of one batch queue on its row, so two concurrent scans cannot both find
        # the same serials free (PostgreSQL; SQLite's IMMEDIATE transactions already queue).
        CodeBatch.objects.select_for_update().filter(pk=batch.pk).values_list("pk", flat=True).first()
        sender = shipment.from_agent_id
        for a, b in ranges:
            if not _held_entirely_by(a, b, sender):
                if sender is None:
                    raise Conflict(_("This code (or something inside it) was already shipped out."),
                                   code="already_shipped")
                raise PermissionDenied(_("This code (or something inside it) is not in your stock."),
                                       code="not_your_stock")
        items = sum(min(b, batch.box_start) - a for a, b in ranges if a < batch.box_start)
        line = ShipmentLine.objects.create(shipment=shipment, batch=batch, scanned_serial=decoded.serial,
                                           kind=batch.kind_of(decoded.serial), items=items,
                                           ranges=",".join(f"{a}-{b}" for a, b in ranges))
        TraceRange.objects.bulk_create([TraceRange(line=line, batch=batch, start=a, end=b) for a, b in ranges])
        for a, b in ranges:
            _assign(a, b, shipment.to_agent_id, now)
    return line


def undo_line(*, user, line: ShipmentLine, reason: str) -> ShipmentLine:
    shipment = line.shipment
    _check_shipment_owner(user, shipment)
    reason = (reason or "").strip()
    if not reason:
        raise DomainError(_("Say why this is undone."), code="reason_required",
                          fields={"reason": [_("Say why this is undone.")]})
    if line.undone_at is not None:
        raise Conflict(_("Already undone."), code="already_undone")
    with transaction.atomic():
        CodeBatch.objects.select_for_update().filter(pk=line.batch_id).values_list("pk", flat=True).first()
        for a, b in line.range_list():
            if not _held_entirely_by(a, b, shipment.to_agent_id):
                raise Conflict(_("The receiving agent has already shipped some of it on; undo that first."),
                               code="shipped_on")
        for a, b in line.range_list():
            _assign(a, b, shipment.from_agent_id, timezone.now())
        line.undone_at = timezone.now()
        line.undone_by = user
        line.undo_reason = reason[:200]
        line.save(update_fields=["undone_at", "undone_by", "undo_reason"])
    return line


def finish_shipment(*, user, shipment: Shipment) -> Shipment:
    _check_shipment_owner(user, shipment)
    if not shipment.lines.filter(undone_at__isnull=True).exists():
        raise DomainError(_("Scan at least one code first."), code="empty_shipment")
    Shipment.objects.filter(pk=shipment.pk).update(status=ShipmentStatus.DONE)
    shipment.status = ShipmentStatus.DONE
    return shipment


# --- consumer scans ------------------------------------------------------------------------------
def person_key(*, user=None, visitor: str = "", ip: str = "") -> str:
    raw = f"u:{user.pk}" if user is not None and user.is_authenticated else (f"c:{visitor}" if visitor else f"i:{ip}")
    return hashlib.sha256(raw.encode()).hexdigest()[:12]


def outside_region(agent, division: str) -> bool:
    """Is a scan at `division` outside the agent's authorised region (province, then city)?"""
    if not division:
        return False
    if agent.city_code:
        if not same_province(agent.city_code, division):
            return True
        if division.endswith("0000"):
            return False  # only the province is known: inconclusive
        return not same_city(agent.city_code, division)
    if agent.province_code:
        return not same_province(agent.province_code, division)
    return False


@dataclass(slots=True)
class Scan:
    """The scan event as written (no model instance on the hot path)."""

    id: int
    serial: int
    batch_id: int
    at: object
    verdict: str
    nth: int
    division: str
    source: str
    holder_id: int | None
    token: str


@dataclass(slots=True)
class Tally:
    """The code's counters right after this scan."""

    count: int
    first_at: object
    first_division: str
    people_count: int
    city_count: int
    unreleased_scans: int


@dataclass(slots=True)
class ScanResult:
    event: Scan
    state: Tally
    batch: CodeBatch
    holder: selectors.Seller | None
    code: str
    alert: DiversionAlert | None


def _add(capped: str, value: str, cap: int) -> tuple[str, bool]:
    items = capped.split(",") if capped else []
    if not value or value in items:
        return capped, False
    if len(items) >= cap:
        return capped, True  # counted, not stored
    items.append(value)
    return ",".join(items), True


def _maybe_alert(*, scan_id: int, serial: int, batch_id: int, at, holder, place: Place) -> DiversionAlert | None:
    if holder is None or not place.division or not outside_region(holder, place.division):
        return None
    return DiversionAlert.objects.create(
        scan_id=scan_id, serial=serial, batch_id=batch_id, agent_id=holder.id,
        agent_region=holder.city_code or holder.province_code, scan_division=place.division,
        scan_province=place.division[:2], source=place.source, weak=place.source == LocationSource.IP,
        created_at=at)


def _aware(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


_STATE = CodeState._meta.db_table
_EVENT = ScanEvent._meta.db_table


def _set_add_sql(column: str, count: str, cap: int, instr: str) -> tuple[str, str]:
    """SQL for "add excluded.<column> to the capped comma list s.<column>" and for its count:
    the same rule as _add (an empty value is not added; past the cap it is counted, not
    stored), evaluated inside the upsert so a scan is one statement."""
    seen = f"({instr}(',' || s.{column} || ',', ',' || excluded.{column} || ',') > 0)"
    skip = f"(excluded.{column} = '' OR {seen})"
    text = (f"CASE WHEN {skip} OR s.{count} >= {cap} THEN s.{column} WHEN s.{column} = '' THEN excluded.{column} "
            f"ELSE s.{column} || ',' || excluded.{column} END")
    number = f"s.{count} + CASE WHEN {skip} THEN 0 ELSE 1 END"
    return text, number


@functools.cache
def _scan_sql(vendor: str) -> tuple[str, str]:
    instr = "INSTR" if vendor == "sqlite" else "STRPOS"
    people, people_count = _set_add_sql("people", "people_count", PEOPLE_CAP, instr)
    cities, city_count = _set_add_sql("cities", "city_count", CITIES_CAP, instr)
    upsert = (f"INSERT INTO {_STATE} AS s (serial, batch_id, first_at, first_division, last_at, count, people, "
              f"cities, people_count, city_count, unreleased_scans, pin_failures) "
              f"VALUES (%s, %s, %s, %s, %s, 1, %s, %s, 1, %s, %s, 0) "
              f"ON CONFLICT (serial) DO UPDATE SET count = s.count + 1, last_at = excluded.last_at, "
              f"people = {people}, people_count = {people_count}, cities = {cities}, city_count = {city_count}, "
              f"unreleased_scans = s.unreleased_scans + excluded.unreleased_scans "
              f"RETURNING count, people_count, city_count, unreleased_scans, first_at, first_division")
    event = (f"INSERT INTO {_EVENT} (serial, batch_id, at, verdict, nth, division, source, holder_id, person, "
             f"consumer_id, token) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id")
    if vendor == "sqlite":  # run on the sqlite3 connection itself: its placeholders
        upsert, event = upsert.replace("%s", "?"), event.replace("%s", "?")
    return upsert, event


def record_scan(*, code: str, batch: CodeBatch, serial: int, place: Place = UNKNOWN, person: str,
                consumer=None) -> ScanResult:
    """Write one consumer scan durably (state, event, alert) before anyone answers.

    The hot path of verification: two SQL statements in one IMMEDIATE transaction (an upsert
    of the code's counters that returns them, and the event insert), so the write lock is
    held for tens of microseconds."""
    now = timezone.now()
    holder_id = selectors.holder_id_of(serial)
    holder = selectors.seller(holder_id) if holder_id is not None else None
    city = city_of(place.division)
    token = secrets.token_urlsafe(12)[:16]
    conn = connections[DEFAULT_DB_ALIAS]  # once: each `connection.x` is a thread-local lookup
    at = conn.ops.adapt_datetimefield_value(now)
    upsert, insert_event = _scan_sql(conn.vendor)
    released = holder is not None
    with scan_write_lock(), transaction.atomic():
        count, people_count, city_count, unreleased, first_at, first_division = selectors.fetch_one(
            upsert, [serial, batch.pk, at, place.division, at, person, city, int(bool(city)), int(not released)])
        if not released:
            verdict = Verdict.UNRELEASED
        elif people_count > conf.warn_people() or city_count > conf.warn_cities():
            verdict = Verdict.WARNING
        else:
            verdict = Verdict.GENUINE
        event_id = selectors.fetch_one(insert_event, [
            serial, batch.pk, at, verdict, count, place.division, place.source, holder_id, person,
            consumer.pk if consumer is not None else None, token])[0]
        alert = _maybe_alert(scan_id=event_id, serial=serial, batch_id=batch.pk, at=now, holder=holder,
                             place=place)
        if released and count - unreleased == 1:
            # The first query since the item was released (scans of a leaked code before
            # release must not take the buyer's reward).
            first_genuine_scan.send(sender=ScanEvent, code=code, consumer=consumer, batch=batch)
    event = Scan(id=event_id, serial=serial, batch_id=batch.pk, at=now, verdict=verdict, nth=count,
                 division=place.division, source=place.source, holder_id=holder_id, token=token)
    state = Tally(count=count, first_at=_aware(first_at), first_division=first_division, people_count=people_count,
                  city_count=city_count, unreleased_scans=unreleased)
    return ScanResult(event=event, state=state, batch=batch, holder=holder, code=code, alert=alert)


# How much a scan's place can be trusted; a consumer may only replace it with a better one.
_PLACE_RANK: dict[str, int] = {LocationSource.NONE: 0, LocationSource.IP: 1, LocationSource.CHOICE: 2, LocationSource.GPS: 3}


def relocate_scan(*, serial: int, token: str, place: Place) -> ScanEvent:
    """The consumer's browser reported its location (device geolocation, turned into a
    division code) or the consumer picked a city, for their own recent scan (the page's
    token proves it). Only a better source replaces the place: device > chosen > IP."""
    if place.source not in (LocationSource.CHOICE, LocationSource.GPS) or not place.division:
        raise DomainError(_("Choose a city."), code="invalid_place")
    since = timezone.now() - timedelta(seconds=conf.relocate_window())
    with transaction.atomic():
        event = (ScanEvent.objects.select_for_update(of=("self",))
                 .filter(serial=serial, token=token, at__gte=since).first())
        if event is None or not token:
            raise NotFound()
        if _PLACE_RANK.get(event.source, 0) >= _PLACE_RANK[place.source]:
            raise Conflict(_("The place of this scan was already set."), code="already_placed")
        event.division, event.source = place.division, place.source
        event.save(update_fields=["division", "source"])
        state = CodeState.objects.select_for_update().get(serial=serial)
        state.cities, new_city = _add(state.cities, city_of(place.division), CITIES_CAP)
        state.city_count += int(new_city)
        if state.count == 1 or (state.first_at == event.at):
            state.first_division = place.division
        state.save(update_fields=["cities", "city_count", "first_division"])
        DiversionAlert.objects.filter(scan=event).delete()
        holder = selectors.seller(event.holder_id) if event.holder_id is not None else None
        _maybe_alert(scan_id=event.pk, serial=serial, batch_id=event.batch_id, at=event.at, holder=holder,
                     place=place)
    return event


def check_pin(*, serial: int, version: int, pin: str) -> bool:
    ok = conf.get_codec().check_pin(serial, version, pin)
    if not ok:
        CodeState.objects.filter(serial=serial).update(pin_failures=F("pin_failures") + 1)
    return ok


def set_alert_status(*, alert: DiversionAlert, status: str) -> DiversionAlert:
    alert.status = status
    alert.save(update_fields=["status"])
    return alert
