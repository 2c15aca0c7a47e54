from django import template

from weishang.shop import tabbar as bar

register = template.Library()


@register.inclusion_tag("includes/tabbar.html", takes_context=True)
def tabbar(context):
    request = context.get("request")
    if request is None or not hasattr(request, "user"):
        return {"tabs": []}
    role = bar.role_of(request.user)
    match = getattr(request, "resolver_match", None)
    view_name = match.view_name if match is not None else ""
    if role == "agent":
        tabs, pages = bar.agent_tabs(), bar.AGENT_PAGES
    elif role == "consumer":
        from weishang.orders import sharing
        from weishang.orders.views import cart_count

        # the shop being looked at, else the visitor's own (sharing.shop_for)
        shop_id = context.get("shop_id") or sharing.shop_for(request)
        tabs, pages = bar.consumer_tabs(shop_id, cart_count(request, shop_id) if shop_id else 0), bar.CONSUMER_PAGES
    else:
        return {"tabs": []}
    return {"tabs": tabs, "active": bar.active_tab(pages, view_name, request.GET)}
