"""The public authorisation lookup: hits, misses, masking, rate limit, no caching, and the
time floor taken on both paths."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from weishang.agents.models import Agent
from weishang.certificates import lookup, services
from weishang.certificates.models import Certificate


@pytest.mark.parametrize("query", ["+8613912399001", "139 1239 9001", "zsm_wx", "NUMBER", "number-lower"])
def test_hit_by_phone_wechat_or_number(client, cert, query):
    q = {"NUMBER": cert.number, "number-lower": cert.number.lower().replace("-", " ")}.get(query, query)
    r = client.get("/lookup/", {"q": q})
    page = r.content.decode()
    assert r.status_code == 200 and "张*明" in page and "张三明" not in page
    assert cert.number in page and "一级" in page and "深圳市" in page


def test_miss(client, cert):
    for q in ("+8613912399002", "nobody_wx", cert.number[:-1] + ("0" if cert.number[-1] != "0" else "1")):
        r = client.get("/lookup/", {"q": q})
        assert r.status_code == 200 and "lookup-no" in r.content.decode() and cert.number not in r.content.decode()


def test_revoked_expired_and_frozen_are_not_authorised(client, cert):
    services.revoke_certificate(cert, reason="违规")
    assert "lookup-no" in client.get("/lookup/", {"q": "zsm_wx"}).content.decode()
    fresh = services.issue_certificate(cert.agent)
    assert "lookup-yes" in client.get("/lookup/", {"q": "zsm_wx"}).content.decode()
    Agent.objects.filter(pk=cert.agent_id).update(status="frozen")
    assert "lookup-no" in client.get("/lookup/", {"q": "zsm_wx"}).content.decode()
    Agent.objects.filter(pk=cert.agent_id).update(status="active")
    Certificate.objects.filter(pk=fresh.pk).update(valid_until=dt.date(2020, 1, 1))
    assert "lookup-no" in client.get("/lookup/", {"q": "zsm_wx"}).content.decode()


def test_result_is_not_cached_publicly(client, cert):
    r = client.get("/lookup/", {"q": cert.number})
    assert "private" in r["Cache-Control"] or "no-store" in r["Cache-Control"]
    assert "public" not in r["Cache-Control"]
    api = client.get("/api/v1/certificates/lookup", {"q": cert.number})
    assert "no-store" in api["Cache-Control"] and "public" not in api["Cache-Control"]


def test_api_answer(client, cert):
    hit = client.get("/api/v1/certificates/lookup", {"q": "zsm_wx"}).json()
    assert hit["found"] is True and hit["masked_name"] == "张*明" and hit["number"] == cert.number
    assert "张三明" not in str(hit)
    miss = client.get("/api/v1/certificates/lookup", {"q": "nobody"}).json()
    assert miss == {**miss, "found": False, "masked_name": "", "number": "", "image_url": ""}
    assert client.get("/api/v1/certificates/lookup", {"q": "  "}).json()["code"] == "query_required"


def test_certificate_image_link_from_an_answer_only(client, cert):
    answer = client.get("/api/v1/certificates/lookup", {"q": "zsm_wx"}).json()
    image = client.get(answer["image_url"])
    assert image.status_code == 200 and image["Content-Type"] == "image/png" and "public" not in image["Cache-Control"]
    assert client.get(f"/lookup/image/{cert.number}.png").status_code == 404
    assert client.get(answer["image_url"].replace(".png", "x.png")).status_code == 404


def test_rate_limited_per_client(client, cert, settings):
    settings.LOOKUP_RATE = (3, 60)
    for _ in range(3):
        assert client.get("/lookup/", {"q": "anything"}).status_code == 200
    r = client.get("/lookup/", {"q": cert.number})
    assert r.status_code == 429 and "请稍等" in r.content.decode() and "张*明" not in r.content.decode()
    api = client.get("/api/v1/certificates/lookup", {"q": cert.number})
    assert api.status_code == 429 and api.json()["code"] == "rate_limited" and api.json()["message"]
    other = client.get("/lookup/", {"q": cert.number}, REMOTE_ADDR="10.0.0.9")
    assert other.status_code == 200


class FakeClock:
    def __init__(self):
        self.now = 1000.0
        self.slept: list[float] = []

    def monotonic(self):
        return self.now

    def sleep(self, seconds):
        self.slept.append(seconds)
        self.now += seconds


def test_hit_and_miss_both_wait_to_the_floor(rf, cert, settings):
    """Not a timing assertion: the clock is fake. Each answer asks to sleep the floor minus
    the (fake) work time, so both paths end at t0 + floor."""
    settings.LOOKUP_MIN_SECONDS = 0.25
    for query, found in (("zsm_wx", True), ("nobody_wx", False), ("+8613900000000", False),
                         (cert.number, True)):
        clock = FakeClock()
        with mock.patch("weishang.certificates.lookup.time.monotonic", clock.monotonic), \
                mock.patch("weishang.core.timing.time", clock):
            answer = lookup.lookup(rf.get("/lookup/"), query)
        assert answer.found is found
        assert clock.slept == [pytest.approx(0.25)], (query, clock.slept)
        assert clock.now == pytest.approx(1000.25)


def test_slow_work_is_not_padded_further(rf, cert, settings):
    settings.LOOKUP_MIN_SECONDS = 0.25
    clock = FakeClock()
    real_find = lookup.selectors.find_authorised

    def slow(q):
        clock.now += 0.4
        return real_find(q)

    with mock.patch("weishang.certificates.lookup.time.monotonic", clock.monotonic), \
            mock.patch("weishang.core.timing.time", clock), \
            mock.patch("weishang.certificates.lookup.selectors.find_authorised", slow):
        lookup.lookup(rf.get("/lookup/"), "zsm_wx")
    assert clock.slept == []


def test_codes_verification_uses_the_same_floor_helper():
    import inspect

    from weishang.codes import verify

    assert "timing.pad_to_floor" in inspect.getsource(verify._pad)


def test_lookup_query_count_is_pinned(client, cert, django_assert_max_num_queries, settings):
    settings.LOOKUP_MIN_SECONDS = 0
    for q in ("zsm_wx", cert.number, "+8613912399001", "nobody"):
        with django_assert_max_num_queries(1):
            client.get("/api/v1/certificates/lookup", {"q": q})


def test_lookup_path_for_other_pages(client, cert, django_assert_num_queries):
    from weishang.certificates import selectors

    with django_assert_num_queries(1):
        path = selectors.lookup_path(cert.agent_id)
    assert path == f"/lookup/?q={cert.number}"
    assert "lookup-yes" in client.get(path).content.decode()
    services.revoke_certificate(cert, reason="违规")
    assert selectors.lookup_path(cert.agent_id) is None
