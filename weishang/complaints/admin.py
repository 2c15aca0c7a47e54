from django.contrib import admin

from .models import Complaint


@admin.register(Complaint)
class ComplaintAdmin(admin.ModelAdmin):
    list_display = ["pk", "subject", "status", "order", "agent", "complainant", "assignee", "created_at"]
    list_filter = ["status"]
    search_fields = ["subject", "order__no", "agent__name", "complainant__phone"]
    raw_id_fields = ["order", "agent", "complainant", "assignee", "closed_by"]
    readonly_fields = ["created_at", "assigned_at", "closed_at", "closed_by"]
