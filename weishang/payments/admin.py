from django import forms
from django.contrib import admin
from django.urls import reverse
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from weishang.core.uploads import ReencodedImageField

from .models import (
    CollectionDetails,
    Payment,
    ProviderNotification,
    ProviderRefund,
    Reconciliation,
    ReconciliationMismatch,
    TopUp,
)


def _private_link(fieldfile, url: str):
    if not fieldfile:
        return "-"
    return format_html('<a href="{0}" target="_blank" rel="noopener"><img src="{0}" style="max-height:160px"></a>', url)


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Payments are decided through the payee's confirm/reject (ledger postings): read-only here."""

    list_display = ("order", "method", "amount", "currency", "status", "payer", "payee_agent", "created_at")
    list_filter = ("method", "status")
    search_fields = ("order__no", "payer__phone", "reference", "trade_no", "provider_ref")
    # The proof is private (no URL): linked through the view that checks permission.
    readonly_fields = [f.name for f in Payment._meta.fields if f.name != "proof"] + ["proof_link"]
    exclude = ("proof",)

    @admin.display(description=_("transfer proof"))
    def proof_link(self, obj):
        return _private_link(obj.proof, reverse("payments:payment_proof", args=[obj.pk])) if obj else "-"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(TopUp)
class TopUpAdmin(admin.ModelAdmin):
    list_display = ("agent", "method", "amount", "currency", "status", "reason", "created_at")
    list_filter = ("method", "status")
    search_fields = ("agent__name", "reason")
    readonly_fields = [f.name for f in TopUp._meta.fields if f.name != "proof"] + ["proof_link"]
    exclude = ("proof",)

    @admin.display(description=_("transfer proof"))
    def proof_link(self, obj):
        return _private_link(obj.proof, reverse("payments:topup_proof", args=[obj.pk])) if obj else "-"

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

@admin.register(CollectionDetails)
class CollectionDetailsAdmin(admin.ModelAdmin):
    """HQ's own collection details are the row without an agent; agents edit theirs on the
    payments page. The QR image is uploaded here through the same re-encoding field."""

    list_display = ("__str__", "details", "updated_at")
    search_fields = ("agent__name", "details")
    raw_id_fields = ("agent",)
    readonly_fields = ("qr_preview",)
    # The default widget links the current file's URL; a private file has none.
    formfield_overrides = {ReencodedImageField: {"widget": forms.FileInput}}

    @admin.display(description=_("collection QR code"))
    def qr_preview(self, obj):
        return _private_link(obj.qr, reverse("payments:collection_qr", args=[obj.pk])) if obj and obj.pk else "-"


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
