"""A "province / city / district" form field for any app's form.

Usage::

    from weishang.regions.forms import RegionField

    class AddressForm(forms.Form):
        region = RegionField(label=_("Region"))                        # district required
        # RegionField(level="city") for an agent authorised for a whole city,
        # RegionField(level="province"), RegionField(required=False)

    form.cleaned_data["region"]  # -> Region(province="440000", city="440300", district="440305")
                                 #    (a NamedTuple; .code is the most specific code,
                                 #     .full_name "广东省深圳市南山区"); None if optional and empty.

    # initial / instance values: a Region, a (p, c, d) tuple, a dict with province/city/district,
    # or one code ("440305" fills all three selects from its path).
    AddressForm(initial={"region": address.district_code})

In the template, render it like any field (``{{ form.region }}``, or through
``includes/form.html``), or with label and errors: ``{% include "regions/field.html" with
field=form.region %}``. The page must load htmx (base.html does).

How it works: three ``<select>`` named ``<name>_province``, ``<name>_city``,
``<name>_district``. Changing one makes htmx GET ``/regions/picker`` which re-renders the
three selects with the next level's options (a city without districts, 东莞, offers itself
as its district). Without JavaScript, a "Show cities / districts" submit button
(``<name>_refresh``) posts the form; the field then refuses to validate (the message says
to choose the next level) and the re-rendered form lists the chosen province's cities.
Codes are checked with ``weishang.regions.divisions.validate``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, cast

from django import forms
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from . import divisions
from .divisions import CITY, DISTRICT, LEVELS, PROVINCE, Region

PART_NAMES = ("province", "city", "district")


def as_codes(value: Any) -> tuple[str | None, str | None, str | None]:
    """Any accepted value (Region, tuple, dict, single code) → three codes or Nones."""
    if value in (None, "", [], ()):
        return (None, None, None)
    if isinstance(value, Mapping):
        parts = [value.get(k) for k in PART_NAMES]
    elif isinstance(value, (list, tuple)):
        parts = list(value)[:3] + [None] * (3 - len(value))
    else:
        chain = divisions.path(value)
        parts = [d.code for d in chain] + [None] * (3 - len(chain))
    return tuple((str(p) if p not in (None, "") else None) for p in parts)  # type: ignore[return-value]


def consistent(codes: tuple[str | None, str | None, str | None]) -> tuple[str | None, str | None, str | None]:
    """Drop a chosen city that is not in the chosen province, and so on down (after the
    province changes, the old city must go)."""
    p, c, d = (divisions.normalize(x) for x in codes)
    province = divisions.get(p) if p else None
    if province is None or province.level != PROVINCE:
        return (None, None, None)
    city = divisions.get(c) if c else None
    if city is None or city.parent_code != province.code:
        return (province.code, None, None)
    if d and d in {x.code for x in divisions.district_options(city.code)}:
        return (province.code, city.code, d)
    return (province.code, city.code, None)


class RegionWidget(forms.MultiWidget):
    template_name = "regions/widget.html"

    def __init__(self, attrs: dict | None = None, level: str = DISTRICT) -> None:
        self.level = level
        widgets: dict[str, forms.Widget | type[forms.Widget]] = {name: forms.Select() for name in PART_NAMES}
        super().__init__(widgets, attrs)

    def decompress(self, value: Any) -> list[str | None]:
        return list(as_codes(value))

    def value_from_datadict(self, data, files, name):
        values = super().value_from_datadict(data, files, name)
        if f"{name}_refresh" in data:
            values.append("__refresh__")
        return values

    def value_omitted_from_data(self, data, files, name):
        return all(f"{name}_{part}" not in data for part in PART_NAMES)

    def get_context(self, name: str, value: Any, attrs: dict | None) -> dict:
        if not isinstance(value, list):
            value = self.decompress(value)
        codes = consistent(tuple(value[:3]) if len(value) >= 3 else as_codes(value))
        p, c, d = codes
        blank = [("", _("Province")), ("", _("City")), ("", _("District"))]
        selects = cast(list[forms.Select], self.widgets)
        selects[0].choices = [blank[0], *[(x.code, x.name) for x in divisions.provinces()]]
        selects[1].choices = [blank[1], *[(x.code, x.name) for x in (divisions.children(p) if p else [])]]
        selects[2].choices = [blank[2], *[(x.code, x.name) for x in (divisions.district_options(c) if c else [])]]
        context = super().get_context(name, list(codes), attrs)
        widget = context["widget"]
        show = {PROVINCE: 1, CITY: 2, DISTRICT: 3}[self.level]
        labels = (_("Province"), _("City"), _("District"))
        wrapper_id = f"{widget['attrs'].get('id') or 'id_' + name}_picker"
        hx_vals = json.dumps({
            "name": name,
            "id": widget["attrs"].get("id") or "",
            "level": self.level,
            "required": "1" if widget["attrs"].get("required") else "",
        })
        subwidgets = widget["subwidgets"][:show]
        for i, sub in enumerate(subwidgets):
            sub["attrs"]["aria-label"] = str(labels[i])
            if i < show - 1:
                sub["attrs"].update({
                    "hx-get": reverse("regions:picker"),
                    "hx-trigger": "change",
                    "hx-target": f"#{wrapper_id}",
                    "hx-swap": "outerHTML",
                    "hx-include": f"#{wrapper_id}",
                    "hx-vals": hx_vals,
                })
        widget["subwidgets"] = subwidgets
        widget["level"] = self.level
        widget["wrapper_id"] = wrapper_id
        widget["cascades"] = show > 1
        return context

    def id_for_label(self, id_: str) -> str:
        return f"{id_}_0" if id_ else id_


class RegionField(forms.MultiValueField):
    """Three cascading selects; cleans to a divisions.Region (or None when optional and empty)."""

    widget = RegionWidget
    default_error_messages = {
        "refresh": _("Choose the next level below, then submit again."),
    }

    def __init__(self, *, level: str = DISTRICT, **kwargs: Any) -> None:
        if level not in LEVELS:
            raise ValueError(f"level must be one of {LEVELS}")
        self.level = level
        fields = (forms.CharField(required=False), forms.CharField(required=False), forms.CharField(required=False))
        kwargs.setdefault("widget", RegionWidget(level=level))
        super().__init__(fields=fields, require_all_fields=False, **kwargs)
        self.widget.level = level

    def clean(self, value: Any) -> Region | None:
        if isinstance(value, list) and "__refresh__" in value:
            raise ValidationError(self.error_messages["refresh"], code="refresh")
        return super().clean(value)

    def compress(self, data_list: list[str]) -> Region | None:
        if not data_list or all(not v for v in data_list):
            return None
        p, c, d = (list(data_list) + [None, None, None])[:3]
        return divisions.validate(p or None, c or None, d or None, level=self.level)

    def prepare_value(self, value: Any) -> Any:
        return value if isinstance(value, list) else list(as_codes(value))
