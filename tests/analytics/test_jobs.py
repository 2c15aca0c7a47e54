"""Long tasks: a code file export run as a Job (eager Celery here, as in the embedded
default), its progress, the page polling it, the download, and who may see it."""

from __future__ import annotations

import datetime as dt
import io
from decimal import Decimal
from unittest import mock

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse
from openpyxl import Workbook, load_workbook

from weishang.analytics import jobs, services
from weishang.analytics.models import Job, JobStatus
from weishang.core.errors import PermissionDenied

pytestmark = pytest.mark.django_db


@pytest.fixture
def batch(factories, settings):
    from weishang.accounts.roles import sync_hq_roles
    from weishang.codes import conf
    from weishang.codes import services as codes

    settings.CODE_KEYS = "1:" + "a" * 32
    settings.CODE_KEY_VERSION = 1
    settings.SITE_URL = "https://brand.example"
    conf.reset()
    sync_hq_roles()
    return codes.create_batch(sku=factories.sku(), lot="L-JOB", production_date=dt.date(2026, 1, 1),
                              expiry_date=dt.date(2028, 1, 1), quantity=100, items_per_box=10, boxes_per_case=4,
                              user=factories.staff("admin"))


def _client(user) -> Client:
    c = Client()
    c.force_login(user)
    return c


def test_code_export_runs_as_a_task_and_downloads(batch, factories, django_capture_on_commit_callbacks):
    user = factories.staff("warehouse")
    client = _client(user)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(reverse("analytics:start_code_export", args=[batch.pk, "csv"]))
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("analytics:job", args=[job.pk])
    assert job.status == JobStatus.DONE and job.user == user
    assert job.progress == job.total == 100 + 10 + 3  # items, boxes, cases
    page = client.get(r["Location"]).content.decode()
    assert 'value="100"' in page and reverse("analytics:job_file", args=[job.pk]) in page
    assert 'hx-trigger="every 1s"' not in page  # finished: the page stops polling
    download = client.get(reverse("analytics:job_file", args=[job.pk]))
    assert download.status_code == 200 and download["Content-Type"].startswith("text/csv")
    streamed = client.get(reverse("codes:batch_file", args=[batch.pk, "csv"]))
    assert b"".join(download.streaming_content) == b"".join(streamed.streaming_content)
    # the file lies in private storage, not under MEDIA_ROOT
    from django.conf import settings
    assert str(settings.PRIVATE_MEDIA_ROOT) in job.file.path


def test_a_running_job_is_polled_every_second(batch, factories):
    user = factories.staff("warehouse")
    job = Job.objects.create(kind="code_export", params={"batch": batch.pk}, user=user, status=JobStatus.RUNNING,
                             progress=30, total=113)
    html = _client(user).get(reverse("analytics:job_progress", args=[job.pk])).content.decode()
    assert 'hx-trigger="every 1s"' in html and 'value="26"' in html
    assert reverse("analytics:job_file", args=[job.pk]) not in html


def test_progress_is_written_chunk_by_chunk(batch, factories):
    from weishang.codes import services as codes

    big = codes.create_batch(sku=batch.sku, lot="L-BIG", production_date=dt.date(2026, 1, 1),
                             expiry_date=dt.date(2028, 1, 1), quantity=60_000, items_per_box=10, boxes_per_case=10,
                             user=factories.staff("admin"))
    seen: list[tuple[int, int]] = []
    name, fh, _result = jobs.code_export({"batch": big.pk, "format": "txt"}, lambda d, t: seen.append((d, t)))
    total = 60_000 + 6_000 + 600
    assert len(seen) >= 3 and seen[0] == (0, total) and seen[-1] == (total, total)
    assert [d for d, _t in seen] == sorted(d for d, _t in seen)
    assert name == f"codes-{big.pk}.txt" and sum(1 for _line in fh) == total


def test_only_the_starter_or_who_sees_every_job(batch, factories, django_capture_on_commit_callbacks):
    starter = factories.staff("warehouse")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start(kind="code_export", user=starter, params={"batch": batch.pk, "format": "txt"})
    urls = [reverse(n, args=[job.pk]) for n in ("analytics:job", "analytics:job_progress", "analytics:job_file")]
    for user, status in ((starter, 200), (factories.staff("warehouse"), 403), (factories.staff("operator"), 403),
                         (factories.staff("finance"), 403), (factories.staff("admin"), 200)):
        client = _client(user)
        assert [client.get(u).status_code for u in urls] == [status] * 3, user.groups.first().name
    # the starter who lost the codes permission no longer reaches the codes
    starter.groups.clear()
    assert _client(starter).get(urls[2]).status_code == 403
    # the list shows one's own jobs only
    other = factories.staff("warehouse")
    assert f'href="{urls[0]}"' not in _client(other).get(reverse("analytics:jobs")).content.decode()


def test_a_failed_job_says_so(batch, factories, django_capture_on_commit_callbacks):
    user = factories.staff("warehouse")
    with django_capture_on_commit_callbacks(execute=True):
        job = services.start(kind="code_export", user=user, params={"batch": batch.pk + 999, "format": "csv"})
    job.refresh_from_db()
    assert job.status == JobStatus.FAILED and job.error and not job.file
    html = _client(user).get(reverse("analytics:job", args=[job.pk])).content.decode()
    assert job.error in html.replace("&#x27;", "'") and 'role="alert"' in html


# --- Level price import as a task -------------------------------------------------------------

@pytest.fixture
def price_grid(factories):
    from weishang.accounts.roles import sync_hq_roles

    sync_hq_roles()
    top, one, two = factories.standard_levels()
    a = factories.sku(code="LX-A", retail_price=Decimal("128"), floor_price=Decimal("50"))
    b = factories.sku(code="LX-B", retail_price=Decimal("99"), floor_price=Decimal("60"))
    for lv, pa, pb in ((top, "50", "60"), (one, "70", "70"), (two, "90", "80")):
        factories.level_price(lv, a, pa)
        factories.level_price(lv, b, pb)
    return top, one, two


def _prices():
    from weishang.agents.level_models import LevelPrice

    return {(lv, s): p for lv, s, p in LevelPrice.objects.values_list("level__name", "sku__code", "price")}


def _xlsx(rows) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.title = "prices"
    for row in rows:
        ws.append(row)
    buf = io.BytesIO()
    wb.save(buf)
    return SimpleUploadedFile("prices.xlsx", buf.getvalue())


def _import(client, rows, capture):
    with capture(execute=True):
        return client.post(reverse("admin:agents_levelprice_import"), {"file": _xlsx(rows)})


def test_an_import_runs_as_a_task_with_rows_checked_then_applied(price_grid, factories,
                                                                   django_capture_on_commit_callbacks):
    from django.conf import settings

    client = _client(factories.staff("operator"))
    seen: list[tuple[int, int]] = []
    real = services.Job.objects.filter

    def spy(*args, **kwargs):  # every progress write the runner makes, as it makes it
        qs = real(*args, **kwargs)
        update = qs.update

        def record(**fields):
            if "progress" in fields:
                seen.append((fields["progress"], fields["total"]))
            return update(**fields)

        qs.update = record
        return qs

    with mock.patch.object(services.Job.objects, "filter", spy):
        r = _import(client, [["SKU code", "SKU", "总代", "一级"], ["LX-A", "x", 55, 72], ["LX-B", "y", 61, 70]],
                    django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert r.status_code == 302 and r["Location"] == reverse("analytics:job", args=[job.pk])
    assert seen[0] == (0, 2) and seen[-1] == (2, 2)
    assert job.status == JobStatus.DONE and (job.progress, job.total) == (2, 2)
    assert _prices()[("总代", "LX-A")] == Decimal("55.00") and _prices()[("一级", "LX-A")] == Decimal("72.00")
    assert _prices()[("总代", "LX-B")] == Decimal("61.00")
    page = client.get(r["Location"]).content.decode()
    assert job.result in page and "3" in job.result and 'value="100"' in page
    # the upload was kept privately until applied, then removed
    assert not any((settings.PRIVATE_MEDIA_ROOT / "imports").iterdir())


def test_a_bad_row_changes_nothing_and_the_task_lists_every_cell(price_grid, factories,
                                                                 django_capture_on_commit_callbacks):
    client = _client(factories.staff("operator"))
    before = _prices()
    r = _import(client, [["SKU code", "SKU", "总代", "一级", "二级"], ["LX-A", "x", 55, 70, 90],
                         ["LX-B", "y", 40, "7o", 100]], django_capture_on_commit_callbacks)
    job = Job.objects.get()
    assert job.status == JobStatus.FAILED and _prices() == before  # LX-A's good 55 not applied either
    assert [place for place, _m in job.problems] == ["C3", "D3", "E3"]
    html = client.get(r["Location"]).content.decode()
    assert "D3" in html and "E3" in html and 'role="alert"' in html
    report = client.get(reverse("analytics:job_file", args=[job.pk]))
    assert report.status_code == 200 and report["Content-Disposition"].endswith('.xlsx"')
    ws = load_workbook(io.BytesIO(b"".join(report.streaming_content))).active
    assert [row[0] for row in ws.iter_rows(min_row=2, values_only=True)] == ["C3", "D3", "E3"]


def test_the_import_task_needs_the_price_permission(price_grid, factories, django_capture_on_commit_callbacks):
    finance = factories.staff("finance")
    r = _import(_client(finance), [["SKU code", "SKU", "总代"], ["LX-A", "x", 55]],
                django_capture_on_commit_callbacks)
    assert r.status_code == 403 and not Job.objects.exists()
    with pytest.raises(PermissionDenied):
        services.start(kind="level_price_import", user=finance, params={"upload": "imports/x.xlsx"})
    operator = factories.staff("operator")
    _import(_client(operator), [["SKU code", "SKU", "总代"], ["LX-A", "x", 55]], django_capture_on_commit_callbacks)
    job = Job.objects.get()
    operator.groups.clear()  # lost the permission: no longer sees the task
    urls = [reverse(n, args=[job.pk]) for n in ("analytics:job", "analytics:job_progress")]
    assert [_client(u).get(url).status_code for u in (operator, finance) for url in urls] == [403] * 4
