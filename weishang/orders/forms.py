from __future__ import annotations

import uuid
from decimal import Decimal

from django import forms
from django.utils.translation import gettext_lazy as _

from weishang.regions.forms import RegionField

from .models import RefundKind


def new_key() -> str:
    return uuid.uuid4().hex


class AddressForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    name = forms.CharField(label=_("Recipient"), max_length=60)
    phone = forms.CharField(label=_("Mobile number"), max_length=20)
    region = RegionField(label=_("Region"))
    detail = forms.CharField(label=_("Street address"), max_length=200)
    save_address = forms.BooleanField(label=_("Save this address"), required=False, initial=True)

    def address(self) -> dict:
        data = self.cleaned_data
        region = data["region"]
        return {"name": data["name"], "phone": data["phone"], "province_code": region.province,
                "city_code": region.city or "", "district_code": region.district or "", "detail": data["detail"]}


class ShipForm(forms.Form):
    carrier = forms.CharField(label=_("Carrier"), max_length=40)
    tracking_no = forms.CharField(label=_("Tracking number"), max_length=40)


class ReasonForm(forms.Form):
    reason = forms.CharField(label=_("Reason"), max_length=200, required=False)


class ImportForm(forms.Form):
    file = forms.FileField(label=_("Excel file (.xlsx)"))


class RefundRequestForm(forms.Form):
    idempotency_key = forms.CharField(widget=forms.HiddenInput, required=False)
    kind = forms.ChoiceField(label=_("Refund of"), choices=RefundKind.choices, initial=RefundKind.FULL,
                             widget=forms.RadioSelect)
    amount = forms.DecimalField(label=_("Amount"), required=False, min_value=Decimal("0.01"), decimal_places=2,
                                max_digits=14, help_text=_("Only for a refund of an amount (goods kept)."))
    reason = forms.CharField(label=_("Reason"), max_length=200)
    defective = forms.BooleanField(label=_("The goods are defective"), required=False,
                                   help_text=_("Needed to return an item marked as not returnable."))


class InspectForm(forms.Form):
    note = forms.CharField(label=_("Inspection note"), max_length=200, required=False)
