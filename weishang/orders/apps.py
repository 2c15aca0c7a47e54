from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class OrdersConfig(AppConfig):
    name = "weishang.orders"
    verbose_name = _("Orders")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from .models import FeeRule, FeeTemplate
        from .services import clear_fee_template_cache

        for model in (FeeTemplate, FeeRule):
            post_save.connect(clear_fee_template_cache, sender=model, dispatch_uid=f"orders-fees-{model.__name__}-s")
            post_delete.connect(clear_fee_template_cache, sender=model, dispatch_uid=f"orders-fees-{model.__name__}-d")
