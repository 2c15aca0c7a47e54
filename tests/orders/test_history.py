"""Order history is stored as message keys and shown in the reader's language (item 11.8)."""

from __future__ import annotations

import importlib
from datetime import UTC, datetime

import pytest
from django.apps import apps
from django.utils import translation

from tests.orders.helpers import paid_restock
from weishang.orders import numbers, refunds
from weishang.orders.history import note, render
from weishang.orders.models import OrderEvent, RefundKind

pytestmark = pytest.mark.django_db


def _texts(order, language):
    with translation.override(language):
        return [e.text for e in OrderEvent.objects.filter(order=order).order_by("pk")]


def test_history_is_shown_in_the_readers_language_with_money_signs(tree):
    with translation.override("zh-hans"):  # the buyer acts in zh-Hans
        order = paid_restock(tree, 3)
        refunds.request_refund(order, user=tree.low.user, kind=RefundKind.FULL, reason="发错货")
    events = OrderEvent.objects.filter(order=order).order_by("pk")
    assert all(e.message_key for e in events) and not any(e.reason for e in events)
    en, hans, hant = _texts(order, "en"), _texts(order, "zh-hans"), _texts(order, "zh-hant")
    assert en[0] == f"Restock ordered; {tree.mid.name} has the stock."
    assert en[-1] == "Refund of ¥270.00 requested: 发错货"  # 3 × 90.00, with its currency sign
    with translation.override("zh-hant"):
        assert hant[-1] == translation.gettext("Refund of %(a)s requested: %(r)s") % {"a": "¥270.00", "r": "发错货"}
    assert "¥270.00" in hans[-1] and "发错货" in hans[-1]
    assert len({en[0], hans[0], hant[0]}) == 3  # not one stored sentence for everybody


def test_hq_as_seller_is_translated_too():
    n = note("Passed up to %(who)s.", who=translation.gettext_lazy("HQ"))
    assert n.params == {"who": {"key": "HQ", "params": {}}}
    with translation.override("en"):
        assert str(n) == "Passed up to HQ."
    with translation.override("zh-hans"):
        assert "总部" in str(n)


def test_a_translation_missing_its_placeholder_does_not_break_the_page():
    assert render("Unknown %(x)s sentence", {}) == "Unknown %(x)s sentence"
    with translation.override("en"):
        assert render("Passed up to %(who)s.", {"other": "x"}) == "Passed up to %(who)s."


def test_old_rows_stored_as_text_are_converted_or_kept(tree):
    with translation.override("zh-hans"):
        order = paid_restock(tree, 2)
    with translation.override("zh-hans"):
        stored = translation.gettext("Refund of %(a)s requested: %(r)s") % {"a": "140.00", "r": "破损"}
        hq = translation.gettext("Restock ordered; %(who)s has the stock.") % {"who": translation.gettext("HQ")}
    old = [OrderEvent.objects.create(order=order, to_status=order.status, reason=text)
           for text in (stored, hq, "买家自己写的原因")]
    migration = importlib.import_module("weishang.orders.migrations.0007_orderevent_message_keys")
    migration.forwards(apps, None)
    refund_row, hq_row, typed = (OrderEvent.objects.get(pk=e.pk) for e in old)
    assert refund_row.message_key == "Refund of %(a)s requested: %(r)s"
    assert refund_row.params == {"a": {"amount": "140.00", "currency": "CNY"}, "r": "破损"}
    assert hq_row.params == {"who": {"key": "HQ", "params": {}}}
    with translation.override("en"):
        assert refund_row.text == "Refund of ¥140.00 requested: 破损"
        assert hq_row.text == "Restock ordered; HQ has the stock."
        assert typed.message_key == "" and typed.text == "买家自己写的原因"


def test_order_number_carries_the_brands_local_date(settings):
    settings.TIME_ZONE = "Asia/Shanghai"
    # 17:30 UTC on the 23rd is 01:30 on the 24th in Shanghai.
    assert numbers.new_number(datetime(2026, 11, 23, 17, 30, tzinfo=UTC)).startswith("WS261124-")
    assert numbers.new_number(datetime(2026, 11, 23, 15, 30, tzinfo=UTC)).startswith("WS261123-")


def test_refund_limit_message_shows_the_currency_sign(tree):
    from weishang.core.errors import DomainError

    order = paid_restock(tree, 1)
    with translation.override("en"), pytest.raises(DomainError) as err:
        refunds.request_refund(order, user=tree.low.user, kind=RefundKind.AMOUNT, amount="1000", reason="x")
    assert "¥90.00" in str(err.value.message)
