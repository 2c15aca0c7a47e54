"""Demo people: HQ admin and one staff user per HQ role, a consumer, a supplier user.

Idempotent: users are found by phone; a user that exists keeps its password (if somebody
changed it, the printed login says so instead of printing a wrong password)."""

from __future__ import annotations

from django.contrib.auth.models import Group
from django.db import transaction
from django.utils.translation import gettext as _

from .models import User
from .roles import sync_hq_roles

# Fixed on purpose: this is a local demo and the logins are printed. Never use these
# accounts on a public server (README says so).
DEMO_PASSWORD = "weishang-demo-2026"

HQ_USERS = [
    # phone, name, role (group), superuser
    ("+8613800000001", "总部管理员 王敏", "admin", True),
    ("+8613800000002", "运营 李娜", "operator", False),
    ("+8613800000003", "财务 陈静", "finance", False),
    ("+8613800000004", "仓库 赵强", "warehouse", False),
]
CONSUMER = ("+8613900000001", "消费者 林晓雨")
SUPPLIER_USER = ("+8613700000001", "供应商 周海")


def _user(phone: str, name: str, ctx: dict, label: str, **extra) -> User:
    user = User.objects.filter(phone=phone).first()
    if user is None:
        user = User.objects.create_user(phone, DEMO_PASSWORD, name=name, **extra)
        ctx.setdefault("created", []).append(f"user {phone}")
    ctx.setdefault("logins", []).append((label, phone, DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else None))
    return user


@transaction.atomic
def load(ctx: dict) -> None:
    if Group.objects.filter(name__in=[r for _p, _n, r, _s in HQ_USERS]).count() < len(HQ_USERS):
        sync_hq_roles()
    labels = {"admin": _("HQ admin"), "operator": _("HQ operator"), "finance": _("HQ finance"),
              "warehouse": _("HQ warehouse")}
    for phone, name, role, superuser in HQ_USERS:
        user = _user(phone, name, ctx, labels[role], is_staff=True, is_superuser=superuser)
        user.groups.add(Group.objects.get(name=role))
        ctx[f"hq_{role}"] = user
    ctx["consumer"] = _user(CONSUMER[0], CONSUMER[1], ctx, _("Consumer"))
    # The supplier user is linked to its company by the catalog demo (which creates it).
    ctx["supplier_user"] = _user(SUPPLIER_USER[0], SUPPLIER_USER[1], ctx, _("Supplier"))
