from __future__ import annotations

from decimal import Decimal

import pytest

from tests.orders.helpers import Tree, build_tree


@pytest.fixture
def tree(factories) -> Tree:
    return build_tree(factories)


@pytest.fixture
def address() -> dict:
    return {"name": "张三", "phone": "+8613912345678", "province_code": "110000", "city_code": "110100",
            "district_code": "110101", "detail": "东华门街道 1 号"}


@pytest.fixture
def money():
    return lambda s: Decimal(s)



@pytest.fixture(autouse=True)
def _fresh_fee_templates():
    # Fee templates are cached per process; each test starts from its own database state.
    from weishang.orders.services import clear_fee_template_cache

    clear_fee_template_cache()
    yield
    clear_fee_template_cache()
