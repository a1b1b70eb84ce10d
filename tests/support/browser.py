"""A person's browser for the end-to-end stories: headless Debian Chromium driven by Selenium, and the few
gestures every story repeats (find a field by its label, sign in, wait for the next page)."""

import shutil
from urllib.parse import urlsplit

import pytest
from selenium import webdriver
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

CHROMIUM_FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--window-size=1280,1000",
]


def start_chromium():
    """A headless Chromium (skips the test where Debian's chromium and chromium-driver are not installed)."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.implicitly_wait(5)
    return driver


def labelled(browser, label: str):
    """The form field a person finds by its visible label (the admin's labels end in a colon)."""
    for element in browser.find_elements(By.TAG_NAME, "label"):
        if element.text.split(" (optional)")[0].strip().rstrip(":") == label:
            return browser.find_element(By.ID, element.get_attribute("for"))
    raise AssertionError(f"no field labelled {label!r}")


def waiting(browser, timeout: float = 15) -> WebDriverWait:
    """A wait that keeps asking through a page changing underfoot: a stale element, or Chromium's "Node with
    given id does not belong to the document" (both WebDriverExceptions), as a person would keep looking."""
    return WebDriverWait(browser, timeout, ignored_exceptions=[WebDriverException])


def wait_for_text(browser, text: str, timeout: float = 15) -> None:
    """Wait until the page (a new one, after a click) shows `text`."""
    WebDriverWait(browser, timeout, ignored_exceptions=[WebDriverException]).until(  # page changing underfoot
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "body"), text)
    )


def sign_in(browser, base_url: str, email: str, password: str) -> None:
    """Through the sign-in page, as a person does (allauth's form), landing in the panel."""
    browser.delete_all_cookies()
    browser.get(f"{base_url}/accounts/login/?next=/admin/")
    labelled(browser, "Email").send_keys(email)
    labelled(browser, "Password").send_keys(password)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    # The sign-in page's own URL holds "/admin/" (in ?next=): wait until the browser has left it.
    waiting(browser, 10).until(lambda b: urlsplit(b.current_url).path.startswith("/admin/"))
