from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext as _
from ninja import File, Router, Schema
from ninja.files import UploadedFile
from ninja.pagination import paginate
from pydantic import Field, StrictInt

from weishang.accounts.auth import staff_only
from weishang.accounts.roles import check_hq
from weishang.core.api import ID_MAX, SAFE_TEXT, BodyId, ErrorOut, Pagination, PathId
from weishang.core.errors import DomainError, NotFound

from . import selectors, services
from .models import SKU, Product

router = Router(tags=["catalog"])


class SkuOut(Schema):
    id: int
    name: str
    code: str
    gtin: str
    currency: str
    retail_price: Decimal
    floor_price: Decimal
    ceiling_price: Decimal
    weight_grams: int
    on_shelf: bool
    drop_shipped: bool
    supplier_id: int | None
    max_per_order: int


class ProductOut(Schema):
    id: int
    line_id: int
    line: str
    name: str
    subtitle: str
    description: str
    image: str | None
    on_shelf: bool
    skus: list[SkuOut]

    @staticmethod
    def resolve_line(obj: Product) -> str:
        return obj.line.name

    @staticmethod
    def resolve_image(obj: Product) -> str | None:
        return obj.image.url if obj.image else None

    @staticmethod
    def resolve_skus(obj: Product) -> list[SKU]:
        skus = getattr(obj, "shelf_skus", None)
        return list(skus) if skus is not None else list(obj.skus.all())


class ImageOut(Schema):
    id: int
    url: str
    position: int

    @staticmethod
    def resolve_url(obj) -> str:
        return obj.image.url


class ProductIn(Schema):
    line_id: BodyId
    name: str = Field(min_length=1, max_length=100, pattern=SAFE_TEXT)
    subtitle: str = Field("", max_length=200, pattern=SAFE_TEXT)
    description: str = Field("", max_length=20000, pattern=SAFE_TEXT)
    on_shelf: bool = True
    position: StrictInt = Field(0, ge=0, le=2**31 - 1)


class ProductPatch(Schema):
    line_id: BodyId | None = None
    name: str | None = Field(None, min_length=1, max_length=100, pattern=SAFE_TEXT)
    subtitle: str | None = Field(None, max_length=200, pattern=SAFE_TEXT)
    description: str | None = Field(None, max_length=20000, pattern=SAFE_TEXT)
    on_shelf: bool | None = None
    position: StrictInt | None = Field(None, ge=0, le=2**31 - 1)


class SkuIn(Schema):
    name: str = Field(min_length=1, max_length=60, pattern=SAFE_TEXT)
    code: str = Field(min_length=1, max_length=40, pattern=SAFE_TEXT)
    gtin: str = Field("", max_length=14, pattern=SAFE_TEXT)
    currency: str = Field("CNY", pattern="^(CNY|TWD)$")
    retail_price: Decimal
    floor_price: Decimal
    ceiling_price: Decimal
    weight_grams: StrictInt = Field(0, ge=0, le=2**31 - 1)
    on_shelf: bool = True
    drop_shipped: bool = False
    supplier_id: BodyId | None = None
    max_per_order: StrictInt = Field(999, ge=1, le=100000)
    position: StrictInt = Field(0, ge=0, le=2**31 - 1)


class SkuPatch(Schema):
    name: str | None = Field(None, min_length=1, max_length=60, pattern=SAFE_TEXT)
    gtin: str | None = Field(None, max_length=14, pattern=SAFE_TEXT)
    retail_price: Decimal | None = None
    floor_price: Decimal | None = None
    ceiling_price: Decimal | None = None
    weight_grams: StrictInt | None = Field(None, ge=0, le=2**31 - 1)
    on_shelf: bool | None = None
    drop_shipped: bool | None = None
    supplier_id: BodyId | None = None
    max_per_order: StrictInt | None = Field(None, ge=1, le=100000)
    position: StrictInt | None = Field(None, ge=0, le=2**31 - 1)


def _require(request, perm: str) -> None:
    check_hq(request.auth, perm)


class ProductLineOut(Schema):
    id: int
    name: str
    description: str


@router.get("/lines", response=list[ProductLineOut], auth=None)
def list_lines(request):
    """Product lines (系列) with something on shelf, in display order (public)."""
    return selectors.shelf_lines()


@router.get("/products", response=list[ProductOut], auth=None)
@paginate(Pagination)
def list_products(request, line_id: int | None = None):
    """Products on shelf with their SKUs on shelf (public); `line_id` narrows to one line."""
    # (bounds checked here: the pagination wrapper cannot resolve an Annotated alias)
    if line_id is not None and not 1 <= line_id <= ID_MAX:
        raise DomainError(_("Some fields are not valid."), code="validation_error", status=422,
                          fields={"line_id": [_("Enter a value of at least %(n)s.") % {"n": 1} if line_id < 1
                                              else _("Enter a value of at most %(n)s.") % {"n": ID_MAX}]})
    return selectors.shelf_products(line_id)


@router.get("/products/{product_id}", response={200: ProductOut, 404: ErrorOut}, auth=None)
def get_product(request, product_id: PathId):
    product = selectors.shelf_product(product_id)
    if product is None:
        raise NotFound(_("Product not found."))
    return product


@router.post("/products", response={201: ProductOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut}, auth=staff_only)
def create_product(request, payload: ProductIn):
    _require(request, "catalog.add_product")
    product = services.create_product(**payload.dict())
    return 201, Product.objects.select_related("line").get(pk=product.pk)


@router.patch("/products/{product_id}", response={200: ProductOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                                                 404: ErrorOut}, auth=staff_only)
def update_product(request, product_id: PathId, payload: ProductPatch):
    _require(request, "catalog.change_product")
    services.update_product(product_id, **payload.dict(exclude_unset=True, exclude_none=True))
    return Product.objects.select_related("line").get(pk=product_id)


@router.post("/products/{product_id}/skus", response={201: SkuOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                                                      404: ErrorOut}, auth=staff_only)
def create_sku(request, product_id: PathId, payload: SkuIn):
    _require(request, "catalog.add_sku")
    return 201, services.create_sku(product_id, **payload.dict())


@router.patch("/skus/{sku_id}", response={200: SkuOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut, 404: ErrorOut},
              auth=staff_only)
def update_sku(request, sku_id: PathId, payload: SkuPatch):
    _require(request, "catalog.change_sku")
    data = payload.dict(exclude_unset=True)
    return services.update_sku(sku_id, **data)


@router.post("/products/{product_id}/images", response={201: ImageOut, 400: ErrorOut, 401: ErrorOut, 403: ErrorOut,
                                                        404: ErrorOut}, auth=staff_only)
def upload_image(request, product_id: PathId, file: File[UploadedFile], main: bool = False):
    """Add a product photo (JPEG, PNG or WebP, at most MAX_IMAGE_UPLOAD_BYTES). With
    `main=true` it also becomes the product's main image."""
    _require(request, "catalog.change_product")
    return 201, services.add_product_image(product_id, file, main=main)
