"""Certificate numbers: LX2026-4829175-3.

prefix (brand letters) + year of issue, seven random digits (not a sequence: the number of
one certificate says nothing about the next), and an ISO 7064 MOD 11-2 check character over
the year and digits (0-9 or X, as on a Chinese resident ID card), so a mistyped number is
refused before any database lookup.
"""

from __future__ import annotations

import re
import secrets

BODY_DIGITS = 7
_PATTERN = re.compile(rf"^([A-Z]{{1,4}})(\d{{4}})(\d{{{BODY_DIGITS}}})([0-9X])$")


def check_char(digits: str) -> str:
    p = 0
    for d in digits:
        p = ((p + int(d)) * 2) % 11
    r = (12 - p) % 11
    return "X" if r == 10 else str(r)


def make(prefix: str, year: int, body: int) -> str:
    digits = f"{year:04d}{body:0{BODY_DIGITS}d}"
    return f"{prefix}{digits[:4]}-{digits[4:]}-{check_char(digits)}"


def random_number(prefix: str, year: int) -> str:
    return make(prefix, year, secrets.randbelow(10**BODY_DIGITS))


def parse(text: str) -> str | None:
    """What a person typed ("lx2026 4829175 3", "LX20264829175-3") → the canonical number,
    or None when it is not a well-formed number with the right check character."""
    compact = re.sub(r"[\s\-_]", "", (text or "").upper())[:24]
    m = _PATTERN.match(compact)
    if not m:
        return None
    prefix, year, body, check = m.groups()
    if check_char(year + body) != check:
        return None
    return f"{prefix}{year}-{body}-{check}"
