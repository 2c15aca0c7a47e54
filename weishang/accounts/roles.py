"""HQ staff roles as Django groups. Kept in sync after every migrate so that a new
app's permissions reach the right roles without a hand-written data migration.

Also the one way HQ pages, API endpoints and services ask "may this staff member do X":
`hq_can` / `check_hq` / `hq_page`, always with a named permission, never `is_staff` alone
(README, "HQ staff permissions", has the map)."""

from __future__ import annotations

import functools

from django.contrib.auth.decorators import login_required
from django.contrib.auth.models import Group, Permission
from django.core.exceptions import PermissionDenied as Forbidden

from weishang.core.errors import PermissionDenied

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
# The models' own permissions (Meta.permissions: ship, pay, ...) never come with an app:
# each goes only to the roles named here, so granting a role an app cannot hand it money
# or shipping by accident.
ROLE_GRANTS: dict[str, tuple[str, ...]] = {
    "operator": ("analytics.view_sales",),
    "finance": ("analytics.view_sales", "earnings.pay_withdrawal", "earnings.view_any_statement", "payments.confirm_hq_payment",
                "payments.reconcile",
                # to look an agent up when it picks one (collection details, buy-backs: the
                # admin's agent lookup); not the agents app's other pages (levels, upgrades)
                "agents.view_agent"),
    "warehouse": ("orders.ship_order",),
}


def hq_can(user, perm: str) -> bool:
    """An active HQ staff member holding `perm` (a superuser holds every one)."""
    return bool(user is not None and user.is_authenticated and user.is_active and user.is_staff
                and user.has_perm(perm))


def check_hq(user, perm: str, message=None) -> None:
    """For services and API endpoints: PermissionDenied (403 in the JSON error shape)."""
    if not hq_can(user, perm):
        raise PermissionDenied(message)


def hq_page(perm: str):
    """View decorator for an HQ page: log in first, then 403 without `perm`. The view is
    marked with `hq_permission` so the test that walks every HQ URL finds it."""
    def decorate(view):
        @functools.wraps(view)
        def wrapped(request, *args, **kwargs):
            if not hq_can(request.user, perm):
                raise Forbidden
            return view(request, *args, **kwargs)

        page = login_required(wrapped)
        page.hq_permission = perm  # type: ignore[attr-defined]
        return page

    return decorate


def _custom(perm: Permission) -> bool:
    model = perm.content_type.model_class()
    return model is not None and perm.codename in {c for c, _ in model._meta.permissions}


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
                  if (p.content_type.app_label not in view_only or p.codename.startswith("view_"))
                  and ("*" in apps or not _custom(p))]
        for name in ROLE_GRANTS.get(role, ()):
            app_label, codename = name.split(".")
            perm = Permission.objects.filter(content_type__app_label=app_label, codename=codename).first()
            if perm is None:  # a typo here would silently leave a role without its job
                raise LookupError(f"ROLE_GRANTS[{role!r}] names {name}, which no model defines")
            wanted.append(perm)
        group.permissions.set(wanted)
