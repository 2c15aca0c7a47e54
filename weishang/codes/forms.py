from __future__ import annotations

import functools

from django import forms
from django.utils.translation import gettext_lazy as _

from weishang.agents.models import Agent
from weishang.catalog.models import SKU

from .export import LABEL_SIZES_MM
from .models import AlertStatus, LocationSource


class BatchForm(forms.Form):
    sku = forms.ModelChoiceField(SKU.objects.select_related("product"), label=_("SKU"))
    lot = forms.CharField(label=_("lot number"), max_length=40)
    production_date = forms.DateField(label=_("production date"), widget=forms.DateInput(attrs={"type": "date"}))
    expiry_date = forms.DateField(label=_("expiry date"), widget=forms.DateInput(attrs={"type": "date"}))
    quantity = forms.IntegerField(label=_("items"), min_value=1)
    items_per_box = forms.IntegerField(label=_("items per box"), min_value=1, initial=12)
    boxes_per_case = forms.IntegerField(label=_("boxes per case"), min_value=1, initial=8)
    with_pin = forms.BooleanField(label=_("scratch-off PIN"), required=False)
    note = forms.CharField(label=_("note"), max_length=200, required=False)


class LabelForm(forms.Form):
    KINDS = [("item", _("items")), ("box", _("boxes")), ("case", _("cases"))]
    kind = forms.ChoiceField(label=_("labels for"), choices=KINDS, initial="item")
    first = forms.IntegerField(label=_("from number"), min_value=1, initial=1)
    count = forms.IntegerField(label=_("how many"), min_value=1, initial=100)
    size = forms.ChoiceField(label=_("label size (mm)"), choices=[(k, k) for k in LABEL_SIZES_MM], initial="40x30")


class ShipmentForm(forms.Form):
    """Agents pick one of their direct downlines; HQ types the receiving agent's phone number
    or id (a brand can have tens of thousands of agents: no giant drop-down)."""

    to_agent = forms.ModelChoiceField(Agent.objects.none(), label=_("ship to agent"))
    reference = forms.CharField(label=_("order or pick-up number"), max_length=40, required=False)

    def __init__(self, *args, agents=None, **kw):
        super().__init__(*args, **kw)
        if agents is None:
            self.fields["to_agent"] = forms.CharField(
                label=_("ship to agent"), max_length=30,
                help_text=_("The receiving agent's phone number or agent id."))
        else:
            self.fields["to_agent"].queryset = agents.select_related("level").order_by("name")

    def clean_to_agent(self):
        value = self.cleaned_data["to_agent"]
        if isinstance(value, Agent):
            return value
        text = str(value).strip()
        agent = None
        if text.isdigit() and len(text) < 10:
            agent = Agent.objects.filter(pk=int(text)).first()
        if agent is None:
            from django.core.exceptions import ValidationError

            from weishang.accounts.phones import normalize_phone

            try:
                phone = normalize_phone(text)
            except ValidationError:
                phone = None
            if phone:
                agent = Agent.objects.filter(user__phone=phone).first()
        if agent is None:
            raise forms.ValidationError(_("No agent with this phone number or id."))
        return agent


class ScanForm(forms.Form):
    code = forms.CharField(label=_("scan or type a case, box or item code"), max_length=200,
                           widget=forms.TextInput(attrs={"autofocus": True, "autocomplete": "off",
                                                         "autocapitalize": "off", "inputmode": "url"}))


class UndoForm(forms.Form):
    reason = forms.CharField(label=_("reason"), max_length=200)


class PlaceForm(forms.Form):
    token = forms.CharField(max_length=24, widget=forms.HiddenInput)
    division = forms.ChoiceField(label=_("your city"), choices=())

    def __init__(self, *args, **kw):
        super().__init__(*args, **kw)
        self.fields["division"].choices = city_choices()


class PinForm(forms.Form):
    pin = forms.CharField(label=_("scratch-off PIN"), max_length=20)


class ManualCodeForm(forms.Form):
    code = forms.CharField(label=_("code printed under the QR"), max_length=200)


class AlertFilterForm(forms.Form):
    status = forms.ChoiceField(label=_("status"), choices=[("", _("all"))] + list(AlertStatus.choices),
                               required=False)
    strength = forms.ChoiceField(label=_("evidence"), required=False,
                                 choices=[("", _("all")), ("strong", _("strong")), ("weak", _("weak (IP only)"))])
    source = forms.ChoiceField(label=_("location source"), required=False,
                               choices=[("", _("all"))] + list(LocationSource.choices))
    agent = forms.IntegerField(label=_("agent id"), required=False, min_value=1)
    batch = forms.IntegerField(label=_("batch id"), required=False, min_value=1)
    province = forms.CharField(label=_("scan province (2 digits)"), required=False, max_length=2)
    since = forms.DateField(label=_("from"), required=False, widget=forms.DateInput(attrs={"type": "date"}))
    until = forms.DateField(label=_("until"), required=False, widget=forms.DateInput(attrs={"type": "date"}))


@functools.lru_cache(maxsize=1)
def city_choices() -> list:
    """Cities grouped by province, for a consumer to say where they are."""
    try:
        from weishang.regions import divisions
    except ImportError:  # pragma: no cover
        return []
    groups: list = [("", "—")]
    for province in divisions.provinces():
        cities = divisions.children(province.code) or [province]
        groups.append((province.name, [(c.code, c.full_name) for c in cities]))
    return groups
