from django import forms
from django.utils.translation import gettext_lazy as _

from weishang.agents.models import Agent
from weishang.catalog.models import SKU


class AdjustForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput)
    sku = forms.ModelChoiceField(label=_("SKU"), queryset=SKU.objects.select_related("product"))
    agent = forms.ModelChoiceField(label=_("Owner"), queryset=Agent.objects.all(), required=False,
                                   empty_label=_("HQ warehouse"), widget=forms.NumberInput,
                                   help_text=_("Agent id; empty for HQ's own stock."))
    quantity = forms.IntegerField(label=_("Change (+ in, − out)"))
    reason = forms.CharField(label=_("Reason"), max_length=200)
