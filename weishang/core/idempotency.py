"""Idempotency: the one way Weishang makes an order-creating or paying call safe to retry.

    status, body = idempotency.run(key=request.headers["Idempotency-Key"], user=request.user,
                                   endpoint="orders.restock", payload=payload_dict,
                                   fn=lambda: (201, {...}))

The first call with a (user, key) runs `fn` and stores its status and JSON-able body with
a hash of the request, in the same transaction as `fn`'s writes. A retry with the same
key and the same request returns the stored result and changes nothing. The same key
with a different request (or another endpoint) is refused with 422
`idempotency_key_reused`. Two concurrent first calls cannot both run: the unique index on
(user, key) makes the second wait for the first and then read its result. If `fn` raises,
nothing is stored (its writes roll back too), so the retry runs again.

Records live in `weishang.payments.models.IdempotencyRecord`; `purge(older_than)` clears
old ones (run by the payments periodic job).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from datetime import timedelta
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from weishang.core.errors import DomainError

HEADER = "Idempotency-Key"
MAX_KEY_LENGTH = 100


class IdempotencyKeyReused(DomainError):
    status = 422
    code = "idempotency_key_reused"


class IdempotencyKeyMissing(DomainError):
    status = 400
    code = "idempotency_key_required"


def request_hash(payload: Any) -> str:
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"), default=str, ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


def key_from(request) -> str:
    """The Idempotency-Key header (or a form's hidden `idempotency_key`), validated."""
    key = (request.headers.get(HEADER) or request.POST.get("idempotency_key") or "").strip()
    if not key:
        raise IdempotencyKeyMissing(_("Send an Idempotency-Key header with this request."),
                                    fields={"idempotency_key": [_("This field is required.")]})
    if len(key) > MAX_KEY_LENGTH or not key.isprintable():
        raise IdempotencyKeyMissing(_("The Idempotency-Key is not valid (at most 100 printable characters)."),
                                    fields={"idempotency_key": [_("Not valid.")]})
    return key


def _model():
    from weishang.payments.models import IdempotencyRecord

    return IdempotencyRecord


def _replay(record, endpoint: str, digest: str) -> tuple[int, Any]:
    if record.endpoint != endpoint or record.request_hash != digest:
        raise IdempotencyKeyReused(_("This Idempotency-Key was already used for a different request."))
    return record.status_code, record.response


def _claim(model, user, key: str, endpoint: str, digest: str) -> int | None:
    """Insert the record; None when (user, key) exists already. One statement: a
    concurrent first call with the same key makes this wait for it (unique index)."""
    from django.db import connection

    q = connection.ops.quote_name
    cols = ", ".join(q(c) for c in ("user_id", "key", "endpoint", "request_hash", "status_code", "response",
                                    "created_at"))
    with connection.cursor() as cur:
        cur.execute(
            f"INSERT INTO {q(model._meta.db_table)} ({cols}) VALUES (%s, %s, %s, %s, 0, %s, %s) "
            f"ON CONFLICT ({q('user_id')}, {q('key')}) DO NOTHING RETURNING {q('id')}",
            [user.pk, key, endpoint, digest, "{}", connection.ops.adapt_datetimefield_value(timezone.now())])
        row = cur.fetchone()
    return row[0] if row else None


def run(*, key: str, user, endpoint: str, payload: Any, fn: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    model = _model()
    digest = request_hash(payload)
    with transaction.atomic():
        record_id = _claim(model, user, key, endpoint, digest)
        if record_id is None:
            # Retried (or a concurrent first call committed meanwhile): answer with its result.
            return _replay(model.objects.get(user=user, key=key), endpoint, digest)
        status, body = fn()
        model.objects.filter(pk=record_id).update(status_code=status, response=body)
        return status, body


def purge(older_than: timedelta = timedelta(days=7)) -> int:
    deleted, _ = _model().objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
