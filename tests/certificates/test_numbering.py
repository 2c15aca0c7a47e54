from __future__ import annotations

from hypothesis import given
from hypothesis import strategies as st

from weishang.certificates import numbering


def test_check_character_is_iso_7064_mod_11_2():
    # Chinese resident ID check digits use the same scheme with weights; here the classic
    # ISO 7064 example: 079 -> check 'X'.
    assert numbering.check_char("079") == "X"
    assert numbering.check_char("0794") == "0"


@given(st.integers(2000, 2099), st.integers(0, 10**numbering.BODY_DIGITS - 1))
def test_made_numbers_parse_back_from_sloppy_typing(year, body):
    number = numbering.make("LX", year, body)
    assert numbering.parse(number) == number
    assert numbering.parse(" " + number.lower().replace("-", " ") + " ") == number


@given(st.integers(2000, 2099), st.integers(0, 10**numbering.BODY_DIGITS - 1), st.integers(0, 10), st.data())
def test_a_single_wrong_digit_is_caught(year, body, position, data):
    number = numbering.make("LX", year, body)
    digits = number.replace("-", "")[2:-1]
    i = position % len(digits)
    wrong = data.draw(st.sampled_from([d for d in "0123456789" if d != digits[i]]))
    typo = "LX" + digits[:i] + wrong + digits[i + 1:] + number[-1]
    assert numbering.parse(typo) is None


def test_malformed_is_none():
    for text in ("", "LX", "LX2026-123", "2026-1234567-1", "LX2026-1234567-Y", "LX2026-12345678-1", "x" * 500):
        assert numbering.parse(text) is None
