from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EarningsConfig(AppConfig):
    name = "weishang.earnings"
    verbose_name = _("Earnings")

    def ready(self) -> None:
        from . import receivers, tasks  # noqa: F401  (register the Celery task and the order receivers)
