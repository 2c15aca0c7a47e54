import re

import pytest
from django import forms
from django.test import Client

from weishang.regions.divisions import CITY, PROVINCE, Region
from weishang.regions.forms import RegionField


class AddressForm(forms.Form):
    region = RegionField()


class AuthForm(forms.Form):
    region = RegionField(level=CITY)


class OptionalForm(forms.Form):
    region = RegionField(level=PROVINCE, required=False)


def _options(html):
    return re.findall(r'<option value="(\d*)"', html)


@pytest.fixture
def client():
    return Client()


def test_api_provinces_and_children(client):
    r = client.get("/api/v1/regions")
    assert r.status_code == 200
    assert "public" in r["Cache-Control"] and "max-age=" in r["Cache-Control"]
    codes = [d["code"] for d in r.json()]
    assert "110000" in codes and "710000" in codes and len(codes) == 34
    r = client.get("/api/v1/regions/440000/children")
    assert r.status_code == 200 and "max-age=" in r["Cache-Control"]
    assert {"code": "440300", "name": "深圳市"}.items() <= next(d for d in r.json() if d["code"] == "440300").items()
    r = client.get("/api/v1/regions/44/children")  # short codes are accepted
    assert r.status_code == 200 and len(r.json()) == 21
    r = client.get("/api/v1/regions/716300/children")
    daan = next(d for d in r.json() if d["name"] == "大安區")
    assert daan["postcode"] == "106" and daan["code"] == "716305"


def test_api_detail_and_errors(client):
    r = client.get("/api/v1/regions/110101")
    assert r.status_code == 200
    assert [d["code"] for d in r.json()["path"]] == ["110000", "110100", "110101"]
    for bad in ("999999", "abc", "1234567"):
        r = client.get(f"/api/v1/regions/{bad}/children")
        assert r.status_code == 404
        assert r.json()["code"] == "unknown_region"
    assert client.get("/api/v1/regions/110101/children").json() == []


def test_options_view(client):
    r = client.get("/regions/options")
    assert r.status_code == 200 and len(_options(r.content.decode())) == 35
    r = client.get("/regions/options?parent=440000&selected=440300")
    html = r.content.decode()
    assert "440300" in _options(html) and 'value="440300" selected' in html
    assert "max-age=" in r["Cache-Control"]
    r = client.get("/regions/options?parent=441900")
    assert _options(r.content.decode()) == ["", "441900"]
    assert client.get("/regions/options?parent=110101").status_code == 404
    assert client.get("/regions/options?parent=zz").status_code == 404


def test_picker_view_cascades(client):
    base = "/regions/picker?name=region&id=id_region&level=district"
    html = client.get(base + "&region_province=440000").content.decode()
    selects = re.findall(r"<select.*?</select>", html, re.S)
    assert len(selects) == 3
    assert "440300" in _options(selects[1]) and _options(selects[2]) == [""]
    html = client.get(base + "&region_province=440000&region_city=440300").content.decode()
    selects = re.findall(r"<select.*?</select>", html, re.S)
    assert "440305" in _options(selects[2])
    # province changed: the old city and district are dropped
    html = client.get(base + "&region_province=110000&region_city=440300&region_district=440305").content.decode()
    selects = re.findall(r"<select.*?</select>", html, re.S)
    assert 'selected' not in selects[1].split("</option>", 1)[1] and "110100" in _options(selects[1])
    assert 'hx-get="/regions/picker"' in selects[0]
    assert client.get("/regions/picker?name=<script>").status_code == 400
    assert client.get("/regions/picker?name=region&level=street").status_code == 400


def test_region_field_cleans_and_validates():
    form = AddressForm(data={"region_province": "440000", "region_city": "440300", "region_district": "440305"})
    assert form.is_valid(), form.errors
    assert form.cleaned_data["region"] == Region("440000", "440300", "440305")
    assert form.cleaned_data["region"].full_name == "广东省深圳市南山区"
    form = AddressForm(data={"region_province": "440000", "region_city": "441900", "region_district": ""})
    assert form.is_valid() and form.cleaned_data["region"] == ("440000", "441900", "441900")
    form = AddressForm(data={"region_province": "440000", "region_city": "110100", "region_district": "110101"})
    assert not form.is_valid() and "region" in form.errors
    form = AddressForm(data={"region_province": "440000", "region_city": "440300", "region_district": ""})
    assert not form.is_valid()
    form = AddressForm(data={})
    assert not form.is_valid() and form.errors["region"]
    form = AuthForm(data={"region_province": "710000", "region_city": "716300"})
    assert form.is_valid() and form.cleaned_data["region"] == ("710000", "716300", None)
    form = OptionalForm(data={"region_province": ""})
    assert form.is_valid() and form.cleaned_data["region"] is None


def test_no_js_refresh_never_validates_and_rerenders_cities():
    form = AddressForm(data={"region_province": "440000", "region_city": "", "region_district": "",
                             "region_refresh": "1"})
    assert not form.is_valid()
    html = str(form["region"])
    selects = re.findall(r"<select.*?</select>", html, re.S)
    assert "440300" in _options(selects[1])  # the chosen province's cities are now offered
    assert "<noscript>" in html and 'name="region_refresh"' in html


def test_initial_from_single_code_and_template_include():
    from django.template import Context, Template

    form = AddressForm(initial={"region": "716305"})
    html = Template('{% include "regions/field.html" with field=form.region %}').render(Context({"form": form}))
    assert 'value="716305" selected' in html and 'value="716300" selected' in html
    assert 'for="id_region_0"' in html
