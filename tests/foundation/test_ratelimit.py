"""Rate limits hold across worker processes and concurrent requests, and the client address
behind the proxy cannot be chosen by the client."""

from __future__ import annotations

import multiprocessing
import shutil
import socket
import subprocess
import time

import pytest
from django.test import RequestFactory

from tests import factories as f
from tests.foundation.test_platform import _settings_in_subprocess
from tests.threads import needs_shared_database, run_together
from weishang.core import ratelimit

LIMIT = 7


def _hammer(barrier, results, hits: int) -> None:
    barrier.wait()
    for _ in range(hits):
        results.put(ratelimit.hit("test-procs", "one client", limit=LIMIT, window=60))


def test_limit_holds_across_worker_processes():
    # Four processes (as four granian workers would be) hit one key at once: exactly LIMIT
    # pass in total, not LIMIT per process.
    ctx = multiprocessing.get_context("fork")
    barrier, results = ctx.Barrier(4), ctx.Queue()
    procs = [ctx.Process(target=_hammer, args=(barrier, results, 5)) for _ in range(4)]
    for p in procs:
        p.start()
    outcomes = [results.get(timeout=60) for _ in range(20)]
    for p in procs:
        p.join(timeout=60)
        assert p.exitcode == 0
    assert outcomes.count(True) == LIMIT and outcomes.count(False) == 20 - LIMIT
    assert ratelimit.count("test-procs", "one client") == 20


def test_limit_holds_across_threads():
    outcomes = run_together(12, lambda i: ratelimit.hit("test-threads", "x", limit=LIMIT, window=60))
    assert outcomes.count(True) == LIMIT


def test_window_passes_and_counting_starts_again(monkeypatch):
    now = time.time()
    monkeypatch.setattr(ratelimit.time, "time", lambda: now)
    assert [ratelimit.hit("test-window", "x", limit=2, window=60) for _ in range(3)] == [True, True, False]
    monkeypatch.setattr(ratelimit.time, "time", lambda: now + 61)
    assert ratelimit.count("test-window", "x") == 0
    assert [ratelimit.hit("test-window", "x", limit=2, window=60) for _ in range(3)] == [True, True, False]


def test_undo_and_reset():
    for _ in range(3):
        ratelimit.hit("test-undo", "x", limit=5, window=60)
    ratelimit.undo("test-undo", "x")
    assert ratelimit.count("test-undo", "x") == 2
    ratelimit.reset("test-undo", "x")
    assert ratelimit.count("test-undo", "x") == 0


# --- login: the attempt is counted before the password is checked ------------------------------
@pytest.mark.django_db
def test_login_attempt_is_counted_before_the_password_is_checked(monkeypatch, settings):
    from weishang.accounts import services

    settings.LOGIN_FAILURE_LIMIT = 3
    f.user(phone="+8613800138000")
    seen: list[int] = []
    real = services.authenticate

    def authenticate(request, **kw):
        seen.append(ratelimit.count("login-phone", "+8613800138000"))
        return real(request, **kw)

    monkeypatch.setattr(services, "authenticate", authenticate)
    for _ in range(5):
        with pytest.raises(services.DomainError):
            services.check_credentials(phone="13800138000", password="wrong", ip="203.0.113.9")
    # each checked attempt was already counted; attempts past the limit were never checked
    assert seen == [1, 2, 3]


@needs_shared_database
@pytest.mark.django_db(transaction=True)
def test_concurrent_wrong_logins_pass_the_limit_only_limit_times(settings):
    from weishang.accounts import services
    from weishang.core.errors import DomainError

    settings.LOGIN_FAILURE_LIMIT = 3
    f.user(phone="+8613800138000")

    def attempt(i):
        services.check_credentials(phone="13800138000", password="wrong", ip="203.0.113.9")

    outcomes = run_together(8, attempt, expected=(DomainError,))
    codes = sorted(exc.code for exc in outcomes)
    assert codes.count("bad_credentials") == 3 and codes.count("rate_limited") == 5


@pytest.mark.django_db
def test_right_login_does_not_use_up_the_address_limit(api, settings):
    settings.LOGIN_FAILURE_LIMIT = 1  # 4 attempts per address
    for i in range(6):
        f.user(phone=f"+861380013800{i}")
        assert api.post("/auth/login", {"phone": f"1380013800{i}", "password": f.PASSWORD}).status_code == 200


# --- client address behind the proxy ------------------------------------------------------------
@pytest.mark.parametrize(("hops", "xff", "expected"), [
    (1, "6.6.6.6, 198.51.100.7", "198.51.100.7"),  # the client wrote 6.6.6.6 itself
    (1, "198.51.100.7", "198.51.100.7"),
    (2, "6.6.6.6, 198.51.100.7, 10.0.0.2", "198.51.100.7"),
    (0, "6.6.6.6, 198.51.100.7", "127.0.0.1"),  # header ignored
    (2, "198.51.100.7", "127.0.0.1"),  # fewer hops than proxies: not written by them
    (1, "6.6.6.6, not-an-ip", "127.0.0.1"),
    (1, "", "127.0.0.1"),
    (1, "6.6.6.6, 2001:db8::1", "2001:db8::1"),
])
def test_client_ip_takes_the_hop_our_proxy_added(settings, hops, xff, expected):
    settings.TRUSTED_PROXY_COUNT = hops
    request = RequestFactory().get("/", REMOTE_ADDR="127.0.0.1", HTTP_X_FORWARDED_FOR=xff)
    assert ratelimit.client_ip(request) == expected


@pytest.mark.django_db
def test_a_forged_forwarded_for_does_not_escape_the_address_limit(api, settings):
    settings.TRUSTED_PROXY_COUNT = 1
    settings.LOGIN_FAILURE_LIMIT = 1  # 4 attempts per address
    statuses = []
    for i in range(6):
        f.user(phone=f"+861380013800{i}")
        forged = f"10.9.{i}.1, 198.51.100.7"  # a new left-most entry each time, same real client
        resp = api.client.post("/api/v1/auth/login", {"phone": f"1380013800{i}", "password": "wrong"},
                               content_type="application/json", HTTP_X_FORWARDED_FOR=forged)
        statuses.append(resp.status_code)
    assert statuses == [401, 401, 401, 401, 429, 429]


def test_trusted_proxy_count_defaults():
    assert _settings_in_subprocess({}, "s.TRUSTED_PROXY_COUNT") == "0"
    assert _settings_in_subprocess({"HTTPS": "1"}, "s.TRUSTED_PROXY_COUNT") == "1"
    assert _settings_in_subprocess({"HTTPS": "1", "TRUSTED_PROXY_COUNT": "2"}, "s.TRUSTED_PROXY_COUNT") == "2"
    assert _settings_in_subprocess({"TRUST_X_FORWARDED_FOR": "1"}, "s.TRUSTED_PROXY_COUNT") == "1"


# --- Redis ------------------------------------------------------------------------------------
@pytest.fixture
def redis_cache(settings, tmp_path):
    server = shutil.which("redis-server")
    if not server:
        pytest.skip("redis-server not installed")
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    own_caches = settings.CACHES
    proc = subprocess.Popen([server, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
                             "--dir", str(tmp_path)], stdout=subprocess.DEVNULL)
    try:
        import redis

        client = redis.Redis(port=port)
        for _ in range(100):
            try:
                client.ping()
                break
            except redis.ConnectionError:
                time.sleep(0.05)
        url = f"redis://127.0.0.1:{port}/0"
        settings.REDIS_URL = url
        settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.redis.RedisCache", "LOCATION": url,
                                       "KEY_PREFIX": "t"}}
        yield client
    finally:
        # the suite's own clean-up after this test uses the usual cache and SQLite file
        settings.REDIS_URL, settings.CACHES = "", own_caches
        proc.terminate()
        proc.wait(timeout=10)


def test_redis_counts_atomically_with_an_expiry(redis_cache):
    outcomes = run_together(12, lambda i: ratelimit.hit("test-redis", "x", limit=LIMIT, window=60))
    assert outcomes.count(True) == LIMIT
    assert ratelimit.count("test-redis", "x") == 12
    (key,) = redis_cache.keys("t:*rl:test-redis:*")
    assert 0 < redis_cache.ttl(key) <= 60
    ratelimit.undo("test-redis", "x")
    assert ratelimit.count("test-redis", "x") == 11
    ratelimit.clear_all()
    assert ratelimit.count("test-redis", "x") == 0
