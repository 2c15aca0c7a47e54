"""Render a hot page's Django template once, then fill in each request's values.

The consumer verification page is rendered on every scan of every product, so it must
cost little more than a trivial view. Rendering its template with the Django engine
(inheritance, {% translate %}, filters) took ~1 ms per request; most of that is the same
for every request in one language. A `Skeleton` renders the template once per (language,
flags) with a marker in place of every per-request value, splits the result at the
markers, and keeps the pieces; a request then costs one dict lookup and joining the pieces
with its escaped values.

Rules for such a template: it gets no request (no {% csrf_token %}, no `user`, no
`messages`, no context processors); conditions may use only the flags (booleans or short
strings, part of the cache key); values are plain text, used only as {{ name }} (escaped
when filled in), never in a condition or through a filter — format them before. With
DEBUG on, nothing is kept, so template edits show at once.
"""

from __future__ import annotations

import html
import re
import threading

from django.conf import settings
from django.template.loader import get_template
from django.utils.safestring import SafeString
from django.utils.translation import get_language

_OPEN, _CLOSE = "\ue000", "\ue001"  # private-use characters: never in a template or a translation
_SPLIT = re.compile(f"{_OPEN}([a-z_0-9]+){_CLOSE}")


class Skeleton:
    MAX_VARIANTS = 512

    def __init__(self, template_name: str) -> None:
        self.template_name = template_name
        self._pieces: dict[tuple, list[str]] = {}
        self._lock = threading.Lock()

    def _compile(self, flags: dict, names) -> list[str]:
        template = get_template(self.template_name)
        base = {"BRAND_NAME": settings.BRAND_NAME, **flags}
        html = template.render({**base, **{n: SafeString(f"{_OPEN}{n}{_CLOSE}") for n in names}})
        pieces = _SPLIT.split(html)
        # Even positions are literal HTML, odd ones value names. A stray marker means a value
        # went through a filter; a different page with every value empty means a value took
        # part in a condition. Neither can be honoured by filling in values later.
        if _OPEN in "".join(pieces[::2]) or any(p not in names for p in pieces[1::2]):
            raise ValueError(f"{self.template_name}: a value is used through a filter")
        if "".join(pieces[::2]) != template.render({**base, **{n: "" for n in names}}):
            raise ValueError(f"{self.template_name}: a value is used in a condition")
        return pieces

    def render(self, flags: dict, values: dict[str, object]) -> str:
        key = (get_language(), tuple(sorted(flags.items())))
        pieces = self._pieces.get(key)
        if pieces is None:
            pieces = self._compile(flags, values)
            if not settings.DEBUG:
                with self._lock:
                    if len(self._pieces) < self.MAX_VARIANTS:
                        self._pieces[key] = pieces
        out = pieces[:]
        for i in range(1, len(out), 2):  # what django.utils.html.escape does, without its lazy-text wrapper
            out[i] = html.escape(str(values[out[i]]))
        return "".join(out)

    def clear(self) -> None:
        with self._lock:
            self._pieces.clear()
