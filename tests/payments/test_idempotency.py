from __future__ import annotations

import threading

import pytest
from django.db import connection, connections

from weishang.core import idempotency
from weishang.payments.models import IdempotencyRecord


@pytest.mark.django_db
def test_first_result_replayed_and_other_body_refused(factories):
    user = factories.user()
    calls = []

    def fn():
        calls.append(1)
        return 201, {"n": len(calls)}

    assert idempotency.run(key="k", user=user, endpoint="e", payload={"a": 1}, fn=fn) == (201, {"n": 1})
    assert idempotency.run(key="k", user=user, endpoint="e", payload={"a": 1}, fn=fn) == (201, {"n": 1})
    assert calls == [1]
    with pytest.raises(idempotency.IdempotencyKeyReused):
        idempotency.run(key="k", user=user, endpoint="e", payload={"a": 2}, fn=fn)
    with pytest.raises(idempotency.IdempotencyKeyReused):
        idempotency.run(key="k", user=user, endpoint="other", payload={"a": 1}, fn=fn)
    # Keys are per user.
    other = factories.user()
    assert idempotency.run(key="k", user=other, endpoint="e", payload={"a": 1}, fn=fn) == (201, {"n": 2})


@pytest.mark.django_db
def test_failed_call_stores_nothing_and_can_be_retried(factories):
    from weishang.core.errors import DomainError

    user = factories.user()

    def boom():
        raise DomainError("no", code="x")

    with pytest.raises(DomainError):
        idempotency.run(key="k", user=user, endpoint="e", payload={}, fn=boom)
    assert not IdempotencyRecord.objects.exists()
    assert idempotency.run(key="k", user=user, endpoint="e", payload={}, fn=lambda: (200, {"ok": True})) == (
        200, {"ok": True})


@pytest.mark.django_db(transaction=True)
def test_concurrent_same_key_runs_once(factories):
    if connection.vendor == "sqlite" and "memory" in str(connection.settings_dict["NAME"]):
        pytest.skip("threads need a shared database")
    user = factories.user()
    calls, results = [], []
    lock = threading.Lock()
    barrier = threading.Barrier(8)

    def fn():
        with lock:
            calls.append(1)
        IdempotencyRecord.objects.count()  # some work inside the transaction
        return 201, {"first": True}

    def worker():
        try:
            barrier.wait()
            results.append(idempotency.run(key="same", user=user, endpoint="e", payload={"x": 1}, fn=fn))
        finally:
            connections.close_all()

    threads = [threading.Thread(target=worker) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert len(calls) == 1
    assert results == [(201, {"first": True})] * 8


def test_key_from_header_validation(rf):
    with pytest.raises(idempotency.IdempotencyKeyMissing):
        idempotency.key_from(rf.post("/", HTTP_IDEMPOTENCY_KEY=""))
    with pytest.raises(idempotency.IdempotencyKeyMissing):
        idempotency.key_from(rf.post("/", HTTP_IDEMPOTENCY_KEY="x" * 101))
    assert idempotency.key_from(rf.post("/", HTTP_IDEMPOTENCY_KEY=" abc ")) == "abc"
