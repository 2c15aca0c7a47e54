"""Applying: validation, duplicates, accounts, no entry fee."""

from __future__ import annotations

from decimal import Decimal

import pytest

from tests import factories as f
from tests.recruitment.conftest import PASSWORD, application_data, apply_with, invite_for
from weishang.core.errors import Conflict, DomainError
from weishang.recruitment import services
from weishang.recruitment.models import Application, Stage


def test_apply_records_the_application_for_the_inviter(levels, top):
    invite = invite_for(top, levels[1])
    app = apply_with(invite, name=" 李晓明 ", phone="139 1234 5678", line_id="li.xm")
    assert (app.name, app.phone, app.status, app.stage) == ("李晓明", "+8613912345678", "pending", Stage.UPLINE)
    assert app.inviter == top and app.level == levels[1]
    assert app.region_name.startswith("广东省深圳市")
    assert app.password_hash and PASSWORD not in app.password_hash
    invite.refresh_from_db()
    assert invite.uses == 1


def test_a_phone_registered_as_an_agent_cannot_apply(levels, top):
    agent = f.agent(levels[1], upline=top)
    with pytest.raises(Conflict) as exc:
        apply_with(invite_for(top, levels[2]), phone=agent.user.phone)
    assert exc.value.code == "phone_is_agent" and "phone" in exc.value.fields


def test_nobody_has_two_open_applications(levels, top):
    other = f.agent(levels[0])
    apply_with(invite_for(top, levels[1]), phone="+8613912340000")
    with pytest.raises(Conflict) as exc:
        apply_with(invite_for(other, levels[1]), phone="+8613912340000")
    assert exc.value.code == "application_open"
    assert Application.objects.filter(phone="+8613912340000").count() == 1


def test_an_existing_account_must_be_logged_in(levels, top):
    consumer = f.user(phone="+8613912340001")
    invite = invite_for(top, levels[1])
    with pytest.raises(Conflict) as exc:
        apply_with(invite, phone=consumer.phone)
    assert exc.value.code == "login_required"
    app = services.apply(token=invite.token, user=consumer, **{**application_data(phone=consumer.phone),
                                                               "password": ""})
    assert app.user == consumer and app.password_hash == ""
    with pytest.raises(DomainError):  # logged in, but applying for someone else's new number
        services.apply(token=invite_for(top, levels[2]).token, user=consumer, **application_data())


@pytest.mark.parametrize("field,value,code", [
    ("phone", "12345", "invalid_phone"),
    ("name", "", "required"),
    ("name", "李\x00明", "validation_error"),
    ("wechat_id", "has space", "bad_handle"),
    ("province_code", "990000", "bad_region"),
    ("district_code", "440106", "bad_region"),  # a Guangzhou district under Shenzhen
    ("password", "123", "weak_password"),
])
def test_bad_input_is_refused_with_the_field_named(levels, top, field, value, code):
    with pytest.raises(DomainError) as exc:
        apply_with(invite_for(top, levels[1]), **{field: value})
    assert exc.value.code == code
    assert Application.objects.count() == 0


def test_wechat_or_line_is_required(levels, top):
    with pytest.raises(DomainError) as exc:
        apply_with(invite_for(top, levels[1]), wechat_id="", line_id="")
    assert exc.value.code == "contact_required"
    assert apply_with(invite_for(top, levels[1]), wechat_id="", line_id="tw.line").line_id == "tw.line"


def test_taiwan_applicant(levels, top):
    app = apply_with(invite_for(top, levels[1]), phone="0912 345 678", province_code="710000",
                     city_code="716300", district_code="716301")
    assert app.phone == "+886912345678" and app.region_name.startswith("臺灣")


def test_join_page_says_no_entry_fee_and_shows_a_first_purchase_as_goods(client, levels, top):
    level = levels[1]
    invite = invite_for(top, level)
    page = client.get(f"/join/{invite.token}/").content.decode()
    assert "没有入门费" in page or "不收取" in page or "免费" in page
    assert "首次进货" not in page
    field = next((n for n in ("first_purchase_amount", "first_purchase_minimum") if hasattr(level, n)), None)
    if field is None:
        pytest.skip("Level has no first stock purchase field yet")
    type(level).objects.filter(pk=level.pk).update(**{field: Decimal("3000.00")})
    page = client.get(f"/join/{invite.token}/").content.decode()
    assert "首次进货" in page and "3,000.00" in page


def test_join_page_post_creates_the_application_and_links_the_status(client, levels, top):
    invite = invite_for(top, levels[1])
    data = {"name": "赵敏", "phone": "13912340002", "wechat_id": "zhaomin", "line_id": "",
            "region_province": "440000", "region_city": "440300", "region_district": "440305",
            "password": PASSWORD}
    response = client.post(f"/join/{invite.token}/", data)
    app = Application.objects.get(phone="+8613912340002")
    assert response.status_code == 302 and response["Location"] == f"/join/status/{app.ref}/"
    page = client.get(response["Location"])
    assert page.status_code == 200 and app.ref in page.content.decode()
    assert "no-store" in page["Cache-Control"] or "no-cache" in page["Cache-Control"]
    again = client.post(f"/join/{invite.token}/", data)
    assert again.status_code == 409  # the same person, the same link


def test_join_page_shows_errors_on_fields(client, levels, top):
    invite = invite_for(top, levels[1])
    response = client.post(f"/join/{invite.token}/", {"name": "赵敏", "phone": "123", "wechat_id": "x1",
                                                      "region_province": "440000", "region_city": "440300",
                                                      "region_district": "440305", "password": PASSWORD})
    assert response.status_code == 400 and Application.objects.count() == 0


def test_status_page_unknown_ref_is_404(client, db):
    assert client.get("/join/status/NOPE2345ABCD/").status_code == 404
    assert client.get("/join/status/%3Cscript%3E/").status_code == 404
