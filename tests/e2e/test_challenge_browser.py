"""The proof-of-work challenge in a real browser: a person with JavaScript signs without noticing it; the
honeypot is out of their sight."""

import pytest
from selenium.common.exceptions import WebDriverException
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import WebDriverWait

from abuse.models import Parked
from signatures.models import Signature
from tests.e2e.test_browser import labelled  # the browser fixture is in tests/e2e/conftest.py
from tests.support.factories import make_petition

pytestmark = pytest.mark.django_db(transaction=True)


def test_a_signer_with_javascript_passes_the_challenge_and_never_sees_the_honeypot(
    browser,  # noqa: F811
    live_server,
    mailoutbox,
    settings,
):
    settings.SIGN_CHALLENGE_ALWAYS = True
    letter = make_petition(title="Fair terms for artists")
    browser.get(f"{live_server.url}{letter.get_absolute_url()}")
    assert not browser.find_element(By.ID, "id_website").is_displayed()
    labelled(browser, "Full name").send_keys("Grace Hopper")
    labelled(browser, "Email").send_keys("grace@navy.example")
    browser.find_element(By.CSS_SELECTOR, "form[data-challenge-url] button[type=submit]").click()
    # Across the page change Chromium may answer "node does not belong to the document": keep asking.
    WebDriverWait(browser, 60, ignored_exceptions=[WebDriverException]).until(
        expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), "Check your email")
    )
    assert Signature.objects.get(email="grace@navy.example").status == "unconfirmed"
    assert not Parked.objects.exists()
    assert len(mailoutbox) == 1
