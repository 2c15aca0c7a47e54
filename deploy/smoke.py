#!/usr/bin/env python3
"""CI proof of the production topology (called by .ci/run): brings deploy/Procfile up on a
fresh PostgreSQL database and Redis DB, then through the nginx balancer logs in, tops up,
places and pays orders and scans codes; checks that a login limit reached on app server A
holds on app server B, that the auto-cancel job runs in the Celery worker (sent by beat, not
eagerly) and cancels an unpaid order, and that killing app server A mid-load loses no order
while the balancer sends everything to B. Always tears everything down.

    .venv/bin/python deploy/smoke.py      # PG_URL_BASE, SMOKE_REDIS_URL override the defaults
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "deploy"))

import stack  # noqa: E402

PG = os.environ.get("PG_URL_BASE", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
REDIS = os.environ.get("SMOKE_REDIS_URL", "redis://127.0.0.1:6379/5")
PASSWORD = "weishang-demo-2026"
SETTLED = ("paid", "received")
HQ_ADMIN, AGENT, CONSUMER = "+8613800000001", "+8613500000001", "+8613900000001"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Answer:
    def __init__(self, status: int, body: bytes, headers):
        self.status, self.body, self.headers = status, body, headers

    def json(self):
        return json.loads(self.body)


def call(base: str, method: str, path: str, *, token: str = "", data=None, form=None, key: str = "",
         timeout: float = 15) -> Answer:
    headers = {"Accept-Language": "en"}
    body = None
    if data is not None:
        body, headers["Content-Type"] = json.dumps(data).encode(), "application/json"
    if form is not None:
        body, headers["Content-Type"] = urllib.parse.urlencode(form).encode(), "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    req = urllib.request.Request(base + path, data=body, method=method, headers=headers)
    try:
        with urllib.request.urlopen(req, timeout=timeout) as resp:
            return Answer(resp.status, resp.read(), resp.headers)
    except urllib.error.HTTPError as exc:
        return Answer(exc.code, exc.read(), exc.headers)


def until_done(base, method, path, *, deadline: float = 30, **kw) -> Answer:
    """A write the client retries with the same Idempotency-Key while the balancer or an app
    server is unreachable (502/503/504, connection errors): what a real client does."""
    stop = time.monotonic() + deadline
    while True:
        try:
            answer = call(base, method, path, **kw)
            if answer.status not in (502, 503, 504):
                return answer
        except OSError:
            pass
        if time.monotonic() > stop:
            raise AssertionError(f"{method} {path}: no answer within {deadline} s")
        time.sleep(0.2)


def expect(cond: bool, message: str) -> None:
    if not cond:
        raise AssertionError(message)
    print(f"  ok: {message}")


def login(base: str, phone: str) -> str:
    answer = call(base, "POST", "/api/v1/auth/login", data={"phone": phone, "password": PASSWORD, "device": "smoke"})
    expect(answer.status == 200, f"login {phone} through the balancer ({answer.status})")
    return answer.json()["token"]


def place_and_pay(base: str, token: str, sku_id: int, deadline: float = 30) -> str:
    key = uuid.uuid4().hex
    made = until_done(base, "POST", "/api/v1/orders/restocks", token=token, key=f"o-{key}",
                      data={"lines": [{"sku_id": sku_id, "quantity": 1}]}, deadline=deadline)
    assert made.status == 201, (made.status, made.body[:300])
    no = made.json()["no"]
    paid = until_done(base, "POST", f"/api/v1/payments/orders/{no}/pay", token=token, key=f"p-{key}",
                      form={"method": "prepaid"}, deadline=deadline)
    # A restock from HQ's cloud stock is received as soon as it is paid.
    assert paid.status == 201 and paid.json()["order_status"] in SETTLED, (paid.status, paid.body[:300])
    return no


def log_lines(env, name: str) -> list[dict]:
    out = []
    for line in (Path(env["STACK_DIR"]) / "log" / f"{name}.log").read_text(errors="replace").splitlines():
        if line.startswith("{"):
            try:
                out.append(json.loads(line))
            except ValueError:
                pass
    return out


def run(env, lb: str, web_a: str, web_b: str) -> None:
    from weishang.agents.models import Agent
    from weishang.catalog.models import SKU
    from weishang.codes import conf as codes_conf
    from weishang.codes.models import CodeBatch
    from weishang.orders.models import Order

    print("== orders and scans through the balancer")
    hq = login(lb, HQ_ADMIN)
    agent_token = login(lb, AGENT)
    agent = Agent.objects.get(user__phone=AGENT)
    topup = call(lb, "POST", "/api/v1/payments/topups", token=hq, key=uuid.uuid4().hex,
                 data={"agent_id": agent.pk, "amount": "1000000", "currency": "CNY", "reason": "smoke"})
    expect(topup.status == 201, f"HQ tops up the agent's prepaid balance ({topup.status} {topup.body[:200]!r})")
    sku_id = SKU.objects.order_by("id").values_list("id", flat=True).first()
    numbers = [place_and_pay(lb, agent_token, sku_id) for _ in range(5)]
    expect(Order.objects.filter(no__in=numbers, status__in=SETTLED).count() == 5, "5 restock orders placed and paid")
    batch = CodeBatch.objects.order_by("id").first()
    codec = codes_conf.get_codec()
    scans = [call(lb, "GET", f"/api/v1/codes/verify/{codec.encode(batch.serial_start + i, batch.key_version)}")
             for i in range(10)]
    expect(all(s.status == 200 and "verdict" in s.json() for s in scans), "10 code scans answered")
    servers = {line.get("upstream") for line in log_lines(env, "lb") if line.get("path", "").startswith("/api/")}
    expect({f"127.0.0.1:{env['APP_PORT_A']}", f"127.0.0.1:{env['APP_PORT_B']}"} <= servers,
           f"the balancer used both app servers ({sorted(s for s in servers if s)})")
    rid = scans[0].headers["X-Request-ID"]
    served = [line for n in ("web_a", "web_b") for line in log_lines(env, n)
              if line.get("request_id") == rid and line.get("logger") == "weishang.request"]
    expect(len(served) == 1 and served[0]["status"] == 200, "one JSON access line per request, by the balancer's id")

    print("== a login limit reached on A holds on B")
    limit = int(env.get("LOGIN_FAILURE_LIMIT", "5"))
    for _ in range(limit):
        wrong = call(web_a, "POST", "/api/v1/auth/login", data={"phone": CONSUMER, "password": "wrong-password"})
        assert wrong.status == 401, wrong.status
    expect(call(web_a, "POST", "/api/v1/auth/login",
                data={"phone": CONSUMER, "password": PASSWORD}).status == 429, f"{limit} failures on A: A refuses")
    expect(call(web_b, "POST", "/api/v1/auth/login",
                data={"phone": CONSUMER, "password": PASSWORD}).status == 429, "and B refuses too (Redis counts)")

    print("== the auto-cancel job runs in the Celery worker")
    made = call(lb, "POST", "/api/v1/orders/restocks", token=agent_token, key=uuid.uuid4().hex,
                data={"lines": [{"sku_id": sku_id, "quantity": 1}]})
    assert made.status == 201, made.body[:300]
    unpaid = made.json()["no"]
    Order.objects.filter(no=unpaid).update(payment_due_at=Order.objects.get(no=unpaid).created_at)
    stop = time.monotonic() + 45
    while call(lb, "GET", f"/api/v1/orders/{unpaid}", token=agent_token).json()["status"] != "cancelled":
        if time.monotonic() > stop:
            raise AssertionError(f"order {unpaid} was not cancelled within 45 s")
        time.sleep(0.5)
    expect(True, f"unpaid order {unpaid} cancelled by the periodic job")
    runs = [line for line in log_lines(env, "worker") if line.get("task") == "weishang.orders.tasks.expire_unpaid_orders"
            and line.get("state") == "SUCCESS" and isinstance(line.get("result"), int) and line["result"] >= 1]
    expect(bool(runs) and runs[0]["task_id"], f"the worker ran it (task {runs[0]['task_id'] if runs else '-'})")
    sent = [line for line in log_lines(env, "beat") if "orders-expire-unpaid" in line.get("message", "")]
    expect(bool(sent), "beat sent it")
    web_tasks = [line for n in ("web_a", "web_b") for line in log_lines(env, n) if line.get("logger") == "weishang.task"]
    expect(not web_tasks, "no app server ran a task eagerly")

    print("== killing app server A mid-load loses no order")
    before = Order.objects.filter(buyer=agent.user, kind="restock").count()
    done: list[str] = []
    errors: list[BaseException] = []
    per_client, clients = 8, 4

    def client():
        try:
            for _ in range(per_client):
                done.append(place_and_pay(lb, agent_token, sku_id, deadline=40))
        except BaseException as exc:  # reported below
            errors.append(exc)

    threads = [threading.Thread(target=client) for _ in range(clients)]
    for t in threads:
        t.start()
    while len(done) < 4 and not errors:
        time.sleep(0.05)
    killed_at = time.time()
    stack.stop(env, "web_a", signal.SIGKILL)
    for t in threads:
        t.join(120)
    expect(not errors, f"every client got its answers ({errors[:1]})")
    expect(len(done) == len(set(done)) == per_client * clients, f"{len(done)} orders answered paid")
    made_now = Order.objects.filter(buyer=agent.user, kind="restock").count() - before
    expect(made_now == per_client * clients, f"{made_now} orders in the database: none lost, none twice")
    expect(Order.objects.filter(no__in=done, status__in=SETTLED).count() == len(done), "all of them paid")
    # On a fast run the load can finish within a second of the kill; a few orders placed
    # now, with A certainly gone, make sure the routing after the kill is seen.
    time.sleep(max(0.0, killed_at + 1.2 - time.time()))
    late = [place_and_pay(lb, agent_token, sku_id, deadline=40) for _ in range(3)]
    expect(Order.objects.filter(no__in=late, status__in=SETTLED).count() == len(late), "orders after the kill paid")
    after = [line for line in log_lines(env, "lb") if line.get("path", "").startswith("/api/v1/orders")
             and line.get("status") in (200, 201) and _epoch(line["time"]) > killed_at + 1]
    expect(bool(after) and all(line["upstream"].endswith(f":{env['APP_PORT_B']}") for line in after),
           f"after the kill the balancer sent all {len(after)} order requests to B")


def _epoch(iso: str) -> float:
    import datetime as dt

    return dt.datetime.fromisoformat(iso).timestamp()


def main() -> int:
    tag = f"weishang_topo_{os.getpid()}"
    stack_dir = tempfile.mkdtemp(prefix="weishang-topology-")
    os.environ.update({
        "DATABASE_URL": f"{PG}/{tag}", "REDIS_URL": REDIS, "CACHE_PREFIX": tag, "STACK_DIR": stack_dir,
        "LB_PORT": str(free_port()), "APP_PORT_A": str(free_port()), "APP_PORT_B": str(free_port()),
        "WEB_WORKERS": "1", "CELERY_CONCURRENCY": "1", "BEAT_EVERY": "orders-expire-unpaid=3",
        "CODES_RATE_CLIENT": "100000", "HTTPS": "0", "LOG_FORMAT": "json", "SITE_URL": "http://127.0.0.1",
        "DJANGO_SETTINGS_MODULE": "weishang.settings",
    })
    env = stack.load_env()
    import psycopg
    import redis

    redis.Redis.from_url(REDIS).flushdb()  # our own DB number only
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {tag}")
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    start = time.monotonic()
    try:
        subprocess.run([sys.executable, "deploy/stack.py", "up"], cwd=ROOT, env=env, check=True, timeout=150)
        subprocess.run([sys.executable, "manage.py", "load_demo", "-v0"], cwd=ROOT, env=env, check=True,
                       timeout=150, stdout=subprocess.DEVNULL)
        import django

        django.setup()
        lb = f"http://127.0.0.1:{env['LB_PORT']}"
        run(env, lb, f"http://127.0.0.1:{env['APP_PORT_A']}", f"http://127.0.0.1:{env['APP_PORT_B']}")
        print(f"== topology smoke test passed in {time.monotonic() - start:.0f} s")
        return 0
    except (AssertionError, subprocess.SubprocessError) as exc:
        print(f"!! topology smoke test failed: {exc!r}")
        for name in ("web_a", "web_b", "worker", "beat", "lb"):
            path = Path(stack_dir) / "log" / f"{name}.log"
            if path.exists():
                print(f"--- {name}.log (last lines)\n" + "\n".join(path.read_text(errors="replace").splitlines()[-15:]))
        return 1
    finally:
        subprocess.run([sys.executable, "deploy/stack.py", "down"], cwd=ROOT, env=env, timeout=120)
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {tag} WITH (FORCE)")
        redis.Redis.from_url(REDIS).flushdb()
        subprocess.run(["rm", "-rf", stack_dir], check=False)


if __name__ == "__main__":
    sys.exit(main())
