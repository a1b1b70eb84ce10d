"""Every public page and the signing flow, in headless Chromium with axe-core: WCAG 2.2 AA, in each language.

axe-core (vendored, tests/support/axe) runs inside the real page; the test fails on any violation axe rates
critical or serious. The figures per page are printed (`pytest -s`) for the release notes.
"""

import base64
import re

import pytest
from django.core import mail
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions

from signatures import tokens
from signatures.models import Signature
from tests.support.browser import waiting
from tests.support.factories import make_affiliation, make_petition, make_roster_entry, make_signature
from tests.support.screens import accept_language, axe_violations, chromium, page_overflow, set_width

pytestmark = pytest.mark.django_db(transaction=True)

LANGUAGES = ["en", "fr", "es"]
SERIOUS = ("critical", "serious")
CHALLENGE = re.compile(r"https?://[^/\s]+(/signatures/challenge/[^/\s]+/)")


@pytest.fixture(scope="module")
def browser():
    driver = chromium(1280, 900)
    yield driver
    driver.quit()


@pytest.fixture
def story(live_server, mailoutbox, settings):
    """A letter with a goal and signers in every claim state, a closed letter, and the emailed links."""
    settings.SITE_URL = live_server.url
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artists")
    letter = make_petition(
        title="Fair terms for artists",
        summary="Artists ask for fair terms.",
        affiliations=[artists],
        goal=100,
    )
    make_roster_entry(artists, "Vera Verified", "vera@example.org")
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    make_signature(letter, full_name="Vera Verified", email="vera@example.org", affiliation=artists, role="Painter")
    make_signature(letter, full_name="Ana Castillo", email="ana@mail.example", affiliation=artists)  # challenged
    make_signature(letter, full_name="Uma Unknown", email="uma@example.org", affiliation=artists, comment="Yes.")
    make_signature(letter, full_name="Nora Noclaim", email="nora@example.org", organisation="Studio N")
    unconfirmed = make_signature(letter, confirmed=False, full_name="Ursula Unconfirmed", email="u@example.org")
    withdrawing = make_signature(letter, full_name="Walter Withdraw", email="w@example.org")
    closed = make_petition(title="An earlier letter", status="closed")
    [challenge] = [path for m in mail.outbox if "ana@studio.example" in m.to for path in CHALLENGE.findall(m.body)]
    return {
        "letter": letter,
        "closed": closed,
        "confirm": f"/signatures/confirm/{tokens.confirm_token(unconfirmed)}/",
        "withdraw": f"/signatures/withdraw/{tokens.withdraw_token(withdrawing)}/",
        "challenge": challenge,
    }


def visit(browser, url: str, *, heading: str = "h1") -> None:
    browser.get(url)
    waiting(browser, 10).until(expected_conditions.presence_of_element_located((By.TAG_NAME, heading)))


def submit(browser, button: str = "main form[method=post] button[type=submit]") -> None:
    """Press the form's button and wait for the next page (marked: the old document carries a flag)."""
    browser.execute_script("window.__before_submit = true;")
    browser.find_element(By.CSS_SELECTOR, button).click()
    waiting(browser, 10).until(
        lambda b: b.execute_script("return !window.__before_submit && document.readyState === 'complete'")
    )


def fill_valid_form(browser, email: str) -> None:
    browser.find_element(By.ID, "id_full_name").send_keys("Grace Hopper")
    browser.find_element(By.ID, "id_email").send_keys(email)


def audit_every_public_page(browser, base: str, story: dict, settings) -> dict[str, list[dict]]:
    """The violations (critical or serious) on each public page and each step of the signing flow."""
    letter, found = story["letter"], {}

    def check(name: str, heading: str = "") -> None:
        if heading and browser.execute_script("return document.documentElement.lang") == "en":
            assert heading in browser.find_element(By.TAG_NAME, "h1").text, name
        found[name] = axe_violations(browser, impacts=("critical", "serious", "moderate", "minor"))

    for name, path in [
        ("home", "/"),
        ("letter", letter.get_absolute_url()),
        ("signers list", f"/petitions/{letter.slug}/signatures/"),
        ("signers list, filtered", f"/petitions/{letter.slug}/signatures/?verification=verified"),
        ("closed letter", story["closed"].get_absolute_url()),
        ("archive", "/archive/"),
        ("embed", f"/petitions/{letter.slug}/embed/"),
        ("print", f"/petitions/{letter.slug}/print/"),
        ("confirm", story["confirm"]),
        ("withdraw", story["withdraw"]),
        ("challenge", story["challenge"]),
        ("not found (404)", "/petitions/no-such-letter/"),
        ("bad link (400)", f"/petitions/{letter.slug}/signatures/?cursor=abc"),
        ("bad confirm link", "/signatures/confirm/not-a-token/"),
        ("moderators' sign-in", "/accounts/login/"),
    ]:
        visit(browser, base + path)
        check(name)

    visit(browser, base + story["confirm"])
    submit(browser)
    check("confirmed", "confirmed")
    visit(browser, base + story["withdraw"])
    submit(browser)
    check("withdrawn", "withdrawn")
    visit(browser, base + story["challenge"])
    submit(browser, "button[value=yes]")
    check("challenge answered", "Thank you")

    visit(browser, base + letter.get_absolute_url())
    submit(browser)  # empty form
    assert browser.find_element(By.ID, "errors").is_displayed()
    check("letter, form with errors")
    visit(browser, base + letter.get_absolute_url())
    fill_valid_form(browser, "grace@navy.example")
    submit(browser)
    check("check your email", "Check your email")

    settings.SIGN_RATE_PER_IP = "1/h"
    for attempt in (2, 3):  # the second attempt under this limit is one too many
        visit(browser, base + letter.get_absolute_url())
        fill_valid_form(browser, f"grace{attempt}@navy.example")
        submit(browser)
    check("rate limited (429)", "Too many attempts")
    return found


def test_axe_finds_what_it_is_meant_to_find(browser, live_server):
    """The audit can fail: a page with an unlabelled field and an image without text has serious violations."""
    browser.get("data:text/html,<html lang=en><title>x</title><main><img src=x.png><input type=text></main></html>")
    assert {v["id"] for v in axe_violations(browser)} >= {"image-alt", "label"}


@pytest.mark.parametrize("language", LANGUAGES)
def test_every_public_page_has_no_serious_accessibility_violation(browser, live_server, story, settings, language):
    accept_language(browser, language)
    set_width(browser, 1280)
    found = audit_every_public_page(browser, live_server.url, story, settings)
    print(f"\naxe-core WCAG 2.2 AA, Accept-Language {language}: violations per page (critical+serious / other)")
    for name, violations in found.items():
        serious = [v["id"] for v in violations if v["impact"] in SERIOUS]
        other = [v["id"] for v in violations if v["impact"] not in SERIOUS]
        print(f"  {name:28} {len(serious)} / {len(other)}  {serious + other}")
    assert len(found) == 21
    assert {name: [v for v in found[name] if v["impact"] in SERIOUS] for name in found} == dict.fromkeys(found, [])


def test_after_a_failed_submit_focus_moves_to_the_error_summary_which_links_each_field(browser, live_server, story):
    accept_language(browser, "en")
    set_width(browser, 390)
    visit(browser, live_server.url + story["letter"].get_absolute_url())
    browser.find_element(By.ID, "id_email").send_keys("not an address")
    submit(browser)
    waiting(browser, 5).until(lambda b: b.execute_script("return document.activeElement.id") == "errors")
    summary = browser.find_element(By.ID, "errors")
    assert "Your signature was not stored" in summary.text
    assert summary.location["y"] - browser.execute_script("return window.scrollY") < 900  # on screen, on a phone
    summary.find_element(By.PARTIAL_LINK_TEXT, "Email").click()
    assert browser.execute_script("return document.activeElement.id") == "id_email"
    assert Signature.objects.filter(email="not an address").count() == 0


def test_without_javascript_the_failed_form_still_anchors_to_the_error_summary(live_server, story):
    driver = chromium(390, 800)
    try:
        driver.execute_cdp_cmd("Emulation.setScriptExecutionDisabled", {"value": True})
        visit(driver, live_server.url + story["letter"].get_absolute_url())
        submit(driver)
        assert driver.current_url.endswith("#errors")
        assert driver.find_element(By.ID, "errors").is_displayed()
        visit(driver, live_server.url + story["letter"].get_absolute_url())
        # the link to copy by hand is there; the "Copy link" button needs the script
        assert driver.find_element(By.ID, "share-link").is_displayed()
        assert not driver.find_element(By.CSS_SELECTOR, "button[data-copy]").is_displayed()
    finally:
        driver.quit()


def test_with_javascript_copy_link_copies_the_letter_s_address(browser, live_server, story):
    accept_language(browser, "en")
    set_width(browser, 1280)
    browser.execute_cdp_cmd(
        "Browser.grantPermissions",
        {"origin": live_server.url, "permissions": ["clipboardReadWrite", "clipboardSanitizedWrite"]},
    )
    visit(browser, live_server.url + story["letter"].get_absolute_url())
    button = browser.find_element(By.CSS_SELECTOR, "button[data-copy]")
    button.click()
    waiting(browser, 5).until(lambda b: b.find_element(By.ID, "copy-status").text == "Link copied")
    copied = browser.execute_async_script("navigator.clipboard.readText().then(arguments[arguments.length - 1]);")
    assert copied == f"{live_server.url}{story['letter'].get_absolute_url()}"


def test_the_skip_link_is_the_first_stop_and_leads_to_the_content(browser, live_server, story):
    accept_language(browser, "en")
    set_width(browser, 1280)
    visit(browser, live_server.url + story["letter"].get_absolute_url())
    browser.find_element(By.TAG_NAME, "body").send_keys("\ue004")  # Tab
    first = browser.switch_to.active_element
    assert first.text == "Skip to content" and first.is_displayed()
    first.send_keys("\ue007")  # Enter
    assert browser.execute_script("return document.activeElement.id") == "main"


@pytest.mark.parametrize("language", LANGUAGES)
def test_the_public_pages_fit_a_390_px_phone_without_sideways_scrolling(browser, live_server, story, language):
    letter = story["letter"]
    make_signature(
        letter,
        full_name="Maximiliana Wolfeschlegelsteinhausenbergerdorff",
        role="Principal illustrator and senior concept artist",
        organisation="International Association of Very Long Organisation Names",
        comment="https://example.org/" + "a-very-long-unbroken-link-" * 8,
        affiliation=letter.affiliations.get(),
    )
    accept_language(browser, language)
    set_width(browser, 390, 800)
    widths = {}
    for path in [
        "/",
        letter.get_absolute_url(),
        f"/petitions/{letter.slug}/signatures/",
        f"/petitions/{letter.slug}/print/",
        f"/petitions/{letter.slug}/embed/",
        "/archive/",
    ]:
        visit(browser, live_server.url + path)
        widths[path] = page_overflow(browser)
    assert widths == dict.fromkeys(widths, 0)


def test_the_print_copy_prints_without_the_screen_navigation(browser, live_server, story):
    accept_language(browser, "en")
    set_width(browser, 1280)
    visit(browser, live_server.url + f"/petitions/{story['letter'].slug}/print/")
    navigation = browser.find_element(By.CSS_SELECTOR, "nav.screen-only")
    assert navigation.is_displayed()
    browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": "print"})
    try:
        assert not navigation.is_displayed()
        assert browser.find_element(By.CSS_SELECTOR, ".fingerprint .hash").is_displayed()
        assert page_overflow(browser) == 0
    finally:
        browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"media": ""})
    printed = base64.b64decode(browser.print_page())
    assert printed.startswith(b"%PDF-")
