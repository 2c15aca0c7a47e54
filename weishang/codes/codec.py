"""Self-proving anti-counterfeit codes (一物一码). Pure module: no Django, no database.

A code is 18 Crockford base32 symbols (90 bits), printed in lowercase inside a URL::

    V XXXXXXXX TTTTTTTT C
    | |        |        `- check symbol: a weighted sum over GF(32) of the 17 symbols before
    | |        |           it; catches every single substitution and every transposition
    | |        |           (adjacent or not) before anything else is done
    | |        `---------- tag: HMAC-SHA256(tag key, "wsc1" | version | X), first 40 bits;
    | |                    a guessed code is accepted with odds 2^-40 < 1e-12
    | `------------------- X = P(serial): the 40-bit serial through a keyed 4-round Feistel
    |                      permutation, so consecutive labels look unrelated and reveal no
    |                      volumes; P is a bijection, so X decodes back to exactly one serial
    `--------------------- key version (1..31): selects the key; old versions keep verifying

The Feistel round functions are tables of 2^20 20-bit entries drawn from SHAKE-256 keyed
with the permutation key (a keyed XOF, as in KMAC): a Luby-Rackoff permutation over truly
random-looking round functions, built in ~60 ms per key version, after which a round is
one array lookup. That is what lets bulk generation reach hundreds of thousands of codes a
second per core; the HMAC tag (the security-critical part) is one SHA-256 pair per code
from precomputed inner/outer states (standard HMAC, checked against `hmac` in the tests).

The optional scratch-off PIN (刮刮码) is HMAC-SHA256(pin key, "wsp1" | version | X) as
8 decimal digits: derived like the code, never stored.
"""

from __future__ import annotations

import hashlib
import hmac
from array import array
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np

ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_DECODE: dict[str, int] = {ch: i for i, ch in enumerate(ALPHABET)}
# Crockford's reading rules: case-insensitive, O as zero, I and L as one.
for _ch, _v in list(_DECODE.items()):
    _DECODE[_ch.lower()] = _v
for _ch, _v in (("O", 0), ("o", 0), ("I", 1), ("i", 1), ("L", 1), ("l", 1)):
    _DECODE[_ch] = _v

SERIAL_BITS = 40
HALF_BITS = SERIAL_BITS // 2
HALF_MASK = (1 << HALF_BITS) - 1
MAX_SERIAL = (1 << SERIAL_BITS) - 1
TAG_BITS = 40
ROUNDS = 4
BODY_LEN = 17  # version + 8 serial symbols + 8 tag symbols
CODE_LEN = BODY_LEN + 1
MAX_VERSION = 31
PIN_DIGITS = 8

# --- GF(32) check symbol -------------------------------------------------------------
_POLY = 0b100101  # x^5 + x^2 + 1, primitive: alpha = 2 generates all 31 non-zero elements


def _gf_mul(a: int, b: int) -> int:
    r = 0
    while b:
        if b & 1:
            r ^= a
        b >>= 1
        a <<= 1
        if a & 0b100000:
            a ^= _POLY
    return r


def _weights(n: int) -> list[int]:
    w, out = 1, []
    for _ in range(n):
        w = _gf_mul(w, 2)
        out.append(w)
    return out


_W = _weights(BODY_LEN)  # alpha^1 .. alpha^17: distinct and non-zero
_MUL = [[_gf_mul(a, b) for b in range(32)] for a in range(32)]


def check_symbol(body: str) -> str:
    """The check symbol of 17 body symbols (already upper-case canonical)."""
    s = 0
    for w, ch in zip(_W, body, strict=True):
        s ^= _MUL[w][_DECODE[ch]]
    return ALPHABET[s]


# --- errors --------------------------------------------------------------------------
class CodeError(ValueError):
    """Why a text is not a genuine code. `reason` is one of REASONS."""

    REASONS = ("malformed", "check", "version", "forged")

    def __init__(self, reason: str) -> None:
        assert reason in self.REASONS
        self.reason = reason
        super().__init__(reason)


@dataclass(frozen=True)
class Decoded:
    version: int
    serial: int
    code: str  # canonical upper-case form


def normalize(text: str) -> str:
    """Canonical upper-case code from a code, a URL ending in /v/<code>, or a typed form
    with spaces and hyphens. Raises CodeError("malformed") or ("check")."""
    if not isinstance(text, str) or len(text) > 200:
        raise CodeError("malformed")
    t = text.strip()
    if "/" in t:
        t = t.rstrip("/").rsplit("/", 1)[-1]
        t = t.split("?", 1)[0].split("#", 1)[0]
    t = t.replace("-", "").replace(" ", "")
    if len(t) != CODE_LEN:
        raise CodeError("malformed")
    try:
        canon = "".join(ALPHABET[_DECODE[ch]] for ch in t)
    except KeyError:
        raise CodeError("malformed") from None
    if check_symbol(canon[:BODY_LEN]) != canon[BODY_LEN]:
        raise CodeError("check")
    return canon


def _sym_int(s: str) -> int:
    v = 0
    for ch in s:
        v = (v << 5) | _DECODE[ch]
    return v


def format_code(code: str, group: int = 6) -> str:
    """Human form for printing under the QR: XXXXXX-XXXXXX-XXXXXX."""
    return "-".join(code[i:i + group] for i in range(0, len(code), group))


# --- keys ----------------------------------------------------------------------------
class _VersionKeys:
    __slots__ = ("version", "vchar", "perm", "tag_inner", "tag_inner_prefixed", "tag_outer", "pin_key", "_tables",
                 "_np_tables", "tag_prefix", "pin_prefix")

    def __init__(self, version: int, secret: bytes) -> None:
        if not 1 <= version <= MAX_VERSION:
            raise ValueError(f"key version must be 1..{MAX_VERSION}")
        if len(secret) < 16:
            raise ValueError("a code key needs at least 16 bytes")
        self.version = version
        self.vchar = ALPHABET[version]
        self.perm = hmac.digest(secret, b"weishang-codes/perm", "sha256")
        tag_key = hmac.digest(secret, b"weishang-codes/tag", "sha256")
        self.pin_key = hmac.digest(secret, b"weishang-codes/pin", "sha256")
        block = tag_key.ljust(64, b"\0")
        self.tag_inner = hashlib.sha256(bytes(b ^ 0x36 for b in block))
        self.tag_outer = hashlib.sha256(bytes(b ^ 0x5C for b in block))
        self.tag_prefix = b"wsc1" + bytes([version])
        self.pin_prefix = b"wsp1" + bytes([version])
        self.tag_inner_prefixed = self.tag_inner.copy()
        self.tag_inner_prefixed.update(self.tag_prefix)
        self._tables: tuple[array, ...] | None = None
        self._np_tables: tuple[np.ndarray, ...] | None = None

    @property
    def tables(self) -> tuple[array, ...]:
        if self._tables is None:
            tables = []
            for r in range(ROUNDS):
                a = array("I")
                a.frombytes(hashlib.shake_256(self.perm + b"round" + bytes([r])).digest(4 << HALF_BITS))
                tables.append(a)
            self._tables = tuple(tables)
        return self._tables

    @property
    def np_tables(self) -> tuple[np.ndarray, ...]:
        """The round tables as int64 arrays, already masked to a half (for bulk())."""
        if self._np_tables is None:
            self._np_tables = tuple(np.frombuffer(t, dtype=np.uint32).astype(np.int64) & HALF_MASK
                                    for t in self.tables)
        return self._np_tables

    def permute(self, serial: int) -> int:
        t = self.tables
        left, right = serial >> HALF_BITS, serial & HALF_MASK
        for r in range(ROUNDS):
            left, right = right, left ^ (t[r][right] & HALF_MASK)
        return (left << HALF_BITS) | right

    def unpermute(self, x: int) -> int:
        t = self.tables
        left, right = x >> HALF_BITS, x & HALF_MASK
        for r in reversed(range(ROUNDS)):
            left, right = right ^ (t[r][left] & HALF_MASK), left
        return (left << HALF_BITS) | right

    def tag(self, x: int) -> int:
        inner = self.tag_inner.copy()
        inner.update(self.tag_prefix + x.to_bytes(5, "big"))
        outer = self.tag_outer.copy()
        outer.update(inner.digest())
        return int.from_bytes(outer.digest()[:5], "big")


# Per 10-bit chunk: its two symbols, and per chunk position its contribution to the check.
_PAIRS = [ALPHABET[i >> 5] + ALPHABET[i & 31] for i in range(1024)]
_PAIRS_LOWER = [p.lower() for p in _PAIRS]


def _chunk_check_table(pos: int) -> list[int]:
    """Check contribution of the 10-bit chunk at body symbols (1 + 2*pos, 2 + 2*pos)."""
    wa, wb = _W[1 + 2 * pos], _W[2 + 2 * pos]
    return [_MUL[wa][i >> 5] ^ _MUL[wb][i & 31] for i in range(1024)]


_CHUNK_CHECK = [_chunk_check_table(p) for p in range(8)]
# The same tables as numpy arrays, for bulk()
_NP_PAIRS = np.frombuffer("".join(_PAIRS).encode(), dtype=np.uint8).reshape(1024, 2)
_NP_PAIRS_LOWER = np.frombuffer("".join(_PAIRS_LOWER).encode(), dtype=np.uint8).reshape(1024, 2)
_NP_CHUNK_CHECK = [np.array(t, dtype=np.uint8) for t in _CHUNK_CHECK]
_NP_ALPHABET = np.frombuffer(ALPHABET.encode(), dtype=np.uint8)
_NP_ALPHABET_LOWER = np.frombuffer(ALPHABET.lower().encode(), dtype=np.uint8)


class Codec:
    """Encode and verify codes with a set of versioned keys."""

    def __init__(self, keys: dict[int, bytes], current: int) -> None:
        if current not in keys:
            raise ValueError("the current key version has no key")
        self._keys = {v: _VersionKeys(v, k) for v, k in keys.items()}
        self.current = current

    @property
    def versions(self) -> list[int]:
        return sorted(self._keys)

    def _k(self, version: int | None) -> _VersionKeys:
        v = self.current if version is None else version
        try:
            return self._keys[v]
        except KeyError:
            raise ValueError(f"unknown key version {v}") from None

    def encode(self, serial: int, version: int | None = None) -> str:
        if not 0 <= serial <= MAX_SERIAL:
            raise ValueError("serial out of range")
        k = self._k(version)
        x = k.permute(serial)
        t = k.tag(x)
        body = k.vchar + _to_syms(x, 8) + _to_syms(t, 8)
        return body + check_symbol(body)

    def decode(self, text: str) -> Decoded:
        """Verify a code (or its URL) with no I/O. Raises CodeError with the reason."""
        canon = normalize(text)
        k = self._keys.get(_DECODE[canon[0]])
        if k is None:
            raise CodeError("version")
        x = _sym_int(canon[1:9])
        tag = _sym_int(canon[9:17])
        if not hmac.compare_digest(k.tag(x).to_bytes(5, "big"), tag.to_bytes(5, "big")):
            raise CodeError("forged")
        return Decoded(version=k.version, serial=k.unpermute(x), code=canon)

    def pin(self, serial: int, version: int | None = None) -> str:
        k = self._k(version)
        x = k.permute(serial)
        mac = hmac.digest(k.pin_key, k.pin_prefix + x.to_bytes(5, "big"), "sha256")
        return f"{int.from_bytes(mac[:8], 'big') % 10 ** PIN_DIGITS:0{PIN_DIGITS}d}"

    def check_pin(self, serial: int, version: int, pin: str) -> bool:
        typed = "".join(ch for ch in (pin or "") if ch.isdigit())[:PIN_DIGITS * 2]
        return hmac.compare_digest(self.pin(serial, version).encode(), typed.encode())

    def bulk(self, start: int, count: int, version: int | None = None, *, lower: bool = False) -> list[str]:
        """Codes for serials [start, start + count): the same strings as encode() (lower-cased
        with lower=True, as printed in URLs), fast: the permutation, the symbols and the check
        character for the whole range at once with numpy; only the HMAC runs per code (from
        the key's pre-hashed inner and outer states). Measured ~1.9x the per-code loop."""
        if count < 0 or start < 0 or start + count - 1 > MAX_SERIAL:
            raise ValueError("serial range out of range")
        k = self._k(version)
        left = np.arange(start, start + count, dtype=np.int64)
        left, right = left >> HALF_BITS, left & HALF_MASK
        for table in k.np_tables:
            left, right = right, left ^ table[right]
        x = (left << HALF_BITS) | right
        messages = x.astype(">u8").view(np.uint8).reshape(-1, 8)[:, 3:].tobytes()  # 5 big-endian bytes each
        inner_copy, outer_copy = k.tag_inner_prefixed.copy, k.tag_outer.copy
        digests: list[bytes] = []
        append = digests.append
        for i in range(0, 5 * count, 5):
            inner = inner_copy()
            inner.update(messages[i:i + 5])
            outer = outer_copy()
            outer.update(inner.digest())
            append(outer.digest()[:5])
        t = np.frombuffer(b"".join(digests), dtype=np.uint8).reshape(-1, 5).astype(np.int64)
        tag = (t[:, 0] << 32) | (t[:, 1] << 24) | (t[:, 2] << 16) | (t[:, 3] << 8) | t[:, 4]
        chunks = (left >> 10, left & 1023, right >> 10, right & 1023,
                  tag >> 30, (tag >> 20) & 1023, (tag >> 10) & 1023, tag & 1023)
        pairs, alphabet = (_NP_PAIRS_LOWER, _NP_ALPHABET_LOWER) if lower else (_NP_PAIRS, _NP_ALPHABET)
        out = np.empty((count, CODE_LEN), dtype=np.uint8)
        out[:, 0] = ord(k.vchar.lower() if lower else k.vchar)
        check = np.full(count, _MUL[_W[0]][k.version], dtype=np.uint8)
        for j, chunk in enumerate(chunks):
            out[:, 1 + 2 * j:3 + 2 * j] = pairs[chunk]
            check ^= _NP_CHUNK_CHECK[j][chunk]
        out[:, CODE_LEN - 1] = alphabet[check]
        text = out.tobytes().decode("ascii")
        return [text[i:i + CODE_LEN] for i in range(0, CODE_LEN * count, CODE_LEN)]

    def iter_bulk(self, start: int, count: int, version: int | None = None, chunk: int = 20_000) -> Iterator[list[str]]:
        done = 0
        while done < count:
            n = min(chunk, count - done)
            yield self.bulk(start + done, n, version)
            done += n


def _to_syms(value: int, n: int) -> str:
    return "".join(ALPHABET[(value >> (5 * (n - 1 - i))) & 31] for i in range(n))


def code_url(site_url: str, code: str) -> str:
    """The printed URL, lower-case so every phone camera and WeChat opens it."""
    return f"{site_url.rstrip('/')}/v/{code.lower()}"
