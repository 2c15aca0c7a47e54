"""Back office for levels: level rules, the level price table as one grid (with Excel export
and import) and the queue of upgrade requests HQ approves or rejects with a reason."""

from __future__ import annotations

from django import forms
from django.contrib import admin, messages
from django.contrib.admin.helpers import ACTION_CHECKBOX_NAME
from django.core.exceptions import PermissionDenied
from django.http import HttpResponse, HttpResponseRedirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from weishang.core.errors import DomainError
from weishang.core.money import format_money

from . import level_prices, upgrades
from .level_models import Level, LevelPrice, UpgradeRequest, UpgradeStatus


class LevelForm(forms.ModelForm):
    class Meta:
        model = Level
        fields = ("name", "rank", "is_active", "requires_hq_approval", "currency", "upgrade_single_purchase",
                  "upgrade_cumulative_amount", "upgrade_period_days", "upgrade_needs_approval", "first_purchase_amount")

    def clean(self):
        data = super().clean()
        rank = data.get("rank")
        if self.instance.pk and rank is not None and rank != self.instance.rank:
            errors = level_prices.errors_after_rerank(self.instance.pk, rank)
            if errors:
                raise forms.ValidationError([_("With this rank the level price table would break the rules:")]
                                            + [str(e) for e in errors[:20]])
        return data


@admin.register(Level)
class LevelAdmin(admin.ModelAdmin):
    form = LevelForm
    list_display = ("rank", "name", "rule_summary", "upgrade_needs_approval", "first_purchase", "requires_hq_approval",
                    "is_active")
    list_display_links = ("rank", "name")
    ordering = ("rank",)
    fieldsets = (
        (None, {"fields": ("name", "rank", "is_active", "requires_hq_approval")}),
        (gettext_lazy("Upgrade by purchase volume"), {
            "description": gettext_lazy("An agent reaches this level by a single restock of at least the first amount, or "
                                 "by restocks adding up to the second amount within the period. Rules that count "
                                 "people recruited (拉人头) are pyramid selling and cannot be set."),
            "fields": ("currency", "upgrade_single_purchase", "upgrade_cumulative_amount", "upgrade_period_days",
                       "upgrade_needs_approval")}),
        (gettext_lazy("Joining"), {"fields": ("first_purchase_amount",)}),
    )

    @admin.display(description=gettext_lazy("upgrade rule"))
    def rule_summary(self, obj: Level) -> str:
        parts = []
        if obj.upgrade_single_purchase is not None:
            parts.append(_("single restock ≥ %(amount)s") % {
                "amount": format_money(obj.upgrade_single_purchase, obj.currency)})
        if obj.upgrade_cumulative_amount is not None:
            parts.append(_("≥ %(amount)s within %(days)d days") % {
                "amount": format_money(obj.upgrade_cumulative_amount, obj.currency),
                "days": obj.upgrade_period_days or 0})
        return _(" or ").join(parts) if parts else "—"

    @admin.display(description=gettext_lazy("first stock purchase"))
    def first_purchase(self, obj: Level) -> str:
        return format_money(obj.first_purchase_amount, obj.currency) if obj.first_purchase_amount else "—"


@admin.register(LevelPrice)
class LevelPriceAdmin(admin.ModelAdmin):
    """The list page is the grid: rows SKUs, columns levels, one form saved all-or-nothing."""

    def has_add_permission(self, request):
        return False  # prices are added in the grid, where the whole table is checked

    def has_delete_permission(self, request, obj=None):
        return False

    def get_urls(self):
        info = f"{self.opts.app_label}_{self.opts.model_name}"
        return [
            path("export.xlsx", self.admin_site.admin_view(self.export_view), name=f"{info}_export"),
            path("import/", self.admin_site.admin_view(self.import_view), name=f"{info}_import"),
            *super().get_urls(),
        ]

    def change_view(self, request, object_id, form_url="", extra_context=None):
        return HttpResponseRedirect(reverse("admin:agents_levelprice_changelist"))

    def changelist_view(self, request, extra_context=None):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        table = level_prices.load_table()
        posted: dict[tuple[int, int], str] = {}
        cell_errors: dict[str, list[str]] = {}
        error = None
        if request.method == "POST":
            if not self.has_change_permission(request):
                raise PermissionDenied
            for lv in table.levels:
                for sku in table.skus:
                    name = f"price_{lv.pk}_{sku.pk}"
                    if name in request.POST:
                        posted[(lv.pk, sku.pk)] = request.POST[name]
            try:
                n = level_prices.save_table(posted, actor=request.user)
            except DomainError as exc:
                error = exc
                cell_errors = {k: [str(m) for m in v] for k, v in exc.fields.items()}
            else:
                self.message_user(request, _("Price table saved: %(n)d cells changed.") % {"n": n},
                                  messages.SUCCESS)
                return HttpResponseRedirect(request.path)
        rows = []
        for sku in table.skus:
            cells = []
            for lv in table.levels:
                key = (lv.pk, sku.pk)
                name = f"price_{lv.pk}_{sku.pk}"
                if key in posted:
                    value = posted[key]
                else:
                    price = table.prices.get(key)
                    value = "" if price is None else (f"{price:.0f}" if sku.currency == "TWD" else f"{price:.2f}")
                cells.append({"name": name, "value": value, "errors": cell_errors.get(name, []), "level": lv})
            rows.append({"sku": sku, "cells": cells, "floor": sku.money(sku.floor_price),
                         "retail": sku.money(sku.retail_price)})
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": _("Level price table"),
                   "levels": table.levels, "rows": rows, "error": error,
                   "can_change": self.has_change_permission(request), **(extra_context or {})}
        return TemplateResponse(request, "agents/level_price_grid.html", context)

    def export_view(self, request):
        if not self.has_view_or_change_permission(request):
            raise PermissionDenied
        stamp = timezone.localtime().strftime("%Y%m%d-%H%M")
        response = HttpResponse(level_prices.export_xlsx(),
                                content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")
        response["Content-Disposition"] = f'attachment; filename="level-prices-{stamp}.xlsx"'
        return response

    def import_view(self, request):
        """The upload is kept privately and imported by a long task (analytics.Job): the
        page goes to the task's page, which shows the rows checked, then the result or
        every wrong cell."""
        if not self.has_change_permission(request):
            raise PermissionDenied
        form = ImportForm(request.POST or None, request.FILES or None)
        if request.method == "POST" and form.is_valid():
            from weishang.analytics import jobs, services

            upload = jobs.keep_upload(form.cleaned_data["file"], "imports")
            job = services.start(kind="level_price_import", user=request.user, params={"upload": upload})
            return HttpResponseRedirect(reverse("analytics:job", args=[job.pk]))
        context = {**self.admin_site.each_context(request), "opts": self.opts, "title": _("Import level prices"),
                   "form": form}
        return TemplateResponse(request, "agents/level_price_import.html", context)


class ImportForm(forms.Form):
    file = forms.FileField(label=gettext_lazy("Excel file (.xlsx)"))

    def clean_file(self):
        f = self.cleaned_data["file"]
        if f.size > 5 * 1024 * 1024:
            raise forms.ValidationError(gettext_lazy("The file is larger than 5 MB."))
        return f


class ReasonForm(forms.Form):
    reason = forms.CharField(label=gettext_lazy("Reason"), max_length=300, required=False,
                             widget=forms.Textarea(attrs={"rows": 3}))


@admin.register(UpgradeRequest)
class UpgradeRequestAdmin(admin.ModelAdmin):
    list_display = ("created_at", "agent", "from_level", "level", "trigger", "amount", "status", "decided_at",
                    "decided_by", "reason")
    list_filter = ("status", "level", "trigger", ("created_at", admin.DateFieldListFilter))
    search_fields = ("agent__name", "agent__user__phone")
    list_select_related = ("agent", "from_level", "level", "decided_by")
    readonly_fields = ("agent", "from_level", "level", "trigger", "amount", "period_start", "period_end", "status",
                       "created_at", "decided_at", "decided_by", "reason")
    actions = ("approve_selected", "reject_selected")
    date_hierarchy = "created_at"

    def has_add_permission(self, request):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def _decide(self, request, queryset, *, approve: bool):
        form = ReasonForm(request.POST if "apply" in request.POST else None)
        if "apply" in request.POST and form.is_valid():
            reason = form.cleaned_data["reason"]
            if not approve and not reason.strip():
                form.add_error("reason", _("Give a reason: the agent sees it."))
            else:
                done, failed = 0, []
                for req in queryset.filter(status=UpgradeStatus.PENDING).order_by("pk"):
                    try:
                        (upgrades.approve if approve else upgrades.reject)(req, actor=request.user, reason=reason)
                        done += 1
                    except DomainError as exc:
                        failed.append(f"#{req.pk}: {exc.message}")
                self.message_user(request, (_("Approved %(n)d upgrade requests.") if approve else
                                            _("Rejected %(n)d upgrade requests.")) % {"n": done}, messages.SUCCESS)
                for msg in failed:
                    self.message_user(request, msg, messages.ERROR)
                return None
        context = {**self.admin_site.each_context(request), "opts": self.opts, "form": form,
                   "requests": queryset.select_related("agent", "level", "from_level"),
                   "action": "approve_selected" if approve else "reject_selected",
                   "title": _("Approve upgrade requests") if approve else _("Reject upgrade requests"),
                   "approve": approve, "action_checkbox_name": ACTION_CHECKBOX_NAME}
        return TemplateResponse(request, "agents/level_upgrade_decide.html", context)

    @admin.action(description=gettext_lazy("Approve selected upgrade requests"), permissions=["change"])
    def approve_selected(self, request, queryset):
        return self._decide(request, queryset, approve=True)

    @admin.action(description=gettext_lazy("Reject selected upgrade requests (with a reason)"), permissions=["change"])
    def reject_selected(self, request, queryset):
        return self._decide(request, queryset, approve=False)
