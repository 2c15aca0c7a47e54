"""Catalog over HTTP: the product page and /api/v1/catalog/products under granian with 2
workers, against /healthz (a trivial view) measured in the same run.

    .venv/bin/python bench/catalog_http.py            # 10 s per URL, 16 connections
    BENCH_DURATION=3 .venv/bin/python bench/catalog_http.py   # quick run
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from _http import env_int, measure, migrate, print_table, run_manage, serve, tool


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=env_int("BENCH_DURATION", 10), help="seconds per URL")
    parser.add_argument("--concurrency", type=int, default=env_int("BENCH_CONCURRENCY", 16))
    parser.add_argument("--workers", type=int, default=env_int("BENCH_WORKERS", 2))
    parser.add_argument("--db", default="/tmp/weishang_bench_catalog.sqlite3")
    args = parser.parse_args()

    migrate(args.db, fresh=True)
    run_manage(args.db, "load_demo")  # the demo brand: 3 lines, 8 SKUs, images
    with sqlite3.connect(args.db) as conn:
        product_id = conn.execute("SELECT id FROM catalog_product WHERE on_shelf ORDER BY id LIMIT 1").fetchone()[0]
    paths = ["/healthz", f"/p/{product_id}/", "/", "/api/v1/catalog/products?limit=20"]
    with serve(args.db, workers=args.workers) as base:
        results = measure(base, paths, duration=args.duration, concurrency=args.concurrency)
    print(f"granian --interface wsgi --workers {args.workers}; {args.concurrency} connections; "
          f"{args.duration} s per URL; load generator: {tool()}")
    print_table(results)
    if any(r.errors for r in results):
        sys.exit("some requests failed")


if __name__ == "__main__":
    main()
