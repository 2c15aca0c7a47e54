"""GTIN / EAN / UPC barcodes: GTIN-8, -12, -13 and -14 with the GS1 mod-10 check digit."""

from __future__ import annotations


def gtin_check_digit(body: str) -> int:
    """Check digit for the digits before it (GS1: weights 3,1,3,… from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(body)))
    return (10 - total % 10) % 10


def is_valid_gtin(code: str) -> bool:
    return code.isdigit() and len(code) in (8, 12, 13, 14) and gtin_check_digit(code[:-1]) == int(code[-1])
