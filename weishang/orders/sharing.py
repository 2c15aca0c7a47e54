"""Share links (直推): an agent shares a shop link carrying `?s=<token>`; a consumer who
arrives through it and orders in that shop records the agent as `Order.shared_by`, and
earnings pays the share commission to it.

The token is the agent id signed with the project's SECRET_KEY (django.core.signing,
own salt), so nobody can put another agent's id, or their own, on a link they did not
get from the system. It does not expire: a link printed on a poster keeps working. Who
gets nothing: the shop's own agent (its margin already pays it) and a frozen or expired
agent (checked when the order is created)."""

from __future__ import annotations

from django.core import signing
from django.urls import reverse

PARAM = "s"
_SIGNER = signing.Signer(salt="weishang.orders.share")


def token_for(agent_id: int) -> str:
    return _SIGNER.sign(str(int(agent_id)))


def agent_id_from(token: str | None) -> int | None:
    """The agent id a token was made for, or None if it is missing, forged or malformed."""
    if not token or len(token) > 100:
        return None
    try:
        value = _SIGNER.unsign(token)
    except signing.BadSignature:
        return None
    return int(value) if value.isdigit() else None


def shop_path(shop_agent_id: int, sharer_id: int | None) -> str:
    path = reverse("orders:shop", args=[shop_agent_id])
    return f"{path}?{PARAM}={token_for(sharer_id)}" if sharer_id else path


def session_key(shop_agent_id: int) -> str:
    return f"share:{shop_agent_id}"


def remember(request, shop_agent_id: int) -> None:
    """A valid ?s= on a shop page: this visitor's orders in this shop credit that agent
    (the latest link followed wins)."""
    sharer = agent_id_from(request.GET.get(PARAM))
    if sharer is not None:
        request.session[session_key(shop_agent_id)] = sharer


def remembered(request, shop_agent_id: int) -> int | None:
    value = request.session.get(session_key(shop_agent_id))
    return int(value) if isinstance(value, int) else None


def eligible_sharer(sharer_id: int | None, shop_agent_id: int) -> int | None:
    """The sharer to record on a consumer order, or None: not the shop itself, not frozen."""
    if not sharer_id or sharer_id == shop_agent_id:
        return None
    from weishang.agents.models import Agent

    sharer = Agent.objects.filter(pk=sharer_id).only("pk", "status").first()
    return sharer.pk if sharer is not None and sharer.can_trade else None


# --- the visitor's shop ----------------------------------------------------------------------
# A consumer belongs to the shop it came in through: the last shop page it opened (session),
# else the shop of its latest order (a new phone, same account), else HQ's shop. HQ has no
# shop of its own (consumer orders are always sold by an agent), so "HQ's shop" is the agent
# named by ORDERS_HQ_SHOP_AGENT_ID (HQ's own direct-sale account), else the oldest agent
# directly under HQ whose shop is open.

CURRENT_SHOP = "shop:current"


def remember_shop(request, shop_agent_id: int) -> None:
    if request.session.get(CURRENT_SHOP) != shop_agent_id:
        request.session[CURRENT_SHOP] = shop_agent_id


def _open_shop(agent_id) -> int | None:
    from weishang.agents.models import Agent

    if not agent_id:
        return None
    agent = Agent.objects.filter(pk=agent_id).only("pk", "status", "first_purchase_required",
                                                   "first_purchase_done_at").first()
    return agent.pk if agent is not None and agent.shop_open else None


def hq_shop_id() -> int | None:
    from weishang.agents.models import Agent, AgentStatus

    from . import conf

    configured = conf.hq_shop_agent_id()
    if configured:
        return _open_shop(configured)
    from django.db.models import Q

    opened = Q(first_purchase_required__isnull=True) | Q(first_purchase_done_at__isnull=False)
    return (Agent.objects.filter(opened, upline__isnull=True, status=AgentStatus.ACTIVE)
            .order_by("pk").values_list("pk", flat=True).first())


def bound_shop_id(user) -> int | None:
    """The shop of the person's latest consumer order, if it is open."""
    if user is None or not user.is_authenticated:
        return None
    from .models import Order, OrderKind

    last = (Order.objects.filter(buyer=user, kind=OrderKind.CONSUMER).order_by("-id")
            .values_list("seller_agent_id", flat=True).first())
    return _open_shop(last)


def shop_for(request) -> int | None:
    """The shop a visitor's 首页, 分类 and 购物车 lead to (None: no shop is open anywhere).
    Asked by the page and its tab bar: answered once per request."""
    if not hasattr(request, "_visitor_shop"):
        current = request.session.get(CURRENT_SHOP)
        found: int | None = None
        if isinstance(current, int) and _open_shop(current):
            found = current
        else:
            found = bound_shop_id(request.user) or hq_shop_id()
        request._visitor_shop = found
    return request._visitor_shop
