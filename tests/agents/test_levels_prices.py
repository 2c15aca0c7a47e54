"""The level price table: all-or-nothing saves naming every bad cell, the Excel round trip
and a rejected import that changes nothing, the back-office grid, and past orders keeping
their prices when prices or levels change."""

from __future__ import annotations

import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from weishang.agents import level_prices
from weishang.agents.level_models import Level, LevelPrice
from weishang.core.errors import DomainError


@pytest.fixture
def grid(factories):
    top, one, two = factories.standard_levels()
    a = factories.sku(code="LX-A", retail_price=Decimal("128"), floor_price=Decimal("50"))
    b = factories.sku(code="LX-B", retail_price=Decimal("99"), floor_price=Decimal("60"), ceiling_price=Decimal("120"))
    for lv, pa, pb in ((top, "50", "60"), (one, "70", "70"), (two, "90", "80")):
        factories.level_price(lv, a, pa)
        factories.level_price(lv, b, pb)
    return {"levels": (top, one, two), "a": a, "b": b}


def _prices():
    return {(lv, s): p for lv, s, p in LevelPrice.objects.values_list("level__name", "sku__code", "price")}


def test_a_valid_change_is_saved(grid):
    top, one, two = grid["levels"]
    n = level_prices.save_table({(one.pk, grid["a"].pk): "75", (two.pk, grid["b"].pk): ""})
    assert n == 2
    assert _prices()[("一级", "LX-A")] == Decimal("75.00")
    assert ("二级", "LX-B") not in _prices()


def test_a_bad_table_is_rejected_as_a_whole_with_every_cell_named(grid):
    top, one, two = grid["levels"]
    before = _prices()
    with pytest.raises(DomainError) as exc:
        level_prices.save_table({
            (top.pk, grid["a"].pk): "49.99",  # below floor
            (one.pk, grid["a"].pk): "75",  # fine on its own
            (two.pk, grid["b"].pk): "100",  # above retail 99
            (one.pk, grid["b"].pk): "85",  # 一级 pays more than 二级's 80? 二级 is now 100: fine; vs top 60 fine
            (top.pk, grid["b"].pk): "abc",  # not an amount
        })
    fields = exc.value.fields
    assert set(fields) == {f"price_{top.pk}_{grid['a'].pk}", f"price_{two.pk}_{grid['b'].pk}",
                           f"price_{top.pk}_{grid['b'].pk}"}
    text = " ".join(str(m) for msgs in fields.values() for m in msgs)
    assert "floor" in text and "retail" in text and "LX-A" in text and "LX-B" in text
    assert _prices() == before  # nothing changed


def test_a_higher_rank_paying_more_is_named(grid):
    top, one, two = grid["levels"]
    with pytest.raises(DomainError) as exc:
        level_prices.save_table({(top.pk, grid["a"].pk): "95"})
    [(key, [msg])] = exc.value.fields.items()
    assert key == f"price_{top.pk}_{grid['a'].pk}"
    assert "总代" in msg and "一级" in msg and "95" in msg


def test_twd_prices_are_whole_dollars(factories):
    lv = factories.level(1, "總代")
    s = factories.sku(currency="TWD", retail_price=Decimal("1280"), floor_price=Decimal("500"),
                      ceiling_price=Decimal("1500"))
    with pytest.raises(DomainError):
        level_prices.save_table({(lv.pk, s.pk): "600.5"})
    level_prices.save_table({(lv.pk, s.pk): "600"})
    assert LevelPrice.objects.get().currency == "TWD"


# --- Excel -----------------------------------------------------------------------------------

def test_excel_round_trip(grid):
    from django.utils import translation

    with translation.override("zh-hans"):  # headers in the reader's language, read back in any
        data = level_prices.export_xlsx()
    wb = load_workbook(io.BytesIO(data))
    ws = wb["prices"]
    assert [c.value for c in ws[1]] == ["SKU 编码", "SKU", "总代", "一级", "二级"]
    assert [c.value for c in ws[2]][:1] == ["LX-A"]
    before = _prices()
    result = level_prices.import_xlsx(data)
    assert (result.changed, result.rules_changed) == (0, 0)
    assert _prices() == before
    ws.cell(row=2, column=4, value=72)  # 一级 × LX-A
    buf = io.BytesIO()
    wb.save(buf)
    assert level_prices.import_xlsx(buf.getvalue()).changed == 1
    assert _prices()[("一级", "LX-A")] == Decimal("72.00")


def _workbook(rows, rules=None) -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "prices"
    for row in rows:
        ws.append(row)
    if rules is not None:
        rs = wb.create_sheet("upgrade rules")
        for row in rules:
            rs.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return buf.getvalue()


def test_a_bad_import_names_every_cell_and_changes_nothing(grid):
    before = _prices()
    data = _workbook([["SKU code", "SKU", "总代", "一级", "二级"],
                      ["LX-A", "x", 40, 70, 90],  # C2 below floor
                      ["LX-B", "y", 60, 70, 100],  # E3 above retail
                      ["LX-Z", "z", 1, 2, 3]])  # A4 unknown SKU
    with pytest.raises(DomainError) as exc:
        level_prices.import_xlsx(data)
    assert set(exc.value.fields) == {"A4"}  # structure errors first: nothing checked further
    data = _workbook([["SKU code", "SKU", "总代", "一级", "二级"],
                      ["LX-A", "x", 40, 70, 90],
                      ["LX-B", "y", 60, "7o", 100]])
    with pytest.raises(DomainError) as exc:
        level_prices.import_xlsx(data)
    assert list(exc.value.fields) == ["C2", "D3", "E3"]
    assert "floor" in exc.value.fields["C2"][0] and "retail" in exc.value.fields["E3"][0]
    assert _prices() == before


def test_an_import_with_an_unknown_level_column_is_refused(grid):
    with pytest.raises(DomainError) as exc:
        level_prices.import_xlsx(_workbook([["SKU code", "SKU", "总代", "三级"], ["LX-A", "x", 50, 60]]))
    assert "D1" in exc.value.fields


def test_an_import_of_upgrade_rules_refuses_a_headcount_column(grid):
    rules = [["level", "rank", "upgrade_single_purchase", "min_recruits"], ["一级", 2, 5000, 10]]
    prices = [["SKU code", "SKU", "总代"], ["LX-A", "x", 50]]
    with pytest.raises(DomainError) as exc:
        level_prices.import_xlsx(_workbook(prices, rules))
    assert exc.value.code == "headcount_rule" and "拉人头" in exc.value.message
    assert Level.objects.get(name="一级").upgrade_single_purchase is None


def test_an_import_of_upgrade_rules(grid):
    rules = [["level", "rank", "upgrade_single_purchase", "upgrade_cumulative_amount", "upgrade_period_days",
              "upgrade_needs_approval"],
             ["一级", 2, 5000, 12000, 30, True],
             ["二级", 3, None, "x", 30, False]]
    prices = [["SKU code", "SKU", "总代"], ["LX-A", "x", 50]]
    with pytest.raises(DomainError) as exc:
        level_prices.import_xlsx(_workbook(prices, rules))
    assert list(exc.value.fields) == ["upgrade rules!D3"]
    rules[2][3] = 3000
    assert level_prices.import_xlsx(_workbook(prices, rules)).rules_changed == 2
    one = Level.objects.get(name="一级")
    assert (one.upgrade_single_purchase, one.upgrade_cumulative_amount, one.upgrade_period_days,
            one.upgrade_needs_approval) == (Decimal("5000"), Decimal("12000"), 30, True)


def test_not_an_excel_file(grid):
    with pytest.raises(DomainError) as exc:
        level_prices.import_xlsx(b"not a workbook")
    assert exc.value.code == "not_xlsx"


# --- back office ---------------------------------------------------------------------------

@pytest.fixture
def operator_client(client, factories):
    client.force_login(factories.staff("operator"))
    return client


def test_the_grid_saves_all_or_nothing_with_per_cell_errors(grid, operator_client):
    top, one, two = grid["levels"]
    url = reverse("admin:agents_levelprice_changelist")
    page = operator_client.get(url)
    assert page.status_code == 200
    assert f'name="price_{one.pk}_{grid["a"].pk}" value="70.00"'.encode() in page.content
    bad = {f"price_{top.pk}_{grid['a'].pk}": "130", f"price_{one.pk}_{grid['a'].pk}": "71"}
    response = operator_client.post(url, bad)
    assert response.status_code == 200
    body = response.content.decode()
    assert 'class="bad"' in body and "retail" in body and 'value="130"' in body
    assert _prices()[("一级", "LX-A")] == Decimal("70.00")
    response = operator_client.post(url, {f"price_{one.pk}_{grid['a'].pk}": "71"})
    assert response.status_code == 302
    assert _prices()[("一级", "LX-A")] == Decimal("71.00")


def test_the_grid_is_read_only_without_the_change_permission(grid, client, factories):
    client.force_login(factories.staff("finance"))
    url = reverse("admin:agents_levelprice_changelist")
    assert client.get(url).status_code == 403
    top, one, two = grid["levels"]
    assert client.post(url, {f"price_{one.pk}_{grid['a'].pk}": "71"}).status_code == 403
    assert _prices()[("一级", "LX-A")] == Decimal("70.00")


def test_excel_export_and_import_pages(grid, operator_client, django_capture_on_commit_callbacks):
    """The import page starts a long task and sends to its page: a bad cell fails it with
    the cell named and nothing changed; a good file is applied."""
    from weishang.analytics.models import Job, JobStatus

    response = operator_client.get(reverse("admin:agents_levelprice_export"))
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxml")
    data = _workbook([["SKU code", "SKU", "总代"], ["LX-A", "x", 10]])
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(reverse("admin:agents_levelprice_import"), {"file": _upload(data)})
    job = Job.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("analytics:job", args=[job.pk])
    assert job.status == JobStatus.FAILED and [p[0] for p in job.problems] == ["C2"]
    assert "C2" in operator_client.get(response["Location"]).content.decode()
    assert _prices()[("总代", "LX-A")] == Decimal("50.00")
    data = _workbook([["SKU code", "SKU", "总代"], ["LX-A", "x", 55]])
    with django_capture_on_commit_callbacks(execute=True):
        response = operator_client.post(reverse("admin:agents_levelprice_import"), {"file": _upload(data)})
    assert response.status_code == 302
    assert Job.objects.first().status == JobStatus.DONE
    assert _prices()[("总代", "LX-A")] == Decimal("55.00")


def _upload(data: bytes):
    from django.core.files.uploadedfile import SimpleUploadedFile

    return SimpleUploadedFile("prices.xlsx", data,
                              content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet")


def test_level_admin_refuses_an_incomplete_rule(operator_client, factories):
    response = operator_client.post(reverse("admin:agents_level_add"), {
        "name": "特约", "rank": 9, "is_active": "on", "currency": "CNY", "upgrade_cumulative_amount": "100"})
    assert response.status_code == 200 and not Level.objects.filter(name="特约").exists()
    assert "period" in response.content.decode()
    response = operator_client.post(reverse("admin:agents_level_add"), {
        "name": "特约", "rank": 9, "is_active": "on", "currency": "CNY", "upgrade_cumulative_amount": "100",
        "upgrade_period_days": "30", "first_purchase_amount": "500"})
    assert response.status_code == 302
    assert Level.objects.get(name="特约").upgrade_period_days == 30


def test_reordering_levels_into_an_invalid_price_table_is_refused(grid, operator_client):
    top, one, two = grid["levels"]
    url = reverse("admin:agents_level_change", args=[two.pk])
    data = {"name": "二级", "rank": 0, "is_active": "on", "currency": "CNY"}  # above 总代, but pays more
    response = operator_client.post(url, data)
    assert response.status_code == 200
    body = response.content.decode()
    assert "would break the rules" in body and "LX-A" in body
    two.refresh_from_db()
    assert two.rank == 3
    response = operator_client.post(url, {**data, "rank": 7})  # still the lowest: fine
    assert response.status_code == 302
    two.refresh_from_db()
    assert two.rank == 7


def test_the_level_model_has_no_headcount_or_fee_field():
    names = {f.name for f in Level._meta.get_fields()}
    assert not {n for n in names if "recruit" in n or "fee" in n or "headcount" in n or "team" in n}
