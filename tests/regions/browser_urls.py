"""The site's URLs plus one page with a RegionField form, for the browser test."""

from django import forms
from django.http import HttpResponse
from django.template import RequestContext, Template
from django.urls import path

from weishang.regions.forms import RegionField
from weishang.urls import urlpatterns as site_urlpatterns


class AddressForm(forms.Form):
    name = forms.CharField(required=False)
    region = RegionField(label="Region")


PAGE = Template(
    '{% extends "base.html" %}{% block content %}'
    '<form method="post" id="f">{% csrf_token %}{% include "includes/form.html" %}'
    '<button type="submit" id="go">Go</button></form>'
    '{% if result %}<p id="result">{{ result.code }} {{ result.full_name }}</p>{% endif %}'
    '{% endblock %}'
)


def region_form(request):
    form = AddressForm(request.POST or None)
    result = form.cleaned_data["region"] if request.method == "POST" and form.is_valid() else None
    return HttpResponse(PAGE.render(RequestContext(request, {"form": form, "result": result})))


urlpatterns = [path("region-form/", region_form), *site_urlpatterns]
