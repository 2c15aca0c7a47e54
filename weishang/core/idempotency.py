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

from django.db import IntegrityError, transaction
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


def run(*, key: str, user, endpoint: str, payload: Any, fn: Callable[[], tuple[int, Any]]) -> tuple[int, Any]:
    model = _model()
    digest = request_hash(payload)
    with transaction.atomic():
        existing = model.objects.filter(user=user, key=key).first()
        if existing is not None:
            return _replay(existing, endpoint, digest)
        try:
            with transaction.atomic():
                record = model.objects.create(user=user, key=key, endpoint=endpoint, request_hash=digest,
                                              status_code=0, response={})
        except IntegrityError:
            record = None
        if record is None:
            # A concurrent first call committed meanwhile: answer with its result.
            return _replay(model.objects.get(user=user, key=key), endpoint, digest)
        status, body = fn()
        model.objects.filter(pk=record.pk).update(status_code=status, response=body)
        return status, body


def purge(older_than: timedelta = timedelta(days=7)) -> int:
    deleted, _ = _model().objects.filter(created_at__lt=timezone.now() - older_than).delete()
    return deleted
