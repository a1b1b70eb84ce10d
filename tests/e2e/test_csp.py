"""Every page carries a Content-Security-Policy, and every page works under it in Chromium: the browser's
console shows no CSP violation on the public pages, the emailed-link pages, the login and the admin."""

import re
import shutil

import pytest
from django.http import HttpResponse
from django.test import RequestFactory
from selenium import webdriver
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By

from front.framing import frameable
from signatures import tokens
from signatures.models import Signature
from tests.support.factories import (
    PASSWORD,
    make_affiliation,
    make_petition,
    make_roster_entry,
    make_signature,
    make_user,
)

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--window-size=1280,900"]


def policy_of(response) -> dict[str, str]:
    header = response["Content-Security-Policy"]
    return {part.split()[0]: " ".join(part.split()[1:]) for part in header.split(";") if part.strip()}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "path", ["/", "/petitions/{slug}/", "/petitions/{slug}/signatures/", "/privacy/", "/accounts/login/", "/nowhere/"]
)
def test_every_page_carries_a_policy_of_our_own_sources_that_forbids_framing(client, letter, path):
    response = client.get(path.format(slug=letter.slug))
    policy = policy_of(response)
    assert policy["default-src"] == policy["script-src"] == policy["style-src"] == "'self'"
    assert policy["frame-ancestors"] == "'none'" and response["X-Frame-Options"] == "DENY"
    assert "unsafe-inline" not in response["Content-Security-Policy"]


@pytest.mark.django_db
def test_a_frameable_view_lifts_only_the_framing_rules(settings):
    from csp.middleware import CSPMiddleware
    from django.middleware.clickjacking import XFrameOptionsMiddleware

    view = frameable(lambda request: HttpResponse("counter"))
    stack = CSPMiddleware(XFrameOptionsMiddleware(view))
    response = stack(RequestFactory().get("/petitions/x/embed/"))
    policy = policy_of(response)
    assert policy["frame-ancestors"] == "*" and "X-Frame-Options" not in response
    assert policy["script-src"] == "'self'"


# ---- in the browser ----


@pytest.fixture(scope="module")
def browser():
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("needs Debian's chromium and chromium-driver")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in CHROMIUM_FLAGS:
        options.add_argument(flag)
    options.set_capability("goog:loggingPrefs", {"browser": "ALL"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def csp_complaints(browser) -> list[str]:
    return [entry["message"] for entry in browser.get_log("browser") if "Content Security Policy" in entry["message"]]


@pytest.mark.django_db(transaction=True)
def test_public_and_emailed_link_pages_load_without_csp_errors(browser, live_server, settings):
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artists")
    letter = make_petition(title="Fair terms", affiliations=[artists])
    make_signature(letter, full_name="Listed Signer", affiliation=artists)
    pending = make_signature(letter, full_name="Pending Signer", confirmed=False)
    paths = [
        "/",
        f"/petitions/{letter.slug}/",
        f"/petitions/{letter.slug}/signatures/",
        f"/signatures/confirm/{tokens.confirm_token(pending)}/",
        f"/signatures/withdraw/{tokens.withdraw_token(pending)}/",
        f"/signatures/erase/{tokens.erase_token(pending)}/",
        "/privacy/",
        "/accounts/login/",
        "/no-such-page/",
    ]
    browser.get_log("browser")  # start from an empty console
    for path in paths:
        browser.get(f"{live_server.url}{path}")
        # The stylesheet (a static file, no inline style) applied: the layout is 48rem wide at most.
        assert browser.execute_script("return getComputedStyle(document.body).maxWidth") == "768px", path
        assert csp_complaints(browser) == [], path
    assert Signature.objects.get(pk=pending.pk).status == "unconfirmed"


@pytest.mark.django_db(transaction=True)
def test_the_admin_works_under_the_policy(browser, live_server):
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artists")
    letter = make_petition(title="Fair terms", affiliations=[artists])
    make_roster_entry(artists, "Ana Núñez", external_id="A-17")
    signature = make_signature(letter, full_name="Ana Nunez", affiliation=artists)
    make_user("root@example.org", superuser=True, password=PASSWORD)

    browser.get(f"{live_server.url}/accounts/login/")
    browser.find_element(By.NAME, "login").send_keys("root@example.org")
    browser.find_element(By.NAME, "password").send_keys(PASSWORD)
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    browser.find_element(By.ID, "site-name")  # the admin's header: signed in
    browser.get_log("browser")
    paths = [
        "/admin/",
        "/admin/petitions/petition/",
        f"/admin/petitions/petition/{letter.pk}/change/",
        "/admin/petitions/petition/add/",
        "/admin/signatures/signature/",
        f"/admin/signatures/signature/{signature.pk}/change/",
        "/admin/signatures/claimreview/",
        "/admin/verification/affiliation/",
        f"/admin/verification/affiliation/{artists.pk}/change/",
        "/admin/verification/rosterentry/",
        "/admin/verification/rosterimport/add/",
        "/admin/verification/evidence/",
        "/admin/verification/recheck/",
        "/admin/signatures/erasure/",
        "/admin/auth/user/",
        "/accounts/2fa/",
        "/accounts/2fa/totp/activate",
    ]
    for path in paths:
        browser.get(f"{live_server.url}{path}")
        assert csp_complaints(browser) == [], path
        assert not re.search(r"Server Error|Page not found", browser.title), path
    # The admin's own scripts ran (they are files, allowed by script-src 'self'): its JavaScript-built
    # "Today | Calendar" shortcuts appear beside a date field.
    browser.get(f"{live_server.url}/admin/petitions/petition/{letter.pk}/change/")
    assert browser.find_elements(By.CSS_SELECTOR, ".datetimeshortcuts") != []
    assert csp_complaints(browser) == []
