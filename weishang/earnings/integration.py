"""Reading an order (weishang.orders.models) as plain PaidLines for the earnings rules.

The orders side stores who gets what (OrderShare rows, see the orders models docstring);
earnings never recomputes prices. Shares without a line (the shipping fee) become one
order-level pseudo-line that carries no rewards."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

from .models import EarningLine
from .rules import PaidLine, Share

ROLE = {"seller_proceeds": "proceeds", "passed_over_difference": "passed_over", "shop_margin": "margin",
        "supplier_cost": "supplier", "hq_revenue": "hq"}


def order_ref(order) -> str:
    return order.no


def paid_at(order, payment=None):
    return getattr(order, "paid_at", None) or timezone.now()


def received_at(order):
    return getattr(order, "received_at", None) or timezone.now()


def _sharer_id(order) -> int | None:
    """Order.shared_by (the agent whose signed share link brought the consumer, checked when
    the order was created: orders.sharing), if it is still active at payment: a sharer
    frozen or expired in between earns no share commission (one query, only when shared)."""
    if not order.shared_by_id:
        return None
    from weishang.agents.models import Agent, AgentStatus

    active = Agent.objects.filter(pk=order.shared_by_id, status=AgentStatus.ACTIVE).exists()
    return order.shared_by_id if active else None


def paid_lines(order) -> list[PaidLine]:
    kind = order.kind
    if kind not in ("restock", "consumer"):
        kind = "fee"
    origin = order.buyer_agent_id if order.kind == "restock" else order.seller_agent_id
    first = False
    if order.kind == "restock" and origin:
        first = not EarningLine.objects.filter(kind="restock", origin_id=origin).exclude(order_ref=order.no).exists()
    by_line: dict[int | None, list[Share]] = defaultdict(list)
    for s in order.shares.all().order_by("pk"):
        role = ROLE.get(s.role)
        if role is None:
            raise DomainError(_("Unknown order share role %(r)s.") % {"r": s.role}, code="invalid_line")
        by_line[s.line_id].append(Share(role=role, amount=s.amount, agent_id=s.agent_id, supplier_id=s.supplier_id,
                                        distance=s.depth or 0))
    sharer = _sharer_id(order) if order.kind == "consumer" else None
    out = []
    total = Decimal(0)
    for line_id, shares in sorted(by_line.items(), key=lambda kv: (kv[0] is None, kv[0] or 0)):
        paid = sum((s.amount for s in shares), Decimal(0))
        total += paid
        out.append(PaidLine(ref=f"{order.no}:{line_id or 'order'}", order_ref=order.no,
                            kind=kind if line_id else "fee", currency=order.currency, paid=paid,
                            origin_id=origin, shares=tuple(shares), first_restock=first,
                            sharer_id=sharer))
    if out and total != order.total:
        raise DomainError(_("The order's shares (%(s)s) do not add up to its total (%(t)s).")
                          % {"s": total, "t": order.total}, code="invalid_line")
    return out


def refund_key(refund) -> str:
    return f"refund:{getattr(refund, 'pk', None) or getattr(refund, 'id', None) or refund.key}"


def refund_line_amounts(order, refund) -> dict[str, Decimal] | None:
    """Per-line refunded amounts keyed by our line refs, if the refund says them."""
    per = getattr(refund, "line_amounts", None)
    if callable(per):
        per = per()
    if not per:
        return None
    return {f"{order.no}:{getattr(k, 'pk', k)}": Decimal(v) for k, v in dict(per).items()}
