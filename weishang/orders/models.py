"""Orders: restocks between agents (进货), consumer orders from an agent's shop, pick-ups
of cloud stock (提货), their shipments, and every status change.

For the earnings helper: how to read an order's money
-----------------------------------------------------
The buyer's money goes to ``PAYMENT_CLEARING`` when the order is paid (journal key
``order:pay:<order no>``, ref_type "order", ref_id = order no); ``order_paid`` is sent in
the same transaction. Who gets what out of clearing is already decided and stored on the
order, so earnings never recomputes prices:

* ``OrderLine``: ``unit_price`` (what the buyer pays per unit), ``quantity``, ``amount``
  (= unit_price × quantity), ``seller_agent`` (empty = HQ), ``buyer_level_price`` (the
  buyer agent's level price; for a consumer order the shop agent's level price),
  ``seller_level_price`` (the selling agent's own level price; empty when HQ sells),
  ``source`` (cloud stock of the seller / shop agent, HQ stock, or supplier drop-ship) and
  ``supplier`` for drop-shipped lines.
* ``OrderShare``: the per-beneficiary breakdown. One row per (line, beneficiary, role);
  rows with ``line`` empty belong to the whole order (the shipping fee). Beneficiary is
  exactly one of ``agent`` / ``supplier`` / HQ (both empty, ``is_hq`` true). Roles:

  - ``seller_proceeds``: what the selling agent receives for the units it sold from its
    cloud stock (its profit is this minus what it paid: the 差价).
  - ``passed_over_difference``: an upline that was asked to supply a restock, could not,
    and was passed over (向上提交) — only written when the brand lets passed-over uplines
    earn (``ORDERS_PASSED_OVER_EARNS``); amount = (next lower price on the route − its own
    level price) × quantity. ``depth`` is its distance above the buyer (1 = direct upline)
    so the compliance depth cap can be enforced by earnings. By default no such row exists.
  - ``shop_margin``: a consumer order of a drop-shipped SKU the shop agent does not hold:
    retail paid − the agent's level price.
  - ``supplier_cost``: what the supplier is owed for drop-shipping (``DropShipCost``).
  - ``hq_revenue``: what HQ keeps (HQ as seller, level price of a drop-shipped line less
    the supplier cost, shipping fees). It can be negative when HQ pays a supplier to ship
    units an agent already bought (a drop-shipped SKU sold from cloud stock).

  The shares of an order always sum to ``Order.total``; selectors.share_check() verifies.
* ``Order.kind`` restock / consumer / pickup; ``Order.passed_over`` lists the uplines the
  restock passed over, nearest first ({"agent_id", "name"}).
* ``order_paid``'s ``payment`` is the confirmed ``payments.Payment`` (``method`` "prepaid" or
  "offline", ``payee_agent``); it is None only for a pick-up with nothing to pay (free
  shipping), whose order total is 0. An offline payment confirmed by an agent payee has
  already been taken from that payee's AGENT_EARNINGS_AVAILABLE account (it holds the
  cash; see docs/decisions.md), so crediting its share nets to what it owes the others.
* Restocks go paid -> received in the same transaction (units land in cloud stock), so
  ``order_received`` follows ``order_paid`` at once for them; ``order_completed`` comes
  ``ORDERS_RETURN_WINDOW_DAYS`` after receipt for every kind.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from weishang.core.money import CURRENCY_CHOICES, DECIMAL_PLACES, MAX_DIGITS


def money(verbose_name, **kw):
    return models.DecimalField(verbose_name, max_digits=MAX_DIGITS, decimal_places=DECIMAL_PLACES, **kw)


class OrderKind(models.TextChoices):
    RESTOCK = "restock", _("restock")
    CONSUMER = "consumer", _("consumer order")
    PICKUP = "pickup", _("pick-up")


class OrderStatus(models.TextChoices):
    AWAITING_STOCK = "awaiting_stock", _("awaiting upline restock")
    PENDING = "pending", _("pending payment")
    PAID = "paid", _("paid")
    SHIPPED = "shipped", _("shipped")
    RECEIVED = "received", _("received")
    COMPLETED = "completed", _("completed")
    CANCELLED = "cancelled", _("cancelled")
    REFUNDED = "refunded", _("refunded")


class LineSource(models.TextChoices):
    SELLER_STOCK = "seller_stock", _("seller's cloud stock")
    HQ_STOCK = "hq_stock", _("HQ stock")
    SUPPLIER = "supplier", _("supplier drop-ship")


class Order(models.Model):
    no = models.CharField(_("order number"), max_length=24, unique=True)
    kind = models.CharField(_("kind"), max_length=10, choices=OrderKind.choices)
    status = models.CharField(_("status"), max_length=16, choices=OrderStatus.choices, db_index=True)
    buyer = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("buyer"), on_delete=models.PROTECT,
                              related_name="orders")
    buyer_agent = models.ForeignKey("agents.Agent", verbose_name=_("buying agent"), null=True, blank=True,
                                    on_delete=models.PROTECT, related_name="purchases")
    # Restock: who sells (empty = HQ). Consumer order: the shop's agent. Pick-up: empty (HQ ships).
    seller_agent = models.ForeignKey("agents.Agent", verbose_name=_("seller"), null=True, blank=True,
                                     on_delete=models.PROTECT, related_name="sales")
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    goods_total = money(_("goods"), default=0)
    shipping_fee = money(_("shipping fee"), default=0)
    total = money(_("total"), default=0)
    refunded_total = money(_("refunded"), default=0)
    # Consumer orders: the agent whose signed share link brought the consumer (share commission).
    shared_by = models.ForeignKey("agents.Agent", verbose_name=_("shared by"), null=True, blank=True,
                                  on_delete=models.PROTECT, related_name="shared_orders")
    # Restock routing (进货 → 补货 → 向上提交).
    route_step = models.PositiveSmallIntegerField(_("route step"), default=0,
                                                  help_text=_("Which of the uplines asked for stock has it now (0 = the first)."))
    wait_until = models.DateTimeField(_("upline restock deadline"), null=True, blank=True, db_index=True)
    passed_over = models.JSONField(_("passed-over uplines"), default=list, blank=True)
    # Address snapshot (consumer orders and pick-ups).
    ship_name = models.CharField(_("recipient"), max_length=60, blank=True)
    ship_phone = models.CharField(_("phone"), max_length=20, blank=True)
    province_code = models.CharField(_("province"), max_length=12, blank=True)
    city_code = models.CharField(_("city"), max_length=12, blank=True)
    district_code = models.CharField(_("district"), max_length=12, blank=True)
    address_text = models.CharField(_("region"), max_length=120, blank=True)
    address_detail = models.CharField(_("street address"), max_length=200, blank=True)
    # Convenience-store pickup (超商取貨, Taiwan): the store the buyer chose on ECPay's map
    # (weishang.payments.logistics); empty for home delivery.
    pickup_store_type = models.CharField(_("pickup store chain"), max_length=20, blank=True)
    pickup_store_id = models.CharField(_("pickup store number"), max_length=10, blank=True)
    pickup_store_name = models.CharField(_("pickup store"), max_length=60, blank=True)
    pickup_store_address = models.CharField(_("pickup store address"), max_length=200, blank=True)
    pickup_store_phone = models.CharField(_("pickup store phone"), max_length=20, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("created"), auto_now_add=True, db_index=True)
    payment_due_at = models.DateTimeField(_("pay before"), null=True, blank=True, db_index=True)
    paid_at = models.DateTimeField(_("paid"), null=True, blank=True)
    packed_at = models.DateTimeField(_("packed"), null=True, blank=True)
    shipped_at = models.DateTimeField(_("shipped"), null=True, blank=True)
    received_at = models.DateTimeField(_("received"), null=True, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled"), null=True, blank=True)

    class Meta:
        verbose_name = _("order")
        verbose_name_plural = _("orders")
        ordering = ["-id"]
        permissions = [("ship_order", "Can pack and ship orders from HQ stock")]
        indexes = [
            models.Index(fields=["buyer", "-id"]),
            models.Index(fields=["seller_agent", "status"]),
            models.Index(fields=["buyer_agent", "-id"]),
            models.Index(fields=["status", "shipped_at"]),
        ]
        constraints = [models.CheckConstraint(condition=models.Q(refunded_total__lte=models.F("total")),
                                              name="orders_refund_within_total")]

    def __str__(self) -> str:
        return self.no

    @property
    def is_restock(self) -> bool:
        return self.kind == OrderKind.RESTOCK

    @property
    def seller_label(self) -> str:
        return self.seller_agent.name if self.seller_agent is not None else str(_("HQ"))


class OrderLine(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="lines", verbose_name=_("order"))
    sku = models.ForeignKey("catalog.SKU", on_delete=models.PROTECT, related_name="+", verbose_name=_("SKU"))
    quantity = models.PositiveIntegerField(_("quantity"))
    unit_price = money(_("unit price"))
    amount = money(_("amount"))
    seller_agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.PROTECT,
                                     related_name="+", verbose_name=_("seller"))
    buyer_level_price = money(_("buyer's level price"), null=True, blank=True)
    seller_level_price = money(_("seller's level price"), null=True, blank=True)
    source = models.CharField(_("ships from"), max_length=16, choices=LineSource.choices)
    supplier = models.ForeignKey("catalog.Supplier", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="order_lines", verbose_name=_("supplier"))
    shipped_quantity = models.PositiveIntegerField(_("shipped"), default=0)
    refunded_quantity = models.PositiveIntegerField(_("returned"), default=0)
    refunded_amount = money(_("refunded"), default=0)

    class Meta:
        verbose_name = _("order line")
        verbose_name_plural = _("order lines")
        ordering = ["id"]
        indexes = [models.Index(fields=["supplier", "order"])]
        constraints = [
            models.CheckConstraint(condition=models.Q(quantity__gt=0), name="orders_line_qty_positive"),
            models.CheckConstraint(condition=models.Q(refunded_quantity__lte=models.F("quantity"),
                                                      refunded_amount__lte=models.F("amount")),
                                   name="orders_line_refund_within_line"),
        ]

    def __str__(self) -> str:
        # Admin inlines show this: the SKU, never "OrderLine object (12)".
        return f"{self.sku} × {self.quantity}" if self.sku_id else f"#{self.pk}"

    @property
    def to_ship(self) -> int:
        """Units still to ship: neither shipped nor refunded."""
        return max(0, self.quantity - self.refunded_quantity - self.shipped_quantity)


class ShareRole(models.TextChoices):
    SELLER_PROCEEDS = "seller_proceeds", _("seller proceeds")
    PASSED_OVER = "passed_over_difference", _("passed-over upline difference")
    SHOP_MARGIN = "shop_margin", _("shop margin")
    SUPPLIER_COST = "supplier_cost", _("supplier cost")
    HQ_REVENUE = "hq_revenue", _("HQ revenue")


class OrderShare(models.Model):
    """Who gets what of an order's money (see the module docstring)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shares", verbose_name=_("order"))
    line = models.ForeignKey(OrderLine, null=True, blank=True, on_delete=models.CASCADE, related_name="shares",
                             verbose_name=_("order line"))
    role = models.CharField(_("role"), max_length=24, choices=ShareRole.choices)
    agent = models.ForeignKey("agents.Agent", null=True, blank=True, on_delete=models.PROTECT, related_name="+",
                              verbose_name=_("agent"))
    supplier = models.ForeignKey("catalog.Supplier", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("supplier"))
    is_hq = models.BooleanField(_("HQ"), default=False)
    depth = models.PositiveSmallIntegerField(_("depth"), default=0,
                                             help_text=_("Levels above the buyer (for passed-over uplines)."))
    amount = money(_("amount"))

    class Meta:
        verbose_name = _("order share")
        verbose_name_plural = _("order shares")
        ordering = ["id"]

    def __str__(self) -> str:
        return str(self.get_role_display())


class OrderEvent(models.Model):
    """One status change: who, when, why."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="events", verbose_name=_("order"))
    from_status = models.CharField(_("from"), max_length=16, blank=True, choices=OrderStatus.choices)
    to_status = models.CharField(_("to"), max_length=16, choices=OrderStatus.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("by"))
    # Text someone typed, or (rows from before message keys) a sentence as it was stored.
    reason = models.CharField(_("reason"), max_length=200, blank=True)
    # A system sentence: its msgid and parameters, rendered in the reader's language (history.py).
    message_key = models.CharField(max_length=200, blank=True)
    params = models.JSONField(default=dict, blank=True)
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("order event")
        verbose_name_plural = _("order events")
        ordering = ["id"]

    def __str__(self) -> str:
        return self.text

    @property
    def text(self) -> str:
        """What happened, in the active language."""
        if self.message_key:
            from .history import render

            return render(self.message_key, self.params or {})
        return self.reason


class Shipment(models.Model):
    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="shipments", verbose_name=_("order"))
    carrier = models.CharField(_("carrier"), max_length=40)
    tracking_no = models.CharField(_("tracking number"), max_length=40)
    supplier = models.ForeignKey("catalog.Supplier", null=True, blank=True, on_delete=models.PROTECT,
                                 related_name="+", verbose_name=_("shipped by supplier"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("by"))
    # To a convenience store through ECPay logistics: its logistics order id and the last
    # status it notified (RtnCode, RtnMsg).
    logistics_id = models.CharField(_("logistics order"), max_length=20, blank=True, db_index=True)
    logistics_status = models.CharField(_("logistics status"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("shipped"), auto_now_add=True)

    class Meta:
        verbose_name = _("shipment")
        verbose_name_plural = _("shipments")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "tracking_no"], name="orders_shipment_unique")]

    def __str__(self) -> str:
        return f"{self.carrier} {self.tracking_no}"


class ShipmentLine(models.Model):
    shipment = models.ForeignKey(Shipment, on_delete=models.CASCADE, related_name="lines")
    line = models.ForeignKey(OrderLine, on_delete=models.CASCADE, related_name="shipment_lines")
    quantity = models.PositiveIntegerField()


class ShopPrice(models.Model):
    """An agent's own shop price for a SKU, within the SKU's floor and ceiling. Every
    consumer of that shop pays this price while it is set (不杀熟)."""

    agent = models.ForeignKey("agents.Agent", on_delete=models.CASCADE, related_name="shop_prices",
                              verbose_name=_("agent"))
    sku = models.ForeignKey("catalog.SKU", on_delete=models.CASCADE, related_name="+", verbose_name=_("SKU"))
    price = money(_("shop price"))
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("shop price")
        verbose_name_plural = _("shop prices")
        constraints = [models.UniqueConstraint(fields=["agent", "sku"], name="orders_shopprice_unique")]


class DropShipCost(models.Model):
    """What HQ owes the supplier per unit it drop-ships."""

    sku = models.OneToOneField("catalog.SKU", on_delete=models.CASCADE, related_name="drop_ship_cost",
                               verbose_name=_("SKU"))
    cost = money(_("supplier cost per unit"))

    class Meta:
        verbose_name = _("drop-ship cost")
        verbose_name_plural = _("drop-ship costs")


class Address(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="addresses",
                             verbose_name=_("user"))
    name = models.CharField(_("recipient"), max_length=60)
    phone = models.CharField(_("phone"), max_length=20)
    province_code = models.CharField(_("province"), max_length=12)
    city_code = models.CharField(_("city"), max_length=12)
    district_code = models.CharField(_("district"), max_length=12, blank=True)
    detail = models.CharField(_("street address"), max_length=200)
    is_default = models.BooleanField(_("default"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("address")
        verbose_name_plural = _("addresses")
        ordering = ["-is_default", "-id"]
        # The address book's default (checkout preselects it): at most one per person.
        constraints = [models.UniqueConstraint(fields=["user"], condition=models.Q(is_default=True),
                                               name="orders_address_one_default")]

    def __str__(self) -> str:
        return f"{self.name} {self.detail}"

    @property
    def region_name(self) -> str:
        """省市区 as one name (广东省深圳市南山区), for the address book and checkout."""
        from weishang.regions import divisions

        division = divisions.get(self.district_code or self.city_code or self.province_code)
        return division.full_name if division is not None else ""


class FeeTemplate(models.Model):
    """运费模板: a first-unit fee and a fee per extra unit, overridden per province/city,
    free above a goods total. The active template of a currency applies."""

    name = models.CharField(_("name"), max_length=60)
    currency = models.CharField(_("currency"), max_length=3, choices=CURRENCY_CHOICES)
    first_fee = money(_("first unit fee"))
    extra_fee = money(_("each extra unit"))
    free_over = money(_("free shipping from"), null=True, blank=True,
                      help_text=_("Goods total at or above which shipping is free. Empty: never free."))
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("shipping fee template")
        verbose_name_plural = _("shipping fee templates")

    def __str__(self) -> str:
        return self.name


class FeeRule(models.Model):
    template = models.ForeignKey(FeeTemplate, on_delete=models.CASCADE, related_name="rules",
                                 verbose_name=_("template"))
    province_code = models.CharField(_("province code"), max_length=12)
    city_code = models.CharField(_("city code"), max_length=12, blank=True, help_text=_("Empty: the whole province."))
    first_fee = money(_("first unit fee"))
    extra_fee = money(_("each extra unit"))

    class Meta:
        verbose_name = _("shipping fee rule")
        verbose_name_plural = _("shipping fee rules")
        constraints = [models.UniqueConstraint(fields=["template", "province_code", "city_code"],
                                               name="orders_feerule_unique")]


class RefundKind(models.TextChoices):
    FULL = "full", _("everything not yet refunded")
    LINES = "lines", _("some items (goods come back)")
    AMOUNT = "amount", _("an amount (goods kept)")
    EXCHANGE = "exchange", _("an exchange (same item sent again)")


class RefundRequestStatus(models.TextChoices):
    REQUESTED = "requested", _("waiting for a decision")
    AWAITING_RETURN = "awaiting_return", _("approved: waiting for the buyer to send the goods back")
    RETURN_SHIPPED = "return_shipped", _("goods on their way back")
    AWAITING_EXCHANGE = "awaiting_exchange", _("goods received: replacement to ship")
    APPROVED = "approved", _("approved")
    REJECTED = "rejected", _("rejected")


# A request in one of these states still needs someone to act; one at a time per order.
OPEN_REFUND_REQUEST = (RefundRequestStatus.REQUESTED, RefundRequestStatus.AWAITING_RETURN,
                       RefundRequestStatus.RETURN_SHIPPED, RefundRequestStatus.AWAITING_EXCHANGE)


class RefundRequest(models.Model):
    """The buyer asks for money back (退款/退货) within the return window; the seller agent
    or HQ decides. While one is open the order's earnings stay pending (refund hold)."""

    order = models.ForeignKey(Order, on_delete=models.CASCADE, related_name="refund_requests",
                              verbose_name=_("order"))
    kind = models.CharField(_("refund of"), max_length=10, choices=RefundKind.choices)
    lines = models.JSONField(_("items"), default=dict, blank=True, help_text="{order line id: quantity}")
    amount = money(_("amount"))
    reason = models.CharField(_("reason"), max_length=200)
    status = models.CharField(_("status"), max_length=20, choices=RefundRequestStatus.choices,
                              default=RefundRequestStatus.REQUESTED)
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
                                     verbose_name=_("requested by"))
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="+", verbose_name=_("decided by"))
    decided_at = models.DateTimeField(_("decided"), null=True, blank=True)
    decision_reason = models.CharField(_("decision reason"), max_length=200, blank=True)
    created_at = models.DateTimeField(_("requested"), auto_now_add=True)
    # Units the buyer says are defective: the only way to return a non-returnable SKU.
    defective = models.BooleanField(_("defective goods"), default=False)
    # Return shipping (退货): the buyer's parcel back to the HQ warehouse.
    return_carrier = models.CharField(_("return carrier"), max_length=40, blank=True)
    return_tracking_no = models.CharField(_("return tracking number"), max_length=40, blank=True, db_index=True)
    return_shipped_at = models.DateTimeField(_("sent back"), null=True, blank=True)
    # Warehouse inspection: {order line id: units damaged}; the rest of the units are good.
    damaged = models.JSONField(_("damaged units"), default=dict, blank=True)
    received_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                                    related_name="+", verbose_name=_("received by"))
    goods_received_at = models.DateTimeField(_("goods received"), null=True, blank=True)
    inspection_note = models.CharField(_("inspection note"), max_length=200, blank=True)
    # Exchange: the replacement parcel.
    exchange_carrier = models.CharField(_("replacement carrier"), max_length=40, blank=True)
    exchange_tracking_no = models.CharField(_("replacement tracking number"), max_length=40, blank=True)
    completed_at = models.DateTimeField(_("completed"), null=True, blank=True)

    class Meta:
        verbose_name = _("refund request")
        verbose_name_plural = _("refund requests")
        ordering = ["-id"]
        constraints = [models.UniqueConstraint(fields=["order"],
                                               condition=models.Q(status__in=[
                                                   "requested", "awaiting_return", "return_shipped",
                                                   "awaiting_exchange"]),
                                               name="orders_one_open_refund_request")]

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_REFUND_REQUEST


def refund_photo_path(instance, filename: str) -> str:
    """The file name is random; its extension is the inspected image format (photos.save)."""
    import uuid

    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else "jpg"
    return f"refunds/{instance.request_id}/{uuid.uuid4().hex}.{ext}"


def _private_storage():
    from .photos import private_storage

    return private_storage()


class RefundPhoto(models.Model):
    """A photo the buyer attached to its refund request (damage, wrong item)."""

    request = models.ForeignKey(RefundRequest, on_delete=models.CASCADE, related_name="photos",
                                verbose_name=_("refund request"))
    image = models.ImageField(_("photo"), upload_to=refund_photo_path, storage=_private_storage)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("refund photo")
        verbose_name_plural = _("refund photos")
        ordering = ["id"]


class Refund(models.Model):
    """Money returned to the buyer (an approved request, or a cancellation after payment):
    how much, per line, who, why. `key` makes it idempotent per order."""

    order = models.ForeignKey(Order, on_delete=models.PROTECT, related_name="refunds", verbose_name=_("order"))
    request = models.OneToOneField(RefundRequest, null=True, blank=True, on_delete=models.PROTECT,
                                   related_name="refund", verbose_name=_("request"))
    key = models.CharField(_("idempotency key"), max_length=100)
    amount = money(_("amount"))
    is_cancellation = models.BooleanField(_("cancellation"), default=False)
    reason = models.CharField(_("reason"), max_length=200)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.PROTECT,
                              related_name="+", verbose_name=_("by"))
    created_at = models.DateTimeField(_("time"), auto_now_add=True)

    class Meta:
        verbose_name = _("refund")
        verbose_name_plural = _("refunds")
        ordering = ["id"]
        constraints = [models.UniqueConstraint(fields=["order", "key"], name="orders_refund_key")]

    def __str__(self) -> str:
        return f"#{self.pk} {self.amount}"

    def line_amounts(self) -> dict:
        """{order line id, or "order" for the shipping fee: amount} (read by earnings)."""
        return {(r.line_id or "order"): r.amount for r in self.lines.all() if r.amount}


class RefundLine(models.Model):
    refund = models.ForeignKey(Refund, on_delete=models.CASCADE, related_name="lines")
    # Empty: the order-level part (shipping fee).
    line = models.ForeignKey(OrderLine, null=True, blank=True, on_delete=models.PROTECT, related_name="refund_lines")
    quantity = models.PositiveIntegerField(_("units back"), default=0)
    amount = money(_("amount"))
