"""Earnings benchmark: post earnings for N paid order lines in a 5-level agent tree, then
run the pending -> available job over all of them; with a bare bulk INSERT of the same
number of ledger-entry rows and a bare UPDATE of the same number of earning rows in the
same run, as floors.

    .venv/bin/python bench/earnings.py                    # 1,000,000 lines, SQLite in /tmp
    .venv/bin/python bench/earnings.py --lines 50000      # quick run
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/ws_bench_earnings .venv/bin/python bench/earnings.py

PostgreSQL: the database named in DATABASE_URL is dropped and re-created (use a scratch name).
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from decimal import Decimal
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weishang.settings")


def fresh_database(sqlite_path: str) -> str:
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        base, name = url.rsplit("/", 1)
        with psycopg.connect(f"{base}/postgres", autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}"')
            conn.execute(f'CREATE DATABASE "{name}"')
        return f"PostgreSQL ({name})"
    os.environ["SQLITE_PATH"] = sqlite_path
    for suffix in ("", "-wal", "-shm"):
        Path(sqlite_path + suffix).unlink(missing_ok=True)
    return f"SQLite ({sqlite_path})"


def build_tree(fanout: int, depth: int):
    """`fanout` top agents, each agent with `fanout` downlines, `depth` levels in all."""
    from weishang.accounts.models import User
    from weishang.agents.models import Agent, Level

    levels = [Level.objects.create(name=f"L{r}", rank=r) for r in range(1, depth + 1)]
    nodes: dict[int, tuple[int, int | None]] = {}  # id -> (rank, recruiter)
    parents: list[Agent | None] = [None]
    seq = 0
    for d in range(depth):
        n = len(parents) * fanout if d else fanout
        users = User.objects.bulk_create([User(phone=f"+86139{seq + i:08d}", name=f"B{seq + i}", password="!")
                                          for i in range(n)])
        seq += n
        rows = []
        for i, u in enumerate(users):
            up = parents[i // fanout] if d else None
            rows.append(Agent(user=u, name=u.name, level=levels[d], upline=up, recruiter=up, path="",
                              depth=d))
        made = Agent.objects.bulk_create(rows)
        for a in made:
            a.path = f"{a.upline.path if a.upline else '/'}{a.pk}/"
            # every fourth agent is a same-level recruit of its neighbour (平级)
            if a.pk % 4 == 0 and a.pk - 1 in nodes and nodes[a.pk - 1][0] == d + 1:
                a.recruiter_id = a.pk - 1
        Agent.objects.bulk_update(made, ["path", "recruiter"], batch_size=2000)
        for a in made:
            nodes[a.pk] = (d + 1, a.recruiter_id)
        parents = made
    return nodes


def main() -> None:
    ap = argparse.ArgumentParser()
    ap.add_argument("--lines", type=int, default=int(os.environ.get("BENCH_LINES", 1_000_000)))
    ap.add_argument("--chunk", type=int, default=20_000)
    ap.add_argument("--fanout", type=int, default=4)
    args = ap.parse_args()

    where = fresh_database("/tmp/weishang_bench_earnings.sqlite3")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection, transaction
    from django.utils import timezone

    call_command("migrate", verbosity=0)
    from weishang.earnings import rules as R
    from weishang.earnings import services as S
    from weishang.earnings.models import Earning, EarningState
    from weishang.ledger.models import Entry
    from weishang.ledger.selectors import drift, unbalanced_journals

    t0 = time.perf_counter()
    nodes = build_tree(args.fanout, 5)
    print(f"database: {where}; tree: {len(nodes)} agents in 5 levels ({time.perf_counter() - t0:.1f}s)")
    S.save_rule(kind="same_level", rates="2,1")
    S.save_rule(kind="referral", rates="3")
    S.save_rule(kind="share_commission", rates="5")
    rules = S.rules_in_force()
    agents = {i: R.AgentNode(i, rank, rec) for i, (rank, rec) in nodes.items()}
    by_id = {i: rank for i, (rank, _rec) in nodes.items()}
    ids = sorted(nodes)
    from weishang.agents.models import Agent

    upline = dict(Agent.objects.values_list("pk", "upline_id"))
    rnd = random.Random(7)
    first_seen: set[int] = set()

    def make_line(n: int) -> R.PaidLine:
        origin = rnd.choice(ids)
        cents = rnd.randint(1000, 200_000)
        paid = Decimal(cents) / 100
        if upline[origin] and rnd.random() < 0.4:
            first = origin not in first_seen
            first_seen.add(origin)
            return R.PaidLine(ref=f"B{n}", order_ref=f"BO{n // 2}", kind="restock", currency="CNY", paid=paid,
                              origin_id=origin, first_restock=first,
                              shares=(R.Share("proceeds", paid, agent_id=upline[origin]),))
        margin = (Decimal(cents * (by_id[origin] * 5 + 20) // 100) / 100)
        sharer = rnd.choice(ids) if rnd.random() < 0.3 else None
        return R.PaidLine(ref=f"B{n}", order_ref=f"BO{n // 2}", kind="consumer", currency="CNY", paid=paid,
                          origin_id=origin, sharer_id=sharer,
                          shares=(R.Share("proceeds", margin, agent_id=origin), R.Share("hq", paid - margin)))

    t0 = time.perf_counter()
    earnings = 0
    for start in range(0, args.lines, args.chunk):
        batch = [make_line(n) for n in range(start, min(args.lines, start + args.chunk))]
        earnings += S.settle_lines(batch, agents=agents, rules=rules, batch_size=5000)
    post_s = time.perf_counter() - t0
    entries = Entry.objects.count()
    print(f"posted {args.lines:,} lines -> {earnings:,} earnings, {entries:,} ledger entries in {post_s:.1f}s: "
          f"{args.lines / post_s:,.0f} lines/s, {entries / post_s:,.0f} entries/s")

    # Floor 1: a bare bulk INSERT of the same number of rows as ledger entries.
    with connection.cursor() as cur:
        cur.execute("CREATE TABLE bench_floor (id INTEGER PRIMARY KEY, journal_id INTEGER, account_id INTEGER, "
                    "amount DECIMAL(16,2), created_at TIMESTAMP, flag INTEGER)")
    now = timezone.now()
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        step = 50_000
        for s in range(0, entries, step):
            cur.executemany("INSERT INTO bench_floor (id, journal_id, account_id, amount, created_at, flag) "
                            "VALUES (%s, %s, %s, %s, %s, 0)",
                            [(i, i // 2, i % 997, "12.34", now) for i in range(s, min(entries, s + step))])
    floor_s = time.perf_counter() - t0
    print(f"floor: bare bulk INSERT of {entries:,} rows in {floor_s:.1f}s: {entries / floor_s:,.0f} rows/s "
          f"(posting reaches {entries / post_s / (entries / floor_s):.0%} of it)")

    # Every order received 8 days ago (not part of the job).
    Earning.objects.filter(state=EarningState.PENDING).update(available_at=now - timezone.timedelta(days=8))
    pending = Earning.objects.filter(state=EarningState.PENDING).count()

    t0 = time.perf_counter()
    released = S.release_due(now)
    job_s = time.perf_counter() - t0
    print(f"job: released {released:,} pending earnings (from {args.lines:,} lines) in {job_s:.1f}s "
          f"({released / job_s:,.0f} earnings/s); target < 60 s for 1M lines on SQLite")
    assert released == pending
    assert S.release_due(now) == 0

    # Floor 2: a bare UPDATE of the same number of rows.
    t0 = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cur:
        cur.execute("UPDATE bench_floor SET flag = 1 WHERE id < %s", [released])
    upd_s = time.perf_counter() - t0
    print(f"floor: bare UPDATE of {released:,} rows in {upd_s:.1f}s (the job takes {job_s / upd_s:.1f}x that)")

    t0 = time.perf_counter()
    problems = len(unbalanced_journals()) + len(drift())
    print(f"ledger check: {problems} problem(s) ({time.perf_counter() - t0:.1f}s)")
    with connection.cursor() as cur:
        cur.execute("DROP TABLE bench_floor")
    if problems:
        raise SystemExit(1)


if __name__ == "__main__":
    main()
