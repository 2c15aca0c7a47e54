from django import forms
from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

from . import services
from .models import Certificate


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=300, widget=forms.Textarea(attrs={"rows": 3}))


def reason_action(modeladmin, request, queryset, *, title, apply):
    """An admin action that first asks for a reason (shared by the certificates and
    recruitment admins). `apply(obj, reason)` may raise DomainError."""
    form = ReasonForm(request.POST if "apply_reason" in request.POST else None)
    if form.is_bound and form.is_valid():
        done = 0
        for obj in queryset:
            try:
                apply(obj, form.cleaned_data["reason"])
                done += 1
            except DomainError as exc:
                modeladmin.message_user(request, f"{obj}: {exc.message}", messages.ERROR)
        if done:
            modeladmin.message_user(request, _("%(n)d done.") % {"n": done}, messages.SUCCESS)
        return None
    return TemplateResponse(request, "admin/reason_action.html", {
        **modeladmin.admin_site.each_context(request), "title": title, "objects": queryset, "form": form,
        "action": request.POST.get("action", ""), "opts": modeladmin.model._meta,
        "selected": request.POST.getlist(admin.helpers.ACTION_CHECKBOX_NAME),
    })


@admin.register(Certificate)
class CertificateAdmin(admin.ModelAdmin):
    list_display = ("number", "name", "level_name", "region_name", "valid_from", "valid_until", "status")
    list_filter = ("status", "level", "valid_until")
    search_fields = ("number", "name", "agent__user__phone", "agent__wechat_id")
    list_select_related = ("level",)
    readonly_fields = [f.name for f in Certificate._meta.fields]
    actions = ["revoke", "reissue"]
    show_full_result_count = False

    def has_add_permission(self, request):
        return False

    @admin.action(description=_("Revoke the selected certificates"), permissions=["change"])
    def revoke(self, request, queryset):
        return reason_action(self, request, queryset, title=_("Revoke certificates"),
                             apply=lambda cert, reason: services.revoke_certificate(cert, reason=reason,
                                                                                   by=request.user))

    @admin.action(description=_("Re-issue with the agent's current level and region"), permissions=["change"])
    def reissue(self, request, queryset):
        done = 0
        for cert in queryset.select_related("agent"):
            try:
                services.issue_certificate(cert.agent, channels=cert.channels, issued_by=request.user)
                done += 1
            except DomainError as exc:
                self.message_user(request, f"{cert}: {exc.message}", messages.ERROR)
        if done:
            self.message_user(request, _("%(n)d done.") % {"n": done}, messages.SUCCESS)
