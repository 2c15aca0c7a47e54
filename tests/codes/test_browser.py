"""The verification page in a real browser: the device location, with consent, places the scan."""

import os
import shutil

import pytest

from weishang.codes import services
from weishang.codes.models import DiversionAlert, ScanEvent

from .conftest import code_of

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(shutil.which("chromium") is None, reason="Debian's chromium is not installed"),
    # The page's script does not depend on the database; on PostgreSQL the live server's
    # keep-alive request threads hold connections that stop the test database from being dropped.
    pytest.mark.skipif(bool(os.environ.get("DATABASE_URL")), reason="browser checks run on SQLite"),
]


def test_device_location_is_sent_once_allowed(live_server, transactional_db, browser, batch, hq, net):
    top, _, _ = net  # Guangzhou agent: a scan in Beijing is diversion
    services.scan_out(user=hq, shipment=services.open_shipment(user=hq, to_agent=top),
                      code=code_of(batch, batch.case_start))
    context = browser.new_context(geolocation={"latitude": 39.9087, "longitude": 116.3975},
                                  permissions=["geolocation"], locale="zh-CN")
    page = context.new_page()
    page.goto(f"{live_server.url}/v/{code_of(batch, batch.serial_start).lower()}")
    assert "正品" in page.text_content("h1")
    page.wait_for_selector("#place:not([hidden])")
    assert "北京" in page.text_content("#place")
    event = ScanEvent.objects.get()
    assert (event.division, event.source) == ("110100", "gps")
    assert DiversionAlert.objects.get().source == "gps"


def test_without_consent_the_city_choice_remains(live_server, transactional_db, browser, batch):
    context = browser.new_context(locale="zh-CN")  # geolocation not granted: the button asks first
    page = context.new_page()
    page.goto(f"{live_server.url}/v/{code_of(batch, batch.serial_start).lower()}")
    assert page.is_visible("#geo-button") and page.is_visible("a[href*='/place?t=']")
    assert ScanEvent.objects.get().source == "none"
