"""The real browser of the end-to-end tests: Debian's headless Chromium driven through its chromedriver.

Two fixtures, one per module: `chromium` (tests/support/browser.py's defaults) and `browser` (a taller window
and an implicit wait, for the signing stories).
"""

import shutil

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

from tests.support.browser import start_chromium

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1000,1400",
]


@pytest.fixture(scope="module")
def chromium():
    driver = start_chromium()
    yield driver
    driver.quit()


@pytest.fixture(scope="module")
def browser():
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


@pytest.fixture(autouse=True)
def _pages_without_lag(settings):
    """Browser stories read a page right after acting on it: here the petition page is rendered for every view
    (through the same kept-copy code). The lag itself is tested in tests/front/test_public_cache.py."""
    settings.PUBLIC_CACHE_SECONDS = 0
