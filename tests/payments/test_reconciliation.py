"""Reconciliation (对账): bill files built in the providers' documented formats, imported
through the HQ page, against payments and refunds settled through the notification code."""

from __future__ import annotations

import io
import os
from datetime import date, datetime
from decimal import Decimal
from zoneinfo import ZoneInfo

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from hypothesis import given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from openpyxl import load_workbook

from tests.orders.helpers import give
from weishang.orders import refunds
from weishang.orders import services as orders
from weishang.orders.models import Order
from weishang.payments import bills, notifications, reconciliation
from weishang.payments import services as pay
from weishang.payments.models import (
    MismatchKind,
    Payment,
    PaymentStatus,
    ProviderRefund,
    ProviderRefundStatus,
    Reconciliation,
    ReconciliationMismatch,
)
from weishang.payments.online import Notice

pytestmark = pytest.mark.django_db
DAY = date(2024, 5, 1)
SH = ZoneInfo("Asia/Shanghai")

WECHAT_HEADER = ("交易时间,公众账号ID,商户号,特约商户号,设备号,微信订单号,商户订单号,用户标识,交易类型,交易状态,付款银行,"
                 "货币种类,应结订单金额,代金券金额,微信退款单号,商户退款单号,退款金额,充值券退款金额,退款类型,退款状态,"
                 "商品名称,商户数据包,手续费,费率,订单金额,申请退款金额,费率备注")
WECHAT_SUMMARY = "总交易单数,应结订单总金额,退款总金额,充值券退款总金额,手续费总金额,订单总金额,申请退款总金额"


def wechat_row(*, when="2024-05-01 10:00:00", ref="4200000000202405010000000001", trade_no="", state="SUCCESS",
               amount="0.00", refund_ref="0", refund_no="0", refund="0.00") -> str:
    cells = [when, "wxd678efh567hg6787", "1900000109", "0", "", ref, trade_no, "oUpF8uMuAJO_M2pxb1Q9zNjWeS6o",
             "JSAPI", state, "CMC", "CNY", amount, "0.00", refund_ref, refund_no, refund, "0.00",
             "ORIGINAL" if state == "REFUND" else "", "SUCCESS" if state == "REFUND" else "", "商品", "", "0.00000",
             "0.60%", amount, refund, ""]
    return ",".join(f"`{c}" for c in cells)


def wechat_bill(*rows: str) -> bytes:
    summary = f"`{len(rows)},`0.00,`0.00,`0.00,`0.00000,`0.00,`0.00"
    return ("\n".join([WECHAT_HEADER, *rows, WECHAT_SUMMARY, summary]) + "\n").encode("utf-8")


ALIPAY_HEADER = ("支付宝交易号,商户订单号,业务类型,商品名称,创建时间,完成时间,门店编号,门店名称,操作员,终端号,对方账户,"
                 "订单金额（元）,商家实收（元）,支付宝红包（元）,集分宝（元）,支付宝优惠（元）,商家优惠（元）,券核销金额（元）,"
                 "券名称,商家红包消费金额（元）,卡消费金额（元）,退款批次号/请求号,服务费（元）,分润（元）,备注")


def alipay_row(*, ref="2024050122001400000000000001", trade_no="", kind="交易", amount="0.00", refund_no="",
               when="2024-05-01 10:00:05") -> str:
    cells = [ref, trade_no, kind, "商品", "2024-05-01 10:00:00", when, "", "", "", "", "buyer@example.com", amount,
             amount, "0.00", "0.00", "0.00", "0.00", "0.00", "", "0.00", "0.00", refund_no, "0.00", "0.00", ""]
    return ",".join(f"{c}\t" for c in cells)  # Alipay ends values with a tab


def alipay_bill(*rows: str, encoding="gbk") -> bytes:
    lines = ["#支付宝业务明细查询", "#账号：[20880000000000000156]",
             "#起始日期：[2024年05月01日 00:00:00]   终止日期：[2024年05月02日 00:00:00]",
             "#-----------------------------------------业务明细列表----------------------------------------",
             ALIPAY_HEADER, *rows,
             "#-----------------------------------------业务明细列表结束------------------------------------",
             f"#交易合计：{len(rows)}笔，商家实收共0.00元，商家优惠共0.00元", "#导出时间：[2024年05月02日 09:00:00]"]
    return ("\r\n".join(lines) + "\r\n").encode(encoding)


@pytest.fixture
def online(settings, tmp_path):
    settings.PAYMENTS_PROVIDERS = "wechatpay,alipay"
    settings.PRIVATE_MEDIA_ROOT = tmp_path / "private"
    return settings


def paid(tree, factories, address, method: str, *, at=datetime(2024, 5, 1, 10, 0, 3, tzinfo=SH)) -> Payment:
    """A payment settled by a verified notification (notifications.apply), paid at `at`."""
    give(tree.mid, tree.sku, 5)
    consumer = factories.user()
    order = orders.create_consumer_order(user=consumer, shop_agent_id=tree.mid.pk, lines=[(tree.sku.pk, 1)],
                                         address=address)
    payment = pay.pay(order_no=order.no, user=consumer, method=method)
    provider = notifications.online(method)
    ok, _note = notifications.apply(provider, Notice(kind="payment", event_id=f"EV-{payment.pk}",
                                                     trade_no=payment.trade_no, succeeded=True, final=True,
                                                     amount=payment.amount, currency="CNY",
                                                     provider_ref=f"4200{payment.pk:024d}"))
    assert ok
    Payment.objects.filter(pk=payment.pk).update(decided_at=at)
    payment.refresh_from_db()
    assert payment.status == PaymentStatus.CONFIRMED
    return payment


def refunded(payment: Payment, factories, *, at=datetime(2024, 5, 1, 15, 0, tzinfo=SH)) -> ProviderRefund:
    refunds.cancel_paid(Order.objects.get(pk=payment.order_id), actor=factories.staff("admin"), reason="缺货")
    pref = ProviderRefund.objects.get(payment=payment)
    provider = notifications.online(payment.method)
    ok, _n = notifications.apply(provider, Notice(kind="refund", event_id=f"RF-{pref.pk}", trade_no=payment.trade_no,
                                                  succeeded=True, final=True, amount=pref.amount, currency="CNY",
                                                  provider_ref=f"5030{pref.pk:020d}", refund_no=pref.refund_no))
    assert ok
    ProviderRefund.objects.filter(pk=pref.pk).update(finished_at=at)
    pref.refresh_from_db()
    assert pref.status == ProviderRefundStatus.SUCCEEDED
    return pref


def upload(client, provider: str, data: bytes, day=DAY, name="bill.csv"):
    return client.post("/payments/reconcile/", {"provider": provider, "day": day.isoformat(),
                                                "bill": SimpleUploadedFile(name, data, content_type="text/csv")})


@pytest.fixture
def finance(client, factories):
    client.force_login(factories.staff("finance"))
    return client


def kinds(run) -> list[tuple[str, str]]:
    return sorted((m.kind, m.trade_no) for m in run.mismatches.all())


# --- the page, end to end ------------------------------------------------------------------

def test_clean_wechat_day_says_so_and_the_bill_is_private(online, finance, tree, factories, address):
    a = paid(tree, factories, address, "wechatpay")
    b = paid(tree, factories, address, "wechatpay")
    r_b = refunded(b, factories)
    bill = wechat_bill(wechat_row(trade_no=a.trade_no, ref=a.provider_ref, amount=str(a.amount)),
                       wechat_row(trade_no=b.trade_no, ref=b.provider_ref, amount=str(b.amount)),
                       wechat_row(when="2024-05-01 10:00:03", trade_no=b.trade_no, ref=b.provider_ref, state="REFUND",
                                  amount=str(b.amount), refund_ref=r_b.provider_ref, refund_no=r_b.refund_no,
                                  refund=str(r_b.amount)))
    r = upload(finance, "wechatpay", bill)
    run = Reconciliation.objects.get()
    assert r.status_code == 302 and r["Location"] == f"/payments/reconcile/{run.pk}/"
    assert (run.bill_lines, run.matched, run.mismatch_count) == (3, 3, 0)
    page = finance.get(r["Location"]).content.decode()
    assert "没有差异" in page  # "No mismatches — the day is clean." in zh-Hans
    # Stored privately: not under MEDIA_ROOT, served only by the permission-checked view.
    assert str(online.PRIVATE_MEDIA_ROOT) in run.bill.path and str(online.MEDIA_ROOT) not in run.bill.path
    got = finance.get(f"/payments/reconcile/{run.pk}/bill/")
    assert got.status_code == 200 and b"".join(got.streaming_content) == bill


def test_every_mismatch_kind_and_the_excel_export(online, finance, tree, factories, address):
    ok = paid(tree, factories, address, "wechatpay")
    not_there = paid(tree, factories, address, "wechatpay")
    differs = paid(tree, factories, address, "wechatpay")
    refund_here = refunded(paid(tree, factories, address, "wechatpay"), factories)
    other_method = paid(tree, factories, address, "alipay")  # not in a WeChat bill, and not missing from it
    bill = wechat_bill(
        wechat_row(trade_no=ok.trade_no, amount=str(ok.amount)),
        wechat_row(trade_no=differs.trade_no, amount=str(differs.amount - Decimal("0.01"))),
        wechat_row(trade_no="UNKNOWN_1", ref="4200999", amount="8.00"),
        wechat_row(trade_no=refund_here.payment.trade_no, amount=str(refund_here.payment.amount)),
        wechat_row(trade_no=ok.trade_no, state="REFUND", amount=str(ok.amount), refund_ref="5030999",
                   refund_no="NOT_OURS_R9", refund="1.00"))
    r = upload(finance, "wechatpay", bill)
    assert r.status_code == 302
    run = Reconciliation.objects.get()
    assert kinds(run) == sorted([
        (MismatchKind.AMOUNT_DIFFERS, differs.trade_no),
        (MismatchKind.MISSING_HERE, "UNKNOWN_1"),
        (MismatchKind.MISSING_THERE, not_there.trade_no),
        (MismatchKind.REFUND_UNMATCHED, ok.trade_no),  # in the bill, not ours
        (MismatchKind.REFUND_UNMATCHED, refund_here.payment.trade_no),  # ours, not in the bill
    ])
    assert other_method.trade_no not in {m.trade_no for m in run.mismatches.all()}
    d = run.mismatches.get(kind=MismatchKind.AMOUNT_DIFFERS)
    assert (d.amount_here, d.amount_there, d.payment_id) == (differs.amount, differs.amount - Decimal("0.01"),
                                                             differs.pk)
    page = finance.get(f"/payments/reconcile/{run.pk}/").content.decode()
    assert "金额不符" in page and "UNKNOWN_1" in page and "没有差异" not in page
    x = finance.get(f"/payments/reconcile/{run.pk}/mismatches.xlsx")
    assert x.status_code == 200
    ws = load_workbook(io.BytesIO(b"".join(x.streaming_content))).active
    rows = list(ws.iter_rows(values_only=True))
    assert len(rows) == 6 and {r[1] for r in rows[1:]} >= {"UNKNOWN_1", not_there.trade_no, differs.trade_no}


def test_alipay_gbk_bill_and_reimport_replaces_the_run(online, finance, tree, factories, address,
                                                       django_capture_on_commit_callbacks):
    a = paid(tree, factories, address, "alipay")
    b = paid(tree, factories, address, "alipay")
    rb = refunded(b, factories)
    first = alipay_bill(alipay_row(trade_no=a.trade_no, amount=str(a.amount)))
    assert upload(finance, "alipay", first).status_code == 302
    run = Reconciliation.objects.get()
    assert kinds(run) == sorted([(MismatchKind.MISSING_THERE, b.trade_no),
                                 (MismatchKind.REFUND_UNMATCHED, b.trade_no)])
    old_path = run.bill.path
    # The corrected bill of the same day replaces the result (and the stored file).
    full = alipay_bill(alipay_row(trade_no=a.trade_no, amount=str(a.amount)),
                       alipay_row(trade_no=b.trade_no, amount=str(b.amount), ref="2024050122001400000000000002"),
                       alipay_row(trade_no=b.trade_no, kind="退款", amount=f"-{rb.amount}", refund_no=rb.refund_no,
                                  ref="2024050122001400000000000002", when="2024-05-01 15:00:00"))
    with django_capture_on_commit_callbacks(execute=True):
        r = upload(finance, "alipay", full, name="20880000000000000156_20240501_业务明细.csv")
    assert r.status_code == 302
    run = Reconciliation.objects.get()
    assert (run.bill_lines, run.matched, run.mismatch_count) == (3, 3, 0)
    assert ReconciliationMismatch.objects.count() == 0
    assert run.filename.endswith("业务明细.csv")
    assert os.path.exists(run.bill.path) and run.bill.path != old_path and not os.path.exists(old_path)
    # An Alipay bill re-saved as UTF-8 (e.g. by a spreadsheet) is read too.
    assert upload(finance, "alipay", full.decode("gbk").encode("utf-8-sig")).status_code == 302
    assert Reconciliation.objects.get().is_clean


# --- files that are not bills: clear error, nothing stored ----------------------------------------

@pytest.mark.parametrize(("provider", "data", "message"), [
    ("wechatpay", b"name,phone\nzhang,13800000000\n", "不是"),
    ("wechatpay", b"", "空"),
    ("wechatpay", "交易时间,商户订单号\n".encode("utf-16"), "编码"),
    ("alipay", b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x10", "编码"),
    ("alipay", wechat_bill(wechat_row(trade_no="X_1", amount="1.00")), "支付宝"),  # the other provider's bill
    ("wechatpay", alipay_bill(alipay_row(trade_no="X_1", amount="1.00")), "微信支付"),
    ("wechatpay", wechat_bill(wechat_row(trade_no="X_1", amount="abc")), "不是数字"),
    ("wechatpay", wechat_bill(wechat_row(trade_no="X_1", amount="1.00", when="2024-05-02 10:00:00")), "2024-05-02"),
])
def test_a_file_that_is_not_a_bill_is_refused_and_nothing_stored(online, finance, provider, data, message):
    r = upload(finance, provider, data)
    assert r.status_code == 400
    assert message in r.content.decode()
    assert not Reconciliation.objects.exists()
    assert not (online.PRIVATE_MEDIA_ROOT / "payments").exists()


def test_only_people_with_the_reconcile_permission(online, client, factories):
    client.force_login(factories.staff("warehouse"))
    assert client.get("/payments/reconcile/").status_code == 403
    client.force_login(factories.user())
    assert client.get("/payments/reconcile/").status_code == 403
    client.force_login(factories.staff("finance"))
    assert client.get("/payments/reconcile/").status_code == 200


def test_day_is_the_brands_day(online, finance, tree, factories, address):
    """Paid 2024-05-01 23:30 in Shanghai is 15:30 UTC: it belongs to 05-01, not 05-02."""
    late = paid(tree, factories, address, "wechatpay", at=datetime(2024, 5, 1, 23, 30, tzinfo=SH))
    assert upload(finance, "wechatpay", wechat_bill(), day=date(2024, 5, 2)).status_code == 302
    assert Reconciliation.objects.get(day=date(2024, 5, 2)).is_clean
    assert upload(finance, "wechatpay", wechat_bill(), day=DAY).status_code == 302
    assert kinds(Reconciliation.objects.get(day=DAY)) == [(MismatchKind.MISSING_THERE, late.trade_no)]


# --- the parser, as a table ---------------------------------------------------------------------

money = st.decimals(min_value=Decimal("0.01"), max_value=Decimal("99999.99"), places=2)


@hsettings(max_examples=40, deadline=None)
@given(amounts=st.lists(money, min_size=0, max_size=8))
def test_wechat_bill_round_trip(amounts):
    rows = [wechat_row(trade_no=f"T_{i}", ref=f"4200{i}", amount=str(a)) for i, a in enumerate(amounts)]
    bill = bills.parse("wechatpay", wechat_bill(*rows))
    assert [(b.kind, b.trade_no, b.amount) for b in bill.lines] == [("payment", f"T_{i}", a)
                                                                    for i, a in enumerate(amounts)]
    assert bill.days <= {DAY}


def test_compare_table():
    p = Payment(pk=1, trade_no="T_1", amount=Decimal("10.00"), currency="CNY", status=PaymentStatus.CONFIRMED)
    line = bills.BillLine("payment", "T_1", "4200", Decimal("10.00"), "CNY")
    cases = [
        ([line], {"T_1": p}, [p], 1, []),
        ([line], {}, [], 0, [MismatchKind.MISSING_HERE]),
        ([], {}, [p], 0, [MismatchKind.MISSING_THERE]),
        ([bills.BillLine("payment", "T_1", "4200", Decimal("10.01"), "CNY")], {"T_1": p}, [p], 0,
         [MismatchKind.AMOUNT_DIFFERS]),
        ([bills.BillLine("payment", "T_1", "4200", Decimal("10.00"), "TWD")], {"T_1": p}, [p], 0,
         [MismatchKind.AMOUNT_DIFFERS]),
        ([line], {"T_1": Payment(pk=1, trade_no="T_1", amount=Decimal("10"), currency="CNY",
                                 status=PaymentStatus.REJECTED)}, [], 0, [MismatchKind.MISSING_HERE]),
    ]
    for lines, payments, day, matched, found in cases:
        got_matched, got = reconciliation.compare(bills.Bill("wechatpay", lines, set()), payments, {}, day, [])
        assert (got_matched, [m.kind for m in got]) == (matched, found)
