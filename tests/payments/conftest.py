from tests.orders.conftest import _fresh_fee_templates, address, tree  # noqa: F401
