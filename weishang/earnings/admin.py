from django import forms
from django.contrib import admin
from django.core.exceptions import ValidationError
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from weishang.core.admin import ReadOnlyAdmin

from . import services
from .models import (
    BuyBack,
    CompliancePage,
    Earning,
    EarningLine,
    MonthTotalsPage,
    PayoutBatch,
    RuleVersion,
    SettlementPage,
    Withdrawal,
)


class RuleVersionForm(forms.ModelForm):
    class Meta:
        model = RuleVersion
        fields = ["kind", "enabled", "rates", "depth", "note"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        try:
            services.check_rule(kind=data.get("kind") or self.instance.kind, rates=data.get("rates", ""), depth=data.get("depth") or 0,
                                enabled=data.get("enabled", False))
        except services.RuleRefused as exc:
            raise ValidationError({name if name in self.fields else "__all__": msgs
                                   for name, msgs in exc.fields.items()} or exc.message)
        return data


@admin.register(RuleVersion)
class RuleVersionAdmin(admin.ModelAdmin):
    """Saving a rule (new or changed) always creates its next version; past versions and
    the earnings that froze them are never edited."""

    form = RuleVersionForm
    list_display = ["kind", "version", "enabled", "rates", "depth", "created_at", "created_by", "note"]
    list_filter = ["kind", "enabled"]
    readonly_fields = ["version", "created_at", "created_by"]

    def get_readonly_fields(self, request, obj=None):
        return [*self.readonly_fields, "kind"] if obj else self.readonly_fields

    def save_model(self, request, obj, form, change):
        data = form.cleaned_data
        new = services.save_rule(kind=obj.kind, rates=data.get("rates", ""), depth=data.get("depth") or 0,
                                 enabled=data.get("enabled", False), note=data.get("note", ""), by=request.user)
        obj.pk, obj.version = new.pk, new.version
        self.message_user(request, _("Saved as version %(v)d; earnings already paid keep their version.")
                          % {"v": new.version})

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(EarningLine)
class EarningLineAdmin(ReadOnlyAdmin):
    list_display = ["ref", "order_ref", "kind", "paid", "refunded", "currency", "origin", "profile", "paid_at"]
    list_filter = ["kind", "currency", "profile"]
    search_fields = ["ref", "order_ref"]
    date_hierarchy = "paid_at"
    list_select_related = ["origin"]


@admin.register(Earning)
class EarningAdmin(ReadOnlyAdmin):
    list_display = ["order_ref", "kind", "agent", "supplier", "amount", "reversed", "state", "available_at",
                    "rule_version", "distance", "created_at"]
    list_filter = ["kind", "state", "currency", "hold"]
    search_fields = ["order_ref", "key", "agent__name"]
    date_hierarchy = "created_at"
    list_select_related = ["agent", "supplier", "rule_version"]
    show_full_result_count = False


@admin.register(Withdrawal)
class WithdrawalAdmin(ReadOnlyAdmin):
    list_display = ["pk", "agent", "amount", "fee", "currency", "state", "requested_at", "decided_by", "batch",
                    "paid_at"]
    list_filter = ["state", "currency"]
    search_fields = ["agent__name", "payee_name", "payee_account"]
    list_select_related = ["agent", "decided_by", "batch"]

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "title": _("Withdrawals (decide them on the settlement page)")}
        return super().changelist_view(request, extra_context)


@admin.register(PayoutBatch)
class PayoutBatchAdmin(ReadOnlyAdmin):
    list_display = ["pk", "currency", "created_by", "created_at", "export"]

    @admin.display(description=_("Excel"))
    def export(self, obj):
        from django.urls import reverse

        return format_html('<a href="{}">{}</a>', reverse("earnings:batch_xlsx", args=[obj.pk]), _("download"))


class LinkAdmin(ReadOnlyAdmin):
    """A menu entry that opens one of the custom HQ pages."""

    url_name = ""

    def changelist_view(self, request, extra_context=None):
        from django.shortcuts import redirect

        return redirect(self.url_name)


@admin.register(CompliancePage)
class CompliancePageAdmin(LinkAdmin):
    url_name = "earnings:hq_profile"


@admin.register(SettlementPage)
class SettlementPageAdmin(LinkAdmin):
    url_name = "earnings:hq_withdrawals"


@admin.register(MonthTotalsPage)
class MonthTotalsPageAdmin(LinkAdmin):
    url_name = "earnings:hq_totals"


class BuyBackForm(forms.ModelForm):
    class Meta:
        model = BuyBack
        fields = ["agent", "sku", "quantity", "reason"]

    def clean(self):
        data = super().clean()
        if self.errors:
            return data
        from weishang.inventory.models import Stock, owner_key

        try:
            self.quote = services.buyback_quote(data["agent"], data["sku"].pk, data["quantity"])
        except services.DomainError as exc:
            raise ValidationError(exc.message) from None
        row = Stock.objects.filter(owner=owner_key(data["agent"].pk), sku=data["sku"]).first()
        if row is None or row.available < data["quantity"]:
            raise ValidationError({"quantity": _("The agent's cloud stock does not hold %(n)d free units of this item.")
                                   % {"n": data["quantity"]}})
        return data


@admin.register(BuyBack)
class BuyBackAdmin(admin.ModelAdmin):
    """tw buy-back: adding one runs services.buy_back (units to HQ, 90 % paid to the agent)."""

    form = BuyBackForm
    list_display = ("created_at", "agent", "sku", "quantity", "amount", "currency", "created_by")
    list_select_related = ("agent", "sku__product", "created_by")
    search_fields = ("agent__name", "sku__code")
    autocomplete_fields = ("agent",)

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        bb = services.buy_back(agent=obj.agent, sku_id=obj.sku_id, quantity=obj.quantity, by=request.user,
                               reason=obj.reason)
        obj.pk, obj.amount, obj.currency, obj.key = bb.pk, bb.amount, bb.currency, bb.key
