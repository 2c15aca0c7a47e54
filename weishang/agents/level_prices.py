"""The level price table (rows SKUs, columns levels): read it, save it all-or-nothing after
levels.validate_price_table, and exchange it with Excel (openpyxl).

Excel layout: sheet "prices", header row = "SKU code", "SKU", then one column per level
named exactly as the level; each cell the price in the SKU's currency (empty = that level
cannot buy that SKU). An optional sheet "upgrade rules" has one row per level with the
rule fields (levels.RULE_FIELDS); a head-count or entry-fee column is refused by name.
Orders copy their prices when placed, so saving a table never rewrites past orders."""

from __future__ import annotations

import io
import itertools
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop
from openpyxl import Workbook, load_workbook
from openpyxl.utils import get_column_letter

from weishang.catalog.models import SKU
from weishang.core.errors import DomainError
from weishang.core.money import MoneyError, parse_amount

from . import levels as rules
from .level_models import Level, LevelPrice

PRICES_SHEET = "prices"
RULES_SHEET = "upgrade rules"
# Header msgids: the file is written in the reader's language and read back in any of them.
CODE_HEADER, NAME_HEADER = gettext_noop("SKU code"), gettext_noop("SKU")
MAX_ROWS = 5000


@dataclass
class Table:
    levels: list[Level]
    skus: list[SKU]
    prices: dict[tuple[int, int], Decimal]

    @property
    def level_cols(self) -> list[rules.LevelCol]:
        return [rules.LevelCol(lv.pk, lv.name, lv.rank) for lv in self.levels]

    @property
    def sku_rows(self) -> list[rules.SkuRow]:
        return [sku_row(s) for s in self.skus]


def sku_row(sku: SKU) -> rules.SkuRow:
    return rules.SkuRow(sku.pk, sku.code, f"{sku.product.name} {sku.name}", sku.currency, sku.floor_price,
                        sku.retail_price)


def load_table() -> Table:
    """Every level (by rank) and every SKU (catalogue order) with the current prices: 3 queries."""
    levels = list(Level.objects.order_by("rank"))
    skus = list(SKU.objects.select_related("product").order_by("product__position", "product_id", "position", "id"))
    prices = {(lv, s): p for lv, s, p in LevelPrice.objects.values_list("level_id", "sku_id", "price")}
    return Table(levels, skus, prices)


def parse_cells(table: Table, raw: dict[tuple[int, int], Any]) -> tuple[dict[tuple[int, int], Decimal],
                                                                         list[rules.CellError]]:
    """Text cells (grid form, Excel) to amounts in each SKU's currency; empty means no price.
    Cells not in `raw` keep their current price."""
    by_level = {lv.pk: lv for lv in table.levels}
    by_sku = {s.pk: s for s in table.skus}
    prices = dict(table.prices)
    errors: list[rules.CellError] = []
    for (level_id, sku_id), value in raw.items():
        lv, sku = by_level[level_id], by_sku[sku_id]
        if value is None or str(value).strip() == "":
            prices.pop((level_id, sku_id), None)
            continue
        try:
            prices[(level_id, sku_id)] = parse_amount(value, sku.currency)
        except MoneyError as exc:
            errors.append(rules.CellError(lv.pk, lv.name, sku.pk, sku.code, str(value)[:20], rules.Rule.INVALID,
                                          str(exc)))
    return prices, errors


def check(table: Table, prices: dict[tuple[int, int], Decimal]) -> list[rules.CellError]:
    return rules.validate_price_table(table.level_cols, table.sku_rows, prices)


def errors_after_rerank(level_id: int, rank: int) -> list[rules.CellError]:
    """The cells that would break the rules if `level_id` took `rank` (the rank order decides
    who may pay less): HQ cannot reorder levels into an invalid price table."""
    table = load_table()
    cols = [rules.LevelCol(c.id, c.name, rank if c.id == level_id else c.rank) for c in table.level_cols]
    return rules.validate_price_table(cols, table.sku_rows, table.prices)


@transaction.atomic
def save_table(raw: dict[tuple[int, int], Any], *, actor=None) -> int:
    """Save the cells given (others unchanged) if the whole resulting table is valid; else
    raise one DomainError naming every bad cell and change nothing. Returns cells changed."""
    list(Level.objects.select_for_update().order_by("pk").values_list("pk", flat=True))  # one save at a time
    table = load_table()
    prices, errors = parse_cells(table, raw)
    errors += [e for e in check(table, prices) if (e.level_id, e.sku_id) not in {(x.level_id, x.sku_id)
                                                                                  for x in errors}]
    if errors:
        raise rules.price_table_error(errors)
    by_sku = {s.pk: s for s in table.skus}
    gone = [key for key in table.prices if key not in prices]
    changed = [key for key, p in prices.items() if table.prices.get(key) != p]
    for level_id, sku_id in gone:
        LevelPrice.objects.filter(level_id=level_id, sku_id=sku_id).delete()
    existing = {(lv, s): pk for pk, lv, s in LevelPrice.objects.filter(
        level_id__in=[k[0] for k in changed], sku_id__in=[k[1] for k in changed]).values_list("pk", "level_id",
                                                                                               "sku_id")}
    updates = [LevelPrice(pk=existing[k], level_id=k[0], sku_id=k[1], price=prices[k], currency=by_sku[k[1]].currency)
               for k in changed if k in existing]
    creates = [LevelPrice(level_id=k[0], sku_id=k[1], price=prices[k], currency=by_sku[k[1]].currency)
               for k in changed if k not in existing]
    if updates:
        LevelPrice.objects.bulk_update(updates, ["price", "currency"])
    if creates:
        LevelPrice.objects.bulk_create(creates)
    return len(gone) + len(changed)


# --- Excel ------------------------------------------------------------------------------

def _money_cell(value: Decimal, currency: str) -> Any:
    return int(value) if currency == "TWD" else float(value)  # shown as a number in Excel


def _in_every_language(msgid: str) -> set[str]:
    from django.conf import settings
    from django.utils import translation

    found = {msgid}
    for code, _name in settings.LANGUAGES:
        with translation.override(code):
            found.add(_(msgid))
    return found


def export_xlsx(table: Table | None = None) -> bytes:
    table = table or load_table()
    wb = Workbook()
    ws = wb.active
    ws.title = PRICES_SHEET
    ws.append([_(CODE_HEADER), _(NAME_HEADER), *[lv.name for lv in table.levels]])
    for sku in table.skus:
        row: list[Any] = [sku.code, f"{sku.product.name} {sku.name}"]
        for lv in table.levels:
            price = table.prices.get((lv.pk, sku.pk))
            row.append(None if price is None else _money_cell(price, sku.currency))
        ws.append(row)
    for col in range(3, len(table.levels) + 3):
        for (cell,) in ws.iter_rows(min_row=2, min_col=col, max_col=col):
            cell.number_format = "0.00"
    ws.column_dimensions["A"].width = 16
    ws.column_dimensions["B"].width = 30
    ws.freeze_panes = "C2"
    rs = wb.create_sheet(RULES_SHEET)
    rs.append(["level", "rank", *rules.RULE_FIELDS])
    for lv in table.levels:
        rs.append([lv.name, lv.rank, *[_rule_cell(getattr(lv, f)) for f in rules.RULE_FIELDS]])
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def _rule_cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return float(value)
    return value


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float):
        # openpyxl gives floats for numeric cells: take their shortest repr, as typed.
        return repr(value)
    return str(value).strip()


@dataclass
class ImportResult:
    changed: int
    rules_changed: int


def _open(data: bytes):
    try:
        return load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for a non-xlsx file
        raise DomainError(_("This is not an Excel .xlsx file."), code="not_xlsx") from exc


def import_xlsx(data: bytes, *, actor=None, report=None) -> ImportResult:
    """Read a workbook laid out as export_xlsx writes it and save it all-or-nothing: any bad
    cell (unknown SKU or level, bad amount, a broken rule) raises one DomainError whose
    fields name every bad cell ("C7") and nothing changes.

    Every row is checked first, outside any transaction, so `report(rows checked, rows)`
    is seen by whoever follows the import; then all of it is applied in one transaction,
    where save_table checks the whole table again under its lock."""
    wb = _open(data)
    if PRICES_SHEET not in wb.sheetnames:
        raise DomainError(_('The sheet "%(name)s" is missing.') % {"name": PRICES_SHEET}, code="bad_workbook")
    table = load_table()
    raw, cell_of, fields = _read_prices(wb[PRICES_SHEET], table, report or (lambda done, total: None))
    rule_rows = _read_rules(wb[RULES_SHEET], table, fields) if RULES_SHEET in wb.sheetnames else {}
    if not fields:
        prices, errors = parse_cells(table, raw)
        seen = {(e.level_id, e.sku_id) for e in errors}
        errors += [e for e in check(table, prices) if (e.level_id, e.sku_id) not in seen]
        for e in errors:
            fields.setdefault(cell_of[(e.level_id, e.sku_id)], []).append(str(e))
    if fields:
        raise DomainError(_("Nothing was imported: %(n)d cells are wrong.") % {"n": len(fields)},
                          code="invalid_import", fields=dict(sorted(fields.items(), key=_cell_sort)))
    with transaction.atomic():
        changed = save_table(raw, actor=actor)
        rules_changed = 0
        for level, values in rule_rows.items():
            if any(getattr(level, k) != v for k, v in values.items()):
                Level.objects.filter(pk=level.pk).update(**values)
                rules_changed += 1
    return ImportResult(changed, rules_changed)


def _cell_sort(item: tuple[str, Any]) -> tuple[int, int]:
    ref = item[0]
    letters = "".join(c for c in ref if c.isalpha())
    digits = "".join(c for c in ref if c.isdigit())
    col = 0
    for c in letters:
        col = col * 26 + (ord(c.upper()) - 64)
    return (int(digits or 0), col)


def _read_prices(ws, table: Table, report) -> tuple[dict[tuple[int, int], Any], dict[tuple[int, int], str],
                                                    dict[str, list[str]]]:
    by_name = {lv.name: lv for lv in table.levels}
    by_code = {s.code: s for s in table.skus}
    fields: dict[str, list[str]] = {}
    raw: dict[tuple[int, int], Any] = {}
    cell_of: dict[tuple[int, int], str] = {}
    # At most MAX_ROWS rows are read (one more to tell "too many"), so the count for the
    # progress bar costs no second pass over a large sheet.
    rows = list(itertools.islice(ws.iter_rows(values_only=True), MAX_ROWS + 2))
    if len(rows) > MAX_ROWS + 1:
        raise DomainError(_("Too many rows (at most %(n)d).") % {"n": MAX_ROWS}, code="too_many_rows")
    header = [_text(c) for c in rows[0]] if rows else []
    total = max(len(rows) - 1, 0)
    report(0, total)
    if len(header) < 3 or header[0] not in _in_every_language(CODE_HEADER):
        raise DomainError(_('The first row must be "%(code)s", "%(name)s", then the level names.') % {
            "code": _(CODE_HEADER), "name": _(NAME_HEADER)}, code="bad_workbook")
    cols: dict[int, Level] = {}
    rules.refuse_forbidden_criteria(h for h in header[2:] if h and h not in by_name)
    for i, name in enumerate(header[2:], start=2):
        if not name:
            continue
        if name not in by_name:
            fields.setdefault(f"{get_column_letter(i + 1)}1", []).append(
                _("Unknown level %(name)s.") % {"name": name})
        elif by_name[name] in cols.values():
            fields.setdefault(f"{get_column_letter(i + 1)}1", []).append(
                _("The level %(name)s appears twice.") % {"name": name})
        else:
            cols[i] = by_name[name]
    seen_skus: set[int] = set()
    for n, row in enumerate(rows[1:], start=2):
        if (n - 1) % 500 == 0:  # one progress write per 500 rows at most
            report(n - 1, total)
        cells = list(row)
        code = _text(cells[0]) if cells else ""
        if not code:
            if any(_text(c) for c in cells):
                fields.setdefault(f"A{n}", []).append(_("Enter the SKU code."))
            continue
        sku = by_code.get(code)
        if sku is None:
            fields.setdefault(f"A{n}", []).append(_("Unknown SKU code %(code)s.") % {"code": code})
            continue
        if sku.pk in seen_skus:
            fields.setdefault(f"A{n}", []).append(_("The SKU %(code)s appears twice.") % {"code": code})
            continue
        seen_skus.add(sku.pk)
        for i, lv in cols.items():
            value = cells[i] if i < len(cells) else None
            raw[(lv.pk, sku.pk)] = _text(value)
            cell_of[(lv.pk, sku.pk)] = f"{get_column_letter(i + 1)}{n}"
    report(total, total)
    return raw, cell_of, fields


def _read_rules(ws, table: Table, fields: dict[str, list[str]]) -> dict[Level, dict[str, Any]]:
    by_name = {lv.name: lv for lv in table.levels}
    rows = ws.iter_rows(values_only=True)
    header = [_text(c) for c in next(rows, ())]
    if not header or header[0] != "level":
        raise DomainError(_('The first row of "%(sheet)s" must start with "level".') % {"sheet": RULES_SHEET},
                          code="bad_workbook")
    keys = [h for h in header[2:] if h]
    rules.refuse_forbidden_criteria(keys)
    out: dict[Level, dict[str, Any]] = {}
    for n, row in enumerate(rows, start=2):
        cells = list(row)
        name = _text(cells[0]) if cells else ""
        if not name:
            continue
        lv = by_name.get(name)
        if lv is None:
            fields.setdefault(f"{RULES_SHEET}!A{n}", []).append(_("Unknown level %(name)s.") % {"name": name})
            continue
        payload = {h: (_text(cells[i]) if i < len(cells) else "") for i, h in enumerate(header) if i >= 2 and h}
        try:
            out[lv] = rules.parse_rule_payload(payload, lv.currency)
        except DomainError as exc:
            for key, msgs in exc.fields.items():
                col = header.index(key) if key in header else 0
                fields.setdefault(f"{RULES_SHEET}!{get_column_letter(col + 1)}{n}", []).extend(map(str, msgs))
    return out
