"""Money rules: Decimal amounts with their currency, never float.

CNY has 2 decimal places (fen). TWD is shown without decimals: amounts must be whole
dollars. These are pure functions used by models, forms, the API and the ledger alike.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

CURRENCY_DECIMALS: dict[str, int] = {"CNY": 2, "TWD": 0}
CURRENCY_SYMBOLS: dict[str, str] = {"CNY": "¥", "TWD": "NT$"}
CURRENCY_CHOICES = [("CNY", _("Renminbi (CNY)")), ("TWD", _("New Taiwan dollar (TWD)"))]
# Storage precision for every money column: room for 10^14 with 2 decimals.
MAX_DIGITS = 16
DECIMAL_PLACES = 2


class MoneyError(ValueError):
    """An amount that cannot be money in its currency (bad text, too precise, negative)."""


def decimals_for(currency: str) -> int:
    try:
        return CURRENCY_DECIMALS[currency]
    except KeyError:
        raise MoneyError(_("Unknown currency %(c)s.") % {"c": currency}) from None


def quantum(currency: str) -> Decimal:
    return Decimal(1).scaleb(-decimals_for(currency))


def parse_amount(value: object, currency: str, *, allow_negative: bool = False) -> Decimal:
    """Turn user input into an exact amount, refusing (never rounding) extra precision."""
    if isinstance(value, float):
        # Floats carry binary noise; accept them only through their shortest repr.
        value = repr(value)
    try:
        amount = Decimal(str(value).strip())
    except (InvalidOperation, ValueError):
        raise MoneyError(_("Enter a valid amount.")) from None
    if not amount.is_finite():
        raise MoneyError(_("Enter a valid amount."))
    if amount < 0 and not allow_negative:
        raise MoneyError(_("The amount cannot be negative."))
    places = decimals_for(currency)
    # Size first: quantizing 1E+100 would overflow the decimal context.
    if abs(amount) >= Decimal(10) ** (MAX_DIGITS - DECIMAL_PLACES):
        raise MoneyError(_("The amount is too large."))
    exponent = amount.as_tuple().exponent
    if isinstance(exponent, int) and exponent < -places and \
            amount != amount.quantize(quantum(currency), rounding=ROUND_HALF_UP):
        if places == 0:
            raise MoneyError(_("%(c)s amounts must be whole numbers.") % {"c": currency})
        raise MoneyError(_("At most %(n)d decimal places are allowed for %(c)s.") % {"n": places, "c": currency})
    # "-0" is zero; never store or show a negative zero.
    return abs(amount).quantize(Decimal("0.01")) if amount == 0 else amount.quantize(Decimal("0.01"))


def round_money(amount: Decimal, currency: str) -> Decimal:
    """Round a computed amount (a percentage, a share) to the currency's smallest unit."""
    return amount.quantize(quantum(currency), rounding=ROUND_HALF_UP).quantize(Decimal("0.01"))


def format_money(amount: Decimal | None, currency: str) -> str:
    if amount is None:
        return ""
    places = decimals_for(currency)
    # The sign goes before the symbol (-¥1,738.00), as people write it; never "-0".
    sign = "-" if amount < 0 and round(amount, places) != 0 else ""
    return f"{sign}{CURRENCY_SYMBOLS.get(currency, currency + ' ')}{abs(amount):,.{places}f}"


@dataclass(frozen=True, slots=True)
class Money:
    amount: Decimal
    currency: str

    def __str__(self) -> str:
        return format_money(self.amount, self.currency)

    def __add__(self, other: Money) -> Money:
        if other.currency != self.currency:
            raise MoneyError(_("Cannot add amounts in different currencies."))
        return Money(self.amount + other.amount, self.currency)
