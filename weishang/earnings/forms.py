from django import forms
from django.utils.translation import gettext_lazy as _


class WithdrawalForm(forms.Form):
    amount = forms.CharField(label=_("Amount"), max_length=20,
                             widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}))
    payee_name = forms.CharField(label=_("Account holder"), max_length=60)
    payee_account = forms.CharField(label=_("Bank / Alipay account"), max_length=60)
    payee_bank = forms.CharField(label=_("Bank"), max_length=60, required=False)
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False, max_length=80)


class RejectForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200)
