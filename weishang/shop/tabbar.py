"""The bottom tab bar of the phone pages: which tabs a person gets (agents: 首页 · 进货 ·
云仓 · 团队 · 我的; consumers and visitors: 首页 · 分类 · 购物车 · 我的; HQ staff and
suppliers work at a desk and get none) and which one the current page belongs to."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _


@dataclass(frozen=True)
class Tab:
    key: str
    label: object
    url: str
    icon: str
    badge: int = 0


# view name (or "namespace:") -> tab key; the first match wins.
AGENT_PAGES = [("agents:hub", "home"), ("orders:restock", "restock"), ("inventory:", "stock"),
               ("agents:team", "team"), ("agents:member", "team"), ("recruitment:", "team"), ("", "me")]
CONSUMER_PAGES = [("orders:shop_categories", "category"), ("orders:cart", "cart"), ("orders:checkout", "cart"),
                  ("orders:shop", "home"), ("orders:shop_product", "home"), ("shop:", "home"), ("", "me")]


def role_of(user) -> str | None:
    if not user.is_authenticated:
        return "consumer"
    if getattr(user, "is_agent", False):
        return "agent"
    if user.is_staff or getattr(user, "supplier_id", None):
        return None
    return "consumer"


def active_tab(pages: list[tuple[str, str]], view_name: str, query: dict) -> str:
    if view_name == "orders:shop" and (query.get("line") or query.get("q")):
        return "category"  # a product line or a search inside the shop is 分类
    for prefix, key in pages:
        if view_name == prefix or (prefix.endswith(":") and view_name.startswith(prefix)) or prefix == "":
            return key
    return ""


def agent_tabs() -> list[Tab]:
    return [Tab("home", _("Home"), reverse("agents:hub"), "home"),
            Tab("restock", _("Restock"), reverse("orders:restock"), "box"),
            Tab("stock", _("Cloud stock"), reverse("inventory:mine"), "cloud"),
            Tab("team", _("Team"), reverse("agents:team"), "team"),
            Tab("me", _("Me"), reverse("accounts:me"), "me")]


def consumer_tabs(shop_id: int | None, cart_count: int) -> list[Tab]:
    if shop_id is None:  # no shop open anywhere: the brand pages stand in
        home = category = cart = reverse("shop:home")
    else:
        home = reverse("orders:shop", args=[shop_id])
        category = reverse("orders:shop_categories", args=[shop_id])
        cart = reverse("orders:cart", args=[shop_id])
    return [Tab("home", _("Home"), home, "home"), Tab("category", _("Categories"), category, "grid"),
            Tab("cart", _("Cart"), cart, "cart", cart_count), Tab("me", _("Me"), reverse("accounts:me"), "me")]
