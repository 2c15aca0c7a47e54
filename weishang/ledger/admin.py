"""The ledger is written only by services.post; the back office reads it."""

from django.contrib import admin
from django.utils.translation import gettext_lazy as _

from weishang.core.admin import ReadOnlyAdmin

from .models import REF_TYPE_LABELS, Account, Entry, Journal


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


class JournalKindFilter(admin.SimpleListFilter):
    """The kinds in use, by their labels (earning kinds are open-ended, so not model choices)."""

    title = _("kind")
    parameter_name = "kind"

    def lookups(self, request, model_admin):
        from weishang.earnings.selectors import journal_label

        kinds = Journal.objects.order_by("kind").values_list("kind", flat=True).distinct()
        return [(k, journal_label(k)) for k in kinds]

    def queryset(self, request, queryset):
        return queryset.filter(kind=self.value()) if self.value() else queryset


@admin.register(Journal)
class JournalAdmin(ReadOnlyAdmin):
    list_display = ["key", "kind_label", "currency", "ref_label", "ref_id", "memo", "created_at"]
    list_filter = [JournalKindFilter, "currency"]
    search_fields = ["key", "ref_id"]
    date_hierarchy = "created_at"
    inlines = [EntryInline]
    show_full_result_count = False

    @admin.display(description=_("reference type"), ordering="ref_type")
    def ref_label(self, obj):
        return REF_TYPE_LABELS.get(obj.ref_type, obj.ref_type)

    @admin.display(description=_("kind"), ordering="kind")
    def kind_label(self, obj):
        from weishang.earnings.selectors import journal_label

        return journal_label(obj.kind)
