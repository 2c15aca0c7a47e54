"""Topology benchmark (issue 16): orders/s and scans/s through the nginx balancer with ONE app
server behind it against TWO, in the same run, on the same data.

    .venv/bin/python bench/topology.py                    # 15 s per measurement
    BENCH_DURATION=5 .venv/bin/python bench/topology.py   # quick run

Brings the production stack of deploy/Procfile up once (deploy/stack.py: two granian app
servers, Celery worker and beat, nginx) on a fresh PostgreSQL database
`weishang_bench_<pid>` (BENCH_PG_URL, default postgresql://postgres@127.0.0.1:5432) and
Redis DB 6 (BENCH_REDIS_URL), loads the demo brand (`manage.py load_demo`), then through
the services: BENCH_CLIENTS 总代 agents with a prepaid balance and a password, HQ cloud
stock for the first SKU; the first case of each demo code batch is already shipped to an
agent (released), so its codes scan as genuine.

Each workload runs twice through the same nginx: (a) the upstream rendered with app server
A only (both upstream lines point at A, nginx reloaded; B keeps running, idle) and (b) the
site as shipped, A and B. The nginx access log shows which servers answered each phase.

- orders: BENCH_CLIENTS Python threads, one keep-alive http.client connection and one
  agent each; one iteration = POST /api/v1/orders/restocks + POST .../pay (prepaid), both
  with an Idempotency-Key, the order settled ("received") in the answer;
- scans: wrk (BENCH_CONCURRENCY connections, a Lua script picking a random released code
  per request) on GET /api/v1/codes/verify/<code>; every scan is recorded in the database.
  Without wrk, the scans row is skipped (the orders row still runs).

Skips (exit 0, with a message) when nginx, PostgreSQL or Redis is not available.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
sys.path.insert(0, str(ROOT / "deploy"))

import _http  # noqa: E402
import stack  # noqa: E402

PG = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
REDIS = os.environ.get("BENCH_REDIS_URL", "redis://127.0.0.1:6379/6")
DURATION = _http.env_int("BENCH_DURATION", 15)
CLIENTS = _http.env_int("BENCH_CLIENTS", 8)
CONCURRENCY = _http.env_int("BENCH_CONCURRENCY", 16)
PASSWORD = "bench-topology-2026"
SETTLED = ("paid", "received")


def unavailable() -> str:
    """Why this benchmark cannot run here, or "" when it can."""
    if not shutil.which("nginx"):
        return "nginx is not installed (Debian: apt-get install nginx-light)"
    if not (_http.VENV_BIN / "granian").exists():
        return f"granian is not installed in {_http.VENV_BIN}"
    try:
        import psycopg

        with psycopg.connect(f"{PG}/postgres", connect_timeout=3):
            pass
    except Exception as exc:
        return f"PostgreSQL is not available at {PG}: {exc}"
    try:
        import redis

        redis.Redis.from_url(REDIS, socket_connect_timeout=3).ping()
    except Exception as exc:
        return f"Redis is not available at {REDIS}: {exc}"
    return ""


# --- data ------------------------------------------------------------------------------
def prepare_data(orders_expected: int) -> tuple[list[str], int, list[str]]:
    """Agents (phones) with balance, HQ stock for the SKU, and the released codes' paths."""
    from weishang.accounts.models import User
    from weishang.agents.models import Level
    from weishang.agents.services import create_agent
    from weishang.catalog.models import SKU
    from weishang.codes import conf as codes_conf
    from weishang.codes.models import CodeBatch
    from weishang.inventory import services as inventory
    from weishang.inventory.models import Stock
    from weishang.payments import services as payments

    hq = User.objects.filter(is_superuser=True).order_by("id").first()
    level = Level.objects.get(rank=1)
    sku = SKU.objects.order_by("id").first()
    phones = []
    for i in range(CLIENTS):
        phone = f"+86134{i:08d}"
        agent = create_agent(user=User.objects.create_user(phone, PASSWORD, name=f"压测{i}"), name=f"压测{i}",
                             level=level, first_purchase=None, province_code="330000", city_code="330100",
                             district_code="330106", reason="bench")
        payments.hq_topup(agent=agent, amount="10000000", currency="CNY", reason="bench", user=hq)
        phones.append(phone)
    row = Stock.objects.filter(owner="hq", sku=sku).values_list("quantity", "reserved").first() or (0, 0)
    inventory.adjust(agent_id=None, sku_id=sku.pk, quantity=orders_expected - (row[0] - row[1]), reason="bench",
                     user=hq)
    codec = codes_conf.get_codec()
    paths = []
    for batch in CodeBatch.objects.order_by("id"):
        # The first case is shipped to an agent by the demo: released, scans as genuine.
        per_case = batch.items_per_box * batch.boxes_per_case
        paths += [f"/api/v1/codes/verify/{codec.encode(batch.serial_start + i, batch.key_version)}"
                  for i in range(per_case)]
    return phones, sku.pk, paths


# --- load ------------------------------------------------------------------------------
def _request(conn: http.client.HTTPConnection, method: str, path: str, *, token: str = "", key: str = "",
             data: dict | None = None, form: str | None = None) -> tuple[int, dict]:
    headers = {"Accept-Language": "en", "Connection": "keep-alive"}
    body = None
    if data is not None:
        body, headers["Content-Type"] = json.dumps(data), "application/json"
    if form is not None:
        body, headers["Content-Type"] = form, "application/x-www-form-urlencoded"
    if token:
        headers["Authorization"] = f"Bearer {token}"
    if key:
        headers["Idempotency-Key"] = key
    conn.request(method, path, body=body, headers=headers)
    resp = conn.getresponse()
    raw = resp.read()
    try:
        return resp.status, json.loads(raw)
    except ValueError:
        return resp.status, {"body": raw[:200].decode(errors="replace")}


def login(port: int, phone: str) -> str:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=15)
    status, body = _request(conn, "POST", "/api/v1/auth/login", data={"phone": phone, "password": PASSWORD,
                                                                      "device": "bench"})
    conn.close()
    if status != 200:
        raise RuntimeError(f"login {phone}: {status} {body}")
    return body["token"]


def orders(port: int, tokens: list[str], sku_id: int, duration: float, label: str) -> _http.Result:
    """Place and pay restock orders from every client until `duration` has passed."""
    stop_at = time.monotonic() + duration
    latencies: list[list[float]] = [[] for _ in tokens]
    errors = [0] * len(tokens)
    first_error: list[str] = []

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        while time.monotonic() < stop_at:
            key = uuid.uuid4().hex
            t0 = time.perf_counter()
            try:
                made, body = _request(conn, "POST", "/api/v1/orders/restocks", token=tokens[i], key=f"o-{key}",
                                      data={"lines": [{"sku_id": sku_id, "quantity": 1}]})
                if made != 201:
                    raise RuntimeError(f"restock {made} {body}")
                paid, body = _request(conn, "POST", f"/api/v1/payments/orders/{body['no']}/pay", token=tokens[i],
                                      key=f"p-{key}", form="method=prepaid")
                if paid != 201 or body.get("order_status") not in SETTLED:
                    raise RuntimeError(f"pay {paid} {body}")
            except (OSError, http.client.HTTPException, RuntimeError) as exc:
                errors[i] += 1
                if not first_error:
                    first_error.append(repr(exc)[:300])
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                continue
            latencies[i].append(time.perf_counter() - t0)
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(len(tokens))]
    start = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    flat = sorted(x for lat in latencies for x in lat)
    if first_error:
        print(f"  {label}: {sum(errors)} failed iterations, first: {first_error[0]}")
    if len(flat) < 2:
        return _http.Result(label, len(flat), elapsed, len(flat) / elapsed, 0.0, 0.0, sum(errors), "python")
    q = statistics.quantiles(flat, n=100, method="inclusive")
    return _http.Result(label, len(flat), elapsed, len(flat) / elapsed, q[49] * 1000, q[98] * 1000, sum(errors),
                        "python")


def scans(port: int, script: str, duration: int, label: str) -> _http.Result:
    _http._wrk(f"http://127.0.0.1:{port}", "/", 1, 4, script)  # warm-up
    result = _http._wrk(f"http://127.0.0.1:{port}", "/", duration, CONCURRENCY, script)
    result.path = label
    return result


def wrk_script(paths: list[str], directory: str) -> str:
    path = Path(directory) / "scan.lua"
    listed = ",\n".join(f'  "{p}"' for p in paths)
    path.write_text("-- a random released code per request\n"
                    f"local paths = {{\n{listed}\n}}\n"
                    "math.randomseed(os.time())\n"
                    "request = function()\n"
                    "  return wrk.format(\"GET\", paths[math.random(#paths)])\n"
                    "end\n")
    return str(path)


# --- topology --------------------------------------------------------------------------
def use_servers(env: dict[str, str], servers: int) -> None:
    """Render the site with A only (both upstream lines at A) or A and B; reload nginx and
    wait until the old worker is gone, so no request of the next phase uses the old upstream."""
    site = dict(env)
    if servers == 1:
        site["APP_PORT_B"] = env["APP_PORT_A"]
    base = Path(env["STACK_DIR"]) / "nginx"
    stack.render(site, ROOT / "deploy" / "nginx" / "weishang.conf", base / "weishang.conf")
    before = _nginx_workers(env)
    subprocess.run(["nginx", "-q", "-p", str(base), "-c", str(base / "nginx.conf"), "-e", "stderr", "-s", "reload"],
                   check=True, capture_output=True)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        now = _nginx_workers(env)
        if now and not (now & before):
            return
        time.sleep(0.2)
    raise RuntimeError("nginx did not reload within 30 s")


def _nginx_workers(env: dict[str, str]) -> set[int]:
    master = stack.pid_of(env, "lb")
    out = subprocess.run(["ps", "-o", "pid=", "--ppid", str(master)], capture_output=True, text=True).stdout
    return {int(x) for x in out.split()}


def upstreams(env: dict[str, str], since: float, until: float) -> dict[str, int]:
    """Requests per app server in the nginx access log between two moments."""
    import datetime as dt

    counts: dict[str, int] = {}
    log = Path(env["STACK_DIR"]) / "log" / "lb.log"
    for line in log.read_text(errors="replace").splitlines():
        if not line.startswith("{"):
            continue
        try:
            entry = json.loads(line)
            at = dt.datetime.fromisoformat(entry["time"]).timestamp()
        except (ValueError, KeyError):
            continue
        if since <= at <= until + 1 and entry.get("path", "").startswith("/api/v1/"):
            name = {f"127.0.0.1:{env['APP_PORT_A']}": "A", f"127.0.0.1:{env['APP_PORT_B']}": "B"}.get(
                entry.get("upstream", ""), entry.get("upstream") or "-")
            counts[name] = counts.get(name, 0) + 1
    return counts


def share(counts: dict[str, int]) -> str:
    total = sum(counts.values()) or 1
    return " / ".join(f"{k} {100 * v / total:.0f}%" for k, v in sorted(counts.items()))


def run(env: dict[str, str], work: str) -> list[tuple[str, int, _http.Result, dict[str, int]]]:
    port = int(env["LB_PORT"])
    expected = CLIENTS * DURATION * 2 * 60  # far more units than two phases can sell
    phones, sku_id, paths = prepare_data(expected)
    tokens = [login(port, phone) for phone in phones]
    script = wrk_script(paths, work)
    rows = []
    for servers in (1, 2):
        use_servers(env, servers)
        print(f"== nginx -> {servers} app server{'s' if servers > 1 else ''}")
        orders(port, tokens, sku_id, 2, "warm-up")
        t0 = time.time()
        result = orders(port, tokens, sku_id, DURATION, f"orders (place + pay), {CLIENTS} clients")
        rows.append(("orders", servers, result, upstreams(env, t0, time.time())))
        print(f"  orders: {result.rps:.1f}/s, p50 {result.p50_ms:.0f} ms, p99 {result.p99_ms:.0f} ms, "
              f"{result.errors} errors ({share(rows[-1][3])})")
        if shutil.which("wrk") and _http.tool() == "wrk":
            t0 = time.time()
            result = scans(port, script, DURATION, f"scans (verify), {CONCURRENCY} connections")
            rows.append(("scans", servers, result, upstreams(env, t0, time.time())))
            print(f"  scans: {result.rps:.1f}/s, p50 {result.p50_ms:.1f} ms, p99 {result.p99_ms:.1f} ms, "
                  f"{result.errors} errors ({share(rows[-1][3])})")
        else:
            print("  scans: skipped (wrk is not installed)")
    from weishang.inventory import selectors as stock_selectors
    from weishang.orders.models import Order

    made = Order.objects.filter(buyer__phone__in=phones, kind="restock").exclude(status__in=SETTLED).count()
    print(f"check: {made} bench orders left unsettled, stock drift {'none' if not stock_selectors.drift() else 'FOUND'}")
    return rows


def print_rows(rows) -> None:
    one = {work: r.rps for work, servers, r, _c in rows if servers == 1}
    print("| workload | app servers | per s | p50 ms | p99 ms | errors | served by | vs 1 server |")
    print("|---|---:|---:|---:|---:|---:|---|---:|")
    for work, servers, r, counts in rows:
        ratio = f"{r.rps / one[work]:.2f}×" if one.get(work) else "—"
        print(f"| {r.path} | {servers} | {r.rps:,.1f} | {r.p50_ms:.1f} | {r.p99_ms:.1f} | {r.errors} | "
              f"{share(counts)} | {ratio} |")


def main() -> int:
    reason = unavailable()
    if reason:
        print(f"topology benchmark skipped: {reason}")
        return 0
    import psycopg
    import redis

    tag = f"weishang_bench_{os.getpid()}"
    work = tempfile.mkdtemp(prefix="weishang-bench-topology-")
    os.environ.update({
        "DATABASE_URL": f"{PG}/{tag}", "REDIS_URL": REDIS, "CACHE_PREFIX": tag, "STACK_DIR": work,
        "LB_PORT": str(_http.free_port()), "APP_PORT_A": str(_http.free_port()), "APP_PORT_B": str(_http.free_port()),
        "CELERY_CONCURRENCY": "1", "CODES_RATE_CLIENT": "1000000000", "CODES_RATE_CODE": "1000000000",
        "HTTPS": "0", "LOG_FORMAT": "json", "SITE_URL": "http://127.0.0.1", "DEBUG": "0",
        "DJANGO_SETTINGS_MODULE": "weishang.settings",
    })
    env = stack.load_env()  # WEB_WORKERS from the environment, else deploy/local.env
    redis.Redis.from_url(REDIS).flushdb()  # our own DB number only
    with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {tag}")
    signal.signal(signal.SIGTERM, lambda *a: sys.exit(143))
    start = time.monotonic()
    try:
        subprocess.run([sys.executable, "deploy/stack.py", "up"], cwd=ROOT, env=env, check=True, timeout=180,
                       stdout=subprocess.DEVNULL)
        subprocess.run([sys.executable, "manage.py", "load_demo", "-v0"], cwd=ROOT, env=env, check=True,
                       timeout=180, stdout=subprocess.DEVNULL)
        import django

        django.setup()
        print(f"stack up and data loaded in {time.monotonic() - start:.0f} s; {DURATION} s per measurement, "
              f"WEB_WORKERS={env['WEB_WORKERS']} per app server, {os.cpu_count()} cores, "
              f"load average {os.getloadavg()[0]:.1f}")
        rows = run(env, work)
        print_rows(rows)
        print(f"total {time.monotonic() - start:.0f} s, load average {os.getloadavg()[0]:.1f}")
        return 0
    finally:
        subprocess.run([sys.executable, "deploy/stack.py", "down"], cwd=ROOT, env=env, timeout=120,
                       stdout=subprocess.DEVNULL)
        from django.db import connections

        connections.close_all()
        with psycopg.connect(f"{PG}/postgres", autocommit=True) as conn:
            conn.execute(f"DROP DATABASE IF EXISTS {tag} WITH (FORCE)")
        redis.Redis.from_url(REDIS).flushdb()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
