"""The pure codec: round trips, typo detection, forgery, rotation. No database."""

from __future__ import annotations

import hashlib
import hmac

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from weishang.codes.codec import (
    ALPHABET,
    CODE_LEN,
    MAX_SERIAL,
    Codec,
    CodeError,
    check_symbol,
    code_url,
    format_code,
    normalize,
)

KEYS = {1: b"k" * 32, 2: b"second-key-material-32-bytes!!!!"}
CODEC = Codec(KEYS, current=2)
serials = st.integers(min_value=0, max_value=MAX_SERIAL)


@given(serials, st.sampled_from([1, 2]))
def test_round_trip(serial, version):
    code = CODEC.encode(serial, version)
    assert len(code) == CODE_LEN and set(code) <= set(ALPHABET)
    assert code[0] == ALPHABET[version]
    decoded = CODEC.decode(code)
    assert (decoded.serial, decoded.version, decoded.code) == (serial, version, code)
    # lower case, hyphen grouping and the full URL all decode to the same thing
    assert CODEC.decode(code.lower()).serial == serial
    assert CODEC.decode(format_code(code)).serial == serial
    assert CODEC.decode(code_url("https://x.example", code)).serial == serial


@given(st.integers(min_value=0, max_value=MAX_SERIAL - 3000), st.integers(min_value=1, max_value=300))
@settings(max_examples=30)
def test_bulk_equals_encode(start, count):
    assert CODEC.bulk(start, count) == [CODEC.encode(s) for s in range(start, start + count)]


def test_bulk_at_the_edges():
    """bulk() computes whole ranges with numpy: the first and last serials, an empty range,
    and both cases give encode()'s strings."""
    assert CODEC.bulk(0, 0) == []
    for start, count in ((0, 3), (MAX_SERIAL - 4, 5), (2**20 - 2, 4), (2**39, 2)):
        expected = [CODEC.encode(s) for s in range(start, start + count)]
        assert CODEC.bulk(start, count) == expected
        assert CODEC.bulk(start, count, lower=True) == [c.lower() for c in expected]
    with pytest.raises(ValueError):
        CODEC.bulk(MAX_SERIAL, 2)


def test_permutation_hides_order_and_is_a_bijection_on_a_block():
    codes = CODEC.bulk(1, 2000)
    assert len(set(codes)) == 2000
    xs = [c[1:9] for c in codes]
    # consecutive serials do not give sorted or near-identical scrambled serials
    assert xs != sorted(xs)
    assert sum(1 for a, b in zip(xs, xs[1:], strict=False) if a[:4] == b[:4]) < 20


@given(serials, st.integers(min_value=0, max_value=CODE_LEN - 1), st.integers(min_value=1, max_value=31))
def test_every_single_substitution_is_caught_by_the_check(serial, pos, delta):
    code = CODEC.encode(serial)
    wrong = ALPHABET[(ALPHABET.index(code[pos]) + delta) % 32]
    typo = code[:pos] + wrong + code[pos + 1:]
    with pytest.raises(CodeError) as err:
        CODEC.decode(typo)
    assert err.value.reason == "check"


@given(serials, st.integers(min_value=0, max_value=CODE_LEN - 2))
def test_every_adjacent_transposition_is_caught(serial, pos):
    code = CODEC.encode(serial)
    if code[pos] == code[pos + 1]:
        return
    swapped = code[:pos] + code[pos + 1] + code[pos] + code[pos + 2:]
    with pytest.raises(CodeError) as err:
        CODEC.decode(swapped)
    assert err.value.reason == "check"


def _with_valid_check(body: str) -> str:
    return body + check_symbol(body)


@given(serials, st.integers(min_value=9, max_value=16), st.integers(min_value=1, max_value=31))
def test_forged_tag_is_rejected(serial, pos, delta):
    code = CODEC.encode(serial)
    body = code[:17]
    body = body[:pos] + ALPHABET[(ALPHABET.index(body[pos]) + delta) % 32] + body[pos + 1:]
    with pytest.raises(CodeError) as err:
        CODEC.decode(_with_valid_check(body))
    assert err.value.reason == "forged"


@given(st.text(alphabet=ALPHABET, min_size=16, max_size=16))
def test_random_bodies_with_a_correct_check_are_forgeries(rest):
    with pytest.raises(CodeError) as err:
        CODEC.decode(_with_valid_check("2" + rest))
    assert err.value.reason == "forged"


def test_unknown_key_version_is_rejected():
    code = CODEC.encode(77, 2)
    body = "9" + code[1:17]
    with pytest.raises(CodeError) as err:
        CODEC.decode(_with_valid_check(body))
    assert err.value.reason == "version"


def test_rotation_old_version_keeps_verifying_and_other_keys_reject():
    old = Codec({1: KEYS[1]}, current=1).encode(12345)
    assert CODEC.decode(old).serial == 12345  # after rotation to version 2
    stranger = Codec({1: b"z" * 32}, current=1)
    with pytest.raises(CodeError) as err:
        stranger.decode(old)
    assert err.value.reason == "forged"


@pytest.mark.parametrize("text", ["", "abc", "x" * 18, "2QC9F5ZKAKFAYHDPD5U", "2QC9F5ZKAK!AYHDPD5", "é" * 18,
                                  "https://h/v/", "1" * 300])
def test_malformed(text):
    with pytest.raises(CodeError) as err:
        normalize(text)
    assert err.value.reason in ("malformed", "check")
    with pytest.raises(CodeError):
        CODEC.decode(text)


def test_crockford_reading_rules():
    code = CODEC.encode(4242)
    if "0" in code or "1" in code:
        sloppy = code.replace("0", "o").replace("1", "l")
        assert CODEC.decode(sloppy).serial == 4242


def test_tag_is_standard_hmac_sha256():
    k = CODEC._k(2)
    x = k.permute(99)
    tag_key = hmac.digest(KEYS[2], b"weishang-codes/tag", "sha256")
    expected = hmac.new(tag_key, b"wsc1" + bytes([2]) + x.to_bytes(5, "big"), hashlib.sha256).digest()[:5]
    assert k.tag(x) == int.from_bytes(expected, "big")
    assert k.unpermute(x) == 99


@given(serials)
@settings(max_examples=50)
def test_pin(serial):
    pin = CODEC.pin(serial)
    assert len(pin) == 8 and pin.isdigit()
    assert CODEC.check_pin(serial, 2, pin)
    assert CODEC.check_pin(serial, 2, pin[:4] + " " + pin[4:])
    assert not CODEC.check_pin(serial, 2, f"{(int(pin) + 1) % 10**8:08d}")
    assert not CODEC.check_pin(serial, 2, "")


def test_url_is_lowercase():
    code = CODEC.encode(5)
    assert code_url("https://brand.example/", code) == f"https://brand.example/v/{code.lower()}"


def test_bad_keys_refused():
    with pytest.raises(ValueError):
        Codec({1: b"short"}, 1)
    with pytest.raises(ValueError):
        Codec({32: b"k" * 32}, 32)
    with pytest.raises(ValueError):
        Codec({1: b"k" * 32}, 2)
    with pytest.raises(ValueError):
        CODEC.encode(MAX_SERIAL + 1)


def test_bulk_lower_case():
    assert CODEC.bulk(10, 50, lower=True) == [c.lower() for c in CODEC.bulk(10, 50)]
