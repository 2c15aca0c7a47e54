from django.contrib import admin
from django.core.exceptions import PermissionDenied
from django.urls import path, reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import (
    Address,
    DropShipCost,
    FeeRule,
    FeeTemplate,
    Order,
    OrderEvent,
    OrderLine,
    OrderShare,
    Refund,
    RefundRequest,
    Shipment,
    ShopPrice,
)


class ReadOnlyInline(admin.TabularInline):
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False


class LineInline(ReadOnlyInline):
    model = OrderLine
    fields = ("sku", "quantity", "unit_price", "amount", "seller_agent", "buyer_level_price", "seller_level_price",
              "source", "supplier", "shipped_quantity")
    readonly_fields = fields


class ShareInline(ReadOnlyInline):
    model = OrderShare
    fields = ("line", "role", "agent", "supplier", "is_hq", "depth", "amount")
    readonly_fields = fields


class EventInline(ReadOnlyInline):
    model = OrderEvent
    fields = ("created_at", "from_status", "to_status", "actor", "what")
    readonly_fields = fields

    @admin.display(description=_("reason"))
    def what(self, obj):
        return obj.text


class ShipmentInline(ReadOnlyInline):
    model = Shipment
    fields = ("created_at", "carrier", "tracking_no", "supplier", "created_by")
    readonly_fields = fields


class RefundInline(ReadOnlyInline):
    model = Refund
    fields = ("created_at", "amount", "is_cancellation", "reason", "actor", "key")
    readonly_fields = fields


@admin.register(RefundRequest)
class RefundRequestAdmin(admin.ModelAdmin):
    """Refund requests are decided on the order pages (services: money, stock, earnings
    in one transaction): read-only here, each row links to the decision."""

    list_display = ("created_at", "order", "kind", "amount", "status", "reason", "decide")
    list_filter = ("status", "kind")
    search_fields = ("order__no", "reason")
    list_select_related = ("order",)
    readonly_fields = [f.name for f in RefundRequest._meta.fields]

    @admin.display(description=_("decide"))
    def decide(self, obj):
        return format_html('<a href="{}#refund-request">{}</a>', reverse("orders:detail", args=[obj.order.no]),
                           _("open the order"))

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Order)
class OrderAdmin(admin.ModelAdmin):
    """Orders change only through their services (state machine, stock, ledger): read-only here."""

    list_display = ("no", "kind", "status", "buyer", "seller_agent", "total", "currency", "created_at")
    list_filter = ("kind", "status", "currency")
    search_fields = ("no", "buyer__phone", "ship_phone", "ship_name")
    date_hierarchy = "created_at"
    list_select_related = ("buyer", "seller_agent")
    inlines = [LineInline, ShareInline, ShipmentInline, RefundInline, EventInline]
    readonly_fields = [f.name for f in Order._meta.fields]
    change_list_template = "orders/admin/order_change_list.html"

    def has_add_permission(self, request):
        return False

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [path("export.xlsx", self.admin_site.admin_view(self.export_view), name=f"{info}_export"),
                *super().get_urls()]

    def export_view(self, request):
        """The changelist's current filters and search, as an Excel file (as agents export)."""
        from .excel import orders_xlsx_response

        if not self.has_view_permission(request):
            raise PermissionDenied
        cl = self.get_changelist_instance(request)
        return orders_xlsx_response(cl.get_queryset(request))

    def has_delete_permission(self, request, obj=None):
        return False


class FeeRuleInline(admin.TabularInline):
    model = FeeRule
    extra = 1


@admin.register(FeeTemplate)
class FeeTemplateAdmin(admin.ModelAdmin):
    list_display = ("name", "currency", "first_fee", "extra_fee", "free_over", "is_active")
    inlines = [FeeRuleInline]


@admin.register(DropShipCost)
class DropShipCostAdmin(admin.ModelAdmin):
    list_display = ("sku", "cost")
    autocomplete_fields = ()


@admin.register(ShopPrice)
class ShopPriceAdmin(admin.ModelAdmin):
    list_display = ("agent", "sku", "price", "updated_at")
    readonly_fields = ("agent", "sku", "price")

    def has_add_permission(self, request):
        return False


@admin.register(Address)
class AddressAdmin(admin.ModelAdmin):
    list_display = ("user", "name", "phone", "province_code", "city_code", "district_code")
    search_fields = ("user__phone", "name", "phone")
