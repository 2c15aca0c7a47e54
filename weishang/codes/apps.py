from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CodesConfig(AppConfig):
    name = "weishang.codes"
    verbose_name = _("Anti-counterfeit codes")
