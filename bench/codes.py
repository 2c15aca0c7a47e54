"""Anti-counterfeit codes benchmark (issue 6), one run:

1. codes generated and written to a CSV file per second (1 and 2 processes), against
   writing the same number of plain "URL + serial number" lines (no crypto) in the same run;
2. database rows and bytes for a 100,000,000-code batch before any scan, against a naive
   one-row-per-code table (1,000,000 rows measured, scaled to 100,000,000);
3. time to decide nesting and binding for a random item among 10,000,000 bound items
   (each case shipped to one of 500 agents), against a primary-key lookup;
4. verification over HTTP under granian (2 workers), every scan durably recorded, random
   genuine codes, against two trivial views in the same run: /healthz (no query) and /readyz
   (one-row lookup, the issue's baseline), with p99.

    .venv/bin/python bench/codes.py                   # full sizes
    BENCH_CODES=1000000 BENCH_BOUND=1000000 BENCH_DURATION=5 .venv/bin/python bench/codes.py
"""

from __future__ import annotations

import os
import random
import re
import shutil
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import _http  # noqa: E402

DB = os.environ.get("BENCH_DB", "/tmp/weishang_bench_codes.sqlite3")
N_CODES = int(os.environ.get("BENCH_CODES", "5000000"))
N_BOUND = int(os.environ.get("BENCH_BOUND", "10000000"))
BIG = 100_000_000
os.environ["SQLITE_PATH"] = DB
os.environ.pop("DATABASE_URL", None)
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weishang.settings")
os.environ.setdefault("CODE_KEYS", "1:" + "YmVuY2gta2V5LWZvci13ZWlzaGFuZy1jb2Rlcw==")
os.environ.setdefault("SITE_URL", "https://brand.example")
# Rate limits stay on (every request still counts in the cache) but above the bench's load.
HTTP_ENV = {"CODES_RATE_CLIENT": "1000000000", "CODES_RATE_CODE": "1000000000", "CODE_KEYS": os.environ["CODE_KEYS"],
            "SITE_URL": os.environ["SITE_URL"]}


def setup_django():
    _http.migrate(DB, fresh=True)
    import django

    django.setup()


def fixtures():
    import datetime as dt
    from decimal import Decimal

    from weishang.accounts.models import User
    from weishang.catalog.models import SKU, Product, ProductLine

    line = ProductLine.objects.create(name="bench")
    product = Product.objects.create(line=line, name="玻尿酸精华")
    sku = SKU.objects.create(product=product, name="50ml", code="BENCH1", retail_price=Decimal("128"),
                             floor_price=Decimal("40"), ceiling_price=Decimal("168"))
    hq = User.objects.create_user("+8613900000001", None, is_staff=True, is_superuser=True)
    return sku, hq, dt.date(2026, 1, 1), dt.date(2028, 1, 1)


def codes_tables(conn: sqlite3.Connection) -> dict[str, tuple[int, int, int]]:
    """name -> (rows, payload bytes, allocated bytes) for the codes app's tables and indexes."""
    out = {}
    tables = [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='table' AND name LIKE 'codes_%'")]
    for t in tables:
        rows = conn.execute(f'SELECT COUNT(*) FROM "{t}"').fetchone()[0]
        names = [t] + [r[0] for r in conn.execute("SELECT name FROM sqlite_master WHERE type='index' AND tbl_name=?",
                                                  (t,))]
        payload = alloc = 0
        for n in names:
            p, a = conn.execute("SELECT COALESCE(SUM(payload),0), COALESCE(SUM(pgsize),0) FROM dbstat WHERE name=?",
                                (n,)).fetchone()
            payload += p
            alloc += a
        out[t] = (rows, payload, alloc)
    return out


def naive_bytes(sample: int = 1_000_000) -> tuple[int, int]:
    """Bytes of a one-row-per-code table (code text, batch, state), measured on `sample` rows."""
    path = Path(tempfile.mkdtemp()) / "naive.sqlite3"
    conn = sqlite3.connect(path)
    conn.execute("CREATE TABLE code (id INTEGER PRIMARY KEY, code TEXT NOT NULL UNIQUE, batch_id INTEGER NOT NULL, "
                 "status INTEGER NOT NULL, scans INTEGER NOT NULL)")
    import secrets

    conn.executemany("INSERT INTO code (code, batch_id, status, scans) VALUES (?, 1, 0, 0)",
                     ((secrets.token_hex(9),) for _ in range(sample)))
    conn.commit()
    payload, alloc = conn.execute("SELECT SUM(payload), SUM(pgsize) FROM dbstat WHERE name LIKE 'code' OR "
                                  "name LIKE 'sqlite_autoindex_code%'").fetchone()
    conn.close()
    shutil.rmtree(path.parent)
    return payload, alloc


def _cpu() -> float:
    """CPU seconds used by this process and its finished children (user + system)."""
    import resource

    me, kids = resource.getrusage(resource.RUSAGE_SELF), resource.getrusage(resource.RUSAGE_CHILDREN)
    return me.ru_utime + me.ru_stime + kids.ru_utime + kids.ru_stime


def part_generation(sku, hq, pd, ed) -> dict:
    from weishang.codes import conf, export, services

    batch = services.create_batch(sku=sku, lot="GEN", production_date=pd, expiry_date=ed, quantity=N_CODES,
                                  items_per_box=12, boxes_per_case=8, user=hq)
    layout = export.Layout.of(batch, conf.get_codec(), conf.code_keys(), conf.site_url())
    total = N_CODES + batch.box_count + batch.case_count
    out = Path(tempfile.mkdtemp()) / "codes.csv"
    res = {"codes": total}
    conf.get_codec()._k(batch.key_version).tables  # noqa: B018 - build the round tables once, outside the timing
    for workers in (1, 2):
        cpu0 = _cpu()
        t0 = time.perf_counter()
        with open(out, "wb") as f:
            size = export.write_file(layout, f, workers=workers)
            f.flush()
            os.fsync(f.fileno())
        res[f"rate_{workers}"] = total / (time.perf_counter() - t0)
        res[f"cpu_{workers}"] = total / (_cpu() - cpu0)
        res["bytes"] = size
    # spot check: the file decodes back to the batch's serials
    codec = conf.get_codec()
    with open(out) as f:
        f.readline()
        first = f.readline().split(",")[0]
    assert codec.decode(first).serial == batch.serial_start
    # baseline: the same number of lines with a plain serial number instead of a code
    t0 = time.perf_counter()
    prefix = layout.prefix
    with open(out, "wb") as f:
        for start in range(0, total, 50_000):
            f.write("".join(f"{prefix}{s},item,{s // 96 + 1},{s // 12 + 1}\n"
                            for s in range(start, min(start + 50_000, total))).encode())
        f.flush()
        os.fsync(f.fileno())
    res["plain_rate"] = total / (time.perf_counter() - t0)
    shutil.rmtree(out.parent)
    return res


def part_storage(sku, hq, pd, ed) -> dict:
    from django.db import connection

    from weishang.codes import services

    conn = sqlite3.connect(DB)
    before = codes_tables(conn)
    services.create_batch(sku=sku, lot="BIG", production_date=pd, expiry_date=ed, quantity=BIG, items_per_box=12,
                          boxes_per_case=8, user=hq)
    connection.close()
    after = codes_tables(conn)
    conn.close()
    rows = sum(after[t][0] - before[t][0] for t in after)
    payload = sum(after[t][1] - before[t][1] for t in after)
    per_table = {t: after[t][0] - before[t][0] for t in after if after[t][0] != before[t][0]}
    n_payload, n_alloc = naive_bytes()
    return {"rows": rows, "payload": payload, "tables": per_table,
            "naive_payload": n_payload * (BIG // 1_000_000), "naive_alloc": n_alloc * (BIG // 1_000_000)}


def part_binding(sku, hq, pd, ed) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from weishang.accounts.models import User
    from weishang.agents.models import Agent, Level
    from weishang.codes import selectors, services
    from weishang.codes.models import Holding

    batch = services.create_batch(sku=sku, lot="BOUND", production_date=pd, expiry_date=ed, quantity=N_BOUND,
                                  items_per_box=12, boxes_per_case=8, user=hq)
    level = Level.objects.create(name="总代", rank=1)
    users = User.objects.bulk_create([User(phone=f"+86137{i:08d}", name=f"代理{i}") for i in range(500)])
    agents = Agent.objects.bulk_create([Agent(user=u, name=u.name, level=level, path="/", province_code="440000",
                                              city_code="440100") for u in users])
    ids = [a.pk for a in agents]
    rng = random.Random(6)
    now = timezone.now()
    rows = []
    # The intervals services.scan_out builds when each case goes to one of 500 agents:
    # a case binds its items, its boxes and itself; neighbours of the same agent merge.
    last = {}
    for c in range(batch.case_count):
        agent = rng.choice(ids)
        case_serial = batch.case_start + c
        ranges = selectors.contents(batch, case_serial)
        for a, b in ranges:
            key = ("i" if a < batch.box_start else "b" if a < batch.case_start else "c")
            prev = last.get(key)
            if prev is not None and prev[1] == a and prev[2] == agent:
                prev[1] = b
            else:
                prev = [a, b, agent]
                rows.append(prev)
                last[key] = prev
    with transaction.atomic():
        for i in range(0, len(rows), 50_000):
            Holding.objects.bulk_create([Holding(start=a, end=b, agent_id=ag, since=now)
                                         for a, b, ag in rows[i:i + 50_000]])
    connection.close()
    samples = [rng.randrange(batch.serial_start, batch.box_start) for _ in range(20_000)]
    for s in samples[:500]:
        selectors.place(s)  # warm the page cache and the connection
    times = []
    for s in samples:
        t0 = time.perf_counter()
        p = selectors.place(s)
        times.append(time.perf_counter() - t0)
        assert p is not None and p.holder_id is not None
    base = []
    for _ in samples:
        pk = rng.choice(ids)
        t0 = time.perf_counter()
        Agent.objects.filter(pk=pk).values_list("id", flat=True).first()
        base.append(time.perf_counter() - t0)
    q = statistics.quantiles(times, n=100)
    qb = statistics.quantiles(base, n=100)
    return {"holdings": Holding.objects.count(), "items": N_BOUND, "mean_ms": statistics.mean(times) * 1000,
            "p99_ms": q[98] * 1000, "base_mean_ms": statistics.mean(base) * 1000, "base_p99_ms": qb[98] * 1000,
            "batch": batch}


def _wrk_script(paths: list[str]) -> str:
    fd, path = tempfile.mkstemp(suffix=".lua")
    with os.fdopen(fd, "w") as f:
        f.write("local paths = {\n" + ",\n".join(f'"{p}"' for p in paths) + "\n}\n")
        f.write("math.randomseed(os.time())\n"
                "request = function()\n  return wrk.format('GET', paths[math.random(#paths)])\nend\n")
    return path


def _wrk_random(base: str, paths: list[str], duration: int, concurrency: int, label: str) -> _http.Result:
    script = _wrk_script(paths)
    try:
        out = subprocess.run(["wrk", "--latency", "-t", "2", "-c", str(concurrency), "-d", f"{duration}s",
                              "--timeout", "10s", "-s", script, base + paths[0]], capture_output=True, text=True,
                             check=True).stdout
    finally:
        os.unlink(script)
    pct = {m.group(1): _http._ms(m.group(2), m.group(3))
           for m in re.finditer(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)}
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    errors = sum(int(m.group(1)) for m in re.finditer(r"Non-2xx or 3xx responses: (\d+)", out))
    return _http.Result(label, int(total.group(1)), _http._ms(total.group(2), total.group(3)) / 1000,
                        float(rps.group(1)), pct["50"], pct["99"], errors, "wrk")


def _slow_download(base: str, path: str) -> subprocess.Popen:
    """A staff member's code-file download to a slow client (curl at 200 kB/s), started
    before a measurement: with one blocking thread per granian worker it holds that
    worker's only thread while it streams."""
    from django.test import Client

    from weishang.accounts.models import User

    client = Client()
    client.force_login(User.objects.get(phone="+8613900000001"))
    session = client.cookies["sessionid"].value
    proc = subprocess.Popen(["curl", "-s", "-o", "/dev/null", "--limit-rate", "200k", "-b", f"sessionid={session}",
                             base + path])
    time.sleep(1)  # the download is streaming before the load starts
    return proc


def _server_pids(base: str) -> list[str]:
    port = base.rsplit(":", 1)[1]
    out = subprocess.run(["pgrep", "-f", f"granian.*--port {port}"], capture_output=True, text=True).stdout
    return out.split()


def _cpu_seconds(pids: list[str]) -> float:
    """User + system CPU of the server's processes (the granian main process and its workers)."""
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total / os.sysconf("SC_CLK_TCK")


def part_http(batch) -> dict:
    """Each URL loaded in turn by wrk (random genuine codes for the verification URLs); besides
    requests/s, the server's CPU per request, which the machine's other load does not change."""
    from weishang.codes import conf
    from weishang.codes.codec import check_symbol

    codec = conf.get_codec()
    rng = random.Random(7)
    serials = [rng.randrange(batch.serial_start, batch.box_start) for _ in range(20_000)]
    paths = [f"/v/{codec.encode(s).lower()}" for s in serials]
    api_paths = [p.replace("/v/", "/api/v1/codes/verify/") for p in paths]
    good = codec.encode(serials[0])
    forged = good[:10] + ("0" if good[10] != "0" else "1") + good[11:17]
    forged += check_symbol(forged)
    duration = _http.env_int("BENCH_DURATION", 10)
    concurrency = _http.env_int("BENCH_CONCURRENCY", 16)
    env = dict(HTTP_ENV)
    for knob in ("GRANIAN_BLOCKING_THREADS", "CODES_SCAN_FILE_LOCK"):
        if os.environ.get(knob):
            env[knob] = os.environ[knob]

    def scans() -> int:
        with sqlite3.connect(DB) as c:
            return c.execute("SELECT COUNT(*) FROM codes_scanevent").fetchone()[0]

    product_page = f"/p/{batch.sku.product_id}/"
    download = f"/codes/batches/{batch.pk}/codes.csv"
    runs = []
    with _http.serve(DB, workers=2, extra_env=env) as base:
        for p in paths[:50] + api_paths[:50] + [product_page] * 20:  # warm both workers
            _http.check(base, p)
        warmup = _http.env_int("BENCH_WARMUP", 3)
        if warmup and _http.tool() == "wrk":  # steady state: whichever scan run came first was ~20% slower
            _wrk_random(base, paths[::2] + api_paths[1::2], warmup, concurrency, "warm-up")
        pids = _server_pids(base)
        # Interleaved rounds: this machine's speed drifts by ±20 % over tens of seconds (other
        # virtual machines), so each scan figure is compared with the baselines measured just
        # before it, round by round, and the report gives the median and range of those ratios.
        rounds = _http.env_int("BENCH_ROUNDS", 3)
        core = [("/healthz", ["/healthz"]), ("/readyz (one-row lookup)", ["/readyz"]),
                ("/v/<random genuine code>", paths), ("/api/v1/codes/verify/<random genuine code>", api_paths)]
        plan = [(r, label, ps) for r in range(rounds) for label, ps in core]
        plan.append((0, f"{product_page} (catalog product page)", [product_page]))
        if os.environ.get("BENCH_DOWNLOAD", "1") != "0":
            plan.append((0, "/healthz while one slow client downloads a code file", ["/healthz"]))
        for rnd, label, ps in plan:
            slow = _slow_download(base, download) if "downloads" in label else None
            before, cpu0 = scans(), _cpu_seconds(pids)
            try:
                if _http.tool() == "wrk":
                    res = _wrk_random(base, ps, duration, concurrency, label)
                else:
                    res = _http.measure(base, [ps[0]], duration=duration, concurrency=concurrency)[0]
                    res.path = label
            finally:
                if slow is not None:
                    alive = slow.poll() is None
                    slow.terminate()
                    slow.wait()
            if slow is not None and not alive:
                res.path += " (the download ended early: not comparable)"
            res.extra["cpu_ms"] = (_cpu_seconds(pids) - cpu0) / max(res.requests, 1) * 1000
            res.extra["recorded"] = scans() - before
            res.extra["round"] = rnd
            runs.append(res)
        # a forged code: rejected before any database work (answers 404 by design)
        t0 = time.perf_counter()
        statuses = [_http.check(base, "/v/" + forged.lower()) for _ in range(200)]
        forged_ms = (time.perf_counter() - t0) / len(statuses) * 1000
    return {"runs": runs, "forged_ms": forged_ms, "forged_status": sorted(set(statuses)), "env": env}


def part_profile(batch) -> dict:
    """In-process CPU per request (Django's WSGI handler, no server) and per step of the
    verification path: where the time goes, measured."""
    import io

    from django.core.handlers.wsgi import WSGIHandler
    from django.db import transaction
    from django.test import RequestFactory

    from weishang.codes import conf, location, selectors, services, verify
    from weishang.codes.views import _VERIFY_PAGE
    from weishang.core import ratelimit

    codec = conf.get_codec()
    rng = random.Random(11)
    app = WSGIHandler()  # Django's own handler: every request through the middleware stack
    from weishang.wsgi import Handler

    prod = Handler()  # production's: anonymous scans take the fast path (weishang/codes/fastpath.py)

    def environ(path: str) -> dict:
        return {"REQUEST_METHOD": "GET", "PATH_INFO": path, "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "80",
                "HTTP_HOST": "127.0.0.1", "REMOTE_ADDR": "127.0.0.1", "wsgi.url_scheme": "http",
                "wsgi.input": io.BytesIO(b""), "wsgi.errors": sys.stderr, "SCRIPT_NAME": "", "QUERY_STRING": ""}

    def cpu_us(fn, n: int = 2000) -> float:
        for _ in range(min(n, 100)):
            fn()
        best = float("inf")
        for _ in range(3):
            t0 = time.process_time()
            for _ in range(n // 3):
                fn()
            best = min(best, (time.process_time() - t0) / (n // 3) * 1e6)
        return best

    def code() -> str:
        return codec.encode(rng.randrange(batch.serial_start, batch.box_start)).lower()

    def get(path_of, handler=app):
        def run():
            status = []
            b"".join(handler(environ(path_of()), lambda s, h, e=None: status.append(s)))
            assert status[0].startswith("200"), status
        return run

    os.environ["CODES_RATE_CLIENT"] = os.environ["CODES_RATE_CODE"] = "1000000000"
    conf.reset()
    rf = RequestFactory()
    steps = {
        "GET /healthz (whole Django request)": get(lambda: "/healthz"),
        "GET /readyz (whole Django request, one-row lookup)": get(lambda: "/readyz"),
        "GET /v/<code> (whole Django request)": get(lambda: "/v/" + code()),
        "GET /api/v1/codes/verify/<code> (whole)": get(lambda: "/api/v1/codes/verify/" + code()),
        "GET /healthz (weishang.wsgi, falls through to Django)": get(lambda: "/healthz", prod),
        "GET /v/<code> (weishang.wsgi fast path)": get(lambda: "/v/" + code(), prod),
        "GET /api/v1/codes/verify/<code> (fast path)": get(lambda: "/api/v1/codes/verify/" + code(), prod),
        "  two rate-limit hits (cache)": lambda: (ratelimit.hit("bench", "1.2.3.4", limit=10**9, window=60),
                                                   ratelimit.hit("bench2", "x", limit=10**9, window=60)),
        "  decode + batch lookup (no I/O)": lambda: services.decode_in_batch(code()),
        "  holder lookup (1 SELECT)": lambda: selectors.holder_id_of(rng.randrange(batch.serial_start,
                                                                                    batch.box_start)),
    }

    def empty_atomic():
        with transaction.atomic():
            pass

    def record():
        s = rng.randrange(batch.serial_start, batch.box_start)
        services.record_scan(code="X", batch=batch, serial=s, place=location.UNKNOWN, person="bench")

    def render():
        req = rf.get("/v/x")
        req.user = type("Anon", (), {"is_authenticated": False})()
        outcome = verify.verify(req, code())
        return outcome

    outcome = render()
    info = verify.describe(outcome.result)
    flags = {"state": "ok", "first": True, "has_first_place": False, "has_seller": True, "has_cert": False,
             "with_pin": False, "has_place": False, "placed": False, "geo": True, "auth": False, "staff": False}
    values = {k: "x" for k in ("nth", "first_at", "first_place", "people", "cities", "product", "sku", "lot",
                               "production_date", "expiry_date", "seller", "seller_level", "cert_url",
                               "code_display", "place", "place_url", "pin_url", "geo_url", "token", "next")}
    values["product"] = info["product"]
    steps.update({
        "  empty transaction.atomic() (BEGIN IMMEDIATE + COMMIT)": empty_atomic,
        "  scan write: record_scan (holder, upsert, event, commit)": record,
        "  verify() without the page (limits, decode, write)": render,
        "  page from its skeleton (render)": lambda: _VERIFY_PAGE.render(flags, values),
    })
    return {name: cpu_us(fn) for name, fn in steps.items()}


PARTS = set((os.environ.get("BENCH_PARTS") or "storage,gen,bind,http,profile").split(","))


def main() -> None:
    setup_django()
    sku, hq, pd, ed = fixtures()
    print(f"== codes benchmark (codes={N_CODES:,}, bound items={N_BOUND:,}, big batch={BIG:,}); "
          f"load average before: {os.getloadavg()[0]:.2f} on {os.cpu_count()} cores")
    if "storage" in PARTS:
        report_storage(part_storage(sku, hq, pd, ed))
    if "gen" in PARTS:
        report_generation(part_generation(sku, hq, pd, ed))
    if PARTS & {"bind", "http", "profile"}:
        b = part_binding(sku, hq, pd, ed)
        report_binding(b)
    if "http" in PARTS:
        report_http(part_http(b["batch"]))
    if "profile" in PARTS:
        report_profile(part_profile(b["batch"]))
    print(f"\nload average after: {os.getloadavg()[0]:.2f} (other work on the machine skews every figure)")


def report_storage(st: dict) -> None:
    print("\n-- storage for a 100,000,000-code batch before any scan")
    print(f"rows: {st['rows']} ({st['tables']}), payload bytes: {st['payload']:,}")
    print(f"baseline one-row-per-code table: payload {st['naive_payload'] / 1e9:.2f} GB, "
          f"allocated {st['naive_alloc'] / 1e9:.2f} GB (1,000,000 rows measured × 100)")


def report_generation(gen: dict) -> None:
    print(f"\n-- generation: {gen['codes']:,} codes written as CSV ({gen['bytes'] / 1e6:.0f} MB), fsync'ed")
    print(f"1 process : {gen['rate_1']:,.0f} codes/s wall clock; {gen['cpu_1']:,.0f} codes per CPU-second")
    print(f"2 processes: {gen['rate_2']:,.0f} codes/s wall clock; {gen['cpu_2']:,.0f} codes per CPU-second "
          f"(= {2 * gen['cpu_2']:,.0f} codes/s on 2 idle cores)")
    print(f"baseline, plain serial-number lines (no crypto), 1 process: {gen['plain_rate']:,.0f} lines/s")


def report_binding(b: dict) -> None:
    print(f"\n-- nesting + binding decision among {b['items']:,} bound items ({b['holdings']:,} holding intervals)")
    print(f"place(serial): mean {b['mean_ms']:.3f} ms, p99 {b['p99_ms']:.3f} ms")
    print(f"baseline primary-key lookup: mean {b['base_mean_ms']:.3f} ms, p99 {b['base_p99_ms']:.3f} ms")


def report_http(h: dict) -> None:
    runs = h["runs"]
    knobs = {k: v for k, v in h["env"].items() if k.startswith(("GRANIAN_", "CODES_SCAN"))}
    knobs.setdefault("GRANIAN_BLOCKING_THREADS", "2 (as make serve)")
    print(f"\n-- verification over HTTP (granian --interface wsgi, 2 workers, as `make serve`; {knobs}; "
          f"each scan written before the answer)")
    labels = list(dict.fromkeys(r.path for r in runs))
    rounds = max(r.extra["round"] for r in runs) + 1
    print(f"tool: {runs[0].tool}; {rounds} interleaved rounds of {runs[0].seconds:.0f} s per URL; "
          "medians over rounds, ratios taken within each round (range in brackets)")

    def same_round(r, label):
        return next(b for b in runs if b.path == label and b.extra["round"] == r.extra["round"])

    def ratio(rs, label, cpu=False):
        vals = sorted((same_round(r, label).extra["cpu_ms"] / r.extra["cpu_ms"]) if cpu
                      else (r.rps / same_round(r, label).rps) for r in rs)
        text = f"{statistics.median(vals):.2f}×"
        return text + (f" [{vals[0]:.2f}–{vals[-1]:.2f}]" if len(vals) > 1 else "")

    healthz, readyz = labels[0], labels[1]  # no query; a one-row lookup (the trivial view)
    print("| path | requests/s | p50 ms | p99 ms | errors | vs /healthz | vs /readyz | server CPU ms/request "
          "| CPU vs /healthz | CPU vs /readyz |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for label in labels:
        rs = [r for r in runs if r.path == label]
        med = statistics.median
        print(f"| `{label}` | {med(r.rps for r in rs):,.0f} | {med(r.p50_ms for r in rs):.1f} | "
              f"{med(r.p99_ms for r in rs):.1f} | {sum(r.errors for r in rs)} | {ratio(rs, healthz)} | "
              f"{ratio(rs, readyz)} | {med(r.extra['cpu_ms'] for r in rs):.3f} | {ratio(rs, healthz, True)} | "
              f"{ratio(rs, readyz, True)} |")
    for label in labels[2:4]:
        rs = [r for r in runs if r.path == label]
        print(f"scans recorded during {label}: {sum(r.extra['recorded'] for r in rs):,} for "
              f"{sum(r.requests for r in rs):,} answered requests")
    print(f"forged code, one client, sequential: {h['forged_ms']:.1f} ms per answer (status {h['forged_status']}; "
          f"includes the {os.environ.get('CODES_NEGATIVE_MIN_SECONDS', '0.03')} s floor that hides unknown vs forged)")


def report_profile(p: dict) -> None:
    print("\n-- in-process CPU per call (µs, best of 3 rounds; no server)")
    for name, us in p.items():
        print(f"{us:9.1f}  {name}")


if __name__ == "__main__":
    main()
