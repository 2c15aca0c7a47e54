"""Reads over the agent tree. Each costs a fixed number of queries whatever the depth."""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

from .models import Agent, LevelPrice


def upline_chain(agent: Agent) -> list[Agent]:
    """The agent's uplines, nearest first (one query)."""
    ids = agent.ancestor_ids
    if not ids:
        return []
    by_id = Agent.objects.select_related("level").in_bulk(ids)
    return [by_id[i] for i in reversed(ids) if i in by_id]


def level_price(level_id: int, sku_id: int) -> Decimal:
    price = LevelPrice.objects.filter(level_id=level_id, sku_id=sku_id).values_list("price", flat=True).first()
    if price is None:
        raise DomainError(_("This SKU has no price for your level yet."), code="no_level_price")
    return price
