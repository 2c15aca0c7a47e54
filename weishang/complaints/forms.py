from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _


class ComplaintForm(forms.Form):
    order_no = forms.CharField(label=_("Order number"), max_length=24, required=False)
    agent_id = forms.IntegerField(label=_("Agent number"), required=False, widget=forms.HiddenInput)
    subject = forms.CharField(label=_("Subject"), max_length=100)
    body = forms.CharField(label=_("What happened"), max_length=2000, widget=forms.Textarea(attrs={"rows": 5}))
