from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class CertificatesConfig(AppConfig):
    name = "weishang.certificates"
    verbose_name = _("Certificates")

    def ready(self) -> None:
        from . import receivers, tasks  # noqa: F401  (register the Celery task)

        receivers.connect()
