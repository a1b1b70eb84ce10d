"""Moderators log in through allauth (email and password) and land in the panel; nobody else gets in."""

import time

import pytest
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp

from tests.factories import make_user

from .conftest import PASSWORD, make_moderator

pytestmark = pytest.mark.django_db


def test_anonymous_visitor_is_sent_to_the_login_page(client):
    response = client.get("/admin/", follow=True)
    assert response.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert 'name="password"' in response.content.decode()


def test_moderator_logs_in_with_email_and_password_and_reaches_the_panel(client, letter_a):
    make_moderator("mod@example.org", [letter_a])
    login_page = client.get("/admin/", follow=True)
    assert login_page.redirect_chain[-1][0] == "/accounts/login/?next=%2Fadmin%2F"
    assert 'name="login"' in login_page.content.decode()

    response = client.post("/accounts/login/?next=/admin/", {"login": "MOD@example.org", "password": PASSWORD})
    assert response.status_code == 302
    assert response["Location"] == "/admin/"
    panel = client.get("/admin/")
    assert panel.status_code == 200
    assert "Undersigned moderation" in panel.content.decode()
    assert "Claims to review" in panel.content.decode()


def test_wrong_password_does_not_open_the_panel(client, letter_a):
    make_moderator("mod@example.org", [letter_a])
    response = client.post("/accounts/login/", {"login": "mod@example.org", "password": "not-the-password"})
    assert response.status_code == 200
    assert "not correct" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_nobody_can_sign_up_for_an_account(client):
    response = client.post(
        "/accounts/signup/", {"email": "new@example.org", "password1": "a-long-pass-2", "password2": "a-long-pass-2"}
    )
    assert "Sign Up Closed" in response.content.decode()
    assert client.get("/admin/").status_code == 302


def test_logged_in_user_who_is_not_staff_gets_no_access(client, letter_a):
    user = make_user("signer@example.org", staff=False)
    letter_a.moderators.add(user)
    client.force_login(user)
    assert client.get("/admin/", follow=True).status_code == 403
    assert client.get("/admin/signatures/signature/", follow=True).status_code == 403
    export = client.get(f"/admin/petitions/{letter_a.slug}/export.csv", follow=True)
    assert export.status_code == 403
    assert b"signer@example.org" not in export.content


def current_code(secret: str) -> str:
    """What the moderator's authenticator app shows right now."""
    counter = int(time.time()) // 30
    return totp.format_hotp_value(totp.hotp_value(secret, counter))


def test_two_factor_pages_answer_a_logged_in_moderator(client, letter_a):
    make_moderator("mod@example.org", [letter_a])
    client.post("/accounts/login/", {"login": "mod@example.org", "password": PASSWORD})
    index = client.get("/accounts/2fa/")
    assert index.status_code == 200
    assert "Authenticator App" in index.content.decode()
    assert client.get("/admin/").content.decode().count('href="/accounts/2fa/"') == 1


def test_moderator_turns_on_totp_and_then_needs_a_code_to_reach_the_panel(client, letter_a):
    moderator = make_moderator("mod@example.org", [letter_a])
    client.post("/accounts/login/", {"login": "mod@example.org", "password": PASSWORD})
    # Turning on two-factor asks for the password again first.
    asked = client.get("/accounts/2fa/totp/activate/")
    assert asked["Location"].startswith("/accounts/reauthenticate/")
    client.post("/accounts/reauthenticate/", {"password": PASSWORD})
    page = client.get("/accounts/2fa/totp/activate/")
    assert page.status_code == 200
    secret = client.session["mfa.totp.secret"]
    assert secret in page.content.decode()
    activated = client.post("/accounts/2fa/totp/activate/", {"code": current_code(secret)})
    assert activated.status_code == 302
    assert Authenticator.objects.filter(user=moderator, type=Authenticator.Type.TOTP).exists()

    client.post("/accounts/logout/")
    after_password = client.post("/accounts/login/", {"login": "mod@example.org", "password": PASSWORD})
    assert after_password["Location"].startswith("/accounts/2fa/authenticate/")
    assert client.get("/admin/").status_code == 302
    done = client.post("/accounts/2fa/authenticate/", {"code": current_code(secret)})
    assert done["Location"] == "/admin/"
    assert client.get("/admin/").status_code == 200
