"""Reads: which batch a serial is in, what a container holds, who holds a serial, the trail.

Every lookup by serial is one indexed "start <= s ORDER BY start DESC LIMIT 1" query, so
its cost does not grow with the number of codes printed or bound.
"""

from __future__ import annotations

import functools
import threading
import time
from bisect import bisect_right
from dataclasses import dataclass

from cachetools import TTLCache, cached
from django.db import DEFAULT_DB_ALIAS, connection, connections
from django.db.models import Count, Q

from weishang.core.names import mask_name  # one rule for every public page

from .models import CodeBatch, Holding, Kind, PackingRange, TraceRange

Ranges = list[tuple[int, int]]


class _BatchCache:
    """Every batch's serial range, in process memory. Batches are few (one row per print run)
    and their ranges never change, so the hot paths (verification, scan-out) find a serial's
    batch with a bisect instead of a query. New batches: create_batch clears this process's
    cache; other processes reload on a miss (at most once a second) and every TTL seconds,
    which also picks up a packing line's `explicit_packing` flag."""

    TTL = 10.0
    MISS_RELOAD = 1.0

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.clear()

    def clear(self) -> None:
        self.starts: list[int] = []
        self.batches: list[CodeBatch] = []
        self.loaded_at = float("-inf")

    def _load(self) -> None:
        batches = list(CodeBatch.objects.select_related("sku__product").order_by("serial_start"))
        self.starts = [b.serial_start for b in batches]
        self.batches = batches
        self.loaded_at = time.monotonic()

    def _find(self, serial: int) -> CodeBatch | None:
        i = bisect_right(self.starts, serial) - 1
        if i >= 0 and serial < self.batches[i].serial_end:
            return self.batches[i]
        return None

    def get(self, serial: int) -> CodeBatch | None:
        age = time.monotonic() - self.loaded_at
        if age > self.TTL:
            with self._lock:
                self._load()
            return self._find(serial)
        found = self._find(serial)
        if found is None and age > self.MISS_RELOAD:
            with self._lock:
                self._load()
            found = self._find(serial)
        return found


batch_cache = _BatchCache()


def batch_for_serial(serial: int) -> CodeBatch | None:
    return batch_cache.get(serial)


def merge(ranges: Ranges) -> Ranges:
    out: Ranges = []
    for a, b in sorted(r for r in ranges if r[1] > r[0]):
        if out and a <= out[-1][1]:
            out[-1] = (out[-1][0], max(out[-1][1], b))
        else:
            out.append((a, b))
    return out


def _uniform_box_items(batch: CodeBatch, box: int) -> tuple[int, int]:
    k = box - batch.box_start
    a = batch.serial_start + k * batch.items_per_box
    return a, min(a + batch.items_per_box, batch.box_start)


def _uniform_case_boxes(batch: CodeBatch, case: int) -> tuple[int, int]:
    c = case - batch.case_start
    a = batch.box_start + c * batch.boxes_per_case
    return a, min(a + batch.boxes_per_case, batch.case_start)


def _reported(batch: CodeBatch, parents: list[int]) -> dict[int, Ranges]:
    out: dict[int, Ranges] = {}
    for p, a, b in PackingRange.objects.filter(batch=batch, parent__in=parents).values_list(
            "parent", "child_start", "child_end"):
        out.setdefault(p, []).append((a, b))
    return out


def contents(batch: CodeBatch, serial: int) -> Ranges:
    """Every serial bound when this code is scanned out: itself and all it contains."""
    kind = batch.kind_of(serial)
    ranges: Ranges = [(serial, serial + 1)]
    if kind == Kind.ITEM:
        return ranges
    reported = _reported(batch, [serial]) if batch.explicit_packing else {}
    if kind == Kind.BOX:
        ranges += reported.get(serial) or [_uniform_box_items(batch, serial)]
        return merge(ranges)
    boxes = reported.get(serial) or [_uniform_case_boxes(batch, serial)]
    ranges += boxes
    box_serials = [s for a, b in boxes for s in range(a, b)] if batch.explicit_packing else []
    reported_items = _reported(batch, box_serials) if box_serials else {}
    if not reported_items:
        # Uniform packing: a run of boxes holds one contiguous run of items.
        for a, b in boxes:
            ranges.append((_uniform_box_items(batch, a)[0], _uniform_box_items(batch, b - 1)[1]))
    else:
        for s in box_serials:
            ranges += reported_items.get(s) or [_uniform_box_items(batch, s)]
    return merge(ranges)


def parent(batch: CodeBatch, serial: int) -> int | None:
    """The box of an item or the case of a box (None for a case)."""
    if batch.explicit_packing:
        row = (PackingRange.objects.filter(batch=batch, child_start__lte=serial).order_by("-child_start")
               .values_list("parent", "child_end").first())
        if row is not None and serial < row[1]:
            return row[0]
    kind = batch.kind_of(serial)
    if kind == Kind.ITEM:
        return batch.box_start + (serial - batch.serial_start) // batch.items_per_box
    if kind == Kind.BOX:
        return batch.case_start + (serial - batch.box_start) // batch.boxes_per_case
    return None


def holding_at(serial: int) -> Holding | None:
    h = Holding.objects.select_related("agent").filter(start__lte=serial).order_by("-start").first()
    return h if h is not None and serial < h.end else None


def fetch_one(sql: str, params: list | tuple):
    """Run one statement of the scan hot path and return its first row.

    On SQLite it goes straight to the sqlite3 connection under Django's (inside Django's
    transaction handling, with Django's error wrapping): Django's per-statement cursor
    wrappers cost more than SQLite itself here (measured: the scan's two statements took
    113 µs through Django's cursor, 66 µs this way). `sql` uses the vendor's placeholders
    (see services._scan_sql). These statements do not appear in Django's query log."""
    conn = connections[DEFAULT_DB_ALIAS]  # resolved once: each `connection.x` is a thread-local lookup
    if conn.vendor == "sqlite":
        if conn.connection is None:
            conn.ensure_connection()
        with conn.wrap_database_errors:
            return conn.connection.execute(sql, params).fetchone()
    with conn.cursor() as cur:
        cur.execute(sql, params)
        return cur.fetchone()


def holder_id_of(serial: int) -> int | None:
    """The id of the agent holding a serial (None: still at HQ), in one short SQL statement:
    this is on every consumer scan."""
    row = fetch_one(_holder_sql(connections[DEFAULT_DB_ALIAS].vendor), [serial])
    return row[1] if row is not None and serial < row[0] else None


@functools.cache
def _holder_sql(vendor: str) -> str:
    return (f"SELECT {connection.ops.quote_name('end')}, agent_id FROM {Holding._meta.db_table} "
            f"WHERE start <= {'?' if vendor == 'sqlite' else '%s'} ORDER BY start DESC LIMIT 1")


@dataclass(frozen=True, slots=True)
class Seller:
    """What a consumer scan needs to know about the agent holding the item."""

    id: int
    name: str
    masked_name: str
    level: str
    province_code: str
    city_code: str
    certificate_path: str | None  # the public lookup of the agent's active certificate


# Sellers' facts in process memory for a short while (one dict per process): every consumer
# scan of a released item needs them, and agents' names, levels, regions and certificates
# change rarely. A change shows on verification pages within
# SELLER_TTL seconds.
SELLER_TTL = 30
# cachetools' TTLCache (values kept as they are): Django's LocMemCache pickled and
# unpickled the entry on every scan (measured 4.3 µs a hit, against 0.3 for a dict).
SELLERS_MAX = 20_000
_sellers: TTLCache = TTLCache(maxsize=SELLERS_MAX, ttl=SELLER_TTL, timer=time.monotonic)
_sellers_lock = threading.Lock()


@cached(_sellers, lock=_sellers_lock)
def seller(agent_id: int) -> Seller | None:
    """A miss (every scan of an agent not seen for SELLER_TTL seconds, which with many agents
    is most scans) is one SQL statement: agent, level and active certificate together.
    Through the ORM it was two queries and ~1.5 ms, more than the rest of the scan."""
    from weishang.certificates.models import CertificateStatus
    from weishang.certificates.selectors import lookup_path_of

    # at most one active certificate per agent (a constraint)
    row = fetch_one(_seller_sql(connections[DEFAULT_DB_ALIAS].vendor), [CertificateStatus.ACTIVE, agent_id])
    if row is None:
        return None
    name, level, province, city, certificate = row
    return Seller(id=agent_id, name=name, masked_name=mask_name(name), level=str(level or ""),
                  province_code=province or "", city_code=city or "", certificate_path=lookup_path_of(certificate))


@functools.cache
def _seller_sql(vendor: str) -> str:
    from weishang.agents.models import Agent, Level
    from weishang.certificates.models import Certificate

    q, p = connection.ops.quote_name, "?" if vendor == "sqlite" else "%s"
    agent, level, cert = (q(m._meta.db_table) for m in (Agent, Level, Certificate))
    return (f"SELECT a.name, l.name, a.province_code, a.city_code, "
            f"(SELECT c.number FROM {cert} c WHERE c.agent_id = a.id AND c.status = {p}) "
            f"FROM {agent} a LEFT JOIN {level} l ON l.id = a.level_id WHERE a.id = {p}")


def forget_sellers() -> None:
    with _sellers_lock:
        _sellers.clear()


def overlapping(a: int, b: int, *, lock: bool = False) -> list[Holding]:
    """Holdings that intersect [a, b), in order (two bounded index range scans)."""
    qs = Holding.objects.select_for_update() if lock else Holding.objects.all()
    first = qs.filter(start__lte=a).order_by("-start").first()
    rest = list(qs.filter(start__gt=a, start__lt=b).order_by("start"))
    return ([first] if first is not None and first.end > a else []) + rest


@dataclass
class Placement:
    batch: CodeBatch
    kind: str
    box: int | None
    case: int | None
    holder_id: int | None


def place(serial: int) -> Placement | None:
    """Nesting and binding of one serial: the query the benchmark times."""
    batch = batch_for_serial(serial)
    if batch is None:
        return None
    kind = batch.kind_of(serial)
    box = parent(batch, serial) if kind == Kind.ITEM else (serial if kind == Kind.BOX else None)
    case = parent(batch, box) if box is not None else serial
    h = Holding.objects.filter(start__lte=serial).order_by("-start").values_list("end", "agent_id")[:1]
    row = h[0] if h else None
    holder = row[1] if row is not None and serial < row[0] else None
    return Placement(batch, kind, box, case, holder)


def trail(batch: CodeBatch, serial: int) -> list[TraceRange]:
    """Each hand the serial passed through, oldest first (undone steps included)."""
    return list(TraceRange.objects.filter(batch=batch, start__lte=serial, end__gt=serial)
                .select_related("line__shipment__from_agent", "line__shipment__to_agent",
                                "line__shipment__created_by", "line__undone_by")
                .order_by("line__created_at", "line_id"))


def unreleased_scans(limit: int = 20):
    """Codes queried by consumers before they were scanned out (a leaked code list, or labels
    printed on fakes): per batch, and the latest codes. Reads the partial index only."""
    from django.db.models import Sum

    from .models import CodeState

    qs = CodeState.objects.filter(unreleased_scans__gt=0)
    by_batch = list(qs.values("batch_id", "batch__lot").annotate(codes=Count("serial"), scans=Sum("unreleased_scans"))
                    .order_by("-scans")[:limit])
    latest = list(qs.select_related("batch").order_by("-last_at")[:limit])
    return by_batch, latest


def alert_counts(qs):
    by_agent = list(qs.values("agent_id", "agent__name").annotate(n=Count("id"),
                    weak=Count("id", filter=Q(weak=True))).order_by("-n")[:20])
    by_batch = list(qs.values("batch_id", "batch__lot").annotate(n=Count("id")).order_by("-n")[:20])
    by_province = list(qs.values("scan_province").annotate(n=Count("id")).order_by("-n"))
    return by_agent, by_batch, by_province
