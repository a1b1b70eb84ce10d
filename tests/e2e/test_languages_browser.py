"""Signing in each language in a real browser (Debian's Chromium), through the real pieces: the page in the
chosen language, the Celery worker sending the confirmation email to the real SMTP sink in that language, the
confirm page; and a name written in Arabic (right to left) signing, confirming and listed as typed."""

import re
import shutil

import pytest
from selenium import webdriver
from selenium.common.exceptions import StaleElementReferenceException, WebDriverException
from selenium.webdriver.chrome.service import Service
from selenium.webdriver.common.by import By
from selenium.webdriver.support import expected_conditions
from selenium.webdriver.support.ui import Select, WebDriverWait

from signatures.models import Signature
from tests.support.browser import CHROMIUM_FLAGS, waiting
from tests.support.factories import make_affiliation, make_petition
from tests.support.mailbox import html_of, subject_of, text_of

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

CONFIRM_PATH = re.compile(r"https?://[^/\s]+(/signatures/confirm/[^\s/]+/)")

# What a reader of each language sees at each step.
WORDS = {
    "en": {
        "sign": "Sign",
        "check": "Check your email",
        "subject": "Confirm your signature: ",
        "hello": "Hello",
        "button": "Confirm my signature",
        "done": "your signature is confirmed",
    },
    "fr": {
        "sign": "Signer",
        "check": "Consultez vos e-mails",
        "subject": "Confirmez votre signature\u00a0: ",
        "hello": "Bonjour",
        "button": "Confirmer ma signature",
        "done": "votre signature est confirmée",
    },
    "es": {
        "sign": "Firmar",
        "check": "Revise su correo",
        "subject": "Confirme su firma: ",
        "hello": "Hola,",
        "button": "Confirmar mi firma",
        "done": "su firma está confirmada",
    },
}


def wait_for_heading(browser, text: str) -> None:
    waiting(browser, 15).until(expected_conditions.text_to_be_present_in_element((By.TAG_NAME, "h1"), text))


def choose_language(browser, language: str) -> None:
    """With the switcher in the page header, as a person would (a form and a button, no script)."""
    Select(browser.find_element(By.ID, "language-switcher")).select_by_value(language)
    browser.find_element(By.CSS_SELECTOR, "form.languages button[type=submit]").click()
    # While the next page loads, the old <html> may vanish between find and read (stale, or Chromium's
    # "Node … does not belong to the document"): keep asking until the new page answers.
    WebDriverWait(browser, 15, ignored_exceptions=[StaleElementReferenceException, WebDriverException]).until(
        lambda b: b.find_element(By.TAG_NAME, "html").get_attribute("lang") == language
    )


def sign(browser, full_name: str, email: str, **fields) -> None:
    browser.find_element(By.ID, "id_full_name").send_keys(full_name)
    browser.find_element(By.ID, "id_email").send_keys(email)
    for name, value in fields.items():
        browser.find_element(By.ID, f"id_{name}").send_keys(value)
    browser.find_element(By.ID, "id_public").click()
    browser.find_element(By.CSS_SELECTOR, "form[action*='/sign/'] button[type=submit]").click()


def confirm_from_the_email(browser, live_server, smtp_sink, address: str):
    [message] = smtp_sink.wait_for(address)
    path = CONFIRM_PATH.search(text_of(message)).group(1)
    browser.get(f"{live_server.url}{path}")
    return message


@pytest.mark.parametrize("language", ["en", "fr", "es"])
def test_a_signer_signs_and_confirms_in_their_language_and_the_email_is_in_it_too(
    browser,
    live_server,
    celery_worker,
    smtp_sink,
    language,
):
    words = WORDS[language]
    letter = make_petition(title="Fair terms for artists", affiliations=[make_affiliation("sora-alpha-artist")])
    address = f"signer-{language}@example.org"
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}{letter.get_absolute_url()}")
    if language != "en":
        choose_language(browser, language)
    assert browser.current_url == f"{live_server.url}{letter.get_absolute_url()}"  # the switcher came back here
    assert browser.find_element(By.ID, "sign").text == words["sign"]

    sign(browser, "Ada Lovelace", address, role="Painter")
    wait_for_heading(browser, words["check"])

    message = confirm_from_the_email(browser, live_server, smtp_sink, address)
    assert subject_of(message) == words["subject"] + "Fair terms for artists"
    assert f"{words['hello']} Ada Lovelace" in text_of(message)
    html = html_of(message)
    assert f'<html lang="{language}"' in html and words["button"] in html
    assert browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").text == words["button"]
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for_heading(browser, words["done"])
    signature = Signature.objects.get(email=address)
    assert (signature.status, signature.language) == ("confirmed", language)


def test_a_name_written_in_arabic_signs_confirms_and_is_listed_as_typed(
    browser,
    live_server,
    celery_worker,
    smtp_sink,
    tmp_path,
):
    name, role = "ليلى عبد الله", "Painter"
    letter = make_petition(title="Fair terms for artists", affiliations=[make_affiliation("sora-alpha-artist")])
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}{letter.get_absolute_url()}")
    sign(browser, name, "layla@example.org", role=role)
    wait_for_heading(browser, "Check your email")

    message = confirm_from_the_email(browser, live_server, smtp_sink, "layla@example.org")
    assert f"Hello {name}," in text_of(message)
    assert name in html_of(message)
    assert name in browser.find_element(By.TAG_NAME, "main").text  # the confirm page names the signer as typed
    browser.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()
    wait_for_heading(browser, "confirmed")

    browser.get(f"{live_server.url}{letter.get_absolute_url()}")
    [entry] = browser.find_elements(By.CSS_SELECTOR, "section[aria-labelledby=recent] li")
    shown_name, shown_role = entry.find_elements(By.TAG_NAME, "bdi")
    assert (shown_name.text, shown_role.text) == (name, role)
    # The page stays left to right: the Arabic name, kept whole, comes first and the role after it, on its right.
    assert browser.find_element(By.TAG_NAME, "html").get_attribute("dir") == "ltr"
    assert shown_name.rect["x"] < shown_role.rect["x"]
    browser.save_screenshot(str(tmp_path / "arabic-name-detail.png"))

    browser.get(f"{live_server.url}/petitions/{letter.slug}/signatures/")
    cells = browser.find_elements(By.CSS_SELECTOR, "table tbody tr td")
    assert [cells[0].text, cells[1].text] == [name, role]
    assert cells[0].value_of_css_property("direction") == "rtl"  # dir="auto": the cell follows its text
    assert cells[1].value_of_css_property("direction") == "ltr"
    assert Signature.objects.get(email="layla@example.org").full_name == name


@pytest.fixture
def spanish_browser():
    """A Chromium whose reader prefers Spanish: it sends Accept-Language: es."""
    chromium, chromedriver = shutil.which("chromium"), shutil.which("chromedriver")
    if not (chromium and chromedriver):
        pytest.skip("needs Debian's chromium and chromium-driver (.ci/run installs them)")
    options = webdriver.ChromeOptions()
    options.binary_location = chromium
    for flag in [*CHROMIUM_FLAGS, "--lang=es"]:
        options.add_argument(flag)
    options.add_experimental_option("prefs", {"intl.accept_languages": "es,es-ES"})
    driver = webdriver.Chrome(service=Service(chromedriver), options=options)
    driver.implicitly_wait(5)
    yield driver
    driver.quit()


def test_a_browser_set_to_spanish_gets_the_page_and_its_errors_in_spanish(spanish_browser, live_server):
    letter = make_petition(title="Fair terms for artists")
    spanish_browser.get(f"{live_server.url}{letter.get_absolute_url()}")
    assert spanish_browser.find_element(By.TAG_NAME, "html").get_attribute("lang") == "es"
    assert spanish_browser.find_element(By.ID, "recent").text == "Firmantes recientes"
    spanish_browser.find_element(By.CSS_SELECTOR, "form[action*='/sign/'] button[type=submit]").click()
    alert = (By.CSS_SELECTOR, "[role=alert]")
    waiting(spanish_browser, 15).until(
        expected_conditions.text_to_be_present_in_element(alert, "Su firma no se ha guardado")
    )
    assert "Este campo es obligatorio." in spanish_browser.find_element(By.CSS_SELECTOR, "form[action*='/sign/']").text
