from django.contrib import admin
from django.utils.html import format_html
from django.utils.translation import gettext_lazy as _

from weishang.core.money import format_money

from .models import SKU, Product, ProductImage, ProductLine, Supplier


@admin.register(Supplier)
class SupplierAdmin(admin.ModelAdmin):
    list_display = ("name", "contact_name", "contact_phone", "is_active")
    search_fields = ("name",)


@admin.register(ProductLine)
class ProductLineAdmin(admin.ModelAdmin):
    list_display = ("name", "position")


class SKUInline(admin.StackedInline):
    model = SKU
    extra = 0
    fields = (("name", "code", "gtin"), ("currency", "retail_price", "floor_price", "ceiling_price"),
              ("weight_grams", "max_per_order", "on_shelf"), ("drop_shipped", "supplier"))


class ProductImageInline(admin.TabularInline):
    model = ProductImage
    extra = 0


@admin.register(Product)
class ProductAdmin(admin.ModelAdmin):
    list_display = ("thumb", "name", "line", "on_shelf", "position")
    list_display_links = ("thumb", "name")
    list_filter = ("line", "on_shelf")
    search_fields = ("name", "skus__code", "skus__gtin")
    inlines = [SKUInline, ProductImageInline]

    @admin.display(description=_("image"))
    def thumb(self, obj):
        if obj.image:
            return format_html('<img src="{}" style="height:40px;border-radius:4px">', obj.image.url)
        return "—"


@admin.register(SKU)
class SKUAdmin(admin.ModelAdmin):
    list_display = ("code", "product", "name", "retail", "floor", "ceiling", "on_shelf", "drop_shipped", "supplier")
    list_filter = ("on_shelf", "drop_shipped", "currency", "supplier", "product__line")
    search_fields = ("code", "gtin", "product__name", "name")
    list_select_related = ("product", "supplier")
    list_editable = ("on_shelf",)
    autocomplete_fields = ("product",)
    fields = ("product", ("name", "code", "gtin"), ("currency", "retail_price", "floor_price", "ceiling_price"),
              ("weight_grams", "max_per_order", "on_shelf"), ("drop_shipped", "supplier"), "position")

    @admin.display(description=_("retail price"), ordering="retail_price")
    def retail(self, obj):
        return format_money(obj.retail_price, obj.currency)

    @admin.display(description=_("floor price"), ordering="floor_price")
    def floor(self, obj):
        return format_money(obj.floor_price, obj.currency)

    @admin.display(description=_("ceiling price"), ordering="ceiling_price")
    def ceiling(self, obj):
        return format_money(obj.ceiling_price, obj.currency)
