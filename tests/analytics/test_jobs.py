"""Long tasks: a code file export run as a Job (eager Celery here, as in the embedded
default), its progress, the page polling it, the download, and who may see it."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.urls import reverse

from weishang.analytics import jobs, services
from weishang.analytics.models import Job, JobStatus

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
