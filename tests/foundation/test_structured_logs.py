"""Request ids, JSON log lines, task ids in task logs, and /readyz checking Redis."""

from __future__ import annotations

import json
import logging

import pytest
from django.test import override_settings

from weishang.core import logs


def test_each_answer_carries_a_request_id_and_one_access_line(client, caplog):
    with caplog.at_level(logging.INFO, logger="weishang.request"):
        resp = client.get("/healthz")
    rid = resp["X-Request-ID"]
    assert len(rid) == 32
    lines = [r for r in caplog.records if r.name == "weishang.request"]
    assert len(lines) == 1
    assert (lines[0].request_id, lines[0].status, lines[0].path, lines[0].method) == (rid, 200, "/healthz", "GET")


def test_the_balancer_request_id_is_kept_and_a_forged_one_replaced(client):
    assert client.get("/healthz", HTTP_X_REQUEST_ID="3f2a9c0d1e5b4a7c")["X-Request-ID"] == "3f2a9c0d1e5b4a7c"
    forged = client.get("/healthz", HTTP_X_REQUEST_ID='x" , "level": "ERROR')["X-Request-ID"]
    assert forged != 'x" , "level": "ERROR' and len(forged) == 32


def test_json_lines_carry_the_request_id_and_extra_fields():
    record = logging.LogRecord("weishang.request", logging.INFO, __file__, 1, "GET %s", ("/p/1/",), None)
    record.status = 200
    token = logs.current_request_id.set("abcdef0123456789")
    try:
        logs.ContextFilter().filter(record)
    finally:
        logs.current_request_id.reset(token)
    line = logs.JsonFormatter().format(record)
    assert "\n" not in line
    data = json.loads(line)
    assert data["message"] == "GET /p/1/" and data["request_id"] == "abcdef0123456789"
    assert data["status"] == 200 and data["level"] == "INFO" and data["task_id"] == ""


def test_task_lines_carry_the_task_id(db, caplog):
    from weishang.orders.tasks import expire_unpaid_orders

    with caplog.at_level(logging.INFO, logger="weishang.task"):
        result = expire_unpaid_orders.apply()
    line = next(r for r in caplog.records if r.name == "weishang.task")
    assert line.task_id == result.id and line.task == expire_unpaid_orders.name and line.state == "SUCCESS"
    assert logs.current_task_id.get() == ""  # restored after the task


def redis_cache(url: str) -> dict:
    return {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                        "KEY_PREFIX": "weishang-test-readyz", "OPTIONS": {"socket_connect_timeout": 1}}}


def test_readyz_is_503_when_redis_does_not_answer(client, db):
    url = "redis://127.0.0.1:1/0"  # nothing listens on port 1
    with override_settings(REDIS_URL=url, CACHES=redis_cache(url)):
        resp = client.get("/readyz")
    assert resp.status_code == 503 and resp.content == b"redis unavailable"


def test_readyz_is_ok_when_redis_answers(client, db):
    redis = pytest.importorskip("redis")
    url = "redis://127.0.0.1:6379/5"
    try:
        redis.Redis.from_url(url, socket_connect_timeout=1).ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("no Redis on 127.0.0.1:6379")
    with override_settings(REDIS_URL=url, CACHES=redis_cache(url)):
        resp = client.get("/readyz")
    assert resp.status_code == 200 and resp.content == b"ok"
