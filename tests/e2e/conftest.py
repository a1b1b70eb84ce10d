"""The browser the end-to-end stories share (one Chromium per module)."""

import pytest

from tests.support.browser import start_chromium


@pytest.fixture(scope="module")
def chromium():
    driver = start_chromium()
    yield driver
    driver.quit()
