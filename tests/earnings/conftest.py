from decimal import Decimal

import pytest

from weishang.earnings.rules import PaidLine, Share


@pytest.fixture
def tree(factories):
    """总代 top ← 一级 mid ← 二级 a ← 二级 b (b recruited by a: same level)."""
    top_l, mid_l, low_l = factories.standard_levels()
    top = factories.agent(top_l, name="总代")
    mid = factories.agent(mid_l, upline=top, name="一级")
    a = factories.agent(low_l, upline=mid, name="二级A")
    b = factories.agent(low_l, upline=mid, recruiter=a, name="二级B")
    return {"top": top, "mid": mid, "a": a, "b": b}


def restock(ref, buyer, seller, amount, order=None, **kw):
    return PaidLine(ref=ref, order_ref=order or f"O-{ref}", kind="restock", currency="CNY", paid=Decimal(amount),
                    origin_id=buyer.pk, shares=(Share("proceeds", Decimal(amount), agent_id=seller.pk),), **kw)


def consumer(ref, shop, margin, hq, order=None, **kw):
    paid = Decimal(margin) + Decimal(hq)
    return PaidLine(ref=ref, order_ref=order or f"O-{ref}", kind="consumer", currency="CNY", paid=paid,
                    origin_id=shop.pk, shares=(Share("margin", Decimal(margin), agent_id=shop.pk),
                                               Share("hq", Decimal(hq))), **kw)


@pytest.fixture(autouse=True)
def _english(settings):
    """Assertions read English messages; the product defaults to zh-hans."""
    from django.utils import translation

    settings.LANGUAGE_CODE = "en"
    with translation.override("en"):
        yield
