"""Finding untranslated text on rendered pages (tests only).

Two nets, because a missing translation reaches a page two ways:

* `missing_lookups(language)` records every gettext/ngettext/pgettext lookup made while
  `language` is active that its catalogs (ours and Django's) do not answer: a msgid with no
  entry, or an entry with an empty msgstr (msgfmt leaves those out of the .mo).
* `latin_words(html)` lists the English-looking words left in a page's visible text: text
  that never went through gettext at all (a model field without verbose_name shows as
  "DEPTH", a literal in a template, a raw choice value such as "order_payment").
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from contextlib import contextmanager
from html.parser import HTMLParser

from django.utils.translation import trans_real

# Latin words that are right in a Chinese page: product words people use as they are,
# units, and the names of things.
ALLOWED_WORDS = {
    "api", "app", "ean", "excel", "gtin", "htmx", "id", "ip", "no", "nt", "pdf", "png", "qr", "sku", "skus",
    "url", "xlsx", "csv", "html", "cny", "twd", "english", "weishang", "lanxi", "ws", "kg", "ml", "cm", "mm",
    "openapi", "json", "django", "ninja", "utc", "asia", "shanghai", "taipei", "ok", "vip", "logo", "demo",
    "pm", "am",
}
# Right only as written: LINE is the messaging app, not "line"; Django's admin writes
# "True"/"False" (boolean icons) and "Search" (the search box icon) as alt text in English.
ALLOWED_EXACT = {"LINE", "True", "False", "Search"}
URL = re.compile(r"\S+://\S*")


# A msgid with no Latin letter is already Chinese (a language's own name): nothing to translate.
LATIN = re.compile("[A-Za-z]")


@contextmanager
def missing_lookups(language: str) -> Iterator[set[str]]:
    """Yield a set that fills with the msgids looked up in `language` and not found."""
    missing: set[str] = set()
    cls = trans_real.DjangoTranslation
    plain, plural = cls.gettext, cls.ngettext

    def ours(self) -> bool:
        return self.language() == language

    def gettext(self, message):
        if ours(self) and LATIN.search(message) and message not in self._catalog:
            missing.add(message.split(trans_real.CONTEXT_SEPARATOR)[-1])
        return plain(self, message)

    def ngettext(self, msgid1, msgid2, n):
        if ours(self) and LATIN.search(msgid1):
            try:
                self._catalog.plural(msgid1, n)
            except KeyError:
                missing.add(msgid1.split(trans_real.CONTEXT_SEPARATOR)[-1])
        return plural(self, msgid1, msgid2, n)

    cls.gettext, cls.ngettext = gettext, ngettext  # type: ignore[method-assign]
    try:
        yield missing
    finally:
        cls.gettext, cls.ngettext = plain, plural  # type: ignore[method-assign]


class _Text(HTMLParser):
    SKIP = {"script", "style", "noscript", "template", "code", "pre"}

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._skip = 0

    def handle_starttag(self, tag, attrs):
        if tag in self.SKIP:
            self._skip += 1
        # What people read or hear besides text: labels, placeholders, titles.
        for name, value in attrs:
            if value and name in ("placeholder", "title", "aria-label", "alt"):
                self.parts.append(value)
            if value and name == "value" and tag == "input" and dict(attrs).get("type") in ("submit", "button"):
                self.parts.append(value)

    def handle_endtag(self, tag):
        if tag in self.SKIP and self._skip:
            self._skip -= 1

    def handle_data(self, data):
        if not self._skip:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return " ".join(parser.parts)


# A word on its own; parts of identifiers (a posting key "order:pay:WS…", a file name, an
# e-mail address, a code such as LX-HA-30) are not words.
WORD = re.compile(r"(?<![\w@.+/#:-])[A-Za-z][A-Za-z_]{2,}(?![\w@/:-])")


def latin_words(html: str, allowed: set[str] | frozenset[str] = frozenset()) -> set[str]:
    """English-looking words in the visible text, less the allowed ones (case-insensitive)."""
    ok = ALLOWED_WORDS | {w.lower() for w in allowed}
    text = URL.sub(" ", visible_text(html))
    return {w for w in WORD.findall(text) if w.lower() not in ok and w not in ALLOWED_EXACT}


def word_context(html: str, word: str, width: int = 40) -> str:
    """Where `word` stands in the visible text, to find it in a failure message."""
    text = re.sub(r"\s+", " ", visible_text(html))
    m = re.search(r"(?<![A-Za-z])" + re.escape(word) + r"(?![A-Za-z])", text)
    return f"…{text[max(0, m.start() - width):m.end() + width]}…" if m else word
