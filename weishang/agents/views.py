"""Agent phone pages: the agent hub ("我的代理") and the team pages. An agent sees only its
own team: a member page for anyone outside it answers 404."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from weishang.core.errors import NotFound

from . import home as home_figures
from . import posters, selectors
from .models import Agent, AgentStatus, Level
from .selectors import own_agent_or_403

# Other areas' agent pages linked from the hub, shown when their URL exists.
# (url name, label). Certificates, invites and applications go in the marked spot below.
HUB_LINKS = [
    ("orders:restock", _("Restock")),
    ("orders:list", _("My orders")),
    ("inventory:mine", _("Cloud stock")),
    ("agents:share", _("Posters and share link")),
    ("codes:ship_home", _("Ship by scanning codes")),
    ("earnings:home", _("My earnings")),
    ("agents:level", _("My level and progress")),
    ("certificates:mine", _("My certificate")),
    ("recruitment:invites", _("Invite agents")),
    ("recruitment:inbox", _("Applications waiting for me")),
]


def _links(names) -> list[tuple[str, str]]:
    # A missing URL name fails loudly (NoReverseMatch) instead of hiding a link.
    return [(reverse(name), label) for name, label in names]



def _currency(agent: Agent) -> str:
    return getattr(agent.level, "currency", "") or "CNY"


@login_required
@require_GET
def hub(request):
    """The agent home (首页): today's and this month's figures, then what to do next."""
    agent = own_agent_or_403(request.user, "upline", "user")
    figures = home_figures.figures(agent)
    todos = home_figures.todos(agent, figures)
    return render(request, "agents/hub.html", {
        "agent": agent, "summary": selectors.team_summary(agent), "currency": figures.currency,
        "links": _links(HUB_LINKS), "first_purchase": selectors.first_purchase_due(agent),
        "f": figures, "todos": todos, "next": todos[0] if todos else None,
    })


def _team_context(request, viewer: Agent, agent: Agent) -> dict:
    scope = "whole" if request.GET.get("scope") == "whole" else "direct"
    try:
        page = max(1, min(int(request.GET.get("page") or 1), 10**6))
    except ValueError:
        page = 1
    level = request.GET.get("level") or ""
    status = request.GET.get("status") or ""
    q = (request.GET.get("q") or "").strip()[:60]
    filters = {"level": int(level) if level.isdigit() else None,
               "status": status if status in AgentStatus.values else None, "q": q or None}
    tp = selectors.team_page(agent, direct_only=scope == "direct", page=page, filters=filters)
    return {"viewer": viewer, "agent": agent, "tp": tp, "scope": scope, "currency": _currency(viewer),
            "summary": selectors.team_summary(agent), "levels": Level.objects.filter(is_active=True),
            "statuses": AgentStatus.choices, "level": level, "status": status, "q": q}


def _render_team(request, ctx: dict):
    if request.headers.get("HX-Request") and request.GET.get("part") == "rows":
        return render(request, "agents/_team_rows.html", ctx)
    return render(request, "agents/team.html", ctx)


@login_required
@require_GET
def team(request):
    viewer = own_agent_or_403(request.user, "upline")
    return _render_team(request, _team_context(request, viewer, viewer))


@login_required
@require_GET
def member(request, agent_id: int):
    """A member of my team (any depth): its summary and its own team."""
    viewer = own_agent_or_403(request.user, "upline")
    try:
        agent, _s = selectors.member_detail(viewer, agent_id)
    except NotFound:
        raise Http404 from None
    ctx = _team_context(request, viewer, agent)
    ctx["chain"] = [a for a in selectors.upline_chain(agent) if a.depth >= viewer.depth]
    return _render_team(request, ctx)


# --- share: shop and product posters, link to copy --------------------------------------------

def _share_skus(agent: Agent):
    """What the agent's shop sells (the products with a price for its level), with shop prices."""
    from weishang.catalog.models import SKU
    from weishang.orders import services as orders

    skus = list(SKU.objects.filter(on_shelf=True, product__on_shelf=True, level_prices__level_id=agent.level_id)
                .select_related("product").order_by("product__position", "position"))
    return skus, orders.shop_prices(agent, skus)


def _share_url(request, agent: Agent, sku_id: int | None = None) -> str:
    from weishang.orders import sharing

    if sku_id is None:
        return request.build_absolute_uri(sharing.shop_path(agent.pk, agent.pk))
    # A product poster opens the product's page inside the shop, signed like the shop link.
    from django.urls import reverse

    from weishang.catalog.models import SKU

    product_id = SKU.objects.filter(pk=sku_id).values_list("product_id", flat=True).first()
    path = reverse("orders:shop_product", args=[agent.pk, product_id])
    return request.build_absolute_uri(f"{path}?{sharing.PARAM}={sharing.token_for(agent.pk)}")


def _poster_response(request, poster: posters.Poster, filename: str) -> HttpResponse:
    etag = f'"{poster.key}"'
    if request.headers.get("If-None-Match") == etag:
        response = HttpResponse(status=304)
    else:
        response = HttpResponse(posters.png(poster), content_type="image/png")
    response["ETag"] = etag
    response["Cache-Control"] = "private, max-age=300"
    if request.GET.get("download"):
        response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response


@login_required
@require_GET
def share(request):
    """Posters to long-press and save, and the shop link to copy."""
    agent = own_agent_or_403(request.user)
    skus, prices = _share_skus(agent)
    raw = request.GET.get("sku", "")
    picked = next((s for s in skus if raw.isdigit() and s.pk == int(raw)), None)
    for s in skus:  # display-only attribute for the template
        setattr(s, "shop_price", prices[s.pk])  # noqa: B010
    return render(request, "agents/share.html", {
        "agent": agent, "skus": skus, "picked": picked, "link": _share_url(request, agent, picked.pk if picked else None),
        "poster_url": reverse("agents:product_poster", args=[picked.pk]) if picked else reverse("agents:shop_poster"),
        "closed": agent.first_purchase_pending,
    })


@login_required
@require_GET
def shop_poster(request):
    agent = own_agent_or_403(request.user)
    skus, prices = _share_skus(agent)
    poster = posters.Poster(kind="shop", agent_name=agent.name, level_name=agent.level.name,
                            url=_share_url(request, agent), taiwan=posters.is_taiwan(agent),
                            items=posters.product_items(skus[:4], prices))
    return _poster_response(request, poster, f"shop-{agent.pk}.png")


@login_required
@require_GET
def product_poster(request, sku_id: int):
    agent = own_agent_or_403(request.user)
    skus, prices = _share_skus(agent)
    sku = next((s for s in skus if s.pk == sku_id), None)
    if sku is None:
        raise Http404
    poster = posters.Poster(kind="product", agent_name=agent.name, level_name=agent.level.name,
                            url=_share_url(request, agent, sku.pk), taiwan=posters.is_taiwan(agent),
                            items=posters.product_items([sku], prices))
    return _poster_response(request, poster, f"product-{sku.pk}.png")
