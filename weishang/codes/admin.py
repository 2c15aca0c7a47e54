"""HQ back office records for codes. Batches are generated on the codes page (which takes a
serial range under a lock), so the admin shows them read-only and links there."""

from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from .models import CodeBatch, CodeState, DiversionAlert, ScanEvent, Shipment, ShipmentLine


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(CodeBatch)
class CodeBatchAdmin(ReadOnly):
    list_display = ("lot", "sku", "quantity", "box_count", "case_count", "production_date", "expiry_date",
                    "key_version", "created_at", "files")
    list_filter = ("key_version", "with_pin")
    search_fields = ("lot", "sku__code", "sku__product__name")
    date_hierarchy = "created_at"

    @admin.display(description=_("files and labels"))
    def files(self, obj):
        return format_html('<a href="{}">{}</a>', reverse("codes:batch", args=[obj.pk]), _("open"))

    def has_add_permission(self, request):
        return False


class LineInline(admin.TabularInline):
    model = ShipmentLine
    fields = ("kind", "items", "ranges", "created_at", "undone_at", "undo_reason")
    readonly_fields = fields
    extra = 0
    can_delete = False


@admin.register(Shipment)
class ShipmentAdmin(ReadOnly):
    list_display = ("id", "from_agent", "to_agent", "reference", "status", "created_by", "created_at")
    list_filter = ("status",)
    search_fields = ("reference", "to_agent__name", "from_agent__name")
    inlines = [LineInline]


@admin.register(CodeState)
class CodeStateAdmin(ReadOnly):
    list_display = ("serial", "batch", "count", "people_count", "city_count", "first_at", "first_division",
                    "unreleased_scans")
    list_filter = ("batch",)
    ordering = ("-last_at",)


@admin.register(ScanEvent)
class ScanEventAdmin(ReadOnly):
    list_display = ("at", "serial", "batch", "verdict", "nth", "division", "source", "holder")
    list_filter = ("verdict", "source")
    date_hierarchy = "at"


@admin.register(DiversionAlert)
class DiversionAlertAdmin(admin.ModelAdmin):
    list_display = ("created_at", "batch", "agent", "agent_region", "scan_division", "source", "weak", "status")
    list_filter = ("status", "weak", "source", "scan_province")
    search_fields = ("agent__name",)
    fields = ("status",)
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False
