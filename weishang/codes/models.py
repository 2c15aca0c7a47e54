"""Storage for anti-counterfeit codes: it grows with events, not with codes printed.

- A batch is one row: its serial range holds the item codes, then its box codes, then its
  case codes. Uniform packing (items per box, boxes per case) is arithmetic on that range;
  a packing line that reports its own pairs adds `PackingRange` rows ("box j holds items
  [c, d)"), which override the arithmetic.
- Who holds what is a set of disjoint serial intervals (`Holding`), each bound to one
  agent; HQ holds whatever no interval covers. Deciding the holder of a serial is one
  indexed "start <= s ORDER BY start DESC LIMIT 1" lookup. Every scan-out is logged as a
  `ShipmentLine` (the traceability trail, undoable with a reason).
- A row per code (`CodeState`) appears only when a consumer scans it, with one
  `ScanEvent` per scan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Kind(models.TextChoices):
    ITEM = "item", _("item")
    BOX = "box", _("box")
    CASE = "case", _("case")


class SerialCounter(models.Model):
    """One row: the next free serial. Locked while a batch takes its range."""

    next_serial = models.BigIntegerField(default=1)


class CodeBatch(models.Model):
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="code_batches",
                            verbose_name=_("SKU"))
    lot = models.CharField(_("lot number"), max_length=40)
    production_date = models.DateField(_("production date"))
    expiry_date = models.DateField(_("expiry date"))
    quantity = models.BigIntegerField(_("items"))
    items_per_box = models.PositiveIntegerField(_("items per box"))
    boxes_per_case = models.PositiveIntegerField(_("boxes per case"))
    box_count = models.BigIntegerField(_("boxes"), editable=False)
    case_count = models.BigIntegerField(_("cases"), editable=False)
    serial_start = models.BigIntegerField(_("first serial"), unique=True, editable=False)
    serial_end = models.BigIntegerField(_("end serial (exclusive)"), editable=False)
    key_version = models.PositiveSmallIntegerField(_("key version"), editable=False)
    with_pin = models.BooleanField(_("scratch-off PIN"), default=False)
    explicit_packing = models.BooleanField(_("packing reported by the line"), default=False, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+", verbose_name=_("created by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("code batch")
        verbose_name_plural = _("code batches")
        ordering = ["-serial_start"]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="codes_batch_quantity_positive"),
            models.CheckConstraint(condition=models.Q(serial_end__gt=models.F("serial_start")),
                                   name="codes_batch_range"),
        ]

    def __str__(self) -> str:
        return f"{self.lot} ({self.quantity})"

    # Serial layout: items, then boxes, then cases.
    @property
    def box_start(self) -> int:
        return self.serial_start + self.quantity

    @property
    def case_start(self) -> int:
        return self.box_start + self.box_count

    def kind_of(self, serial: int) -> str:
        if serial < self.box_start:
            return Kind.ITEM
        if serial < self.case_start:
            return Kind.BOX
        return Kind.CASE

    def number_of(self, serial: int) -> int:
        """1-based number of the item, box or case within the batch."""
        kind = self.kind_of(serial)
        base = {"item": self.serial_start, "box": self.box_start, "case": self.case_start}[str(kind)]
        return serial - base + 1


class PackingRange(models.Model):
    """Explicit nesting reported by a packing line: `parent` holds children [start, end)."""

    batch = models.ForeignKey(CodeBatch, on_delete=models.CASCADE, related_name="packing")
    parent = models.BigIntegerField(_("container serial"))
    child_start = models.BigIntegerField()
    child_end = models.BigIntegerField()

    class Meta:
        verbose_name = _("packing range")
        verbose_name_plural = _("packing ranges")
        constraints = [
            models.UniqueConstraint(fields=["child_start"], name="codes_packing_child_start_unique"),
            models.CheckConstraint(condition=models.Q(child_end__gt=models.F("child_start")),
                                   name="codes_packing_range"),
        ]
        indexes = [models.Index(fields=["parent"])]


class ShipmentStatus(models.TextChoices):
    OPEN = "open", _("scanning")
    DONE = "done", _("shipped")


class Shipment(models.Model):
    """One scan-out (扫码出库) from HQ or an agent to a receiving agent."""

    from_agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="code_shipments_out", verbose_name=_("from agent"),
                                   help_text=_("Empty means HQ's warehouse."))
    to_agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="code_shipments_in",
                                 verbose_name=_("to agent"))
    reference = models.CharField(_("order or pick-up number"), max_length=40, blank=True, db_index=True)
    status = models.CharField(_("status"), max_length=10, choices=ShipmentStatus.choices,
                              default=ShipmentStatus.OPEN)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                   verbose_name=_("scanned by"))
    created_at = models.DateTimeField(_("created"), auto_now_add=True)

    class Meta:
        verbose_name = _("scan-out shipment")
        verbose_name_plural = _("scan-out shipments")
        ordering = ["-created_at", "-id"]

    def __str__(self) -> str:
        return f"#{self.pk} → {self.to_agent}"


class ShipmentLine(models.Model):
    """One scanned code in a shipment and the serial ranges it bound (its contents)."""

    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    batch = models.ForeignKey(CodeBatch, on_delete=models.PROTECT, related_name="+")
    scanned_serial = models.BigIntegerField()
    kind = models.CharField(max_length=4, choices=Kind.choices)
    items = models.BigIntegerField(default=0)
    # Disjoint [start, end) ranges bound by this line, as "a-b,c-d".
    ranges = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True)
    undone_at = models.DateTimeField(null=True, blank=True)
    undone_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    undo_reason = models.CharField(_("reason"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("scan-out line")
        verbose_name_plural = _("scan-out lines")
        indexes = [models.Index(fields=["batch", "scanned_serial"])]

    def range_list(self) -> list[tuple[int, int]]:
        return [tuple(int(p) for p in r.split("-")) for r in self.ranges.split(",") if r]  # type: ignore[misc]


class TraceRange(models.Model):
    """Each range a shipment line bound, for 'which hands did serial s pass through'."""

    line = models.ForeignKey(ShipmentLine, on_delete=models.CASCADE, related_name="trace")
    batch = models.ForeignKey(CodeBatch, on_delete=models.CASCADE, related_name="+")
    start = models.BigIntegerField()
    end = models.BigIntegerField()

    class Meta:
        indexes = [models.Index(fields=["batch", "start"])]


class Holding(models.Model):
    """Serials [start, end) are currently held by `agent`. Disjoint; HQ holds the rest."""

    start = models.BigIntegerField(unique=True)
    end = models.BigIntegerField()
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="code_holdings")
    since = models.DateTimeField()

    class Meta:
        constraints = [models.CheckConstraint(condition=models.Q(end__gt=models.F("start")),
                                              name="codes_holding_range")]


class LocationSource(models.TextChoices):
    GPS = "gps", _("device location")
    IP = "ip", _("network (IP) location")
    CHOICE = "choice", _("city chosen by the consumer")
    NONE = "none", _("unknown")


class CodeState(models.Model):
    """One row per code that a consumer has scanned."""

    serial = models.BigIntegerField(primary_key=True)
    batch = models.ForeignKey(CodeBatch, on_delete=models.PROTECT, related_name="+")
    first_at = models.DateTimeField(_("first query"))
    first_division = models.CharField(_("first query place"), max_length=12, blank=True)
    last_at = models.DateTimeField(_("last query"))
    count = models.PositiveIntegerField(_("queries"), default=0)
    # Capped sets (short hashes / division codes) for the copied-code warning.
    people = models.TextField(blank=True, default="")
    cities = models.TextField(blank=True, default="")
    people_count = models.PositiveIntegerField(_("distinct people"), default=0)
    city_count = models.PositiveIntegerField(_("distinct cities"), default=0)
    unreleased_scans = models.PositiveIntegerField(_("scans before release"), default=0)
    pin_failures = models.PositiveIntegerField(default=0)

    class Meta:
        verbose_name = _("scanned code")
        verbose_name_plural = _("scanned codes")
        # Codes scanned before release (a leaked code list?) are few: a partial index lists them.
        indexes = [models.Index(fields=["batch", "last_at"], condition=models.Q(unreleased_scans__gt=0),
                                name="codes_state_unreleased")]


class Verdict(models.TextChoices):
    GENUINE = "genuine", _("genuine")
    WARNING = "warning", _("genuine, but queried too widely")
    UNRELEASED = "unreleased", _("not yet released")


class ScanEvent(models.Model):
    """One consumer query. Written on every scan, so it carries only the indexes its readers
    need (by serial; consumers' scans for the rewards side): each extra index is one more
    B-tree page written per scan (measured: the insert took twice as long with the batch,
    time and holder indexes)."""

    serial = models.BigIntegerField(db_index=True)
    batch = models.ForeignKey(CodeBatch, on_delete=models.PROTECT, related_name="+", db_index=False)
    at = models.DateTimeField()
    verdict = models.CharField(max_length=12, choices=Verdict.choices)
    nth = models.PositiveIntegerField()
    division = models.CharField(max_length=12, blank=True)
    source = models.CharField(max_length=8, choices=LocationSource.choices, default=LocationSource.NONE)
    holder = models.ForeignKey("agents.Agent", on_delete=models.SET_NULL, null=True, blank=True, related_name="+",
                               db_index=False)
    person = models.CharField(max_length=16)
    consumer = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.SET_NULL, null=True, blank=True,
                                 related_name="+", db_index=False)
    token = models.CharField(max_length=24, blank=True)

    class Meta:
        verbose_name = _("scan")
        verbose_name_plural = _("scans")
        indexes = [models.Index(fields=["consumer"], condition=models.Q(consumer__isnull=False),
                                name="codes_scan_consumer")]


class AlertStatus(models.TextChoices):
    OPEN = "open", _("open")
    CONFIRMED = "confirmed", _("confirmed")
    DISMISSED = "dismissed", _("dismissed")


class DiversionAlert(models.Model):
    """窜货: a consumer scan outside the authorised region of the agent holding the item."""

    scan = models.OneToOneField(ScanEvent, on_delete=models.CASCADE, related_name="alert")
    serial = models.BigIntegerField()
    batch = models.ForeignKey(CodeBatch, on_delete=models.PROTECT, related_name="+", verbose_name=_("batch"))
    agent = models.ForeignKey("agents.Agent", on_delete=models.PROTECT, related_name="diversion_alerts",
                              verbose_name=_("agent"))
    agent_region = models.CharField(_("authorised region"), max_length=12)
    scan_division = models.CharField(_("scan place"), max_length=12)
    scan_province = models.CharField(_("scan province"), max_length=2, db_index=True)
    source = models.CharField(_("location source"), max_length=8, choices=LocationSource.choices)
    weak = models.BooleanField(_("weak evidence (IP only)"), default=False)
    status = models.CharField(_("status"), max_length=10, choices=AlertStatus.choices, default=AlertStatus.OPEN)
    created_at = models.DateTimeField(_("time"), db_index=True)

    class Meta:
        verbose_name = _("diversion alert")
        verbose_name_plural = _("diversion alerts")
        ordering = ["-created_at", "-id"]
