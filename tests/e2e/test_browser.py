"""A signer in a real browser (headless Chromium): the form, the emailed link, the public list."""

import re

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select

from signatures.models import Signature
from tests.support.browser import waiting
from tests.support.factories import make_affiliation, make_petition

pytestmark = pytest.mark.django_db(transaction=True)


def labelled(browser, label: str):
    """The form field a person finds by its visible label."""
    for element in browser.find_elements(By.TAG_NAME, "label"):
        if element.text.split(" (optional)")[0].strip() == label:
            return browser.find_element(By.ID, element.get_attribute("for"))
    raise AssertionError(f"no field labelled {label!r}")


def test_signer_signs_in_the_browser_confirms_by_email_and_is_listed(browser, live_server, mailoutbox, settings):
    settings.SITE_URL = live_server.url
    artists = make_affiliation("sora-alpha-artist", name="Sora alpha artist")
    letter = make_petition(title="Fair terms for artists", affiliations=[artists])

    browser.get(f"{live_server.url}{letter.get_absolute_url()}")
    labelled(browser, "Full name").send_keys("Grace <b>Hopper</b>")
    labelled(browser, "Email").send_keys("grace@navy.example")
    Select(labelled(browser, "Affiliation you claim")).select_by_visible_text("Sora alpha artist")
    labelled(browser, "Organisation").send_keys('=HYPERLINK("http://evil.example")')
    browser.find_element(By.NAME, "public").click()
    browser.find_element(By.CSS_SELECTOR, "form[action*='/sign/'] button[type=submit]").click()

    # The click starts a navigation: wait for the new page (the old one's elements go stale).
    waiting(browser, 10).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Check your email")
    )
    [message] = mailoutbox
    link = re.search(rf"{re.escape(live_server.url)}/signatures/confirm/\S+/", message.body).group(0)
    browser.get(link)  # what a mail scanner does too: the page changes nothing until the button is pressed
    assert Signature.objects.get(email="grace@navy.example").status == "unconfirmed"
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    waiting(browser, 10).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "confirmed"))

    browser.get(f"{live_server.url}/petitions/{letter.slug}/signatures/")
    table = browser.find_element(By.TAG_NAME, "table").text
    assert "Grace <b>Hopper</b>" in table  # shown as typed, not as markup
    assert browser.find_elements(By.CSS_SELECTOR, "table b") == []
    assert "grace@navy.example" not in browser.page_source
    signature = Signature.objects.get(email="grace@navy.example")
    assert (signature.status, signature.verification) == ("confirmed", "unverified")
