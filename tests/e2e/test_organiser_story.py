"""An organiser runs a letter start to finish in a real browser (Debian's Chromium), with the real worker and
the real SMTP path: invited by the operator, they accept from the email, write, preview and publish a letter,
upload its roster, invite a moderator who accepts and decides a claim, then close the letter and export it."""

import csv
import io

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from petitions.models import Petition
from signatures.models import Signature
from tests.support.browser import sign_in as shared_sign_in
from tests.support.browser import wait_for_text, waiting
from tests.support.factories import PASSWORD, make_signature, make_user
from tests.support.teams import invitation_path

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ORGANISER, MODERATOR = "organiser@collective.example", "moderator@collective.example"
ORGANISER_PASSWORD, MODERATOR_PASSWORD = "a-quiet-heron-41", "a-loud-finch-72"
ROSTER = "full_name,email,handles,external_id\nAna Núñez,,@ana_nunez,A-17\nBen Okafor,ben@studio.example,,A-18\n"


@pytest.fixture
def browser(chromium):
    """The module's Chromium (tests/e2e/conftest.py)."""
    return chromium


def field(browser, name: str):
    return browser.find_element(By.NAME, name)


def sign_in(browser, live_server, email: str, password: str) -> None:
    """Through allauth's sign-in page (tests/support/browser.py), landing in the panel."""
    shared_sign_in(browser, live_server.url, email, password)


def accept_invitation(browser, live_server, smtp_sink, email: str, password: str) -> None:
    [message] = smtp_sink.wait_for(email)
    browser.delete_all_cookies()
    browser.get(f"{live_server.url}{invitation_path(message)}")
    field(browser, "password1").send_keys(password)
    field(browser, "password2").send_keys(password)
    browser.find_element(By.XPATH, "//button[contains(., 'Accept and create my account')]").click()
    waiting(browser, 15).until(lambda b: b.current_url.endswith("/admin/petitions/petition/"))


def invite(browser, live_server, email: str, role: str, letter: str = "") -> None:
    """Fill the invitation form the page is on (the operator's, or a letter's "Invite" link)."""
    field(browser, "email").send_keys(email)
    Select(field(browser, "role")).select_by_value(role)
    if letter:
        assert Select(field(browser, "petition")).first_selected_option.text == letter
    field(browser, "_save").click()
    wait_for_text(browser, email)


def click_link(browser, text: str) -> None:
    browser.find_element(By.PARTIAL_LINK_TEXT, text).click()


def fetch_text(browser, url: str) -> str:
    """What the signed-in browser downloads from `url` (a CSV is a download, not a page)."""
    return browser.execute_async_script(
        "const done = arguments[arguments.length - 1];"
        "fetch(arguments[0], {credentials: 'same-origin'}).then(r => r.text()).then(done);",
        url,
    )


def test_an_organiser_runs_a_letter_from_invitation_to_export(
    browser, live_server, celery_worker, smtp_sink, wait_until, tmp_path, settings
):
    settings.SITE_URL = live_server.url
    make_user("operator@undersigned.example", superuser=True)

    # The operator invites an organiser.
    sign_in(browser, live_server, "operator@undersigned.example", PASSWORD)
    browser.get(f"{live_server.url}/admin/teams/invitation/add/")
    invite(browser, live_server, ORGANISER, "organiser")

    # The organiser accepts from the email (sent by the worker over SMTP) and lands on their letters.
    accept_invitation(browser, live_server, smtp_sink, ORGANISER, ORGANISER_PASSWORD)

    # They add the affiliation their letter offers (they keep its roster) and write the letter.
    browser.get(f"{live_server.url}/admin/verification/affiliation/add/")
    field(browser, "name").send_keys("Collective artists")
    field(browser, "_save").click()
    wait_for_text(browser, "Collective artists")
    browser.get(f"{live_server.url}/admin/petitions/petition/add/")
    field(browser, "title").send_keys("Fair terms for artists")
    field(browser, "body").send_keys("We, the undersigned, ask for **fair** terms.")
    preview = browser.find_element(By.ID, "markdown-preview")
    waiting(browser, 10).until(lambda _: "<strong>fair</strong>" in preview.get_attribute("innerHTML"))
    Select(browser.find_element(By.ID, "id_affiliations_from")).select_by_visible_text("Collective artists")
    browser.find_element(By.ID, "id_affiliations_add").click()
    field(browser, "_continue").click()
    wait_for_text(browser, "was added successfully")
    letter = Petition.objects.get(title="Fair terms for artists")
    assert letter.status == Petition.Status.DRAFT

    # The draft is previewed at its real address (only its team sees it), then published with the button.
    click_link(browser, "Preview the draft at its public address")
    wait_for_text(browser, "Draft preview: only this letter's team can see this page.")
    assert "<strong>fair</strong> terms" in browser.page_source
    browser.back()
    browser.find_element(By.CSS_SELECTOR, "button[value=publish]").click()
    wait_for_text(browser, "Published “Fair terms for artists”: it is open for signatures.")

    # The roster upload, linked from the letter's dashboard.
    click_link(browser, "Upload the roster of Collective artists")
    roster = tmp_path / "roster.csv"
    roster.write_text(ROSTER, encoding="utf-8")
    field(browser, "file").send_keys(str(roster))
    browser.find_element(By.CSS_SELECTOR, "#content-main form [type=submit]").click()
    wait_for_text(browser, "Imported roster.csv (2 rows")

    # The organiser invites a moderator to this letter from its workspace.
    browser.get(f"{live_server.url}/admin/petitions/petition/{letter.pk}/workspace/")
    click_link(browser, "Invite co-organisers and moderators")
    invite(browser, live_server, MODERATOR, "moderator", letter="Fair terms for artists")

    # A signer claims the affiliation under a name only the roster's spelling matches: a human must decide.
    letter.refresh_from_db()
    signature = make_signature(
        letter, full_name="Ana Nunez", email="ana@mail.example", affiliation=letter.affiliations.get()
    )
    wait_until(lambda: Signature.objects.get(pk=signature.pk).verification == Signature.Verification.NEEDS_REVIEW)

    # The moderator accepts from the email and decides the claim in the review queue.
    accept_invitation(browser, live_server, smtp_sink, MODERATOR, MODERATOR_PASSWORD)
    browser.get(f"{live_server.url}/admin/signatures/claimreview/")
    wait_for_text(browser, "Ana Nunez")
    field(browser, f"note-{signature.pk}").send_keys("Known to the collective's coordinator")
    browser.find_element(By.XPATH, "//button[contains(., 'Approve claim')]").click()
    wait_for_text(browser, "Approved 1 claim.")
    signature.refresh_from_db()
    assert signature.verification == Signature.Verification.VERIFIED

    # The organiser signs in again, closes the letter and exports the verified signers.
    sign_in(browser, live_server, ORGANISER, ORGANISER_PASSWORD)
    browser.get(f"{live_server.url}/admin/petitions/petition/{letter.pk}/workspace/")
    wait_for_text(browser, "1 confirmed signature")
    browser.find_element(By.CSS_SELECTOR, "button[value=close]").click()
    wait_for_text(browser, "Closed “Fair terms for artists”: it keeps its page, counts and signers.")
    letter.refresh_from_db()
    assert letter.status == Petition.Status.CLOSED
    export = browser.find_element(By.PARTIAL_LINK_TEXT, "Export the CSV").get_attribute("href")
    rows = list(csv.DictReader(io.StringIO(fetch_text(browser, export))))
    assert [(r["full_name"], r["verification"], r["method"]) for r in rows] == [("Ana Nunez", "verified", "moderator")]

    # Everything above is in the audit trail, with who did it.
    browser.get(f"{live_server.url}/admin/admin/logentry/")
    trail = browser.find_element(By.ID, "result_list").text
    for line in ("Published the petition.", "Closed the petition.", "Exported the signers CSV (verified)."):
        assert line in trail
    assert "Approved the claim" in trail and MODERATOR in trail
