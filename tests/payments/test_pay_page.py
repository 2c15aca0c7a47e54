"""The pay page with too little prepaid balance: the balance button says the balance and
is disabled with the reason, and paying anyway is a clear form error that loses nothing."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from tests.orders.helpers import give
from weishang.orders import services
from weishang.orders.models import OrderStatus
from weishang.payments import services as pay
from weishang.payments.models import Payment

pytestmark = pytest.mark.django_db


def _restock(tree, topup: str | None):
    give(tree.mid, tree.sku, 10)
    order = services.create_restock(user=tree.low.user, lines=[(tree.sku.pk, 2)])  # 2 × 90 = 180
    if topup:
        pay.hq_topup(agent=tree.low, amount=topup, currency="CNY", reason="t", user=tree.hq_user)
    c = Client()
    c.force_login(tree.low.user)
    return order, c


def _prepaid_button(html: str) -> str:
    form = re.search(r'<form[^>]*>(?:(?!</form>).)*name="method" value="prepaid".*?</form>', html, re.S)
    assert form, html
    return form.group(0)


def test_too_little_balance_disables_the_button_and_says_why(tree):
    order, c = _restock(tree, "50")
    html = c.get(reverse("payments:pay", args=[order.no])).content.decode()
    card = _prepaid_button(html)
    assert "50.00" in card and "disabled" in card
    assert "130.00" in card and "还差" in card  # how much is missing, in the default zh-Hans
    assert reverse("payments:home") in card  # where to top up


def test_enough_balance_leaves_the_button_enabled(tree):
    order, c = _restock(tree, "500")
    card = _prepaid_button(c.get(reverse("payments:pay", args=[order.no])).content.decode())
    assert "500.00" in card and "disabled" not in card


def test_paying_with_too_little_balance_is_a_form_error_not_a_500(tree):
    order, c = _restock(tree, "50")
    r = c.post(reverse("payments:pay", args=[order.no]), {"method": "prepaid", "idempotency_key": "k1"},
               headers={"Accept-Language": "en"})
    assert r.status_code == 409
    card = _prepaid_button(r.content.decode())
    assert "Your prepaid balance (¥50.00) is ¥130.00 short of this order." in card.replace("&#x27;", "'")
    order.refresh_from_db()
    assert order.status == OrderStatus.PENDING and not Payment.objects.filter(order=order).exists()
    assert pay.prepaid_balance(tree.low.pk, "CNY") == 50
    # Topped up, the same page pays.
    pay.hq_topup(agent=tree.low, amount="200", currency="CNY", reason="t", user=tree.hq_user)
    r = c.post(reverse("payments:pay", args=[order.no]), {"method": "prepaid", "idempotency_key": "k2"})
    assert r.status_code == 302
    order.refresh_from_db()
    assert order.status != OrderStatus.PENDING


def test_the_service_error_names_the_balance(tree):
    from weishang.ledger.services import InsufficientBalance

    order, _c = _restock(tree, "50")
    with pytest.raises(InsufficientBalance) as exc:
        pay.pay(order_no=order.no, user=tree.low.user, method="prepaid")
    assert exc.value.code == "insufficient_balance" and "method" in exc.value.fields
