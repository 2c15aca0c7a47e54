"""The providers' daily bill files, read into one shape (pure: bytes in, lines out).

WeChat Pay v3 trade bill (交易账单, `tradebill`, bill_type ALL): UTF-8 CSV, a header row
(交易时间,公众账号ID,商户号,...,微信订单号,商户订单号,...,交易状态,...,应结订单金额,...,
微信退款单号,商户退款单号,退款金额,...,订单金额,...), every value prefixed with a backtick
so spreadsheets keep long numbers as text, then a summary section (总交易单数,...).
A SUCCESS row is a payment; a REFUND row is a refund of the trade on that row.

Alipay 业务明细 bill (the "...业务明细.csv" of the downloaded zip): GBK CSV, comment lines
starting with "#", a header row (支付宝交易号,商户订单号,业务类型,...,订单金额（元）,...,
退款批次号/请求号,...); values often end with a tab (for the same spreadsheet reason).
业务类型 交易 is a payment, 退款 a refund (退款批次号/请求号 is our out_request_no).

Columns are found by their header name, never by position: the providers add columns.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation

from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError


class NotABill(DomainError):
    code = "not_a_bill"


@dataclass(frozen=True)
class BillLine:
    kind: str  # "payment" or "refund"
    trade_no: str  # our out_trade_no
    provider_ref: str  # the provider's transaction id
    amount: Decimal  # the payment's amount, or the refund's
    currency: str
    refund_no: str = ""  # our out_refund_no (refunds)
    provider_refund_ref: str = ""
    when: datetime | None = None


@dataclass
class Bill:
    provider: str
    lines: list[BillLine]
    days: set[date]  # the days the bill's payments happened on


def _text(data: bytes, encodings: tuple[str, ...]) -> str:
    # NUL bytes: UTF-16, a spreadsheet, an image: no CSV bill has them.
    for enc in encodings if b"\x00" not in data else ():
        try:
            return data.decode(enc)
        except UnicodeDecodeError:
            continue
    raise NotABill(_("This file cannot be read as a bill: its text encoding is not the provider's."))


def _rows(text: str) -> list[list[str]]:
    try:
        return list(csv.reader(io.StringIO(text, newline="")))
    except csv.Error:
        raise NotABill(_("This file is not a CSV bill.")) from None


def _money(raw: str, row_no: int) -> Decimal:
    try:
        return Decimal(raw.replace(",", "")) if raw else Decimal(0)
    except InvalidOperation:
        raise NotABill(_("Line %(n)s of the bill has an amount that is not a number: %(v)s")
                       % {"n": row_no, "v": raw[:30]}) from None


def _when(raw: str) -> datetime | None:
    try:
        return datetime.strptime(raw, "%Y-%m-%d %H:%M:%S")
    except ValueError:
        return None


def _columns(header: list[str], wanted: dict[str, tuple[str, ...]], label) -> dict[str, int]:
    """Where each wanted column is, by any of its names; a missing one means not this bill."""
    names = [h.strip().lstrip("\ufeff`").strip() for h in header]
    found: dict[str, int] = {}
    for key, options in wanted.items():
        for option in options:
            if option in names:
                found[key] = names.index(option)
                break
    missing = [wanted[k][0] for k in wanted if k not in found]
    if missing:
        raise NotABill(_("This is not a %(bill)s: the columns %(cols)s are missing.")
                       % {"bill": label, "cols": "、".join(missing)})
    return found


WECHAT_LABEL = _("WeChat Pay trade bill (交易账单)")
WECHAT_COLUMNS = {
    "time": ("交易时间",),
    "provider_ref": ("微信订单号",),
    "trade_no": ("商户订单号",),
    "state": ("交易状态",),
    # 订单金额 is what the payer was asked (our payment's amount); older bills only have 应结订单金额.
    "amount": ("订单金额", "应结订单金额"),
    "refund_ref": ("微信退款单号",),
    "refund_no": ("商户退款单号",),
    "refund_amount": ("申请退款金额", "退款金额"),
}


def parse_wechat(data: bytes) -> Bill:
    rows = _rows(_text(data, ("utf-8-sig", "gb18030")))
    if not rows:
        raise NotABill(_("The file is empty."))
    col = _columns(rows[0], WECHAT_COLUMNS, WECHAT_LABEL)
    currency_at = next((i for i, h in enumerate(rows[0]) if h.strip().lstrip("`") == "货币种类"), None)
    lines: list[BillLine] = []
    days: set[date] = set()
    for n, row in enumerate(rows[1:], start=2):
        if not any(c.strip() for c in row):
            continue
        if row[0].strip().lstrip("`").startswith("总"):  # 总交易单数,...: the summary section
            break
        cells = [c.strip().lstrip("`").strip() for c in row]
        if len(cells) < len(rows[0]):
            raise NotABill(_("Line %(n)s of the bill has fewer columns than its header.") % {"n": n})
        currency = cells[currency_at] if currency_at is not None and cells[currency_at] else "CNY"
        when = _when(cells[col["time"]])
        state = cells[col["state"]]
        if state == "SUCCESS":
            lines.append(BillLine("payment", cells[col["trade_no"]], cells[col["provider_ref"]],
                                  _money(cells[col["amount"]], n), currency, when=when))
            if when:
                days.add(when.date())
        elif state == "REFUND":
            lines.append(BillLine("refund", cells[col["trade_no"]], cells[col["provider_ref"]],
                                  _money(cells[col["refund_amount"]], n), currency, refund_no=cells[col["refund_no"]],
                                  provider_refund_ref=cells[col["refund_ref"]], when=when))
        # REVOKED (撤销) and others move no money.
    return Bill("wechatpay", lines, days)


ALIPAY_LABEL = _("Alipay business detail bill (业务明细)")
ALIPAY_COLUMNS = {
    "provider_ref": ("支付宝交易号",),
    "trade_no": ("商户订单号",),
    "type": ("业务类型",),
    "finished": ("完成时间",),
    "amount": ("订单金额（元）", "订单金额(元)"),
    "refund_no": ("退款批次号/请求号",),
}


def parse_alipay(data: bytes) -> Bill:
    text = _text(data, ("gb18030", "utf-8-sig"))
    if text.startswith("\ufeff"):
        text = text[1:]
    rows = [r for r in _rows(text) if r and not r[0].lstrip().startswith("#")]
    if not rows:
        raise NotABill(_("The file is empty."))
    col = _columns(rows[0], ALIPAY_COLUMNS, ALIPAY_LABEL)
    lines: list[BillLine] = []
    days: set[date] = set()
    for n, row in enumerate(rows[1:], start=2):
        cells = [c.strip() for c in row]
        if not any(cells):
            continue
        if len(cells) < len(col):
            raise NotABill(_("Line %(n)s of the bill has fewer columns than its header.") % {"n": n})
        kind = cells[col["type"]]
        when = _when(cells[col["finished"]])
        amount = abs(_money(cells[col["amount"]], n))
        if kind == "交易":
            lines.append(BillLine("payment", cells[col["trade_no"]], cells[col["provider_ref"]], amount, "CNY",
                                  when=when))
            if when:
                days.add(when.date())
        elif kind == "退款":
            lines.append(BillLine("refund", cells[col["trade_no"]], cells[col["provider_ref"]], amount, "CNY",
                                  refund_no=cells[col["refund_no"]], when=when))
    return Bill("alipay", lines, days)


PARSERS = {"wechatpay": parse_wechat, "alipay": parse_alipay}


def parse(provider: str, data: bytes) -> Bill:
    if provider not in PARSERS:
        raise NotABill(_("Bills of this provider cannot be imported."))
    return PARSERS[provider](data)
