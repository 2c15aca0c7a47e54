"""Agent tree benchmark: a 1,000,000-agent tree (depth up to 12, skewed fan-out: older
agents recruit more), with this month's purchases, then the team reads through
weishang.agents.selectors for 1,000 random agents and for the 20 agents with the largest
teams, a 10,000-member subtree move through services.move_agent, and per-call cost of
services.record_purchase_volume. A primary-key lookup measured in the same run is the
baseline; a sum over the subtree on read is shown once for comparison.

    .venv/bin/python bench/agents_tree.py                      # 1,000,000 agents, SQLite in /tmp
    BENCH_AGENTS=50000 .venv/bin/python bench/agents_tree.py   # quick run
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ws_bench_agents .venv/bin/python bench/agents_tree.py

PostgreSQL: the database named in DATABASE_URL is dropped, re-created, and dropped at the end.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weishang.settings")

MAX_DEPTH = 12  # levels 0..11


def fresh_database(sqlite_path: str) -> tuple[str, str | None]:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"PostgreSQL ({name})", name
    os.environ["SQLITE_PATH"] = sqlite_path
    for suffix in ("", "-wal", "-shm"):
        Path(sqlite_path + suffix).unlink(missing_ok=True)
    return f"SQLite ({sqlite_path})", None


def drop_database(name: str) -> None:
    import psycopg
    from django.db import connections

    connections.close_all()
    base = os.environ["DATABASE_URL"].rsplit("/", 1)[0]
    with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}"')


def make_tree(n: int, tops: int, seed: int) -> tuple[list[int], list[int]]:
    """parent[i] (-1 for a top agent) and depth[i] for agents 0..n-1. A new agent joins
    under an earlier one, biased toward older agents (they have had longer to recruit);
    a would-be 13th level joins under the upline instead."""
    rnd = random.Random(seed)
    parent = [-1] * n
    depth = [0] * n
    for i in range(tops, n):
        p = int(i * rnd.random() ** 2)
        while depth[p] >= MAX_DEPTH - 1:
            p = parent[p]
        parent[i] = p
        depth[i] = depth[p] + 1
    return parent, depth


def raw_rows(model, overrides: dict, count: int, values):
    """Column names and a generator of row tuples for a raw INSERT/COPY: every concrete
    column gets the model's default, `values(i)` supplies the varying ones."""
    from django.db import connection

    proto = model(**overrides)
    fields = [f for f in model._meta.concrete_fields]
    defaults = {f.column: f.get_db_prep_save(getattr(proto, f.attname), connection) for f in fields}
    cols = [f.column for f in fields]

    def gen():
        for i in range(count):
            row = dict(defaults)
            row.update(values(i))
            yield tuple(row[c] for c in cols)

    return cols, gen()


def bulk_insert(model, cols, rows, chunk: int = 50_000) -> None:
    from django.db import connection

    table = connection.ops.quote_name(model._meta.db_table)
    qcols = ", ".join(connection.ops.quote_name(c) for c in cols)
    if connection.vendor == "postgresql":
        connection.ensure_connection()
        with connection.connection.cursor() as cur, cur.copy(f"COPY {table} ({qcols}) FROM STDIN") as cp:
            for row in rows:
                cp.write_row(row)
        return
    marks = ", ".join("?" for _ in cols)
    sql = f"INSERT INTO {table} ({qcols}) VALUES ({marks})"
    cur = connection.connection.cursor()
    batch = []
    for row in rows:
        batch.append(row)
        if len(batch) >= chunk:
            cur.executemany(sql, batch)
            batch.clear()
    if batch:
        cur.executemany(sql, batch)


def build(n: int, tops: int, seed: int, buy_share: float) -> dict:
    from django.db import connection, transaction
    from django.utils import timezone

    from weishang.accounts.models import User
    from weishang.agents.models import Agent, AgentMonth, AgentPurchase, Level, path_segment
    from weishang.agents.selectors import this_month

    parent, depth = make_tree(n, tops, seed)
    levels = [Level.objects.create(name=f"B{r}", rank=r) for r in range(1, 5)]
    # ids 1..n; paths top-down (parents always come first)
    paths: list[str] = [""] * n
    for i in range(n):
        paths[i] = (paths[parent[i]] if parent[i] >= 0 else "/") + path_segment(i + 1)
    team = [0] * n
    direct = [0] * n
    for i in range(n - 1, -1, -1):
        p = parent[i]
        if p >= 0:
            team[p] += team[i] + 1
            direct[p] += 1
    rnd = random.Random(seed + 1)
    now = timezone.now()
    month = this_month()
    own = [Decimal(0)] * n
    buys = []
    for i in range(n):
        if rnd.random() < buy_share:
            amount = Decimal(rnd.choice((500, 900, 1280, 2560, 6400)))
            own[i] = amount
            buys.append((i, amount))
    team_total = [Decimal(0)] * n
    for i in range(n - 1, -1, -1):
        p = parent[i]
        if p >= 0:
            team_total[p] += team_total[i] + own[i]
    level_ids = [lv.pk for lv in levels]
    stamp = connection.ops.adapt_datetimefield_value(now)
    t0 = time.perf_counter()
    with transaction.atomic():
        cols, rows = raw_rows(User, {"phone": "x", "password": "!"}, n,
                              lambda i: {"id": i + 1, "phone": f"+8617{i + 1:09d}", "name": f"代理{i + 1}"})
        bulk_insert(User, cols, rows)
        cols, rows = raw_rows(
            Agent, {"name": "x", "path": "/"}, n,
            lambda i: {"id": i + 1, "user_id": i + 1, "name": f"代理{i + 1}",
                       "level_id": level_ids[min(depth[i], 3)], "upline_id": parent[i] + 1 if parent[i] >= 0 else None,
                       "recruiter_id": parent[i] + 1 if parent[i] >= 0 else None, "path": paths[i],
                       "depth": depth[i], "team_size": team[i], "direct_count": direct[i], "joined_at": stamp})
        bulk_insert(Agent, cols, rows)
        cols, rows = raw_rows(AgentPurchase, {"amount": 0, "at": now}, len(buys),
                              lambda k: {"id": k + 1, "agent_id": buys[k][0] + 1, "amount": str(buys[k][1]),
                                         "at": stamp})
        bulk_insert(AgentPurchase, cols, rows)
        months = [i for i in range(n) if own[i] or team_total[i]]
        cols, rows = raw_rows(AgentMonth, {"month": month}, len(months),
                              lambda k: {"id": k + 1, "agent_id": months[k] + 1, "own_total": str(own[months[k]]),
                                         "team_total": str(team_total[months[k]])})
        bulk_insert(AgentMonth, cols, rows)
    if connection.vendor == "postgresql":
        with connection.cursor() as cur:
            for model in (User, Agent, AgentPurchase, AgentMonth):
                table = model._meta.db_table
                cur.execute(f"SELECT setval(pg_get_serial_sequence('{table}', 'id'), (SELECT MAX(id) FROM {table}))")
    with connection.cursor() as cur:
        cur.execute("ANALYZE")
    build_s = time.perf_counter() - t0
    return {"build_s": build_s, "team": team, "depth": depth, "purchases": len(buys), "month_rows": len(months)}


def timed(fn, items) -> list[float]:
    out = []
    for item in items:
        t = time.perf_counter()
        fn(item)
        out.append((time.perf_counter() - t) * 1000)
    return out


def stats(ms: list[float]) -> str:
    ms = sorted(ms)
    p99 = ms[min(len(ms) - 1, int(len(ms) * 0.99))]
    return f"median {statistics.median(ms):7.3f} ms   p99 {p99:7.3f} ms   max {ms[-1]:7.3f} ms"


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--agents", type=int, default=int(os.environ.get("BENCH_AGENTS", 1_000_000)))
    ap.add_argument("--tops", type=int, default=40, help="总代 directly under HQ")
    ap.add_argument("--sample", type=int, default=1000)
    ap.add_argument("--move", type=int, default=10_000, help="size of the subtree to move")
    ap.add_argument("--buy-share", type=float, default=0.3, help="share of agents with a purchase this month")
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--keep", action="store_true", help="keep the database afterwards")
    args = ap.parse_args()
    where, pg_name = fresh_database(f"/tmp/ws_bench_agents_{os.getpid()}.sqlite3")

    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection
    from django.utils import timezone

    from weishang.agents import selectors, services
    from weishang.agents.models import Agent, AgentMonth, path_segment, subtree_q

    call_command("migrate", verbosity=0)
    print(f"agents tree benchmark on {where}: {args.agents:,} agents, {args.tops} top agents, depth <= {MAX_DEPTH}")
    print(f"load average before: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    info = build(args.agents, args.tops, args.seed, args.buy_share)
    depth = info["depth"]
    hist = [depth.count(d) for d in range(MAX_DEPTH)]
    print(f"build (users + agents + {info['purchases']:,} purchases + {info['month_rows']:,} monthly rows, "
          f"raw {'COPY' if connection.vendor == 'postgresql' else 'executemany'} + ANALYZE): {info['build_s']:.1f} s")
    print("agents per depth: " + " ".join(f"{d}:{c}" for d, c in enumerate(hist)))

    rnd = random.Random(args.seed + 2)
    n = args.agents
    team = info["team"]
    random_ids = [rnd.randrange(n) + 1 for _ in range(args.sample)]
    biggest = sorted(range(n), key=lambda i: -team[i])[:20]
    biggest_ids = [i + 1 for i in biggest]
    print(f"20 largest teams: {team[biggest[0]]:,} .. {team[biggest[-1]]:,} members "
          f"(together {sum(team[i] for i in biggest):,} incl. overlap)")

    def load(ids):
        by = Agent.objects.in_bulk(ids)
        return [by[i] for i in ids]

    def baseline(a):
        Agent.objects.filter(pk=a.pk).values_list("id", "team_size").first()

    def page_whole(a):
        selectors.team_page(a, direct_only=False, page=1)

    def page_direct(a):
        selectors.team_page(a, direct_only=True, page=1)

    checks = [("primary-key lookup (baseline)", baseline), ("team summary (size, direct, purchases)",
                                                            selectors.team_summary),
              ("upline chain", selectors.upline_chain), ("whole-team page 1 (20 + levels + months)", page_whole),
              ("direct-team page 1", page_direct)]
    for label, ids in (("1,000 random agents" if args.sample == 1000 else f"{args.sample} random agents",
                        random_ids), ("20 largest teams", biggest_ids)):
        agents = load(ids)
        for _label, fn in checks:  # warm the page cache once
            timed(fn, agents[:50])
        print(f"-- {label}")
        base = None
        for name, fn in checks:
            ms = timed(fn, agents)
            p99 = sorted(ms)[min(len(ms) - 1, int(len(ms) * 0.99))]
            base = base or p99
            print(f"  {name:<42} {stats(ms)}   p99 x{p99 / base:5.1f} baseline")

    # A sum over the subtree on read, once, for the largest team (what the counters avoid).
    top = load([biggest_ids[0]])[0]
    from django.db.models import Sum

    t = time.perf_counter()
    summed = AgentMonth.objects.filter(month=selectors.this_month()).filter(
        subtree_q(top.path, "agent__path")).exclude(agent_id=top.pk).aggregate(s=Sum("own_total"))["s"]
    read_ms = (time.perf_counter() - t) * 1000
    kept = selectors.team_summary(top).team_purchases
    print(f"-- sum over the largest team on read (not used by the pages): {read_ms:.0f} ms; "
          f"maintained total equal: {summed == kept}")

    # record_purchase_volume per call (deep agents: the most ancestors to update).
    deep = [i + 1 for i in range(n) if depth[i] >= MAX_DEPTH - 2][:200] or random_ids[:200]
    agents = load(deep)
    now = timezone.now()
    ms = timed(lambda a: services.record_purchase_volume(a, Decimal("128.00"), now), agents)
    print(f"-- record_purchase_volume, {len(agents)} agents at depth >= {MAX_DEPTH - 2}: {stats(ms)}")

    # Move a subtree of about --move members under an agent of another top team.
    cand = min((i for i in range(n) if depth[i] >= 1), key=lambda i: abs(team[i] + 1 - args.move))
    mover = Agent.objects.get(pk=cand + 1)
    top_of = mover.ancestor_ids[0]
    target = Agent.objects.filter(depth=1).exclude(subtree_q("/" + path_segment(top_of))).order_by("id").first()
    before = selectors.team_summary(target)
    t = time.perf_counter()
    moved = services.move_agent(mover, new_upline=target, actor=None, reason="bench move")
    move_s = time.perf_counter() - t
    after = selectors.team_summary(target)
    ok = after.team_size - before.team_size == mover.team_size + 1
    print(f"-- move a subtree of {mover.team_size + 1:,} agents (depth {mover.depth} -> {moved.depth}): "
          f"{move_s:.2f} s; counters moved: {ok}")
    t = time.perf_counter()
    services.move_agent(moved, new_upline=Agent.objects.get(pk=mover.upline_id), actor=None, reason="bench back")
    print(f"-- move it back: {time.perf_counter() - t:.2f} s")
    print(f"load average after: {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    if pg_name and not args.keep:
        drop_database(pg_name)
    elif not pg_name and not args.keep:
        from django.db import connections

        connections.close_all()
        for suffix in ("", "-wal", "-shm"):
            Path(os.environ["SQLITE_PATH"] + suffix).unlink(missing_ok=True)


if __name__ == "__main__":
    main()
