from tests.orders.conftest import _plain_http, address, tree  # noqa: F401
