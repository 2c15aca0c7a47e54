"""SQLite, where threads apply: the in-memory test database cannot be shared by threads, so
this runs bench/orders.py's measured cases in a child process on a fresh SQLite file,
16 concurrent clients racing for stock set below demand, and requires its final stock
check to pass (sold == stock == orders made, no movement drift) in every case."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


@pytest.mark.slow
def test_sixteen_clients_on_sqlite_never_oversell(tmp_path):
    env = {k: v for k, v in os.environ.items() if k != "DATABASE_URL"}
    env.update(SQLITE_PATH=str(tmp_path / "race.sqlite3"), BENCH_N="96", DJANGO_SETTINGS_MODULE="weishang.settings")
    proc = subprocess.run([sys.executable, str(ROOT / "bench" / "orders.py"), "--child", "sqlite"], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=600)
    line = next((x for x in proc.stdout.splitlines() if x.startswith("RESULT ")), None)
    assert proc.returncode == 0 and line, proc.stderr[-3000:]
    results = json.loads(line[7:])["results"]
    checked = [r for r in results if r["check"] != "-"]
    assert len(checked) == 4  # consumer and restock, 1 and 16 clients
    for r in checked:
        assert r["check"].endswith("OK"), r
        assert r["refused"] > 0  # stock was below demand, so the race was real
