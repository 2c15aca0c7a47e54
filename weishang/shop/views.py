from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from weishang.catalog import selectors


@require_GET
def home(request):
    """All products on shelf; ?line=<id> shows one product line (分类)."""
    lines = selectors.shelf_lines()
    raw = request.GET.get("line", "")
    line = next((x for x in lines if str(x.pk) == raw), None)
    products = list(selectors.shelf_products(line.pk if line else None))
    return render(request, "shop/product_list.html", {"products": products, "lines": lines, "line": line})


@require_GET
def product_detail(request, product_id: int):
    product = selectors.shelf_product(product_id)
    if product is None:
        raise Http404
    return render(request, "shop/product_detail.html", {"product": product})
