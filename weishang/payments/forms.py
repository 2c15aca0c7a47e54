from django import forms
from django.utils.translation import gettext_lazy as _

from weishang.core.validators import validate_image_size


class OfflineForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    proof = forms.ImageField(label=_("Transfer proof (screenshot)"), validators=[validate_image_size])
    reference = forms.CharField(label=_("Transfer reference"), max_length=60, required=False)


class TopUpRequestForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    amount = forms.CharField(label=_("Amount"), max_length=20)
    proof = forms.ImageField(label=_("Transfer proof (screenshot)"), validators=[validate_image_size])
    reason = forms.CharField(label=_("Note"), max_length=200, required=False)


class HqTopUpForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    agent = forms.IntegerField(label=_("Agent id"))
    amount = forms.CharField(label=_("Amount"), max_length=20)
    currency = forms.ChoiceField(label=_("Currency"), choices=[("CNY", "CNY"), ("TWD", "TWD")])
    reason = forms.CharField(label=_("Reason"), max_length=200)


class BillImportForm(forms.Form):
    provider = forms.ChoiceField(label=_("Provider"))
    day = forms.DateField(label=_("Bill day"), widget=forms.DateInput(attrs={"type": "date"}))
    bill = forms.FileField(label=_("Bill file (CSV)"))

    def __init__(self, *args, **kwargs):
        from .reconciliation import providers_with_bills

        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = providers_with_bills()
