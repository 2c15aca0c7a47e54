"""Structured logs: a request id per request (and a task id per Celery task) carried by every
log line written while it runs, one JSON object per line when LOG_FORMAT=json.

The request id comes from the X-Request-ID header (nginx sets it to `$request_id` unless the
client sent one, deploy/nginx/weishang.conf) or is generated here, and is sent back in the
answer, so one id ties the balancer's access log, the app server's line and any task the
request enqueued (the id travels in the task's headers). The embedded default keeps Django's
human-readable lines: the formatter is chosen in settings.LOGGING.
"""

from __future__ import annotations

import contextvars
import datetime as dt
import json
import logging
import re
import time
import uuid

REQUEST_ID_HEADER = "X-Request-ID"
# Anything else from a client could forge log structure or grow without bound.
_VALID_ID = re.compile(r"^[A-Za-z0-9._-]{8,64}$")

current_request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="")
current_task_id: contextvars.ContextVar[str] = contextvars.ContextVar("task_id", default="")

access_log = logging.getLogger("weishang.request")
task_log = logging.getLogger("weishang.task")

# LogRecord attributes that are not "extra" fields of our own.
_STANDARD = set(vars(logging.LogRecord("", 0, "", 0, "", None, None))) | {"message", "asctime"}


def incoming_id(value: str | None) -> str:
    """The caller's id when it is a plausible one, else a new one."""
    value = (value or "").strip()
    return value if _VALID_ID.match(value) else uuid.uuid4().hex


class ContextFilter(logging.Filter):
    """Adds request_id and task_id to every record (empty outside a request or task)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not getattr(record, "request_id", ""):
            record.request_id = current_request_id.get()
        if not getattr(record, "task_id", ""):
            record.task_id = current_task_id.get()
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line: time (UTC, ISO 8601), level, logger, message, request_id,
    task_id, the record's extra fields, and the traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        out: dict = {
            "time": dt.datetime.fromtimestamp(record.created, dt.UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", "") or current_request_id.get(),
            "task_id": getattr(record, "task_id", "") or current_task_id.get(),
        }
        for key, value in vars(record).items():
            if key not in _STANDARD and key not in out and not key.startswith("_"):
                out[key] = value
        if record.exc_info:
            out["exc"] = self.formatException(record.exc_info)
        return json.dumps(out, ensure_ascii=False, default=str)


class RequestIdMiddleware:
    """Outermost middleware: sets the request id, answers it in X-Request-ID and writes one
    access line per request (INFO on `weishang.request`) once the answer is known."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        token, started = begin_request(request)
        try:
            response = self.get_response(request)
            response[REQUEST_ID_HEADER] = request.request_id
            end_request(request, response.status_code, started)
            return response
        finally:
            current_request_id.reset(token)


def begin_request(request) -> tuple[contextvars.Token, float]:
    """Set the request's id (request.request_id and the context); the caller resets the token.
    Also used by the scan fast path (weishang.codes.fastpath), which skips the middleware."""
    rid = incoming_id(request.headers.get(REQUEST_ID_HEADER))
    request.request_id = rid
    return current_request_id.set(rid), time.perf_counter()


def end_request(request, status: int, started: float) -> None:
    if access_log.isEnabledFor(logging.INFO):
        user = getattr(request, "_cached_user", None) or getattr(request, "user", None)
        access_log.info("%s %s %s", request.method, request.path, status, extra={
            "request_id": request.request_id, "method": request.method, "path": request.path, "status": status,
            "duration_ms": round((time.perf_counter() - started) * 1000, 1),
            "user_id": user.pk if user is not None and user.is_authenticated else None,
        })


# --- Celery -------------------------------------------------------------------------------
def connect_celery_signals() -> None:
    """Task logs carry the task id (and the id of the request that enqueued it); one line
    per finished task with its name, state, runtime and result."""
    from celery import signals

    # task id -> (start time, context tokens): restored after the task, so an eager task run
    # inside a request (the embedded default) gives the request its own id back.
    running: dict[str, tuple[float, contextvars.Token, contextvars.Token]] = {}

    @signals.before_task_publish.connect(weak=False)
    def _publish(headers=None, **kwargs):
        rid = current_request_id.get()
        if headers is not None and rid:
            headers.setdefault("request_id", rid)

    @signals.task_prerun.connect(weak=False)
    def _prerun(task_id=None, task=None, **kwargs):
        rid = (getattr(task.request, "request_id", None) or current_request_id.get()) if task is not None else ""
        running[task_id or ""] = (time.perf_counter(), current_task_id.set(task_id or ""),
                                  current_request_id.set(rid))

    @signals.task_postrun.connect(weak=False)
    def _postrun(task_id=None, task=None, state=None, retval=None, **kwargs):
        begun, task_token, request_token = running.pop(task_id or "", (None, None, None))
        task_log.info("task %s %s", getattr(task, "name", "?"), state, extra={
            "task_id": task_id or "", "task": getattr(task, "name", "?"), "state": state, "result": retval,
            "duration_ms": round((time.perf_counter() - begun) * 1000, 1) if begun else None,
        })
        if task_token is not None and request_token is not None:
            current_task_id.reset(task_token)
            current_request_id.reset(request_token)
