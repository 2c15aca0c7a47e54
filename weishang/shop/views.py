from django.http import Http404
from django.shortcuts import render
from django.views.decorators.http import require_GET

from weishang.catalog import selectors


@require_GET
def home(request):
    products = list(selectors.shelf_products())
    return render(request, "shop/product_list.html", {"products": products})


@require_GET
def product_detail(request, product_id: int):
    product = selectors.shelf_product(product_id)
    if product is None:
        raise Http404
    return render(request, "shop/product_detail.html", {"product": product})
