"""HQ back office: the approvals queue (Applications filtered to "waiting for HQ") with
approve / reject actions (reject asks for a reason), and the invites."""

from django.contrib import admin, messages
from django.utils.translation import gettext_lazy as _

from weishang.certificates.admin import reason_action
from weishang.core.errors import DomainError

from . import services
from .models import Application, Invite


@admin.register(Application)
class ApplicationAdmin(admin.ModelAdmin):
    list_display = ("ref", "name", "phone", "level", "region_name", "inviter", "stage", "status", "created_at")
    list_filter = ("stage", "status", "level", "created_at")
    search_fields = ("ref", "name", "phone", "wechat_id", "line_id")
    list_select_related = ("level", "inviter")
    readonly_fields = [f.name for f in Application._meta.fields if f.name != "password_hash"]
    exclude = ("password_hash",)
    actions = ["approve", "reject"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Approve the selected applications (HQ)"), permissions=["change"])
    def approve(self, request, queryset):
        done = 0
        for app in queryset:
            try:
                services.decide(app, user=request.user, approve=True)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{app}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d approved.") % {"n": done}, messages.SUCCESS)

    @admin.action(description=_("Reject the selected applications (HQ), with a reason"), permissions=["change"])
    def reject(self, request, queryset):
        return reason_action(self, request, queryset, title=_("Reject applications"),
                             apply=lambda app, reason: services.decide(app, user=request.user, approve=False,
                                                                       reason=reason))


@admin.register(Invite)
class InviteAdmin(admin.ModelAdmin):
    list_display = ("pk", "level", "inviter", "created_by", "uses", "max_uses", "expires_at", "revoked_at")
    list_filter = ("level", "expires_at")
    search_fields = ("inviter__name", "created_by__phone", "note")
    list_select_related = ("level", "inviter", "created_by")
    readonly_fields = ("key", "inviter", "created_by", "uses", "created_at")
    raw_id_fields = ("inviter",)
