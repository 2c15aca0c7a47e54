"""Back-office building blocks shared by the domain apps."""

from django.contrib import admin


class ReadOnlyAdmin(admin.ModelAdmin):
    """For records only services write (ledger entries, earnings, stock movements, agent
    history): the back office lists and opens them, never adds, edits or deletes."""

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
