from __future__ import annotations

import datetime as dt

import pytest

from weishang.codes import conf, services, writelock

ORIGINAL_LOCK_PATH = writelock._lock_path


@pytest.fixture(autouse=True)
def _codes_settings(settings):
    settings.CODE_KEYS = "1:" + "a" * 32 + ",2:" + "b" * 32
    settings.CODE_KEY_VERSION = 2
    settings.CODES_NEGATIVE_MIN_SECONDS = 0
    settings.SITE_URL = "https://brand.example"
    conf.reset()
    yield


@pytest.fixture
def codec():
    return conf.get_codec()


@pytest.fixture
def sku(factories):
    return factories.sku()


@pytest.fixture
def hq(factories):
    # Role permissions are synced after accounts' post_migrate, before later apps' permissions
    # exist in a fresh test database; sync again so "warehouse" really has codes permissions.
    from weishang.accounts.roles import sync_hq_roles

    sync_hq_roles()
    return factories.staff("warehouse")


@pytest.fixture
def batch(sku, hq):
    # 100 items, 10 per box, 4 boxes per case -> 10 boxes, 3 cases (last one partial)
    return services.create_batch(sku=sku, lot="L2026-01", production_date=dt.date(2026, 1, 1),
                                 expiry_date=dt.date(2028, 1, 1), quantity=100, items_per_box=10,
                                 boxes_per_case=4, user=hq)


@pytest.fixture
def net(factories):
    """HQ → top agent (Guangzhou) → downline (Shenzhen); plus a stranger agent."""
    top_level, mid, _ = factories.standard_levels()
    top = factories.agent(level=top_level, name="广州总代", province_code="440000", city_code="440100")
    down = factories.agent(level=mid, upline=top, name="深圳一级", province_code="440000", city_code="440300")
    stranger = factories.agent(level=top_level, name="北京总代", province_code="110000", city_code="110100")
    return top, down, stranger


def code_of(batch, serial):
    return conf.get_codec().encode(serial, batch.key_version)


@pytest.fixture(autouse=True)
def _fresh_caches(monkeypatch, tmp_path):
    """Per-process caches start empty, and the SQLite scan lock file lives in tmp_path (not
    beside the test database in /tmp, where it would be left behind)."""
    from weishang.codes import writelock
    from weishang.codes.selectors import batch_cache, forget_sellers

    monkeypatch.setattr(writelock, "_lock_path", lambda settings_dict: str(tmp_path / "scans.scanlock"))
    batch_cache.clear()
    forget_sellers()
    yield
    writelock.close_all()
    batch_cache.clear()
    forget_sellers()
