"""Small htmx endpoints behind the region picker (see weishang.regions.forms)."""

from __future__ import annotations

import re

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest
from django.shortcuts import render
from django.utils.cache import patch_cache_control, patch_vary_headers
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from . import divisions
from .divisions import CITY, DISTRICT, LEVELS, PROVINCE
from .forms import RegionWidget, consistent

_NAME = re.compile(r"^[A-Za-z_][\w-]{0,99}$")
MAX_AGE = 24 * 3600


def _cacheable(response: HttpResponse) -> HttpResponse:
    patch_cache_control(response, public=True, max_age=MAX_AGE)
    patch_vary_headers(response, ["Accept-Language", "Cookie"])
    return response


@require_GET
def options(request: HttpRequest) -> HttpResponse:
    """<option> elements for the level below ``parent`` (provinces when it is empty).

    ``?parent=440300`` lists Shenzhen's districts; a city without districts (441900) lists
    itself. ``selected`` marks one option. Unknown parent: 404.
    """
    parent = request.GET.get("parent", "").strip()
    if not parent:
        items, placeholder = divisions.provinces(), _("Province")
    else:
        div = divisions.get(parent)
        if div is None or div.level == DISTRICT:
            return HttpResponse(_("Unknown region code."), status=404, content_type="text/plain; charset=utf-8")
        if div.level == PROVINCE:
            items, placeholder = divisions.children(div.code), _("City")
        else:
            items, placeholder = divisions.district_options(div.code), _("District")
    selected = divisions.normalize(request.GET.get("selected"))
    response = render(request, "regions/options.html",
                      {"divisions": items, "placeholder": placeholder, "selected": selected})
    return _cacheable(response)


@require_GET
def picker(request: HttpRequest) -> HttpResponse:
    """The three selects re-rendered for the choice so far (htmx swaps the whole picker)."""
    name = request.GET.get("name", "")
    id_ = request.GET.get("id", "")
    level = request.GET.get("level", DISTRICT)
    if not _NAME.match(name) or (id_ and not _NAME.match(id_)) or level not in LEVELS:
        return HttpResponseBadRequest(_("Bad picker parameters."), content_type="text/plain; charset=utf-8")
    p, c, d = (request.GET.get(f"{name}_{part}") for part in ("province", "city", "district"))
    codes = consistent((p, c, d))
    attrs: dict[str, str | bool] = {"id": id_} if id_ else {}
    if request.GET.get("required"):
        attrs["required"] = True
    widget = RegionWidget(level=level if level in (PROVINCE, CITY, DISTRICT) else DISTRICT)
    html = widget.render(name, list(codes), attrs=attrs)
    return _cacheable(HttpResponse(html))
