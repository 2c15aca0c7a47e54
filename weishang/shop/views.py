"""Brand pages (no login): the catalogue and a product's page. They are not a dead end:
each leads into a shop where the product can be bought (the visitor's own shop, else HQ's;
weishang.orders.sharing.shop_for)."""

from django.http import Http404
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.http import require_GET

from weishang.catalog import selectors


def _shop(request):
    from weishang.agents.models import Agent
    from weishang.orders import sharing

    shop_id = sharing.shop_for(request)
    return Agent.objects.filter(pk=shop_id).only("pk", "name", "level_id").first() if shop_id else None


@require_GET
def home(request):
    """All products on shelf; ?line=<id> shows one product line (分类)."""
    lines = selectors.shelf_lines()
    raw = request.GET.get("line", "")
    line = next((x for x in lines if str(x.pk) == raw), None)
    products = list(selectors.shelf_products(line.pk if line else None))
    return render(request, "shop/product_list.html", {"products": products, "lines": lines, "line": line,
                                                      "shop": _shop(request)})


@require_GET
def product_detail(request, product_id: int):
    from weishang.agents.models import LevelPrice

    product = selectors.shelf_product(product_id)
    if product is None:
        raise Http404
    shop = _shop(request)
    buy_url = None
    if shop is not None:  # the shop's product page when it sells this product, else its front page
        sells = LevelPrice.objects.filter(level_id=shop.level_id, sku__product=product, sku__on_shelf=True).exists()
        buy_url = (reverse("orders:shop_product", args=[shop.pk, product.pk]) if sells
                   else reverse("orders:shop", args=[shop.pk]))
    return render(request, "shop/product_detail.html", {"product": product, "shop": shop, "buy_url": buy_url})
