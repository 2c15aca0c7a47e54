from django.contrib import admin

from weishang.core.admin import ReadOnlyAdmin

from .models import Stock, StockMovement


@admin.register(Stock)
class StockAdmin(admin.ModelAdmin):
    """Quantities change only through recorded movements (HQ: the adjust page)."""

    list_display = ("sku", "owner", "agent", "quantity", "reserved", "updated_at")
    list_filter = ("owner",)
    search_fields = ("sku__code", "agent__name")
    list_select_related = ("sku", "agent")
    readonly_fields = ("owner", "agent", "sku", "quantity", "reserved")

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(StockMovement)
class StockMovementAdmin(ReadOnlyAdmin):
    list_display = ("created_at", "stock", "kind", "quantity", "balance_after", "ref_id", "reason", "created_by")
    list_filter = ("kind",)
    search_fields = ("ref_id", "stock__sku__code", "reason")
    list_select_related = ("stock", "created_by")
    readonly_fields = [f.name for f in StockMovement._meta.fields]
