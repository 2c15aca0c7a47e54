"""Invite link tokens: a random key (looked up in the database) plus an HMAC signature
(checked first, without the database), so a forged or mistyped link is refused outright."""

from __future__ import annotations

import secrets

from django.core import signing

SALT = "weishang.recruitment.invite"


def new_key() -> str:
    return secrets.token_urlsafe(12)  # 96 random bits


def sign(key: str) -> str:
    return signing.Signer(salt=SALT, sep=".").sign(key)


def unsign(token: str) -> str | None:
    if not token or len(token) > 100:
        return None
    try:
        return signing.Signer(salt=SALT, sep=".").unsign(token)
    except signing.BadSignature:
        return None


def new_ref() -> str:
    """A public application reference: 12 characters, no look-alikes (60 bits)."""
    alphabet = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"
    return "".join(secrets.choice(alphabet) for _ in range(12))
