"""The earnings page's below-zero warnings: each shown once, and only the one that is true."""

from __future__ import annotations

import pytest
from django.test import Client
from django.urls import reverse

from tests.orders.helpers import build_tree, give, png
from weishang.orders import services
from weishang.payments import services as pay

pytestmark = pytest.mark.django_db
REFUND = "一笔退款冲回了您已提现的金额"
TRANSFERS = "您自己收了买家的转账"


def test_agent_that_collected_transfers_and_never_withdrew_sees_no_refund_warning(factories):
    from weishang.earnings import selectors

    tree = build_tree(factories)
    give(tree.mid, tree.sku, 5)
    buyer = factories.user()
    order = services.create_consumer_order(user=buyer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                           address={"name": "张三", "phone": "+8613912345678",
                                                    "province_code": "110000", "city_code": "110100",
                                                    "district_code": "110101", "detail": "东华门街道 1 号"})
    p = pay.pay(order_no=order.no, user=buyer, method="offline", proof=png())
    pay.confirm(payment_id=p.pk, user=tree.mid.user)
    ov = selectors.overview(tree.mid)
    assert ov.available < 0 and not ov.withdrawals
    c = Client()
    c.force_login(tree.mid.user)
    html = c.get(reverse("earnings:home"), headers={"Accept-Language": "zh-hans"}).content.decode()
    assert html.count(REFUND) == 0
    assert html.count(TRANSFERS) == 1


def test_refund_after_withdrawal_warning_is_shown_once(factories):
    """The zh-Hans (and zh-Hant) translation once held the sentence five times over."""
    from django.utils import translation

    msg = ("A refund reversed money you had already withdrawn. Your next earnings fill this back before you "
           "can withdraw again.")
    for lang in ("zh-hans", "zh-hant"):
        with translation.override(lang):
            text = translation.gettext(msg)
        assert text != msg and text.count("。") == 2, (lang, text)


def test_no_translation_holds_its_text_several_times_over():
    """Union-merging .po files can repeat a multi-line msgstr; catch it in every catalogue."""
    import re
    from pathlib import Path

    repeated = []
    for po in Path(__file__).resolve().parents[2].glob("weishang/**/locale/*/LC_MESSAGES/django.po"):
        for m in re.finditer(r'msgstr ((?:"(?:[^"\\]|\\.)*"\n?)+)', po.read_text()):
            text = "".join(re.findall(r'"((?:[^"\\]|\\.)*)"', m.group(1)))
            if len(text) > 8 and any(len(text) % k == 0 and text == text[:len(text) // k] * k for k in (2, 3, 4, 5)):
                repeated.append((po.parts[-4], text[:40]))
    assert repeated == []
