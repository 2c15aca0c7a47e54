"""Plain factory functions for tests: small, explicit, no magic."""

from __future__ import annotations

import itertools
from decimal import Decimal

from weishang.accounts.models import User
from weishang.agents import services as agent_services
from weishang.agents.models import Agent, Level, LevelPrice
from weishang.catalog.models import SKU, Product, ProductLine, Supplier

_seq = itertools.count(1)
PASSWORD = "Weishang-Test-2026"


def phone() -> str:
    # Valid mainland numbers in the 139 range, unique per call.
    return f"+86139{next(_seq):08d}"


def user(**kw) -> User:
    kw.setdefault("name", "测试用户")
    return User.objects.create_user(kw.pop("phone", None) or phone(), kw.pop("password", PASSWORD), **kw)


def staff(*roles: str, **kw) -> User:
    from django.contrib.auth.models import Group

    u = user(is_staff=True, **kw)
    for role in roles or ("admin",):
        u.groups.add(Group.objects.get(name=role))
    return u


def supplier(**kw) -> Supplier:
    kw.setdefault("name", f"供应商{next(_seq)}")
    return Supplier.objects.create(**kw)


def product_line(**kw) -> ProductLine:
    kw.setdefault("name", f"系列{next(_seq)}")
    return ProductLine.objects.create(**kw)


def product(**kw) -> Product:
    kw.setdefault("name", f"玻尿酸精华{next(_seq)}")
    if "line" not in kw:
        kw["line"] = product_line()
    return Product.objects.create(**kw)


def sku(**kw) -> SKU:
    n = next(_seq)
    kw.setdefault("name", "50ml")
    kw.setdefault("code", f"SKU{n:05d}")
    kw.setdefault("retail_price", Decimal("128.00"))
    kw.setdefault("floor_price", Decimal("40.00"))
    kw.setdefault("ceiling_price", Decimal("168.00"))
    if "product" not in kw:
        kw["product"] = product()
    return SKU.objects.create(**kw)


def level(rank: int, name: str | None = None, **kw) -> Level:
    obj, _ = Level.objects.get_or_create(rank=rank, defaults={"name": name or f"L{rank}", **kw})
    return obj


def standard_levels() -> tuple[Level, Level, Level]:
    """总代 / 一级 / 二级 as in the domain brief."""
    return level(1, "总代"), level(2, "一级"), level(3, "二级")


def level_price(level: Level, sku: SKU, price: str | Decimal) -> LevelPrice:
    return LevelPrice.objects.create(level=level, sku=sku, price=Decimal(price), currency=sku.currency)


def agent(level: Level | None = None, upline: Agent | None = None, **kw) -> Agent:
    u = kw.pop("user", None) or user()
    return agent_services.create_agent(user=u, name=kw.pop("name", u.name or "代理"),
                                       level=level or standard_levels()[0], upline=upline, **kw)
