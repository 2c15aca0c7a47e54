"""Region lookups: division table load, IP → division (IPv4, IPv6), find_by_name, validate.

    .venv/bin/python bench/regions.py                 # 200,000 lookups per case
    BENCH_N=20000 .venv/bin/python bench/regions.py   # quick run

Pure in-process work (no database). The baseline in the same run is a bare
``ipaddress.ip_address(s)`` parse, the cheapest thing a per-request IP check must do.
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "weishang.settings")

import django

django.setup()

import ipaddress  # noqa: E402

from weishang.regions import divisions, iplocate  # noqa: E402


def per_call(fn, items) -> float:
    start = time.perf_counter()
    for item in items:
        fn(item)
    return (time.perf_counter() - start) / len(items) * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-n", type=int, default=int(os.environ.get("BENCH_N", "200000")))
    args = parser.parse_args()
    rng = random.Random(7)

    start = time.perf_counter()
    divisions._table()
    load_table = time.perf_counter() - start
    start = time.perf_counter()
    iplocate._v4()
    load_v4 = time.perf_counter() - start
    start = time.perf_counter()
    iplocate._v6()
    load_v6 = time.perf_counter() - start

    v4 = [str(ipaddress.IPv4Address(rng.randrange(1 << 24, 223 << 24))) for _ in range(args.n)]
    v6_starts = iplocate._v6().starts
    v6 = [str(ipaddress.IPv6Address((v6_starts[rng.randrange(len(v6_starts))] << 64) | rng.randrange(1 << 64)))
          for _ in range(args.n // 4)]
    districts = [c for c, d in divisions._table().by_code.items() if d.level == divisions.DISTRICT]
    triples = [(c[:2] + "0000", c[:4] + "00", c) for c in (rng.choice(districts) for _ in range(args.n))]
    names = [("广东省", "深圳市"), ("内蒙古", "呼和浩特市"), ("台湾省", "台北"), ("新疆", "伊犁"), ("河南省", "济源")]

    rows = [
        ("baseline: ipaddress.ip_address(s)", per_call(ipaddress.ip_address, v4)),
        ("iplocate.locate(IPv4 string)", per_call(iplocate.locate, v4)),
        ("iplocate.locate(IPv6 string), first pass", per_call(iplocate.locate, v6)),
        ("iplocate.locate(IPv6 string), cached", per_call(iplocate.locate, v6)),
        ("divisions.validate(p, c, d)", per_call(lambda t: divisions.validate(*t), triples)),
        ("divisions.get(code)", per_call(divisions.get, [t[2] for t in triples])),
        ("divisions.find_by_name(p, c)", per_call(lambda t: divisions.find_by_name(*t), names * (args.n // 50))),
    ]
    print(f"load: division table {load_table * 1000:.1f} ms ({len(divisions._table().by_code)} divisions), "
          f"IPv4 index {load_v4 * 1000:.1f} ms, IPv6 index {load_v6 * 1000:.1f} ms")
    print(f"{args.n} random IPv4, {len(v6)} IPv6, {len(triples)} district triples")
    print(f"{'case':42} {'µs/call':>9}")
    for name, us in rows:
        print(f"{name:42} {us:9.2f}")


if __name__ == "__main__":
    main()
