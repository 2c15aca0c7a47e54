"""Consumer verification over HTTP: answers, enumeration, floods, durability."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from weishang.codes import services
from weishang.codes.codec import check_symbol
from weishang.codes.models import CodeState, DiversionAlert, ScanEvent

from .conftest import code_of

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["django", "fast"])
def client(request):
    """Every test here runs twice: through Django's full stack, and through the WSGI handler
    production uses (weishang/wsgi.py: the fast path for anonymous scans, else Django)."""
    from .test_fastpath import fast_client

    return fast_client() if request.param == "fast" else Client()


def url(code):
    return reverse("codes:verify", args=[code.lower()])


def released(batch, hq, agent):
    shipment = services.open_shipment(user=hq, to_agent=agent)
    services.scan_out(user=hq, shipment=shipment, code=code_of(batch, batch.case_start))


def forged_of(code):
    body = code[:10] + ("0" if code[10] != "0" else "1") + code[11:17]
    return body + check_symbol(body)


def _clean(html: str, code: str) -> str:
    """The page minus what differs by design: CSRF tokens and the requested path itself."""
    return re.sub(r'(csrfmiddlewaretoken" value=|X-CSRFToken": )"[^"]+"', "", html).replace(code.lower(), "CODE")


def test_genuine_first_then_nth_query(client, batch, hq, net):
    top, _, _ = net
    released(batch, hq, top)
    code = code_of(batch, batch.serial_start)
    r = client.get(url(code))
    html = r.content.decode()
    assert r.status_code == 200
    assert "first query" in html.lower() or "首次查询" in html
    assert batch.lot in html and "2026-01-01" in html and "2028-01-01" in html
    assert "广**代 · 总代" in html and top.name not in html  # the seller, masked, with its level
    assert r.cookies["wsv"].value
    r2 = client.get(url(code))
    assert r2.status_code == 200
    state = CodeState.objects.get(serial=batch.serial_start)
    assert state.count == 2 and state.people_count == 1  # same visitor cookie


def test_not_yet_released_is_flagged(client, batch, settings):
    settings.LANGUAGE_CODE = "en"
    r = client.get(url(code_of(batch, batch.serial_start)), HTTP_ACCEPT_LANGUAGE="en")
    assert r.status_code == 200 and "Not yet released" in r.content.decode()
    assert ScanEvent.objects.get().verdict == "unreleased"


def test_api_does_not_vouch_for_unreleased_code(client, batch):
    """The page says "not yet released"; the API must not answer genuine for the same code."""
    body = client.get(f"/api/v1/codes/verify/{code_of(batch, batch.serial_start).lower()}").json()
    assert body["verdict"] == "unreleased" and body["released"] is False and body["genuine"] is False


def test_copied_code_warning_by_many_people(client, batch, hq, net, settings, django_user_model):
    settings.CODES_WARN_PEOPLE = 2
    top, _, _ = net
    released(batch, hq, top)
    code = code_of(batch, batch.serial_start)
    for _ in range(3):
        client.cookies.clear()
        r = client.get(url(code), HTTP_ACCEPT_LANGUAGE="en")
    assert "queried too widely" in r.content.decode()


def test_forged_code_touches_no_database(client, batch, django_assert_num_queries):
    forged = forged_of(code_of(batch, batch.serial_start))
    with django_assert_num_queries(0):
        r = client.get(url(forged))
    assert r.status_code == 404
    assert not ScanEvent.objects.exists()


def test_unknown_and_forged_look_alike(client, batch, codec):
    unknown = codec.encode(batch.serial_end + 100)  # a valid tag for a serial no batch holds
    forged = forged_of(code_of(batch, batch.serial_start))
    wrong_version = codec.encode(batch.serial_start, 1)  # genuine key, but this batch used v2
    other_key = "9" + code_of(batch, batch.serial_start)[1:17]
    other_key += check_symbol(other_key)
    codes = (unknown, forged, wrong_version, other_key)
    pages = [client.get(url(c)) for c in codes]
    assert {p.status_code for p in pages} == {404}
    bodies = {_clean(p.content.decode(), c) for p, c in zip(pages, codes, strict=True)}
    assert len(bodies) == 1
    api = [client.get(f"/api/v1/codes/verify/{c.lower()}") for c in (unknown, forged, other_key)]
    assert {a.status_code for a in api} == {404}
    assert len({a.content for a in api}) == 1 and api[0].json()["code"] == "code_not_genuine"
    assert not ScanEvent.objects.exists()


@pytest.mark.parametrize("text", ["abc", "zzzzzzzzzzzzzzzzzz", "2qc9f5zkakfayhdpd5u", "%00" * 18])
def test_malformed_codes_400(client, text, batch):
    r = client.get(f"/v/{text}")
    assert r.status_code == 400
    assert client.get(f"/api/v1/codes/verify/{text}").status_code == 400


def test_wrong_check_character_400_before_lookup(client, batch, django_assert_num_queries):
    code = code_of(batch, batch.serial_start)
    typo = code[:17] + ("0" if code[17] != "0" else "1")
    with django_assert_num_queries(0):
        r = client.get(url(typo))
    assert r.status_code == 400


def test_flood_from_one_client_gets_429(client, batch, settings):
    settings.CODES_RATE_CLIENT = 3
    code = code_of(batch, batch.serial_start)
    statuses = [client.get(url(code)).status_code for _ in range(5)]
    assert statuses[:3] == [200, 200, 200] and statuses[3:] == [429, 429]
    r = client.get(f"/api/v1/codes/verify/{code.lower()}")
    assert r.status_code == 429 and r.json()["code"] == "rate_limited" and r.json()["message"]
    assert ScanEvent.objects.count() == 3  # refused queries are not counted as scans


def test_flood_on_one_code_gets_429(client, batch, settings):
    settings.CODES_RATE_CODE = 2
    code = code_of(batch, batch.serial_start)
    statuses = [client.get(url(code), REMOTE_ADDR=f"10.0.0.{i}").status_code for i in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert client.get(url(code_of(batch, batch.serial_start + 1))).status_code == 200


def test_scan_is_written_before_the_answer(client, batch, monkeypatch):
    from weishang.codes import services as svc

    code = code_of(batch, batch.serial_start)
    r = client.get(url(code))
    assert r.status_code == 200 and ScanEvent.objects.filter(serial=batch.serial_start).count() == 1

    def broken(*a, **kw):  # fails after the state and event statements, inside the transaction
        raise RuntimeError("disk full")

    monkeypatch.setattr(svc, "_maybe_alert", broken)
    client.raise_request_exception = True
    with pytest.raises(RuntimeError):
        client.get(url(code))
    # the failed scan left nothing half-written and produced no answer
    assert CodeState.objects.get(serial=batch.serial_start).count == 1
    assert ScanEvent.objects.filter(serial=batch.serial_start).count() == 1


def test_genuine_query_count_is_pinned(client, batch, hq, net, django_assert_max_num_queries):
    """Counted on the database connection itself: the hot path's statements bypass Django's
    query log on SQLite (selectors.fetch_one)."""
    from django.db import connection

    released(batch, hq, net[0])
    code = code_of(batch, batch.serial_start)
    client.get(url(code))
    if connection.vendor != "sqlite":
        with django_assert_max_num_queries(5):  # holder, upsert, event, SAVEPOINT, RELEASE
            assert client.get(url(code)).status_code == 200
        return
    statements = []
    connection.connection.set_trace_callback(statements.append)
    try:
        assert client.get(url(code)).status_code == 200
    finally:
        connection.connection.set_trace_callback(None)
    sql = [s for s in statements if not s.startswith(("SAVEPOINT", "RELEASE"))]
    assert len(sql) == 3, sql  # holder lookup, counters upsert, event insert: nothing else


def test_api_verify_and_place(client, batch, hq, net):
    top, _, _ = net
    released(batch, hq, top)
    code = code_of(batch, batch.serial_start).lower()
    r = client.get(f"/api/v1/codes/verify/{code}")
    body = r.json()
    assert r.status_code == 200 and body["verdict"] == "genuine" and body["first_query"] and body["nth"] == 1
    assert body["genuine"] is True and body["released"] is True
    assert body["seller"] == "广**代" and body["seller_level"] == top.level.name
    assert body["production_date"] == "2026-01-01"
    from weishang.codes.api import VerifyOut

    VerifyOut.model_validate(body)  # the hand-serialised answer is what the schema documents
    r = client.post(f"/api/v1/codes/verify/{code}/place", {"token": body["token"], "division": "110101"},
                    content_type="application/json")
    assert r.status_code == 200
    alert = DiversionAlert.objects.get()
    assert alert.scan_division == "110101" and alert.source == "choice" and not alert.weak
    r = client.post(f"/api/v1/codes/verify/{code}/place", {"token": "nope", "division": "110101"},
                    content_type="application/json")
    assert r.status_code in (404, 409)


def test_page_and_api_link_to_the_sellers_certificate_lookup(client, batch, hq, net, settings):
    from html import unescape

    from weishang.certificates.services import issue_certificate

    settings.LOOKUP_MIN_SECONDS = 0
    top, _, _ = net
    released(batch, hq, top)
    code = code_of(batch, batch.serial_start)
    html = client.get(url(code)).content.decode()
    assert "view certificate" not in html and "查看证书" not in html  # no certificate yet: no link
    body = client.get(f"/api/v1/codes/verify/{code.lower()}").json()
    assert body["seller_certificate_url"] is None
    cert = issue_certificate(top)
    from weishang.codes.selectors import forget_sellers

    forget_sellers()  # sellers' facts are cached for SELLER_TTL seconds
    link = client.get(f"/api/v1/codes/verify/{code.lower()}").json()["seller_certificate_url"]
    assert link.startswith("https://brand.example/lookup/?q=") and cert.number in link
    html = client.get(url(code)).content.decode()
    assert f'href="{link}"'.replace("&", "&amp;") in html or f'href="{link}"' in unescape(html)
    lookup = client.get(link.removeprefix("https://brand.example"))
    assert lookup.status_code == 200
    page = lookup.content.decode()
    assert cert.number in page and "广**代" in page and top.name not in page


def test_place_form_and_pin(client, sku, hq):
    import datetime as d

    b = services.create_batch(sku=sku, lot="PIN", production_date=d.date(2026, 1, 1),
                              expiry_date=d.date(2027, 1, 1), quantity=5, items_per_box=5, boxes_per_case=1,
                              with_pin=True, user=hq)
    code = code_of(b, b.serial_start)
    r = client.get(url(code))
    assert 'name="pin"' in r.content.decode()
    token = ScanEvent.objects.get().token
    place_page = client.get(reverse("codes:verify_place", args=[code.lower()]), {"t": token})
    assert 'name="division"' in place_page.content.decode() and token in place_page.content.decode()
    from weishang.codes import conf

    pin = conf.get_codec().pin(b.serial_start, b.key_version)
    assert client.post(reverse("codes:verify_pin", args=[code.lower()]), {"pin": pin}).status_code == 200
    assert client.post(reverse("codes:verify_pin", args=[code.lower()]), {"pin": "00000000"}).status_code == 400
    r = client.post(reverse("codes:verify_place", args=[code.lower()]), {"token": token, "division": "310100"})
    assert r.status_code == 200 and ScanEvent.objects.get().division == "310100"


def test_ip_location_is_used_when_known(client, batch, hq, net, monkeypatch):
    from weishang.codes import location

    monkeypatch.setattr(location, "from_ip", lambda ip: location.Place("110100", "ip"))
    released(batch, hq, net[0])
    client.get(url(code_of(batch, batch.serial_start)))
    alert = DiversionAlert.objects.get()
    assert alert.weak and alert.source == "ip"


def test_manual_entry(client, batch):
    code = code_of(batch, batch.serial_start)
    r = client.get(reverse("codes:verify_home"), {"code": code[:6] + "-" + code[6:]})
    assert r.status_code == 302 and r["Location"].endswith(code.lower())
    r = client.get(reverse("codes:verify_home"), {"code": "nonsense"})
    assert r.status_code == 200 and "error" in r.content.decode()


@hsettings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(text=st.text(min_size=1, max_size=60))
def test_no_input_makes_verification_fail(client, batch, text):
    from urllib.parse import quote

    from django.test import override_settings

    path = quote(text, safe="")
    with override_settings(CODES_RATE_CLIENT=10**9):
        for prefix in ("/v/", "/api/v1/codes/verify/"):
            r = client.get(prefix + path)
            assert r.status_code in (200, 301, 302, 400, 404), (prefix, text, r.status_code)


def test_device_location_places_the_scan(client, batch, hq, net, monkeypatch):
    """Browser geolocation → the city's division code (GeoToolCN, offline); coordinates are
    not stored; it beats an IP location and a chosen city, and nothing replaces it."""
    from weishang.codes import location

    released(batch, hq, net[0])  # bound to the Guangzhou agent
    monkeypatch.setattr(location, "from_ip", lambda ip: location.Place("440100", "ip"))
    code = code_of(batch, batch.serial_start).lower()
    page = client.get(url(code)).content.decode()
    assert 'id="geo-button"' in page and "codes/verify.js" in page
    token = ScanEvent.objects.get().token
    place_api = f"/api/v1/codes/verify/{code}/place"
    r = client.post(place_api, {"token": token, "lat": 39.91, "lng": 116.40}, content_type="application/json")
    assert r.status_code == 200 and r.json()["place"].startswith("北京")
    event = ScanEvent.objects.get()
    assert (event.division, event.source) == ("110100", "gps")
    alert = DiversionAlert.objects.get()  # Beijing is outside the Guangzhou agent's region
    assert alert.source == "gps" and not alert.weak and alert.scan_province == "11"
    r = client.post(place_api, {"token": token, "division": "440100"}, content_type="application/json")
    assert r.status_code == 409  # a chosen city does not replace the device location
    r = client.post(place_api, {"token": token, "lat": 0, "lng": 0}, content_type="application/json")
    assert r.status_code == 400  # the Gulf of Guinea is not a place we know


def test_device_location_not_asked_once_placed(client, batch, hq, net):
    released(batch, hq, net[0])
    code = code_of(batch, batch.serial_start).lower()
    client.get(url(code))
    token = ScanEvent.objects.get().token
    client.post(f"/api/v1/codes/verify/{code}/place", {"token": token, "division": "440100"},
                content_type="application/json")
    assert ScanEvent.objects.get().source == "choice" and not DiversionAlert.objects.exists()
    r = client.post(f"/api/v1/codes/verify/{code}/place", {"token": token, "lat": 23.13, "lng": 113.26},
                    content_type="application/json")
    assert r.status_code == 200 and ScanEvent.objects.get().source == "gps"  # the device beats a choice


def test_location_from_coordinates():
    from weishang.codes import location

    assert location.from_coords(23.13, 113.26) == location.Place("440100", "gps")  # a district → its city
    assert location.from_coords(39.9, 116.4).division == "110100"  # 北京市 as the city of a municipality
    for bad in ((0, 0), ("x", 1), (float("nan"), 1), (91, 0)):
        assert location.from_coords(*bad) is None


def test_page_escapes_values_and_shows_masked_seller(client, batch, hq, net):
    from weishang.catalog.models import Product

    Product.objects.filter(pk=batch.sku.product_id).update(name='<script>alert("x")</script>')
    from weishang.codes.selectors import batch_cache

    batch_cache.clear()
    released(batch, hq, net[0])
    html = client.get(url(code_of(batch, batch.serial_start))).content.decode()
    assert "<script>alert" not in html and "&lt;script&gt;alert" in html


def test_verification_page_follows_the_language(client, batch, hq, net):
    released(batch, hq, net[0])
    code = code_of(batch, batch.serial_start)
    en = client.get(url(code), HTTP_ACCEPT_LANGUAGE="en").content.decode()
    hant = client.get(url(code), HTTP_ACCEPT_LANGUAGE="zh-Hant").content.decode()
    hans = client.get(url(code), HTTP_ACCEPT_LANGUAGE="zh-Hans").content.decode()
    assert "Genuine product" in en and "正品" in hant and "正品" in hans
    assert hant != hans and 'lang="en"' in en


def test_logged_in_consumer_sees_own_nav_and_is_the_person(client, batch, hq, net, factories):
    released(batch, hq, net[0])
    user = factories.user()
    client.force_login(user)
    html = client.get(url(code_of(batch, batch.serial_start))).content.decode()
    assert "/accounts/login" not in html
    assert ScanEvent.objects.get().consumer_id == user.pk


def test_skeleton_refuses_values_in_conditions_or_filters(settings, tmp_path):
    """codes.skeleton can only fill plain {{ value }}s; a template that uses a value in a
    condition or through a filter is refused when its skeleton is built, not served wrong."""
    from weishang.codes.skeleton import Skeleton

    (tmp_path / "ok.html").write_text("<p>{% if flag %}{{ a }}{% endif %} {{ b }}</p>")
    (tmp_path / "cond.html").write_text("<p>{% if a %}yes{% endif %}</p>")
    (tmp_path / "filter.html").write_text("<p>{{ a|upper }}</p>")
    settings.TEMPLATES = [{"BACKEND": "django.template.backends.django.DjangoTemplates", "DIRS": [tmp_path]}]
    ok = Skeleton("ok.html")
    assert ok.render({"flag": True}, {"a": "<x>", "b": "y"}) == "<p>&lt;x&gt; y</p>"
    assert ok.render({"flag": False}, {"a": "<x>", "b": "z"}) == "<p> z</p>"
    for name in ("cond.html", "filter.html"):
        with pytest.raises(ValueError):
            Skeleton(name).render({}, {"a": "x"})


def test_sellers_facts_in_one_statement_match_the_models(net, django_assert_max_num_queries):
    """selectors.seller reads agent, level and active certificate in one SQL statement (it is
    on every scan of an agent not seen lately); what it returns is what the models say."""
    from weishang.certificates.selectors import lookup_path
    from weishang.certificates.services import issue_certificate, revoke_certificate
    from weishang.codes import selectors
    from weishang.core.names import mask_name

    top = net[0]
    top.province_code, top.city_code = "440000", "440100"
    top.save(update_fields=["province_code", "city_code"])

    def facts():
        selectors.forget_sellers()
        with django_assert_max_num_queries(1):  # one statement (SQLite's skips the query log)
            return selectors.seller(top.pk)

    s = facts()
    assert (s.id, s.name, s.masked_name, s.level) == (top.pk, top.name, mask_name(top.name), top.level.name)
    assert (s.province_code, s.city_code, s.certificate_path) == ("440000", "440100", None)
    cert = issue_certificate(top)
    assert facts().certificate_path == lookup_path(top.pk) and cert.number in facts().certificate_path
    revoke_certificate(cert, reason="test")
    assert facts().certificate_path is None
    assert selectors.seller.__wrapped__(10**9) is None  # no such agent
