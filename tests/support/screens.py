"""Screens for the browser tests: headless Chromium (Debian's, through its chromedriver) at a given width and
language, axe-core inside it, and how far a page scrolls sideways."""

import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

AXE = Path(__file__).resolve().parent / "axe" / "axe.min.js"
FLAGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--hide-scrollbars",
]
# What WCAG 2.2 AA asks for, as axe-core tags it (plus axe's best practices, reported but not failing).
WCAG_AA = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]


def chromium(width: int = 1280, height: int = 900) -> webdriver.Chrome:
    """A headless Chromium of that window size; skips the test where Chromium is not installed."""
    binary, driver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (binary and driver):
        pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = binary
    for flag in [*FLAGS, f"--window-size={width},{height}"]:
        options.add_argument(flag)
    browser = webdriver.Chrome(service=Service(driver), options=options)
    browser.implicitly_wait(2)
    browser.execute_cdp_cmd("Network.enable", {})
    return browser


def set_width(browser: webdriver.Chrome, width: int, height: int = 900) -> None:
    """Emulate a screen `width` CSS pixels wide (a phone at 390), as the page's media queries see it."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": width, "height": height, "deviceScaleFactor": 1, "mobile": width < 600},
    )


def accept_language(browser: webdriver.Chrome, language: str) -> None:
    """Every following request says Accept-Language: `language` (as a reader's browser would)."""
    browser.execute_cdp_cmd("Network.setExtraHTTPHeaders", {"headers": {"Accept-Language": language}})


def axe_violations(browser: webdriver.Chrome, impacts=("critical", "serious")) -> list[dict]:
    """axe-core's WCAG 2.2 AA violations on the open page with one of these impacts, each with its nodes."""
    if not browser.execute_script("return typeof window.axe !== 'undefined'"):
        browser.execute_script(AXE.read_text(encoding="utf-8"))
    results = browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "axe.run(document, {runOnly: {type: 'tag', values: arguments[0]}, resultTypes: ['violations']})"
        ".then(r => done(r.violations),"
        "      e => done([{id: 'axe-error', impact: 'critical', help: String(e), nodes: []}]));",
        WCAG_AA,
    )
    return [
        {"id": v["id"], "impact": v["impact"], "help": v["help"], "nodes": [n["target"] for n in v["nodes"]][:5]}
        for v in results
        if v["impact"] in impacts
    ]


def page_overflow(browser: webdriver.Chrome) -> int:
    """How many CSS pixels the page is wider than the screen (0: no horizontal scrolling)."""
    return browser.execute_script(
        "return Math.max(document.documentElement.scrollWidth, document.body.scrollWidth)"
        " - document.documentElement.clientWidth;"
    )
