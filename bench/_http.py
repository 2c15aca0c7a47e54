"""HTTP benchmark helper: serve Weishang with granian and load it with wrk (or Python).

Usage from a bench script (run as `.venv/bin/python bench/<name>.py`)::

    import sys
    from pathlib import Path

    sys.path.insert(0, str(Path(__file__).resolve().parent))
    from _http import migrate, print_table, serve, measure

    db = "/tmp/weishang_bench_mine.sqlite3"
    migrate(db, fresh=True)                # own SQLite file, migrated in a subprocess
    # ... fill it (e.g. subprocess `manage.py load_demo` via run_manage(db, "load_demo")
    #     or your own Django setup with SQLITE_PATH=db) ...
    with serve(db, workers=2) as base:     # granian --interface wsgi weishang.wsgi:application
        results = measure(base, ["/healthz", "/api/v1/catalog/products"], duration=10, concurrency=16)
    print_table(results)                   # path, requests/s, p50 ms, p99 ms, errors

`measure` returns one `Result` per URL (measured one after the other against the same
server, so compare every figure with the `/healthz` baseline of the same run).

Load generator: `wrk` (Debian package `wrk`; `make bench` installs it when missing and
apt is usable) with `--latency` for p50/p99. Without wrk, a Python generator runs
`concurrency` threads, each with one keep-alive `http.client` connection; it is itself
CPU-bound on a 2-core machine, so its figures are lower bounds and are labelled
`python` in `Result.tool`. Set BENCH_TOOL=python to force it.

Environment knobs: BENCH_DURATION (seconds per URL), BENCH_CONCURRENCY, BENCH_WORKERS.
Requests that do not answer 2xx/3xx count as errors and are reported, never hidden.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = ROOT / ".venv" / "bin"
PYTHON = str(VENV_BIN / "python") if (VENV_BIN / "python").exists() else sys.executable


@dataclass
class Result:
    path: str
    requests: int
    seconds: float
    rps: float
    p50_ms: float
    p99_ms: float
    errors: int = 0
    tool: str = "wrk"
    extra: dict = field(default_factory=dict)

    def row(self) -> str:
        return (f"| `{self.path}` | {self.rps:,.0f} | {self.p50_ms:.1f} | {self.p99_ms:.1f} | {self.errors} |")


def env_int(name: str, default: int) -> int:
    value = os.environ.get(name)
    return int(value) if value else default


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def django_env(db_path: str | os.PathLike, **extra: str) -> dict[str, str]:
    """Environment for a subprocess that uses the given SQLite file (embedded default)."""
    env = dict(os.environ)
    env.pop("DATABASE_URL", None)
    env.update({
        "DJANGO_SETTINGS_MODULE": "weishang.settings",
        "SQLITE_PATH": str(db_path),
        "DEBUG": "0",
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "PYTHONDONTWRITEBYTECODE": "1",
    })
    env.update(extra)
    return env


def run_manage(db_path: str | os.PathLike, *args: str, quiet: bool = True) -> str:
    """Run `manage.py <args>` against db_path and return its stdout."""
    proc = subprocess.run([PYTHON, str(ROOT / "manage.py"), *args], cwd=ROOT, env=django_env(db_path),
                          capture_output=True, text=True)
    if proc.returncode != 0:
        raise RuntimeError(f"manage.py {' '.join(args)} failed:\n{proc.stdout}\n{proc.stderr}")
    if not quiet:
        print(proc.stdout, end="")
    return proc.stdout


def migrate(db_path: str | os.PathLike, *, fresh: bool = False) -> None:
    """Create (or with fresh=True recreate) the SQLite file and migrate it."""
    path = Path(db_path)
    if fresh:
        for suffix in ("", "-wal", "-shm"):
            Path(str(path) + suffix).unlink(missing_ok=True)
    run_manage(path, "migrate", "--noinput", "-v0")


@contextlib.contextmanager
def serve(db_path: str | os.PathLike, *, workers: int | None = None, port: int | None = None,
          ready_path: str = "/healthz", extra_env: dict[str, str] | None = None) -> Iterator[str]:
    """Start granian (WSGI, `workers` processes) on a free loopback port; yield its base URL."""
    workers = workers or env_int("BENCH_WORKERS", 2)
    port = port or free_port()
    granian = str(VENV_BIN / "granian") if (VENV_BIN / "granian").exists() else shutil.which("granian") or "granian"
    env = django_env(db_path, **(extra_env or {}))
    # As `make serve`: 2 blocking threads per worker (docs/decisions.md, "granian blocking
    # threads"); GRANIAN_BLOCKING_THREADS=N overrides it, =default leaves granian's own (256).
    threads = env.pop("GRANIAN_BLOCKING_THREADS", "") or "2"
    cmd = [granian, "--interface", "wsgi", "weishang.wsgi:application", "--host", "127.0.0.1", "--port", str(port),
           "--workers", str(workers), "--no-ws", "--log-level", "warning"]
    if threads != "default":
        cmd += ["--blocking-threads", threads]
    log = tempfile.NamedTemporaryFile(prefix="granian-", suffix=".log", delete=False)
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                raise RuntimeError(f"granian exited with {proc.returncode}: {Path(log.name).read_text()[-2000:]}")
            try:
                with urllib.request.urlopen(base + ready_path, timeout=2) as resp:
                    if resp.status == 200:
                        break
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"granian did not answer on {base}{ready_path}: {Path(log.name).read_text()[-2000:]}")
            time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        Path(log.name).unlink(missing_ok=True)


def check(base: str, path: str) -> int:
    """GET once; return the status (raises on connection failure)."""
    req = urllib.request.Request(base + path)
    try:
        with urllib.request.urlopen(req, timeout=10) as resp:
            return resp.status
    except urllib.error.HTTPError as exc:
        return exc.code


# --- wrk -------------------------------------------------------------------------------
def _ms(value: str, unit: str) -> float:
    return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}[unit]


def _wrk(base: str, path: str, duration: int, concurrency: int, script: str | None = None) -> Result:
    """`script`: a wrk Lua file (e.g. one that picks a different path per request)."""
    threads = max(1, min(concurrency, os.cpu_count() or 1))
    extra = ["-s", script] if script else []
    out = subprocess.run(["wrk", "--latency", "-t", str(threads), "-c", str(concurrency), "-d", f"{duration}s",
                          "--timeout", "10s", *extra, base + path], capture_output=True, text=True, check=True).stdout
    pct = {m.group(1): _ms(m.group(2), m.group(3))
           for m in re.finditer(r"^\s+(50|99)(?:\.0+)?%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)}
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not (total and rps and "50" in pct and "99" in pct):
        raise RuntimeError(f"could not read wrk output:\n{out}")
    errors = sum(int(m.group(1)) for m in re.finditer(r"Non-2xx or 3xx responses: (\d+)", out))
    sock = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", out)
    if sock:
        errors += sum(int(g) for g in sock.groups())
    return Result(path, int(total.group(1)), _ms(total.group(2), total.group(3)) / 1000, float(rps.group(1)),
                  pct["50"], pct["99"], errors, "wrk")


# --- Python fallback ---------------------------------------------------------------------
def _python(base: str, path: str, duration: int, concurrency: int) -> Result:
    host, port = base.removeprefix("http://").split(":")
    stop_at = time.monotonic() + duration
    latencies: list[list[float]] = [[] for _ in range(concurrency)]
    errors = [0] * concurrency

    def worker(i: int) -> None:
        conn = http.client.HTTPConnection(host, int(port), timeout=10)
        lat = latencies[i]
        while time.monotonic() < stop_at:
            t0 = time.perf_counter()
            try:
                conn.request("GET", path, headers={"Connection": "keep-alive"})
                resp = conn.getresponse()
                resp.read()
                if resp.status >= 400:
                    errors[i] += 1
            except (OSError, http.client.HTTPException):
                errors[i] += 1
                conn.close()
                conn = http.client.HTTPConnection(host, int(port), timeout=10)
                continue
            lat.append(time.perf_counter() - t0)
        conn.close()

    start = time.monotonic()
    threads = [threading.Thread(target=worker, args=(i,), daemon=True) for i in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - start
    flat = sorted(x for lat in latencies for x in lat)
    if not flat:
        return Result(path, 0, elapsed, 0.0, 0.0, 0.0, sum(errors), "python")
    q = statistics.quantiles(flat, n=100, method="inclusive") if len(flat) > 1 else [flat[0]] * 99
    return Result(path, len(flat), elapsed, len(flat) / elapsed, q[49] * 1000, q[98] * 1000, sum(errors), "python")


def tool() -> str:
    forced = os.environ.get("BENCH_TOOL", "")
    if forced:
        return forced
    return "wrk" if shutil.which("wrk") else "python"


def measure(base: str, paths: Sequence[str], *, duration: int | None = None, concurrency: int | None = None,
            warmup: float = 1.0) -> list[Result]:
    """Load each path in turn for `duration` seconds with `concurrency` connections."""
    duration = duration or env_int("BENCH_DURATION", 10)
    concurrency = concurrency or env_int("BENCH_CONCURRENCY", 16)
    results = []
    for path in paths:
        status = check(base, path)
        if status >= 400:
            raise RuntimeError(f"{path} answers {status}; refusing to benchmark an error page")
        if warmup:
            _python(base, path, max(1, int(warmup)), min(concurrency, 4))
        runner = _wrk if tool() == "wrk" else _python
        results.append(runner(base, path, duration, concurrency))
    return results


def print_table(results: Sequence[Result], baseline: str = "/healthz") -> None:
    base = next((r for r in results if r.path == baseline), None)
    print(f"tool: {results[0].tool if results else tool()}")
    print("| path | requests/s | p50 ms | p99 ms | errors | vs baseline |")
    print("|---|---:|---:|---:|---:|---:|")
    for r in results:
        ratio = f"{r.rps / base.rps:.2f}×" if base and base.rps else "—"
        print(f"{r.row()} {ratio} |")
