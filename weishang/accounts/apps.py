from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class AccountsConfig(AppConfig):
    name = "weishang.accounts"
    verbose_name = _("Accounts")

    def ready(self) -> None:
        from django.db.models.signals import post_migrate

        from .roles import sync_hq_roles_after_migrate

        # Sent per app; the receiver acts after the last one, when all permissions exist.
        post_migrate.connect(sync_hq_roles_after_migrate, dispatch_uid="weishang.accounts.sync_hq_roles")
