"""Strings of weishang/core/idempotency.py, marked here so they are extracted into (and
translated by) the payments catalogue, which owns the idempotency records."""

from django.utils.translation import gettext_noop

IDEMPOTENCY_MESSAGES = (
    gettext_noop("Send an Idempotency-Key header with this request."),
    gettext_noop("The Idempotency-Key is not valid (at most 100 printable characters)."),
    gettext_noop("This Idempotency-Key was already used for a different request."),
    gettext_noop("Not valid."),
    gettext_noop("This field is required."),
)
