"""HQ staff roles as Django groups. Kept in sync after every migrate so that a new
app's permissions reach the right roles without a hand-written data migration."""

from __future__ import annotations

from django.contrib.auth.models import Group, Permission

# role -> app labels whose permissions it gets ("*" for every permission).
ROLE_APPS: dict[str, tuple[str, ...]] = {
    "admin": ("*",),
    "operator": ("catalog", "agents", "recruitment", "certificates", "orders", "inventory", "codes", "shop", "regions",
                 "complaints"),
    "finance": ("ledger", "earnings", "payments", "orders"),
    "warehouse": ("inventory", "orders", "codes"),
}
# Roles that may only look at (not change) some apps.
ROLE_VIEW_ONLY: dict[str, tuple[str, ...]] = {"finance": ("orders",), "warehouse": ("orders",)}


def sync_hq_roles_after_migrate(sender=None, **kwargs) -> None:
    """post_migrate receiver: runs once, after the last app, when every app's
    permissions exist (post_migrate is sent per app, in INSTALLED_APPS order)."""
    from django.apps import apps

    configs = [c for c in apps.get_app_configs() if c.models_module is not None]  # the ones post_migrate is sent for
    if sender is not None and configs and sender.label != configs[-1].label:
        return
    using = kwargs.get("using")
    if using and using != "default":
        return
    sync_hq_roles()


def sync_hq_roles(**_kwargs) -> None:
    for role, apps in ROLE_APPS.items():
        group, _ = Group.objects.get_or_create(name=role)
        perms = Permission.objects.all()
        if "*" not in apps:
            perms = perms.filter(content_type__app_label__in=apps)
        view_only = ROLE_VIEW_ONLY.get(role, ())
        wanted = [p for p in perms.select_related("content_type")
                  if p.content_type.app_label not in view_only or p.codename.startswith("view_")]
        group.permissions.set(wanted)
