from django.apps import AppConfig
from django.contrib.admin import apps as admin_apps
from django.utils.translation import gettext_lazy as _


class AnalyticsConfig(AppConfig):
    name = "weishang.analytics"
    verbose_name = _("Dashboard and long tasks")


class HQAdminConfig(admin_apps.AdminConfig):
    """The Django admin with the back office's own site: its index is the HQ dashboard."""

    default = False  # named in INSTALLED_APPS in place of django.contrib.admin
    default_site = "weishang.analytics.admin_site.HQAdminSite"
