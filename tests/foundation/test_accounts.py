from __future__ import annotations

import json
import zoneinfo

import pytest
from django.contrib.auth.models import Group
from django.core.exceptions import ValidationError
from django.test import Client, RequestFactory
from django.utils import timezone

from tests import factories as f
from tests.foundation.conftest import assert_error_shape
from weishang.accounts.middleware import UserTimezoneMiddleware
from weishang.accounts.models import ApiToken, User
from weishang.accounts.phones import mask_phone, normalize_phone


# --- phone numbers ---------------------------------------------------------------------
@pytest.mark.parametrize(("raw", "e164"), [
    ("13800138000", "+8613800138000"),
    ("138 0013 8000", "+8613800138000"),
    ("+86 138-0013-8000", "+8613800138000"),
    ("008613800138000", "+8613800138000"),
    ("0912345678", "+886912345678"),
    ("0912-345-678", "+886912345678"),
    ("+886 912 345 678", "+886912345678"),
])
def test_valid_cn_and_tw_mobiles_normalise_to_e164(raw, e164):
    assert normalize_phone(raw) == e164


@pytest.mark.parametrize("raw", ["", "   ", "12345", "abc", "+1 415 555 2671", "+44 7911 123456",
                                 "1380013800", "+86 138 0013 80000", "+886 12"])
def test_invalid_or_foreign_numbers_are_refused(raw):
    with pytest.raises(ValidationError):
        normalize_phone(raw)


def test_masking_keeps_the_ends():
    assert mask_phone("+8613800138000") == "138****8000"
    assert mask_phone("+886912345678") == "0912***678"


# --- pages: login, logout, password change ------------------------------------------------
@pytest.mark.django_db
def test_login_page_with_any_phone_format_then_logout(client):
    user = f.user(phone="+8613800138000")
    assert client.get("/accounts/login/").status_code == 200
    resp = client.post("/accounts/login/", {"phone": "138 0013 8000", "password": f.PASSWORD})
    # a consumer with no shop open anywhere lands on 我的 (tests/orders/test_storefront.py: the rest)
    assert resp.status_code == 302 and resp["Location"] == "/accounts/me/"
    assert int(client.session["_auth_user_id"]) == user.pk
    assert client.get("/accounts/me/").status_code == 200
    # logout only by POST (a GET link could log people out from another site)
    assert client.get("/accounts/logout/").status_code == 405
    assert client.post("/accounts/logout/").status_code == 302
    assert "_auth_user_id" not in client.session
    assert client.get("/accounts/me/").status_code == 302


@pytest.mark.django_db
def test_login_page_wrong_password_and_bad_phone_show_errors(client):
    f.user(phone="+8613800138000")
    resp = client.post("/accounts/login/", {"phone": "13800138000", "password": "wrong-password"},
                       HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    assert "The phone number or password is wrong." in resp.content.decode()
    resp = client.post("/accounts/login/", {"phone": "12345", "password": "x"}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200
    assert resp.context["form"].errors["phone"]
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_staff_lands_in_back_office_and_next_is_honoured_only_on_this_site(client):
    f.staff("operator", phone="+8613800138001")
    resp = client.post("/accounts/login/", {"phone": "13800138001", "password": f.PASSWORD})
    assert resp["Location"] == "/admin/"
    client.post("/accounts/logout/")
    resp = client.post("/accounts/login/", {"phone": "13800138001", "password": f.PASSWORD,
                                             "next": "https://evil.example/"})
    assert resp["Location"] == "/admin/"
    client.post("/accounts/logout/")
    resp = client.post("/accounts/login/", {"phone": "13800138001", "password": f.PASSWORD, "next": "/p/1/"})
    assert resp["Location"] == "/p/1/"


@pytest.mark.django_db
def test_password_change_page(client):
    user = f.user()
    client.force_login(user)
    resp = client.post("/accounts/password/", {"old_password": "nope", "new_password": "Lanxi-Serum-2026",
                                               "new_password2": "Lanxi-Serum-2026"}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 200 and resp.context["form"].errors["old_password"]
    resp = client.post("/accounts/password/", {"old_password": f.PASSWORD, "new_password": "Lanxi-Serum-2026",
                                               "new_password2": "Lanxi-Serum-2027"})
    assert resp.context["form"].errors["new_password2"]
    resp = client.post("/accounts/password/", {"old_password": f.PASSWORD, "new_password": "12345678",
                                               "new_password2": "12345678"})
    assert resp.context["form"].errors["new_password"]
    user.refresh_from_db()
    assert user.check_password(f.PASSWORD)
    resp = client.post("/accounts/password/", {"old_password": f.PASSWORD, "new_password": "Lanxi-Serum-2026",
                                               "new_password2": "Lanxi-Serum-2026"})
    assert resp.status_code == 302
    user.refresh_from_db()
    assert user.check_password("Lanxi-Serum-2026")
    # still logged in after the change (session hash updated)
    assert client.get("/accounts/me/").status_code == 200


@pytest.mark.django_db
def test_register_page_creates_a_consumer_once(client):
    data = {"name": "林晓雨", "phone": "0912 345 678", "password": "Lanxi-Serum-2026"}
    resp = client.post("/accounts/register/", data)
    assert resp.status_code == 302
    user = User.objects.get(phone="+886912345678")
    assert user.roles == ["consumer"] and not user.is_staff
    assert user.time_zone == "Asia/Taipei"  # a Taiwan number starts in Taiwan's zone
    client.post("/accounts/logout/")
    resp = client.post("/accounts/register/", data)
    assert resp.status_code == 200 and resp.context["form"].errors["phone"]
    assert User.objects.filter(phone="+886912345678").count() == 1


# --- API: token and session ---------------------------------------------------------------
@pytest.mark.django_db
def test_api_token_login_me_logout(api):
    user = f.user(phone="+886912345678")
    resp = api.post("/auth/login", {"phone": "0912345678", "password": f.PASSWORD, "device": "iPhone"})
    assert resp.status_code == 200, resp.content
    body = resp.json()
    assert body["user_id"] == user.pk and body["roles"] == ["consumer"] and body["token"]
    token = ApiToken.objects.get(user=user)
    assert token.key_hash != body["token"] and token.name == "iPhone"  # only a hash is stored

    api.token = body["token"]
    me = api.get("/auth/me")
    assert me.status_code == 200 and me.json()["phone"] == "+886912345678"
    assert api.post("/auth/logout").status_code == 204
    assert not ApiToken.objects.filter(user=user).exists()
    resp = api.get("/auth/me", lang="en")
    assert resp.status_code == 401
    assert_error_shape(resp.json())
    assert resp.json()["code"] == "not_authenticated"


@pytest.mark.django_db
def test_api_bad_token_and_no_auth_are_401(api):
    assert api.get("/auth/me").status_code == 401
    api.token = "not-a-token"
    resp = api.get("/auth/me")
    assert resp.status_code == 401
    assert_error_shape(resp.json())


@pytest.mark.django_db
def test_api_session_login_serves_pages(api, client):
    f.user(phone="+8613800138000")
    resp = api.post("/auth/login", {"phone": "13800138000", "password": f.PASSWORD, "session": True})
    assert resp.status_code == 200 and resp.json()["token"] is None
    assert client.get("/accounts/me/").status_code == 200
    assert api.get("/auth/me").status_code == 200


@pytest.mark.django_db
def test_api_wrong_password_and_bad_phone(api):
    f.user(phone="+8613800138000")
    resp = api.post("/auth/login", {"phone": "13800138000", "password": "wrong"}, lang="en")
    assert resp.status_code == 401
    assert resp.json() == {"code": "bad_credentials", "message": "The phone number or password is wrong.",
                           "fields": {}}
    resp = api.post("/auth/login", {"phone": "12345", "password": "wrong"}, lang="en")
    assert resp.status_code == 400
    body = resp.json()
    assert body["code"] == "invalid_phone" and body["fields"]["phone"]


@pytest.mark.django_db
def test_api_password_change_signs_out_every_token(api, client):
    from weishang.accounts.api import router  # noqa: F401  (the router is mounted)
    from weishang.accounts.services import issue_token

    user = f.user()
    api.token = issue_token(user, "phone")
    other = issue_token(user, "tablet")
    resp = api.post("/auth/password", {"old_password": "wrong", "new_password": "Lanxi-Serum-2026"}, lang="en")
    assert resp.status_code == 400 and resp.json()["fields"]["old_password"]
    resp = api.post("/auth/password", {"old_password": f.PASSWORD, "new_password": "123"})
    assert resp.status_code == 400 and resp.json()["code"] == "weak_password"
    assert resp.json()["fields"]["new_password"]
    resp = api.post("/auth/password", {"old_password": f.PASSWORD, "new_password": "Lanxi-Serum-2026"})
    assert resp.status_code == 204
    user.refresh_from_db()
    assert user.check_password("Lanxi-Serum-2026")
    assert api.get("/auth/me").status_code == 401
    api.token = other
    assert api.get("/auth/me").status_code == 401


@pytest.mark.django_db
def test_api_register(api):
    resp = api.post("/auth/register", {"phone": "13900139000", "password": "Lanxi-Serum-2026", "name": "小林"})
    assert resp.status_code == 201 and resp.json()["token"]
    resp = api.post("/auth/register", {"phone": "139 0013 9000", "password": "Lanxi-Serum-2026"})
    assert resp.status_code == 400 and resp.json()["code"] == "phone_taken"
    resp = api.post("/auth/register", {"phone": "+1 415 555 2671", "password": "Lanxi-Serum-2026"})
    assert resp.status_code == 400 and resp.json()["fields"]["phone"]
    assert User.objects.count() == 1


# --- rate limit ---------------------------------------------------------------------------
@pytest.mark.django_db
def test_login_rate_limit_api(api, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    f.user(phone="+8613800138000")
    for _ in range(3):
        assert api.post("/auth/login", {"phone": "13800138000", "password": "wrong"}).status_code == 401
    # past the limit even the right password is refused
    resp = api.post("/auth/login", {"phone": "13800138000", "password": f.PASSWORD}, lang="en")
    assert resp.status_code == 429
    body = resp.json()
    assert_error_shape(body)
    assert body["code"] == "rate_limited" and "Too many failed logins" in body["message"]
    # another account is not affected (the per-address limit is four times higher)
    f.user(phone="+8613800138001")
    assert api.post("/auth/login", {"phone": "13800138001", "password": f.PASSWORD}).status_code == 200


@pytest.mark.django_db
def test_login_rate_limit_page_shows_the_message(client, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    f.user(phone="+8613800138000")
    for _ in range(2):
        client.post("/accounts/login/", {"phone": "13800138000", "password": "wrong"})
    resp = client.post("/accounts/login/", {"phone": "13800138000", "password": f.PASSWORD}, HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 429
    assert "Too many failed logins" in resp.content.decode()
    assert "_auth_user_id" not in client.session


@pytest.mark.django_db
def test_successful_login_resets_the_phone_counter(api, settings):
    settings.LOGIN_FAILURE_LIMIT = 3
    f.user(phone="+8613800138000")
    for _ in range(2):
        api.post("/auth/login", {"phone": "13800138000", "password": "wrong"})
    assert api.post("/auth/login", {"phone": "13800138000", "password": f.PASSWORD}).status_code == 200
    for _ in range(2):
        api.post("/auth/login", {"phone": "13800138000", "password": "wrong"})
    assert api.post("/auth/login", {"phone": "13800138000", "password": f.PASSWORD}).status_code == 200


# --- roles --------------------------------------------------------------------------------
@pytest.mark.django_db
def test_one_person_is_agent_and_consumer():
    agent = f.agent()
    user = User.objects.get(pk=agent.user_id)
    assert "agent" in user.roles and "consumer" in user.roles and "hq" not in user.roles


@pytest.mark.django_db
def test_supplier_and_hq_roles():
    supplier_user = f.user(supplier=f.supplier())
    assert supplier_user.roles == ["supplier", "consumer"]
    boss = f.user(is_staff=True, is_superuser=True)
    assert boss.roles[:2] == ["hq", "admin"]
    ops = f.staff("operator", "finance")
    assert set(ops.roles) >= {"hq", "operator", "finance", "consumer"}


@pytest.mark.django_db
def test_hq_groups_carry_the_right_permissions():
    groups = {g.name: g for g in Group.objects.filter(name__in=["admin", "operator", "finance", "warehouse"])}
    assert set(groups) == {"admin", "operator", "finance", "warehouse"}
    operator, finance, warehouse, admin = (f.staff(r) for r in ("operator", "finance", "warehouse", "admin"))
    assert operator.has_perms(["catalog.add_sku", "catalog.change_sku", "catalog.add_product"])
    assert not operator.has_perm("accounts.change_user")
    assert not finance.has_perm("catalog.change_sku") and not warehouse.has_perm("catalog.change_sku")
    assert admin.has_perms(["catalog.change_sku", "accounts.change_user", "auth.change_group"])
    ledger_perms = [f"ledger.{p.codename}" for p in groups["finance"].permissions.filter(
        content_type__app_label="ledger")]
    assert ledger_perms and finance.has_perms(ledger_perms)
    assert not operator.has_perm(ledger_perms[0])
    # finance and warehouse may look at orders but not change them; only the warehouse ships
    for role, extra in (("finance", set()), ("warehouse", {"ship_order"})):
        order_perms = groups[role].permissions.filter(content_type__app_label="orders")
        assert {p.codename for p in order_perms if not p.codename.startswith("view_")} == extra
    # custom permissions go only to the roles named for them, not with the whole app
    assert not operator.has_perm("orders.ship_order") and warehouse.has_perm("orders.ship_order")
    assert finance.has_perms(["earnings.pay_withdrawal", "earnings.view_any_statement",
                              "payments.confirm_hq_payment"])
    # a plain consumer and a deactivated admin have nothing
    assert not f.user().has_perm("catalog.view_sku")
    admin.is_active = False
    admin.save()
    assert not User.objects.get(pk=admin.pk).has_perm("catalog.view_sku")


@pytest.mark.django_db
def test_staff_without_permission_cannot_change_catalog_via_admin(client):
    client.force_login(f.staff("finance"))
    assert client.get("/admin/catalog/sku/add/").status_code == 403
    client.force_login(f.staff("operator"))
    assert client.get("/admin/catalog/sku/add/").status_code == 200


# --- time zone ----------------------------------------------------------------------------
@pytest.mark.django_db
def test_times_shown_in_the_users_zone():
    seen = {}

    def view(request):
        seen["tz"] = timezone.get_current_timezone_name()
        return None

    mw = UserTimezoneMiddleware(view)
    request = RequestFactory().get("/")
    request.user = f.user(time_zone="Asia/Taipei")
    mw(request)
    assert seen["tz"] == "Asia/Taipei"
    from django.contrib.auth.models import AnonymousUser

    request.user = AnonymousUser()
    mw(request)
    assert seen["tz"] == "Asia/Shanghai"
    moment = timezone.now()
    assert timezone.localtime(moment, zoneinfo.ZoneInfo("Asia/Taipei")).utcoffset().total_seconds() == 8 * 3600


# --- profile: time zone and language -------------------------------------------------------
@pytest.mark.django_db
def test_profile_sets_time_zone_and_language_which_follow_the_login(client):
    user = f.user(phone="+886912345678")
    client.force_login(user)
    resp = client.post("/accounts/me/", {"name": "林小姐", "time_zone": "Asia/Taipei", "language": "zh-hant"})
    assert resp.status_code == 302
    user.refresh_from_db()
    assert (user.name, user.time_zone, user.language) == ("林小姐", "Asia/Taipei", "zh-hant")
    assert resp.cookies["django_language"].value == "zh-hant"
    resp = client.post("/accounts/me/", {"name": "", "time_zone": "Europe/Paris", "language": "fr"})
    assert resp.status_code == 200
    assert set(resp.context["form"].errors) == {"time_zone", "language"}

    other = Client()
    resp = other.post("/accounts/login/", {"phone": "0912345678", "password": f.PASSWORD})
    assert resp.cookies["django_language"].value == "zh-hant"
    assert "登出" in other.get("/accounts/me/").content.decode()


@pytest.mark.django_db
def test_api_session_login_needs_csrf_token_login_does_not():
    f.user(phone="+8613800138000")
    browser = Client(enforce_csrf_checks=True)
    body = json.dumps({"phone": "13800138000", "password": f.PASSWORD, "session": True})
    resp = browser.post("/api/v1/auth/login", body, content_type="application/json", HTTP_ACCEPT_LANGUAGE="en")
    assert resp.status_code == 403 and resp.json()["code"] == "csrf_failed"
    assert "_auth_user_id" not in browser.session
    browser.get("/accounts/login/")  # sets the csrftoken cookie
    token = browser.cookies["csrftoken"].value
    resp = browser.post("/api/v1/auth/login", body, content_type="application/json", HTTP_X_CSRFTOKEN=token)
    assert resp.status_code == 200
    # a mobile client asking for a token needs no CSRF token (it has no cookies to abuse)
    resp = Client(enforce_csrf_checks=True).post(
        "/api/v1/auth/login", json.dumps({"phone": "13800138000", "password": f.PASSWORD}),
        content_type="application/json")
    assert resp.status_code == 200 and resp.json()["token"]


@pytest.mark.django_db
def test_admin_login_goes_through_the_rate_limited_phone_login(client, settings):
    settings.LOGIN_FAILURE_LIMIT = 2
    f.staff("admin", phone="+8613800138009")
    resp = client.get("/admin/")
    assert resp.status_code == 302 and resp["Location"].startswith("/admin/login/")
    resp = client.get(resp["Location"])
    assert resp.status_code == 302 and resp["Location"] == "/accounts/login/?next=/admin/"
    # admin's own form cannot be used to guess passwords past the limit
    for _ in range(5):
        resp = client.post("/admin/login/", {"username": "13800138009", "password": "wrong"})
        assert resp.status_code == 302 and "_auth_user_id" not in client.session
    client.force_login(f.user())
    assert client.get("/admin/login/").status_code == 403
