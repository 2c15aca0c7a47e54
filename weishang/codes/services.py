"""Writes for anti-counterfeit codes. Each function is one transaction."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import UTC, date, timedelta

from django.db import connection, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext_lazy as _

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
        return bool(user.is_staff and user.has_perm("codes.add_shipment"))
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


@dataclass
class ScanResult:
    event: ScanEvent
    state: CodeState
    batch: CodeBatch
    holder: object
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


def _maybe_alert(event: ScanEvent, holder, place: Place) -> DiversionAlert | None:
    if holder is None or not place.division or not outside_region(holder, place.division):
        return None
    return DiversionAlert.objects.create(
        scan=event, serial=event.serial, batch_id=event.batch_id, agent=holder,
        agent_region=holder.city_code or holder.province_code, scan_division=place.division,
        scan_province=place.division[:2], source=place.source, weak=place.source == LocationSource.IP,
        created_at=event.at)


def _aware(value):
    if isinstance(value, str):
        value = parse_datetime(value)
    if value is not None and timezone.is_naive(value):
        value = value.replace(tzinfo=UTC)
    return value


_STATE = CodeState._meta.db_table
_EVENT = ScanEvent._meta.db_table


def record_scan(*, code: str, batch: CodeBatch, serial: int, place: Place = UNKNOWN, person: str,
                consumer=None) -> ScanResult:
    """Write one consumer scan durably (state, event, alert) before anyone answers.

    The hot path of verification: four short SQL statements inside the write lock (raw SQL,
    because the time the lock is held bounds how many scans a second the database takes)."""
    now = timezone.now()
    holder = selectors.holder_of(serial)
    city = city_of(place.division)
    token = secrets.token_urlsafe(12)[:16]
    adapt = connection.ops.adapt_datetimefield_value
    for_update = " FOR UPDATE" if connection.features.has_select_for_update else ""
    with scan_write_lock(), transaction.atomic(), connection.cursor() as cur:
        cur.execute(f'INSERT INTO {_STATE} (serial, batch_id, first_at, first_division, last_at, count, people, '
                    f'cities, people_count, city_count, unreleased_scans, pin_failures) '
                    f"VALUES (%s, %s, %s, %s, %s, 0, '', '', 0, 0, 0, 0) ON CONFLICT (serial) DO NOTHING",
                    [serial, batch.pk, adapt(now), place.division, adapt(now)])
        cur.execute(f"SELECT count, people, cities, people_count, city_count, unreleased_scans, first_at, "
                    f"first_division FROM {_STATE} WHERE serial = %s{for_update}", [serial])
        count, people, cities, people_count, city_count, unreleased, first_at, first_division = cur.fetchone()
        count += 1
        people, new_person = _add(people, person, PEOPLE_CAP)
        people_count += int(new_person)
        cities, new_city = _add(cities, city, CITIES_CAP)
        city_count += int(new_city)
        if holder is None:
            unreleased += 1
            verdict = Verdict.UNRELEASED
        elif people_count > conf.warn_people() or city_count > conf.warn_cities():
            verdict = Verdict.WARNING
        else:
            verdict = Verdict.GENUINE
        cur.execute(f"UPDATE {_STATE} SET count = %s, last_at = %s, people = %s, people_count = %s, cities = %s, "
                    f"city_count = %s, unreleased_scans = %s WHERE serial = %s",
                    [count, adapt(now), people, people_count, cities, city_count, unreleased, serial])
        cur.execute(f"INSERT INTO {_EVENT} (serial, batch_id, at, verdict, nth, division, source, holder_id, person, "
                    f"consumer_id, token) VALUES (%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s) RETURNING id",
                    [serial, batch.pk, adapt(now), verdict, count, place.division, place.source,
                     holder.pk if holder is not None else None, person,
                     consumer.pk if consumer is not None else None, token])
        event_id = cur.fetchone()[0]
        event = ScanEvent(id=event_id, serial=serial, batch=batch, at=now, verdict=verdict, nth=count,
                          division=place.division, source=place.source, holder=holder, person=person,
                          consumer=consumer, token=token)
        event._state.adding = False
        state = CodeState(serial=serial, batch=batch, first_at=_aware(first_at), first_division=first_division,
                          last_at=now, count=count, people=people, cities=cities, people_count=people_count,
                          city_count=city_count, unreleased_scans=unreleased)
        state._state.adding = False
        alert = _maybe_alert(event, holder, place)
        if holder is not None and count - unreleased == 1:
            # The first query since the item was released (scans of a leaked code before
            # release must not take the buyer's reward).
            first_genuine_scan.send(sender=ScanEvent, code=code, consumer=consumer, batch=batch)
    return ScanResult(event=event, state=state, batch=batch, holder=holder, code=code, alert=alert)


def relocate_scan(*, serial: int, token: str, place: Place) -> ScanEvent:
    """The consumer picked their city for their own recent scan (the page's token proves it)."""
    if place.source != LocationSource.CHOICE:
        raise DomainError(_("Choose a city."), code="invalid_place")
    since = timezone.now() - timedelta(seconds=conf.relocate_window())
    with transaction.atomic():
        event = (ScanEvent.objects.select_for_update(of=("self",)).select_related("holder")
                 .filter(serial=serial, token=token, at__gte=since).first())
        if event is None or not token:
            raise NotFound()
        if event.source == LocationSource.CHOICE:
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
        _maybe_alert(event, event.holder, place)
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
