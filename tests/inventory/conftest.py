from tests.orders.conftest import _fresh_fee_templates, _plain_http, address, tree  # noqa: F401
