"""`make serve` keeps serving when a worker dies: granian's master respawns it."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _children(pid: int) -> list[int]:
    kids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        # pid (comm) state ppid …: comm may hold spaces, so split after its closing parenthesis
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            kids.append(int(entry.name))
    return kids


def _wait_until(check, seconds: float):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(0.2)
    return check()


def _healthy(port: int) -> bool:
    try:
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2) as resp:
            return resp.status == 200
    except OSError:
        return False


@pytest.mark.slow
def test_serve_respawns_a_killed_worker(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    # The command `make serve` runs (without its install step), on a free port, one worker.
    dry = subprocess.run(["make", "-n", "serve", f"PORT={port}", "WORKERS=1"], cwd=ROOT, capture_output=True,
                         text=True, check=True).stdout.strip().splitlines()
    command = dry[-1]
    assert "granian" in command
    env = {k: v for k, v in os.environ.items() if k not in ("DATABASE_URL", "REDIS_URL", "DJANGO_SETTINGS_MODULE")}
    env.update(WEISHANG_VAR_DIR=str(tmp_path), RATELIMIT_SQLITE_PATH=str(tmp_path / "rl.sqlite3"))
    shell = subprocess.Popen(["bash", "-c", command], cwd=ROOT, env=env, start_new_session=True,
                             stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        assert _wait_until(lambda: _healthy(port), 60), "granian did not start"
        # bash runs a lone command in its own process (exec): that is granian's master
        master = shell.pid if b"granian" in Path(f"/proc/{shell.pid}/cmdline").read_bytes() else _children(shell.pid)[0]
        (worker,) = _children(master)
        os.kill(worker, signal.SIGKILL)
        # a new worker takes the old one's place and the site answers again
        respawned = _wait_until(lambda: [w for w in _children(master) if w != worker], 30)
        assert respawned, "no worker was respawned"
        assert _wait_until(lambda: _healthy(port), 60)
        assert shell.poll() is None
    finally:
        os.killpg(shell.pid, signal.SIGTERM)
        try:
            shell.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(shell.pid, signal.SIGKILL)
