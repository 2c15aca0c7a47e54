"""Order history sentences stored as a message key and parameters, rendered in the reader's
language when shown (a sentence stored as text stays in the language of whoever caused it).

The key is the English msgid itself (marked with gettext_noop, so makemessages finds it).
A parameter is plain text (a name, a reason someone typed, a tracking number), an amount
({"amount": "12.00", "currency": "CNY"}) shown with its currency sign, or another message
({"key": …, "params": …}) translated too, e.g. the seller "HQ".
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils.functional import Promise
from django.utils.translation import gettext

from weishang.core.money import Money, format_money


@dataclass(frozen=True)
class Note:
    key: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return render(self.key, self.params)


def note(key: str | Promise, **params: Any) -> Note:
    """A history sentence: `key` is a gettext_noop msgid (or a gettext_lazy one, whose msgid
    is kept); params are text, Money, Decimal amounts with `currency=`, or other Notes."""
    return Note(msgid(key), {name: _param(value) for name, value in params.items()})


def msgid(text: str | Promise) -> str:
    if isinstance(text, Promise):
        # A gettext_lazy proxy keeps the msgid it was made with: store that, not this
        # request's translation.
        args: tuple[Any, ...] = tuple(getattr(text, "_args", ()))
        if len(args) == 1 and isinstance(args[0], str):
            return args[0]
        return str(text)
    return str(text)


def _param(value: Any) -> Any:
    if isinstance(value, Note):
        return {"key": value.key, "params": value.params}
    if isinstance(value, Money):
        return {"amount": str(value.amount), "currency": value.currency}
    if isinstance(value, Promise):
        return {"key": msgid(value), "params": {}}
    return str(value)


def _value(value: Any) -> str:
    if isinstance(value, dict) and "currency" in value:
        try:
            return format_money(Decimal(value["amount"]), value["currency"])
        except (InvalidOperation, KeyError, TypeError, ValueError):
            return str(value.get("amount", ""))
    if isinstance(value, dict) and "key" in value:
        return render(value["key"], value.get("params") or {})
    return str(value)


def render(key: str, params: dict[str, Any]) -> str:
    text = gettext(key)
    if not params:
        return text
    try:
        return text % {name: _value(v) for name, v in params.items()}
    except (KeyError, TypeError, ValueError):
        # A translation that lost a placeholder must not break the page.
        return gettext(key) if text != key else key


# --- reading sentences stored as text before message keys existed ---------------------------

def parse(text: str, keys: list[str], languages: list[str]) -> Note | None:
    """The Note whose translation (in one of `languages`) reads exactly `text`, or None.
    Parameters come back as text (old rows stored amounts without their currency)."""
    from django.utils import translation

    for language in languages:
        with translation.override(language):
            for key in keys:
                pattern = _pattern(gettext(key))
                m = pattern.fullmatch(text)
                if m:
                    return Note(key, dict(m.groupdict()))
    return None


def _pattern(translated: str) -> re.Pattern:
    parts = re.split(r"%\((\w+)\)[sd]", translated)
    out = []
    for i, part in enumerate(parts):
        out.append(f"(?P<{part}>.*?)" if i % 2 else re.escape(part))
    return re.compile("".join(out), re.S)
