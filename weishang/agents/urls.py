"""Agent phone pages under /agent/. /agent/invites/, /agent/applications/,
/agent/certificate/ belong to the recruitment and certificates areas; /agent/level/ is the
levels page (weishang.agents.level_views)."""

from django.urls import path

from . import level_views, views

URL_PREFIX = "agent/"

app_name = "agents"
urlpatterns = [
    path("", views.hub, name="hub"),
    path("team/", views.team, name="team"),
    path("team/<int:agent_id>/", views.member, name="member"),
    path("level/", level_views.progress, name="level"),
    path("share/", views.share, name="share"),
    path("share/shop.png", views.shop_poster, name="shop_poster"),
    path("share/product/<int:sku_id>.png", views.product_poster, name="product_poster"),
]
