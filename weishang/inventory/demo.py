"""Demo stock: HQ warehouse stock for every SKU HQ ships, and opening cloud stock for the
top-level agents. Idempotent: each opening balance is one movement with a fixed reference."""

from __future__ import annotations

from weishang.agents.models import Agent
from weishang.catalog.models import SKU
from weishang.core import demo_clock

from . import services
from .models import MovementKind, StockMovement

HQ_UNITS = 500
TOP_AGENT_UNITS = 60
OPENING_DAYS_AGO = 40


def _opening(agent_id, sku, qty: int, ref: str, user, ctx) -> None:
    if StockMovement.objects.filter(ref_type="demo", ref_id=ref).exists():
        return
    with demo_clock.days_ago(OPENING_DAYS_AGO):  # before the orders demo's five weeks
        services.move(agent_id, [(sku.pk, qty)], kind=MovementKind.ADJUSTMENT, ref_type="demo", ref_id=ref,
                      reason="期初库存 (demo)", user=user)
    ctx.setdefault("created", []).append(f"stock {ref}")


def _logins(ctx: dict) -> None:
    """The warehouse and supplier logins matter for this area: make sure they are printed."""
    from django.utils.translation import gettext as _

    from weishang.accounts.demo import DEMO_PASSWORD

    listed = {phone for _label, phone, _pw in ctx.setdefault("logins", [])}
    for key, label in (("hq_warehouse", _("HQ warehouse")), ("supplier_user", _("Supplier"))):
        user = ctx.get(key)
        if user is not None and user.phone not in listed:
            ctx["logins"].append((label, user.phone, DEMO_PASSWORD if user.check_password(DEMO_PASSWORD) else None))


def load(ctx: dict) -> None:
    _logins(ctx)
    user = ctx.get("hq_warehouse") or ctx.get("hq_admin")
    skus = list(ctx.get("skus") or SKU.objects.all())
    for sku in skus:
        if not sku.drop_shipped:
            _opening(None, sku, HQ_UNITS, f"hq-{sku.code}", user, ctx)
    tops = Agent.objects.filter(upline__isnull=True, status="active").order_by("id")[:3]
    for agent in tops:
        for sku in [s for s in skus if not s.drop_shipped][:3]:
            _opening(agent.pk, sku, TOP_AGENT_UNITS, f"a{agent.pk}-{sku.code}", user, ctx)
