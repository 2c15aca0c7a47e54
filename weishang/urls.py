"""URLs. Each domain app contributes pages (`<app>/urls.py`, with URL_PREFIX) and API
routes (`<app>/api.py` with `router`, mounted at /api/v1/<API_PREFIX>/), discovered
here so adding an app never means editing a shared list."""

from __future__ import annotations

import importlib
import importlib.util

from django.conf import settings
from django.conf.urls.static import static
from django.contrib import admin
from django.http import HttpResponsePermanentRedirect
from django.templatetags.static import static as static_url
from django.urls import include, path
from django.utils.translation import gettext_lazy as _
from django.views.i18n import JavaScriptCatalog

from weishang.core.api import api

admin.site.site_header = _("Weishang HQ back office")
admin.site.site_title = _("Weishang HQ")
admin.site.index_title = _("Back office")

DOMAIN_APPS = [a.split(".", 1)[1] for a in settings.INSTALLED_APPS
               if a.startswith("weishang.") and a.count(".") == 1]  # apps, not an AppConfig path


def _module(app: str, name: str):
    full = f"weishang.{app}.{name}"
    return importlib.import_module(full) if importlib.util.find_spec(full) else None


# A body over the size limit is a 413 (pages and API), not Django's generic 400.
handler400 = "weishang.core.views.bad_request"

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("jsi18n/", JavaScriptCatalog.as_view(), name="javascript-catalog"),
    # Browsers ask for /favicon.ico on every page that names no icon (the admin's too).
    path("favicon.ico", lambda request: HttpResponsePermanentRedirect(static_url("img/favicon.svg"))),
]

for app in DOMAIN_APPS:
    api_module = _module(app, "api")
    if api_module is not None and hasattr(api_module, "router"):
        api.add_router(f"/v1/{getattr(api_module, 'API_PREFIX', app)}", api_module.router)

urlpatterns.append(path("api/", api.urls))

# Shop pages (the consumer front) own the site root, so they go last.
for app in sorted(DOMAIN_APPS, key=lambda a: a == "shop"):
    urls_module = _module(app, "urls")
    if urls_module is not None:
        prefix = getattr(urls_module, "URL_PREFIX", f"{app}/")
        urlpatterns.append(path(prefix, include(urls_module)))

urlpatterns += static(settings.MEDIA_URL, document_root=settings.MEDIA_ROOT)
if not settings.DEBUG:
    # Media uploads are served by Django in the embedded default; put a web server or
    # object storage in front in production.
    from django.views.static import serve

    urlpatterns.append(path(settings.MEDIA_URL.lstrip("/") + "<path:path>", serve,
                            {"document_root": settings.MEDIA_ROOT}))
