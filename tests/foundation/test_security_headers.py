"""Content-Security-Policy and Permissions-Policy on every page; no inline script anywhere
(the policy would block it); static files compressed although served from the finders."""

from __future__ import annotations

import gzip
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.conf import settings

from tests import factories as f

ROOT = Path(__file__).resolve().parents[2]
# Pages of every kind of visitor: public, consumer, agent, HQ, the admin and the API docs.
PUBLIC = ["/", "/accounts/login/", "/accounts/register/", "/v/", "/lookup/", "/api/docs", "/no-such-page/"]
AGENT = ["/accounts/me/", "/agent/", "/agent/team/", "/agent/level/", "/agent/certificate/", "/agent/invites/",
         "/agent/applications/", "/orders/", "/orders/restock/", "/inventory/", "/inventory/pickup/", "/earnings/",
         "/payments/", "/codes/ship/"]
HQ = ["/codes/batches/", "/codes/trace/", "/codes/alerts/", "/admin/", "/admin/agents/agent/tree/",
      "/inventory/hq/", "/earnings/hq/withdrawals/", "/payments/hq/topup/"]


class _InlineScripts(HTMLParser):
    """Collects what script-src 'self' would block: inline <script> bodies (JSON data blocks
    are data, not script), on* event attributes, javascript: URLs, and htmx's hx-on."""

    def __init__(self):
        super().__init__()
        self.found: list[str] = []
        self._in_script = False

    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == "script" and not a.get("src") and a.get("type") not in ("application/json", "application/ld+json"):
            self._in_script = True
        for name, value in attrs:
            if re.fullmatch(r"on[a-z]+", name) or name.startswith("hx-on") or name.startswith("data-hx-on"):
                self.found.append(f"<{tag} {name}>")
            if name in ("href", "src", "action") and (value or "").strip().lower().startswith("javascript:"):
                self.found.append(f"<{tag} {name}=javascript:>")

    def handle_data(self, data):
        if self._in_script and data.strip():
            self.found.append(f"<script>{data.strip()[:60]}")

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = False


def inline_scripts(html: str) -> list[str]:
    parser = _InlineScripts()
    parser.feed(html)
    return parser.found


def _check(resp, path):
    assert "script-src 'self'" in resp["Content-Security-Policy"], path
    assert "unsafe-inline" not in resp["Content-Security-Policy"].split("script-src", 1)[1].split(";")[0], path
    assert "camera=(self)" in resp["Permissions-Policy"] and "microphone=()" in resp["Permissions-Policy"], path
    if resp.status_code == 200 and resp["Content-Type"].startswith("text/html"):
        assert inline_scripts(resp.content.decode()) == [], path
        return True
    return False


@pytest.mark.django_db
def test_every_main_page_has_the_policies_and_no_inline_script(client):
    levels = f.standard_levels()
    agent = f.agent(level=levels[0])
    rendered = []
    for path in PUBLIC:
        resp = client.get(path)
        if _check(resp, path):
            rendered.append(path)
    client.force_login(agent.user)
    for path in AGENT:
        if _check(client.get(path), path):
            rendered.append(path)
    client.force_login(f.staff("admin", is_superuser=True))
    for path in HQ:
        if _check(client.get(path), path):
            rendered.append(path)
    # the check looked at real pages, not only redirects and 404s
    for must in ("/", "/accounts/login/", "/api/docs", "/agent/", "/orders/", "/codes/ship/", "/codes/alerts/",
                 "/admin/", "/admin/agents/agent/tree/"):
        assert must in rendered, (must, rendered)


@pytest.mark.django_db
def test_the_fast_verification_path_sends_the_policies_too(client):
    from weishang.codes.fastpath import FastPath

    resp = client.get("/v/NOTACODE1")
    fast = FastPath().process_response(resp.wsgi_request, type(resp)(resp.content, status=resp.status_code))
    assert fast["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert fast["Permissions-Policy"] == settings.PERMISSIONS_POLICY


def test_no_template_has_an_inline_script():
    # Templates not reached by the page test above (fragments, e-mails, error pages) too.
    problems = {}
    for template in (ROOT / "weishang").rglob("templates/**/*.html"):
        text = re.sub(r"\{#.*?#\}", "", template.read_text(), flags=re.S)
        text = re.sub(r"\{%.*?%\}|\{\{.*?\}\}", "x", text, flags=re.S)  # tags out of the way of the parser
        found = inline_scripts(text)
        if found:
            problems[str(template.relative_to(ROOT))] = found
    assert problems == {}


@pytest.mark.django_db
def test_echarts_is_served_compressed(client):
    source = (settings.NODE_MODULES / "echarts" / "dist" / "echarts.min.js").read_bytes()
    resp = client.get("/static/vendor/echarts/echarts.min.js", HTTP_ACCEPT_ENCODING="gzip, deflate, br")
    body = b"".join(resp.streaming_content)
    assert resp.status_code == 200 and resp["Content-Encoding"] == "gzip"
    assert len(body) < len(source) / 2 and gzip.decompress(body) == source
    assert "Accept-Encoding" in resp["Vary"]
    # a client that does not accept gzip gets the file as it is
    resp = client.get("/static/vendor/echarts/echarts.min.js")
    assert not resp.has_header("Content-Encoding") and b"".join(resp.streaming_content) == source
