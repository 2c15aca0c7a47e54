"""Order numbers: readable, unique, not guessable in sequence.

Format WS + yymmdd + "-" + 8 characters of Crockford base32 from `secrets` (40 random
bits): e.g. WS261124-7KQ3M9XD. No I/L/O/U, so it reads out loud over the phone; the
date prefix (the brand's local date, settings.TIME_ZONE, not UTC: an order placed at
00:30 in Shanghai carries that day) keeps them sortable by day; 2^40 per day makes guessing a neighbour's number
hopeless. Uniqueness is enforced by the database (the caller retries on a collision).
"""

from __future__ import annotations

import re
import secrets
import zoneinfo
from datetime import datetime

from django.conf import settings

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
PATTERN = re.compile(r"^WS\d{6}-[0-9A-HJKMNP-TV-Z]{8}$")


def new_number(now: datetime) -> str:
    value = secrets.randbits(40)
    chars = []
    for _ in range(8):
        chars.append(ALPHABET[value & 31])
        value >>= 5
    day = now.astimezone(zoneinfo.ZoneInfo(settings.TIME_ZONE)) if now.tzinfo is not None else now
    return f"WS{day:%y%m%d}-{''.join(chars)}"


def looks_valid(no: str) -> bool:
    return bool(PATTERN.match(no or ""))
