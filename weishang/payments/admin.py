from django.contrib import admin

from .models import Payment, TopUp


@admin.register(Payment)
class PaymentAdmin(admin.ModelAdmin):
    """Payments are decided through the payee's confirm/reject (ledger postings): read-only here."""

    list_display = ("order", "method", "amount", "currency", "status", "payer", "payee_agent", "created_at")
    list_filter = ("method", "status")
    search_fields = ("order__no", "payer__phone", "reference")
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
