"""Orders benchmark (issue 4): consumer orders/s and restocks/s routed through a 5-level
agent chain, on SQLite and PostgreSQL, with 1 and 16 concurrent clients; the final stock
check (expected vs actual, zero oversell) after every run; and a bare
`transaction.atomic()` + one INSERT in the same run as the floor.

    .venv/bin/python bench/orders.py                    # 2000 orders per case
    BENCH_N=300 .venv/bin/python bench/orders.py        # quick run
    BENCH_DBS=sqlite .venv/bin/python bench/orders.py   # SQLite only

Each database runs in a child process (Django settings are per process): SQLite in its own
file under /tmp, PostgreSQL in a fresh database `ws_bench_orders` on BENCH_PG_URL
(default postgresql://postgres@127.0.0.1:5432). Every order goes through the real service
wrapped in `weishang.core.idempotency.run` (as the API does): validation, price lookup,
conditional-UPDATE reservation, order + lines + shares + event rows. Restocks use a
5-level chain (L1 … L5) where only HQ holds stock and the brand passes up at once, so
each restock walks L4 → L3 → L2 → L1 → HQ. Stock is set below demand in every run, so
the last orders must be refused: the check shows sold == stock and no drift.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def child(db: str, n: int) -> dict:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weishang.settings")
    os.environ["ORDERS_RESTOCK_WAIT_HOURS"] = "0"
    os.environ["ORDERS_PASSED_OVER_EARNS"] = "1"
    os.environ["HTTPS"] = "0"
    import django

    django.setup()
    from decimal import Decimal

    from django.core.management import call_command
    from django.db import connection, connections, transaction

    call_command("migrate", verbosity=0, interactive=False)

    from weishang.accounts.models import User
    from weishang.agents.models import Level, LevelPrice
    from weishang.agents.services import create_agent
    from weishang.catalog.models import SKU, Product, ProductLine
    from weishang.core import idempotency
    from weishang.core.errors import DomainError
    from weishang.inventory import selectors as stock_selectors
    from weishang.inventory import services as stock
    from weishang.inventory.models import Stock
    from weishang.orders import services
    from weishang.orders.models import Order

    admin = User.objects.create_user("+8613700000000", "bench-pass-1234", is_staff=True, is_superuser=True)
    line = ProductLine.objects.create(name="bench")
    product = Product.objects.create(line=line, name="精华")
    sku = SKU.objects.create(product=product, name="50ml", code="B-1", retail_price=Decimal("128"),
                             floor_price=Decimal("40"), ceiling_price=Decimal("168"), max_per_order=999)
    levels = [Level.objects.create(name=f"L{r}", rank=r) for r in range(1, 6)]
    for lv, price in zip(levels, ("50", "60", "70", "80", "90"), strict=True):
        LevelPrice.objects.create(level=lv, sku=sku, price=Decimal(price), currency="CNY")
    phone = iter(range(10_000_000, 99_999_999))
    chain = []
    up = None
    for lv in levels[:4]:
        up = create_agent(user=User.objects.create_user(f"+86138{next(phone)}", None), name=lv.name, level=lv,
                          upline=up)
        chain.append(up)
    shop = chain[-1]
    address = {"name": "王五", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
               "district_code": "110101", "detail": "1 号"}
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, v INTEGER NOT NULL)" if db == "sqlite"
                    else "CREATE TABLE bench_floor (id BIGSERIAL PRIMARY KEY, v INTEGER NOT NULL)")

    def run_clients(clients: int, total: int, fn) -> tuple[float, int, int]:
        ok = [0] * clients
        refused = [0] * clients
        per = total // clients

        def worker(i):
            try:
                for j in range(per):
                    try:
                        fn(i, j)
                        ok[i] += 1
                    except DomainError:
                        refused[i] += 1
            finally:
                connections.close_all()

        threads = [threading.Thread(target=worker, args=(i,)) for i in range(clients)]
        start = time.perf_counter()
        for t in threads:
            t.start()
        for t in threads:
            t.join()
        elapsed = time.perf_counter() - start
        return elapsed, sum(ok), sum(refused)

    results = []
    for clients in (1, 16):
        total = n - n % clients
        # Floor: atomic() + one INSERT.
        def floor(i, j):
            with transaction.atomic(), connection.cursor() as cur:
                cur.execute("INSERT INTO bench_floor (v) VALUES (%s)", [j])

        el, ok, _r = run_clients(clients, total, floor)
        results.append({"db": db, "case": "floor: atomic()+INSERT", "clients": clients, "n": ok,
                        "per_s": round(ok / el, 1), "check": "-"})

        # Consumer orders from the shop agent's cloud stock; stock below demand.
        Stock.objects.filter(agent=shop).delete() if not Stock.objects.filter(agent=shop).exists() else None
        units = int(total * 0.9)
        have = Stock.objects.filter(agent=shop, sku=sku).values_list("quantity", "reserved").first() or (0, 0)
        stock.adjust(agent_id=shop.pk, sku_id=sku.pk, quantity=units - (have[0] - have[1]), reason="bench",
                     user=admin) if units != have[0] - have[1] else None
        before = Stock.objects.get(owner=f"a{shop.pk}", sku=sku)
        buyers = [User.objects.create_user(f"+86137{next(phone)}", None) for _ in range(clients)]
        orders_before = Order.objects.filter(kind="consumer").count()

        def consumer(i, j, buyers=buyers, clients=clients):
            idempotency.run(key=f"c{clients}-{i}-{j}", user=buyers[i], endpoint="orders.consumer",
                            payload={"j": j}, fn=lambda: (201, {"no": services.create_consumer_order(
                                user=buyers[i], shop_agent_id=shop.pk, lines=[(sku.pk, 1)], address=address).no}))

        el, ok, refused = run_clients(clients, total, consumer)
        after = Stock.objects.get(owner=f"a{shop.pk}", sku=sku)
        made = Order.objects.filter(kind="consumer").count() - orders_before
        expected = min(total, before.quantity - before.reserved)
        sold = after.reserved - before.reserved
        good = sold == expected == made == ok and after.quantity == before.quantity and not stock_selectors.drift()
        results.append({"db": db, "case": "consumer order", "clients": clients, "n": ok, "refused": refused,
                        "per_s": round(ok / el, 1),
                        "check": f"stock {units}: sold {sold}, expected {expected}, orders {made} -> "
                                 f"{'OK' if good else 'MISMATCH'}"})

        # Restocks through the 5-level chain: only HQ has stock; each passes L4..L1 then HQ.
        buyers5 = [create_agent(user=User.objects.create_user(f"+86136{next(phone)}", None), name="L5",
                                level=levels[4], upline=chain[-1]) for _ in range(clients)]
        units = int(total * 0.9)
        hq = Stock.objects.filter(owner="hq", sku=sku).values_list("quantity", "reserved").first() or (0, 0)
        if units != hq[0] - hq[1]:
            stock.adjust(agent_id=None, sku_id=sku.pk, quantity=units - (hq[0] - hq[1]), reason="bench", user=admin)
        before = Stock.objects.get(owner="hq", sku=sku)
        restocks_before = Order.objects.filter(kind="restock", status="pending").count()

        def restock(i, j, buyers5=buyers5, clients=clients):
            def make():
                order = services.create_restock(user=buyers5[i].user, lines=[(sku.pk, 1)])
                if order.status != "pending":
                    raise DomainError("waiting for HQ stock", code="waiting")
                return 201, {"no": order.no}

            idempotency.run(key=f"r{clients}-{i}-{j}", user=buyers5[i].user, endpoint="orders.restock",
                            payload={"j": j}, fn=make)

        el, ok, refused = run_clients(clients, total, restock)
        after = Stock.objects.get(owner="hq", sku=sku)
        made = Order.objects.filter(kind="restock", status="pending").count() - restocks_before
        expected = min(total, before.quantity - before.reserved)
        sold = after.reserved - before.reserved
        good = sold == expected == made == ok and not stock_selectors.drift()
        results.append({"db": db, "case": "restock via 5 levels", "clients": clients, "n": ok, "refused": refused,
                        "per_s": round(ok / el, 1),
                        "check": f"HQ stock {units}: sold {sold}, expected {expected}, orders {made} -> "
                                 f"{'OK' if good else 'MISMATCH'}"})
    return {"results": results}


def prepare(db: str) -> dict | None:
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    if db == "sqlite":
        path = "/tmp/ws_bench_orders.sqlite3"
        for suffix in ("", "-wal", "-shm"):
            Path(path + suffix).unlink(missing_ok=True)
        env["SQLITE_PATH"] = path
        return env
    base = os.environ.get("BENCH_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
    try:
        import psycopg

        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute("DROP DATABASE IF EXISTS ws_bench_orders WITH (FORCE)")
            conn.execute("CREATE DATABASE ws_bench_orders")
    except Exception as exc:  # no server: say so, measure SQLite only
        print(f"PostgreSQL not available at {base}: {exc}")
        return None
    env["DATABASE_URL"] = f"{base}/ws_bench_orders"
    return env


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--child":
        print("RESULT " + json.dumps(child(sys.argv[2], int(os.environ.get("BENCH_N", "2000")))))
        return
    rows = []
    for db in os.environ.get("BENCH_DBS", "sqlite,postgresql").split(","):
        env = prepare(db.strip())
        if env is None:
            continue
        proc = subprocess.run([sys.executable, __file__, "--child", db.strip()], env=env, capture_output=True,
                              text=True, cwd=ROOT)
        line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
        if proc.returncode != 0 or line is None:
            print(proc.stdout[-3000:], proc.stderr[-5000:])
            raise SystemExit(f"{db} run failed")
        rows += json.loads(line[7:])["results"]
    print(f"{'db':<11}{'case':<24}{'clients':>8}{'orders':>8}{'refused':>8}{'per s':>10}  final stock check")
    for r in rows:
        print(f"{r['db']:<11}{r['case']:<24}{r['clients']:>8}{r['n']:>8}{r.get('refused', 0):>8}"
              f"{r['per_s']:>10}  {r['check']}")
    bad = [r for r in rows if "MISMATCH" in r["check"]]
    if bad:
        raise SystemExit("stock check failed: oversell or lost units")


if __name__ == "__main__":
    main()
