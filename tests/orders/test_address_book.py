"""The address book (收货地址): one default per person (a conditional unique constraint),
the first address is the default, deleting the default promotes the newest other one,
another person's address answers 404, bad input is refused with the field named."""

from __future__ import annotations

import pytest
from django.db import IntegrityError, transaction

from weishang.core.errors import DomainError, NotFound
from weishang.orders import services
from weishang.orders.models import Address

pytestmark = pytest.mark.django_db


def other(address: dict, **kw) -> dict:
    return {**address, **kw}


def defaults(user) -> list[int]:
    return list(Address.objects.filter(user=user, is_default=True).values_list("pk", flat=True))


def test_first_address_is_the_default_and_make_default_moves_it(factories, address):
    user = factories.user()
    first = services.save_address(user=user, address=address)
    assert first.is_default and first.phone == "+8613912345678" and first.region_name == "北京市东城区"
    second = services.save_address(user=user, address=other(address, detail="二号楼"))
    assert defaults(user) == [first.pk] and not second.is_default
    third = services.save_address(user=user, address=other(address, detail="三号楼"), make_default=True)
    assert defaults(user) == [third.pk]
    services.set_default_address(user=user, address_id=second.pk)
    assert defaults(user) == [second.pk]


def test_the_database_refuses_two_defaults(factories, address):
    user = factories.user()
    services.save_address(user=user, address=address)
    with pytest.raises(IntegrityError), transaction.atomic():
        Address.objects.create(user=user, name="李四", phone="+8613912345679", province_code="110000",
                               city_code="110100", district_code="110101", detail="x", is_default=True)
    # another person has its own default
    services.save_address(user=factories.user(), address=address)


def test_deleting_the_default_promotes_the_newest_other(factories, address):
    user = factories.user()
    a = services.save_address(user=user, address=address)
    b = services.save_address(user=user, address=other(address, detail="b"))
    c = services.save_address(user=user, address=other(address, detail="c"))
    services.delete_address(user=user, address_id=a.pk)
    assert defaults(user) == [c.pk]
    services.delete_address(user=user, address_id=b.pk)  # not the default: nothing moves
    assert defaults(user) == [c.pk]
    services.delete_address(user=user, address_id=c.pk)
    assert not Address.objects.filter(user=user).exists()


def test_editing_keeps_the_default_and_validates(factories, address):
    user = factories.user()
    a = services.save_address(user=user, address=address)
    services.save_address(user=user, address=other(address, name="王五", detail="新地址"), address_id=a.pk)
    a.refresh_from_db()
    assert (a.name, a.detail, a.is_default) == ("王五", "新地址", True)
    with pytest.raises(DomainError) as bad:
        services.save_address(user=user, address=other(address, district_code="999999"), address_id=a.pk)
    assert "region" in bad.value.fields
    with pytest.raises(DomainError) as bad:
        services.save_address(user=user, address=other(address, phone="12"))
    assert "phone" in bad.value.fields
    with pytest.raises(DomainError) as bad:
        services.save_address(user=user, address=other(address, name=" ", detail=""))
    assert {"name", "detail"} <= set(bad.value.fields)
    a.refresh_from_db()
    assert a.name == "王五" and Address.objects.filter(user=user).count() == 1  # nothing lost, nothing added


def test_someone_elses_address_is_not_found(factories, address):
    mine = services.save_address(user=factories.user(), address=address)
    stranger = factories.user()
    for call in (lambda: services.set_default_address(user=stranger, address_id=mine.pk),
                 lambda: services.delete_address(user=stranger, address_id=mine.pk),
                 lambda: services.save_address(user=stranger, address=address, address_id=mine.pk)):
        with pytest.raises(NotFound):
            call()
    assert Address.objects.filter(pk=mine.pk, is_default=True).exists()


def test_the_book_has_a_size_limit(factories, address, monkeypatch):
    monkeypatch.setattr(services, "MAX_ADDRESSES", 2)
    user = factories.user()
    services.save_address(user=user, address=address)
    services.save_address(user=user, address=other(address, detail="b"))
    with pytest.raises(DomainError, match="2"):
        services.save_address(user=user, address=other(address, detail="c"))
    # a checkout never fails because the book is full: the order's address is just not kept
    assert services.remember_checkout_address(user=user, address=other(address, detail="d")) is None


def test_checkout_remembers_an_address_once(factories, address):
    user = factories.user()
    a = services.remember_checkout_address(user=user, address=other(address, phone="139 1234 5678"))
    b = services.remember_checkout_address(user=user, address=address)  # same after normalising the phone
    assert a.pk == b.pk and a.is_default and Address.objects.filter(user=user).count() == 1
