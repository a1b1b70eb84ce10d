"""The real browser of the end-to-end tests: Debian's headless Chromium (tests/support/browser.py), one per module.

Two shapes of the same browser: `chromium` (a 1280 px laptop window) and `browser` (a taller 1000 × 1400 window,
for the signing stories that read a whole letter page).
"""

import pytest

from tests.support.browser import start_chromium


@pytest.fixture(scope="module")
def chromium():
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def browser():
    driver = start_chromium()
    driver.set_window_size(1000, 1400)
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def _pages_without_lag(settings):
    """Browser stories read a page right after acting on it: here the petition page is rendered for every view
    (through the same kept-copy code). The lag itself is tested in tests/front/test_public_cache.py."""
    settings.PUBLIC_CACHE_SECONDS = 0
