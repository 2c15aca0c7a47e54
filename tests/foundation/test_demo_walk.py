"""A browser walk of the demo (issue 11 done-criterion): signed in with each demo login
(consumer, the 总代 / 一级 / 二级 agents, every HQ role, the supplier) on a 390×844 phone,
follow every same-origin link from the page the login lands on, GET only, and fail on any
4xx/5xx response (the page or anything it loads), console error (CSP violations included)
or uncaught page error. Logout and downloads are not followed; pages that differ only by an
id are visited twice at most, and at most MAX_PAGES pages per login.

Set WALK_SCREENSHOTS=<dir> to keep a screenshot of each login's first pages."""

from __future__ import annotations

import io
import os
import re
from collections import deque
from urllib.parse import urldefrag, urlsplit

import pytest
from django.core.management import call_command
from django.utils import translation

from weishang.accounts.demo import DEMO_PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.slow]
PHONE = {"width": 390, "height": 844}
MAX_PAGES = 60
PER_PATTERN = 2
LOGINS = [
    ("consumer", "+8613900000001"),
    ("agent 总代", "+8613500000001"),
    ("agent 一级", "+8613500000002"),
    ("agent 二级", "+8613500000003"),
    ("HQ admin", "+8613800000001"),
    ("HQ operator", "+8613800000002"),
    ("HQ finance", "+8613800000003"),
    ("HQ warehouse", "+8613800000004"),
    ("supplier", "+8613700000001"),
]
# Not followed: signing out, files to download, the API's own pages (JSON and its docs).
SKIP = re.compile(r"/logout/|/export|/download|\.(xlsx|csv|pdf|zip|png|jpe?g|webp)(\?|$)|[?&]format=|^/api/"
                  r"|/media/|/private/")
LINKS = """() => Array.from(document.querySelectorAll('a[href]'))
  .filter(a => !a.hasAttribute('download') && !a.closest('[hidden]'))
  .map(a => a.href)"""


def _pattern(path: str) -> str:
    """/orders/WS2611-AB12/ and /orders/WS2612-CD34/ are the same page for the walk."""
    return "/".join("<id>" if re.search(r"\d", seg) else seg for seg in path.split("/"))


def _walk(browser, base: str, phone: str, shots: str | None, label: str) -> tuple[list[str], int]:
    ctx = browser.new_context(locale="zh-CN", viewport=PHONE, is_mobile=True)
    page = ctx.new_page()
    page.set_default_timeout(20000)
    problems: list[str] = []
    current = {"url": ""}
    page.on("console", lambda m: m.type == "error" and problems.append(f"{current['url']} console: {m.text}"))
    page.on("pageerror", lambda e: problems.append(f"{current['url']} page error: {e}"))

    def on_response(r) -> None:
        if r.url.startswith(base) and r.status >= 400:
            problems.append(f"{current['url']} {r.status} {r.request.method} {r.url[len(base):]}")

    page.on("response", on_response)
    page.goto(f"{base}/accounts/login/")
    page.fill("input[name=phone]", phone)
    page.fill("input[name=password]", DEMO_PASSWORD)
    page.click("button[type=submit]")
    page.wait_for_url(lambda u: "/accounts/login/" not in u)
    start = urldefrag(page.url).url[len(base):]
    queue, seen, per_pattern, visited = deque([start]), {start}, {}, 0
    while queue and visited < MAX_PAGES:
        url = queue.popleft()
        current["url"] = url
        response = page.goto(f"{base}{url}", wait_until="networkidle")
        visited += 1
        if response is None or "text/html" not in (response.headers.get("content-type") or ""):
            continue
        if urlsplit(page.url).path.startswith("/accounts/login/"):
            problems.append(f"{url} sent {label} back to the login page")
            continue
        if shots and visited <= 4:
            page.screenshot(path=os.path.join(shots, f"{label.replace(' ', '_')}-{visited}.png"), full_page=True)
        for href in page.evaluate(LINKS):
            href = urldefrag(href).url
            if not href.startswith(base):
                continue
            path = href[len(base):] or "/"
            pat = _pattern(urlsplit(path).path)
            if path in seen or SKIP.search(path) or per_pattern.get(pat, 0) >= PER_PATTERN:
                continue
            seen.add(path)
            per_pattern[pat] = per_pattern.get(pat, 0) + 1
            queue.append(path)
    ctx.close()
    return problems, visited


def test_every_demo_login_walks_its_pages_without_an_error(browser, live_server, transactional_db):
    with translation.override("zh-hans"):
        call_command("load_demo", verbosity=0, stdout=io.StringIO())
    shots = os.environ.get("WALK_SCREENSHOTS")
    problems: list[str] = []
    for label, phone in LOGINS:
        found, visited = _walk(browser, live_server.url, phone, shots, label)
        assert visited >= 3, f"{label} reached only {visited} pages"
        problems += [f"[{label}] {p}" for p in dict.fromkeys(found)]
    assert not problems, "\n".join(problems)
