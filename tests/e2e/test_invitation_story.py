"""An operator invites an organiser in a real browser; the organiser accepts from the email that the real
worker sent through the real SMTP server, chooses a password, and lands on their letters."""

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import Select

from teams.models import Invitation
from tests.support.browser import labelled, sign_in, wait_for_text
from tests.support.factories import PASSWORD, make_user
from tests.support.teams import body_of, invitation_path

pytestmark = [pytest.mark.worker, pytest.mark.django_db(transaction=True)]

ORGANISER_PASSWORD = "letters-for-the-river-12"


def test_operator_invites_an_organiser_who_accepts_from_the_email_and_sets_a_password(
    chromium, live_server, celery_worker, smtp_sink
):
    make_user("operator@example.org", superuser=True, password=PASSWORD)
    sign_in(chromium, live_server.url, "operator@example.org", PASSWORD)

    chromium.get(f"{live_server.url}/admin/teams/invitation/add/")
    labelled(chromium, "Email").send_keys("rosa@campaign.example.org")
    Select(labelled(chromium, "Role")).select_by_visible_text("Organiser")
    chromium.find_element(By.NAME, "_save").click()
    wait_for_text(chromium, "The invitation is on its way to rosa@campaign.example.org")

    [message] = smtp_sink.wait_for("rosa@campaign.example.org")
    assert message["Subject"] == "Undersigned: you are invited to organise open letters"
    assert "operator@example.org invites you to join Undersigned as organiser" in body_of(message)
    link = invitation_path(message)

    chromium.delete_all_cookies()  # the organiser, in their own browser
    chromium.get(f"{live_server.url}{link}")
    wait_for_text(chromium, "operator@example.org invites rosa@campaign.example.org")
    labelled(chromium, "Choose a password").send_keys(ORGANISER_PASSWORD)
    labelled(chromium, "The same password again").send_keys(ORGANISER_PASSWORD)
    chromium.find_element(By.CSS_SELECTOR, "main form button[type=submit]").click()

    wait_for_text(chromium, "you are now organiser")
    assert chromium.current_url == f"{live_server.url}/admin/petitions/petition/"
    assert chromium.find_elements(By.CSS_SELECTOR, 'a[href="/admin/petitions/petition/add/"]')  # they can start one
    assert Invitation.objects.get().state == "accepted"

    # The link is spent; the password is theirs.
    chromium.get(f"{live_server.url}{link}")
    wait_for_text(chromium, "already been used")
    sign_in(chromium, live_server.url, "rosa@campaign.example.org", ORGANISER_PASSWORD)
    assert chromium.current_url.startswith(f"{live_server.url}/admin/")
