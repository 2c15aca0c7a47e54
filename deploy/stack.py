#!/usr/bin/env python3
"""Run the production processes of deploy/Procfile on this machine: two granian app servers,
nginx in front, a Celery worker and ONE Celery beat, against an existing PostgreSQL
(DATABASE_URL) and Redis (REDIS_URL). Standard library only.

    python3 deploy/stack.py up        # migrate, start everything, wait until it answers
    python3 deploy/stack.py status    # which processes run
    python3 deploy/stack.py stop web_a / start web_a
    python3 deploy/stack.py down      # stop everything (SIGTERM, then SIGKILL after 20 s)

`make prod-up` / `make prod-down` call this. Settings: deploy/local.env, overridden by the
environment. Each process runs in its own session (process group) with its pid in
$STACK_DIR/<name>.pid and its output in $STACK_DIR/log/<name>.log (JSON lines). A real
server runs the same lines under systemd instead (deploy/*.service).
"""

from __future__ import annotations

import os
import shlex
import signal
import string
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
READY_TIMEOUT = float(os.environ.get("STACK_READY_TIMEOUT", "90"))


def load_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for line in (DEPLOY / "local.env").read_text().splitlines():
        line = line.strip()
        if line and not line.startswith("#") and "=" in line:
            key, value = line.split("=", 1)
            env[key.strip()] = value.strip()
    env.update(os.environ)
    env.setdefault("STACK_DIR", str(ROOT / "var" / "stack"))
    env["STACK_DIR"] = str(Path(env["STACK_DIR"]).resolve())
    env.setdefault("ACCESS_LOG", "/dev/stdout")
    env.setdefault("SITE_URL", f"http://127.0.0.1:{env['LB_PORT']}")
    env["PYTHONDONTWRITEBYTECODE"] = "1"
    return env


def procfile() -> dict[str, str]:
    procs = {}
    for line in (DEPLOY / "Procfile").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#"):
            name, command = line.split(":", 1)
            procs[name.strip()] = command.strip()
    return procs


def stack_dir(env) -> Path:
    return Path(env["STACK_DIR"])


def pid_of(env, name: str) -> int | None:
    path = stack_dir(env) / f"{name}.pid"
    try:
        pid = int(path.read_text())
    except (OSError, ValueError):
        return None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        path.unlink(missing_ok=True)
        return None
    except PermissionError:
        pass
    return pid


def render(env, template: Path, target: Path) -> None:
    """${VAR} placeholders from env; nginx's own $variables are left as they are."""
    target.write_text(string.Template(template.read_text()).safe_substitute(env))


def prepare(env) -> None:
    base = stack_dir(env)
    for sub in ("log", "nginx/tmp"):
        (base / sub).mkdir(parents=True, exist_ok=True)
    (ROOT / "staticfiles").mkdir(exist_ok=True)  # as `make serve`: WhiteNoise warns when it is missing
    render(env, DEPLOY / "nginx" / "weishang.conf", base / "nginx" / "weishang.conf")
    render(env, DEPLOY / "nginx" / "local.conf", base / "nginx" / "nginx.conf")
    check = subprocess.run(["nginx", "-t", "-q", "-p", str(base / "nginx"), "-c", str(base / "nginx" / "nginx.conf"),
                            "-e", "stderr"], capture_output=True, text=True)
    if check.returncode != 0:
        sys.exit(f"nginx config does not load:\n{check.stderr}")


def migrate(env) -> None:
    proc = subprocess.run([str(ROOT / ".venv" / "bin" / "python"), "manage.py", "migrate", "--noinput", "-v0"],
                          cwd=ROOT, env=env, capture_output=True, text=True)
    if proc.returncode != 0:
        sys.exit(f"migrate failed (is DATABASE_URL={env.get('DATABASE_URL')} an existing database?):\n"
                 f"{proc.stderr[-3000:]}")


def start(env, name: str, command: str) -> None:
    if pid_of(env, name):
        print(f"{name}: already running")
        return
    log = open(stack_dir(env) / "log" / f"{name}.log", "ab")  # handed to the child
    proc = subprocess.Popen(["/bin/sh", "-c", f"exec {command}"], cwd=ROOT, env=env, stdout=log,
                            stderr=subprocess.STDOUT, stdin=subprocess.DEVNULL, start_new_session=True)
    log.close()
    (stack_dir(env) / f"{name}.pid").write_text(str(proc.pid))
    print(f"{name}: started (pid {proc.pid})")


def stop(env, name: str, sig: int = signal.SIGTERM, wait: float = 20.0) -> None:
    pid = pid_of(env, name)
    if pid is None:
        return
    try:
        os.killpg(pid, sig)  # the whole group: granian's workers, celery's pool
    except ProcessLookupError:
        pass
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline and _group_alive(pid):
        time.sleep(0.2)
    if _group_alive(pid):
        os.killpg(pid, signal.SIGKILL)
        while _group_alive(pid):
            time.sleep(0.1)
    (stack_dir(env) / f"{name}.pid").unlink(missing_ok=True)
    print(f"{name}: stopped")


def _group_alive(pgid: int) -> bool:
    try:
        os.killpg(pgid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    # A child we started and that exited stays a zombie until reaped.
    try:
        os.waitpid(pgid, os.WNOHANG)
    except ChildProcessError:
        pass
    try:
        with open(f"/proc/{pgid}/stat") as f:
            if f.read().split(") ", 1)[1].startswith("Z"):
                return False
    except (OSError, IndexError):
        pass
    return True


def answers(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2) as resp:
            return resp.status == 200
    except (OSError, urllib.error.HTTPError):
        return False


def wait_ready(env, names) -> None:
    """Every app server and the balancer answer /readyz (database and Redis reachable), and
    the worker and beat logged that they started."""
    urls = {"web_a": env["APP_PORT_A"], "web_b": env["APP_PORT_B"], "lb": env["LB_PORT"]}
    marks = {"worker": b"ready", "beat": b"beat: Starting"}
    deadline = time.monotonic() + READY_TIMEOUT
    waiting = set(names)
    while waiting:
        for name in sorted(waiting):
            if pid_of(env, name) is None:
                log = (stack_dir(env) / "log" / f"{name}.log").read_text(errors="replace")[-3000:]
                sys.exit(f"{name} exited while starting:\n{log}")
            if name in urls and answers(f"http://127.0.0.1:{urls[name]}/readyz"):
                waiting.discard(name)
            elif name in marks and marks[name] in (stack_dir(env) / "log" / f"{name}.log").read_bytes():
                waiting.discard(name)
        if waiting and time.monotonic() > deadline:
            sys.exit(f"not ready after {READY_TIMEOUT:.0f} s: {', '.join(sorted(waiting))} "
                     f"(logs in {stack_dir(env) / 'log'})")
        time.sleep(0.3)


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in {"up", "down", "status", "start", "stop"}:
        print(__doc__)
        return 2
    env, procs = load_env(), procfile()
    names = argv[1:] or list(procs)
    unknown = set(names) - set(procs)
    if unknown:
        sys.exit(f"unknown process(es): {', '.join(sorted(unknown))}; Procfile has {', '.join(procs)}")
    cmd = argv[0]
    if cmd in {"up", "start"}:
        stack_dir(env).mkdir(parents=True, exist_ok=True)
        if cmd == "up":
            prepare(env)
            migrate(env)
        # The balancer last: it would mark app servers that are still starting as down.
        first = [n for n in names if n != "lb"]
        for name in first:
            start(env, name, procs[name])
        wait_ready(env, first)
        if "lb" in names:
            start(env, "lb", procs["lb"])
            wait_ready(env, ["lb"])
        if cmd == "up":
            print(f"up: http://127.0.0.1:{env['LB_PORT']}/ (logs in {stack_dir(env) / 'log'})")
    elif cmd in {"down", "stop"}:
        # The balancer first (no new requests), beat before the worker (no new jobs queued).
        order = ["lb", "beat", "web_a", "web_b", "worker"]
        for name in sorted(names, key=lambda n: order.index(n) if n in order else len(order)):
            stop(env, name)
    else:
        for name in names:
            pid = pid_of(env, name)
            print(f"{name}: {'running, pid ' + str(pid) if pid else 'stopped'}  {shlex.quote(procs[name])[:60]}…")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
