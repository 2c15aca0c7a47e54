"""Every main page in zh-Hans (and zh-Hant) is fully translated: no gettext lookup that the catalogs do not
answer, and no English word left in the visible text (tests/i18n.py has both nets)."""

from __future__ import annotations

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import translation

from tests.i18n import latin_words, missing_lookups, word_context

pytestmark = pytest.mark.django_db


def _pages():
    from weishang.accounts.models import User
    from weishang.agents.models import Agent
    from weishang.catalog.models import Product
    from weishang.orders.models import Order

    product = Product.objects.order_by("pk").first()
    top = Agent.objects.filter(upline__isnull=True, user__isnull=False).order_by("pk").first()
    restock = Order.objects.filter(buyer_agent=top).order_by("pk").first() or Order.objects.filter(
        kind="restock").order_by("pk").first()
    consumer_order = Order.objects.filter(kind="consumer").order_by("-pk").first()
    admin = User.objects.filter(is_superuser=True).order_by("pk").first() or User.objects.filter(
        groups__name="admin").order_by("pk").first()
    supplier = User.objects.filter(supplier__isnull=False).order_by("pk").first()
    anonymous = ["/", f"/p/{product.pk}/", "/accounts/login/", "/accounts/register/", "/v/", "/lookup/"]
    agent = ["/agent/", "/agent/team/", "/agent/level/", "/inventory/", "/inventory/history/",
             "/orders/", "/orders/restock/", "/orders/prices/", "/orders/refunds/", f"/orders/{restock.no}/",
             "/earnings/", "/earnings/statement/", "/payments/", "/agent/invites/", "/agent/applications/",
             "/agent/certificate/", "/accounts/me/", f"/orders/shop/{top.pk}/", "/agent/share/",
             f"/agent/share/?sku={product.skus.order_by('pk').first().pk}"]
    hq = ["/admin/", "/admin/orders/order/", f"/admin/orders/order/{consumer_order.pk}/change/",
          "/admin/ledger/journal/", "/admin/orders/refundrequest/", "/admin/agents/agent/",
          "/admin/catalog/sku/", "/admin/earnings/earning/", "/admin/earnings/withdrawal/",
          "/earnings/hq/totals/", "/earnings/hq/withdrawals/", "/earnings/hq/profile/", "/inventory/hq/",
          "/orders/hq/picklist/", "/codes/batches/", "/codes/alerts/", "/codes/trace/", "/payments/hq/topup/",
          f"/orders/{consumer_order.no}/"]
    shop, sold = consumer_order.seller_agent_id, consumer_order.lines.first().sku.product_id
    anonymous += [f"/orders/shop/{shop}/", f"/orders/shop/{shop}/categories/", f"/orders/shop/{shop}/p/{sold}/",
                  f"/orders/shop/{shop}/cart/", f"/orders/shop/{shop}/?q=x"]
    consumer = ["/accounts/me/", "/orders/", "/orders/?tab=bought&status=pending", "/orders/addresses/",
                "/orders/addresses/new/", f"/orders/shop/{shop}/cart/", f"/p/{sold}/", "/"]
    return [(None, anonymous), (top.user, agent), (admin, hq), (supplier, ["/orders/supplier/"]),
            (consumer_order.buyer, consumer)]


# The import file's column names, written as the file has them.
ALLOWED = {"/orders/supplier/": {"carrier", "tracking_no"}}


@pytest.mark.parametrize("language", ["zh-hans", "zh-hant"])
def test_main_pages_have_no_untranslated_text(language):
    with translation.override(language):
        call_command("load_demo", verbosity=0, stdout=open("/dev/null", "w"))
    problems = []
    for user, urls in _pages():
        client = Client(HTTP_ACCEPT_LANGUAGE=language)
        if user is not None:
            if user.language:
                type(user).objects.filter(pk=user.pk).update(language=language)
            client.force_login(user)
        for url in urls:
            with missing_lookups(language) as missing:
                response = client.get(url)
            if response.status_code != 200:
                problems.append(f"{url}: HTTP {response.status_code}")
                continue
            words = latin_words(response.content.decode(), ALLOWED.get(url, set()))
            if missing or words:
                problems.append(f"{url}: not in the catalogs {sorted(missing)}; English words {sorted(words)}")
                problems += [f"    {w}: {word_context(response.content.decode(), w)}" for w in sorted(words)]
    assert not problems, "\n".join(problems)


# --- the checker itself: it must catch a missing translation ---------------------------------

def test_checker_records_a_lookup_no_catalog_answers():
    from django.template import Context, Template
    from django.utils.translation import gettext, ngettext, pgettext

    with translation.override("zh-hans"), missing_lookups("zh-hans") as missing:
        assert gettext("Orders") == "订单"  # translated: not recorded
        gettext("A sentence no catalog has")
        ngettext("%(n)d thing nobody translated", "%(n)d things nobody translated", 2)
        pgettext("month name", "Nowhereuary")
        Template("{% load i18n %}{% translate 'Template text nobody translated' %}").render(Context())
        gettext("简体中文")  # already Chinese: nothing to translate
    assert missing == {"A sentence no catalog has", "%(n)d thing nobody translated", "Nowhereuary",
                       "Template text nobody translated"}


def test_checker_ignores_other_languages_and_restores_gettext():
    from django.utils.translation import gettext

    with translation.override("en"), missing_lookups("zh-hans") as missing:
        gettext("A sentence no catalog has")
    assert missing == set()
    with translation.override("zh-hans"):
        gettext("A sentence no catalog has")
    assert missing == set()  # the hook is gone after the block


def test_checker_finds_english_words_in_the_visible_text():
    html = ('<p title="Close">订单 order_payment</p><td>WS261205-7KQ3M9XD</td><td>LX-HA-30</td><td>topup:5</td>'
            '<script>var x = "hidden";</script><input type="submit" value="Save"><button value="approve">同意</button>'
            '<a href="https://example.com/x">https://example.com/x</a> SKU 30ml Excel')
    assert latin_words(html) == {"Close", "order_payment", "Save"}
    assert latin_words(html, {"close", "save"}) == {"order_payment"}


# --- labels and money that users reported raw or wrong ---------------------------------------

def test_negative_money_puts_the_sign_before_the_symbol():
    from decimal import Decimal

    from weishang.core.money import format_money

    assert format_money(Decimal("-1738"), "CNY") == "-¥1,738.00"
    assert format_money(Decimal("-590"), "TWD") == "-NT$590"
    assert format_money(Decimal("-0.001"), "CNY") == "¥0.00"  # no "-0"
    assert format_money(Decimal("1738"), "CNY") == "¥1,738.00"


def test_every_journal_kind_has_a_translated_label_and_bare_kinds_are_refused():
    from weishang.earnings.selectors import journal_label
    from weishang.ledger import services as ledger
    from weishang.ledger.models import JournalKind

    with translation.override("zh-hans"), missing_lookups("zh-hans") as missing:
        labels = {k: journal_label(k) for k in JournalKind.values}
    assert not missing
    assert labels["order_payment"] == "订单付款" and labels["prepaid_topup"] == "预存款充值"
    assert all(label != kind for kind, label in labels.items())
    with pytest.raises(ValueError, match="JournalKind"):
        ledger.check_kind("something_new")
    ledger.check_kind("earning:sale_proceeds")


@pytest.mark.parametrize(("msgid", "hans", "hant"), [
    ("Filter", "筛选", "篩選"),  # Django's admin says 过滤器 (a physical filter)
    ("applications", "代理申请", "代理申請"),  # the list of applications, not a count (申请数)
    ("applications received", "已申请人数", "已申請人數"),
    ("from", "变更前状态", "變更前狀態"),  # an order event's status before the change, not the "original"
    ("from status", "变更前状态", "變更前狀態"),
    ("boxes per case", "每箱装盒数", "每箱裝盒數"),
])
def test_admin_labels_say_what_they_mean(msgid, hans, hant):
    with translation.override("zh-hans"):
        assert translation.gettext(msgid) == hans
    with translation.override("zh-hant"):
        assert translation.gettext(msgid) == hant
