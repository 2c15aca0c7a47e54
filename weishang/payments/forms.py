from django import forms
from django.utils.translation import gettext_lazy as _

from weishang.core.validators import validate_image


class OfflineForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    proof = forms.ImageField(label=_("Transfer proof (screenshot)"), validators=[validate_image])
    reference = forms.CharField(label=_("Transfer reference"), max_length=60, required=False)


class TopUpRequestForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    amount = forms.CharField(label=_("Amount"), max_length=20)
    proof = forms.ImageField(label=_("Transfer proof (screenshot)"), validators=[validate_image])
    reason = forms.CharField(label=_("Note"), max_length=200, required=False)


class HqTopUpForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    agent = forms.IntegerField(label=_("Agent id"))
    amount = forms.CharField(label=_("Amount"), max_length=20)
    currency = forms.ChoiceField(label=_("Currency"), choices=[("CNY", "CNY"), ("TWD", "TWD")])
    reason = forms.CharField(label=_("Reason"), max_length=200)


class CollectionDetailsForm(forms.Form):
    details = forms.CharField(label=_("Collection details"), max_length=500, required=False,
                              widget=forms.Textarea(attrs={"rows": 3}),
                              help_text=_("For example: WeChat ID, Alipay account, or bank, account number and name."))
    qr = forms.ImageField(label=_("Collection QR code (WeChat / Alipay)"), required=False, validators=[validate_image])
    remove_qr = forms.BooleanField(label=_("Remove the QR code"), required=False)


class BillImportForm(forms.Form):
    provider = forms.ChoiceField(label=_("Provider"))
    day = forms.DateField(label=_("Bill day"), widget=forms.DateInput(attrs={"type": "date"}))
    bill = forms.FileField(label=_("Bill file (CSV)"))

    def __init__(self, *args, **kwargs):
        from .reconciliation import providers_with_bills

        super().__init__(*args, **kwargs)
        self.fields["provider"].choices = providers_with_bills()
