"""Agent phone pages: hub, team, member; an agent sees only its own team."""

from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone

from weishang.agents import services

pytestmark = pytest.mark.django_db


def test_hub_shows_counts_and_links(client, tree):
    services.record_purchase_volume(tree["a1"], Decimal("1280.00"), timezone.now())
    client.force_login(tree["a"].user)
    r = client.get(reverse("agents:hub"))
    body = r.content.decode()
    assert r.status_code == 200
    assert "A" in body and "一级" in body and "¥1,280.00" in body
    assert reverse("agents:team") in body and reverse("orders:restock") in body
    assert reverse("earnings:home") in body
    for name in ("certificates:mine", "recruitment:invites", "recruitment:inbox", "codes:ship_home"):
        assert reverse(name) in body, name


def test_me_page_links_to_the_hub_for_agents_only(client, tree, factories):
    client.force_login(tree["a"].user)
    assert reverse("agents:hub") in client.get(reverse("accounts:me")).content.decode()
    client.force_login(factories.user())
    assert reverse("agents:hub") not in client.get(reverse("accounts:me")).content.decode()


def test_pages_need_an_agent(client, factories):
    assert client.get(reverse("agents:hub")).status_code == 302
    client.force_login(factories.user())
    assert client.get(reverse("agents:hub")).status_code == 403
    assert client.get(reverse("agents:team")).status_code == 403


def test_team_direct_and_whole(client, tree):
    services.record_purchase_volume(tree["a11"], Decimal("99.00"), timezone.now())
    client.force_login(tree["a"].user)
    direct = client.get(reverse("agents:team")).content.decode()
    assert "A1" in direct and "A2" in direct and "A11" not in direct
    whole = client.get(reverse("agents:team") + "?scope=whole").content.decode()
    assert "A11" in whole and "¥99.00" in whole and "总代" not in whole.split('id="team-rows"')[1]


def test_team_filters_and_empty_states(client, tree, factories):
    _top, _mid, low = factories.standard_levels()
    client.force_login(tree["a"].user)
    r = client.get(reverse("agents:team") + f"?scope=whole&level={low.pk}&q=A11")
    rows = r.content.decode().split('id="team-rows"')[1]
    assert "A11" in rows and "A2" not in rows
    r = client.get(reverse("agents:team") + "?q=nobody")
    assert "matches" in r.content.decode()
    client.force_login(tree["a11"].user)
    assert "share your invite poster" in client.get(reverse("agents:team")).content.decode()


def test_htmx_more_returns_rows_only(client, tree, factories):
    for i in range(22):
        factories.agent(tree["b"].level, upline=tree["b"], name=f"M{i:02d}")
    client.force_login(tree["b"].user)
    page1 = client.get(reverse("agents:team")).content.decode()
    assert "M19" in page1 and "M20" not in page1 and "page=2" in page1
    r = client.get(reverse("agents:team") + "?page=2&part=rows", headers={"HX-Request": "true"})
    body = r.content.decode()
    assert "<html" not in body and "M21" in body and "M00" not in body


def test_member_page_any_depth_but_only_own_team(client, tree):
    client.force_login(tree["top"].user)
    r = client.get(reverse("agents:member", args=[tree["a1"].pk]))
    assert r.status_code == 200 and "A11" in r.content.decode()
    client.force_login(tree["a"].user)
    for other in ("b", "top", "other", "a"):
        assert client.get(reverse("agents:member", args=[tree[other].pk])).status_code == 404
    assert client.get(reverse("agents:member", args=[999999])).status_code == 404
    assert client.get(reverse("agents:member", args=[tree["a11"].pk])).status_code == 200


def test_team_page_query_count_does_not_grow_with_the_team(client, tree, factories,
                                                            django_assert_max_num_queries):
    client.force_login(tree["top"].user)
    url = reverse("agents:team") + "?scope=whole"
    client.get(url)
    with django_assert_max_num_queries(9):
        client.get(url)
    for i in range(30):
        factories.agent(tree["a11"].level, upline=tree["a11"], name=f"X{i}")
    with django_assert_max_num_queries(9):
        assert client.get(url).status_code == 200
