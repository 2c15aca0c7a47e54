"""The ledger is written only by services.post; the back office reads it."""

from django.contrib import admin

from weishang.core.admin import ReadOnlyAdmin

from .models import Account, Entry, Journal


@admin.register(Account)
class AccountAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "agent", "supplier", "currency", "balance"]
    list_filter = ["kind", "currency"]
    search_fields = ["key", "agent__name", "supplier__name"]
    list_select_related = ["agent", "supplier"]


class EntryInline(admin.TabularInline):
    model = Entry
    fields = ("account", "amount")
    readonly_fields = ("account", "amount")
    extra = 0
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind", "currency", "ref_type", "ref_id", "memo", "created_at"]
    list_filter = ["kind", "currency", "ref_type"]
    search_fields = ["key", "ref_id"]
    date_hierarchy = "created_at"
    inlines = [EntryInline]
    show_full_result_count = False
