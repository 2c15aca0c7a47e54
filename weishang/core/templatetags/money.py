from django import template

from weishang.core.money import format_money

register = template.Library()


@register.simple_tag
def money(amount, currency):
    """{% money sku.retail_price sku.currency %} -> ¥128.00 / NT$590"""
    return format_money(amount, currency)
