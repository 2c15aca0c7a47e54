"""Shipping fee arithmetic (pure). A template has a first-unit fee and a fee for each
extra unit; a rule for the city, else for the province, overrides them; at or above the
free-shipping threshold the fee is zero."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal


@dataclass(frozen=True)
class Rule:
    province_code: str
    city_code: str
    first_fee: Decimal
    extra_fee: Decimal


def shipping_fee(*, first_fee: Decimal, extra_fee: Decimal, free_over: Decimal | None, rules: list[Rule],
                 province_code: str, city_code: str, units: int, goods_total: Decimal) -> Decimal:
    if units <= 0:
        return Decimal("0.00")
    if free_over is not None and goods_total >= free_over:
        return Decimal("0.00")
    chosen = None
    for rule in rules:
        if rule.province_code == province_code and rule.city_code and rule.city_code == city_code:
            chosen = rule
            break
    if chosen is None:
        for rule in rules:
            if rule.province_code == province_code and not rule.city_code:
                chosen = rule
                break
    if chosen is not None:
        first_fee, extra_fee = chosen.first_fee, chosen.extra_fee
    return (first_fee + extra_fee * (units - 1)).quantize(Decimal("0.01"))
