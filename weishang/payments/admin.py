from django.contrib import admin

from .models import Payment, ProviderNotification, ProviderRefund, Reconciliation, ReconciliationMismatch, TopUp


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Payments are decided through the payee's confirm/reject (ledger postings): read-only here."""

    list_display = ("order", "method", "amount", "currency", "status", "payer", "payee_agent", "created_at")
    list_filter = ("method", "status")
    search_fields = ("order__no", "payer__phone", "reference", "trade_no", "provider_ref")
    readonly_fields = [f.name for f in Payment._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TopUp)
class TopUpAdmin(admin.ModelAdmin):
    list_display = ("agent", "method", "amount", "currency", "status", "reason", "created_at")
    list_filter = ("method", "status")
    search_fields = ("agent__name", "reason")
    readonly_fields = [f.name for f in TopUp._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class ReadOnly(admin.ModelAdmin):
    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(ProviderNotification)
class ProviderNotificationAdmin(ReadOnly):
    """What the providers sent, as received: refused and for-review ones are the work list."""

    list_display = ("created_at", "provider", "kind", "trade_no", "verified", "outcome", "error")
    list_filter = ("outcome", "provider", "verified", "kind")
    search_fields = ("trade_no", "event_id", "error")
    readonly_fields = [f.name for f in ProviderNotification._meta.fields]


@admin.register(ProviderRefund)
class ProviderRefundAdmin(ReadOnly):
    list_display = ("created_at", "refund_no", "payment", "amount", "currency", "status", "error")
    list_filter = ("status",)
    search_fields = ("refund_no", "payment__trade_no", "provider_ref")
    readonly_fields = [f.name for f in ProviderRefund._meta.fields]


class MismatchInline(admin.TabularInline):
    model = ReconciliationMismatch
    extra = 0
    can_delete = False
    readonly_fields = ("kind", "trade_no", "refund_no", "provider_ref", "amount_here", "amount_there", "currency",
                       "payment", "detail")
    fields = readonly_fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Reconciliation)
class ReconciliationAdmin(ReadOnly):
    """Imported through the HQ reconciliation page (payments/reconcile/); read-only here."""

    list_display = ("day", "provider", "mismatch_count", "matched", "bill_lines", "imported_by", "imported_at")
    list_filter = ("provider",)
    date_hierarchy = "day"
    readonly_fields = ("provider", "day", "filename", "bill_lines", "matched", "mismatch_count", "imported_by",
                       "imported_at")
    exclude = ("bill",)
    inlines = [MismatchInline]
