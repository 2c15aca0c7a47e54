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
