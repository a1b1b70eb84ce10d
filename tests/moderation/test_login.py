"""Moderators log in through allauth (email and password) and land in the panel; nobody else gets in."""

import re
import time

import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from allauth.mfa.totp.internal import auth as totp
from django.contrib.auth import get_user_model

from tests.support.factories import make_user

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


def test_login_page_is_in_the_sites_layout_and_offers_no_sign_up(client):
    page = client.get("/accounts/login/").content.decode()
    assert "Moderator sign-in" in page
    assert "Undersigned" in page
    assert "sign up" not in page.lower()
    assert 'name="login"' in page and 'name="password"' in page


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


def test_new_moderator_without_a_password_sets_one_through_the_reset_email(client, superuser, letter_a, mailoutbox):
    client.force_login(superuser)
    created = client.post(
        "/admin/auth/user/add/",
        {"email": "newbie@example.org", "username": "newbie", "moderator": "on", "usable_password": "false"},
    )
    assert created.status_code == 302
    newbie = get_user_model().objects.get(email="newbie@example.org")
    assert not newbie.has_usable_password()
    assert EmailAddress.objects.get(user=newbie).verified
    letter_a.moderators.add(newbie)
    client.logout()

    client.post("/accounts/password/reset/", {"email": "newbie@example.org"})
    [message] = mailoutbox
    link = re.search(r"http://testserver(/accounts/password/reset/key/\S+/)", message.body).group(1)
    form_page = client.get(link, follow=True)
    client.post(form_page.redirect_chain[-1][0], {"password1": "fresh-pass-4711", "password2": "fresh-pass-4711"})
    client.post("/accounts/login/", {"login": "newbie@example.org", "password": "fresh-pass-4711"})
    assert letter_a.title in client.get("/admin/petitions/petition/").content.decode()


def test_two_accounts_cannot_share_a_login_address(client, superuser, letter_a):
    make_moderator("taken@example.org", [letter_a])
    client.force_login(superuser)
    response = client.post(
        "/admin/auth/user/add/",
        {"email": "Taken@example.org", "username": "other", "usable_password": "false"},
    )
    assert "Another account already uses this email address." in response.content.decode()
    assert not get_user_model().objects.filter(username="other").exists()


def test_failed_logins_from_another_ip_do_not_lock_the_moderator_out(letter_a):
    from django.test import Client

    make_moderator("mod@example.org", [letter_a])
    attacker = Client(REMOTE_ADDR="203.0.113.66")
    for _ in range(8):
        attacker.post("/accounts/login/", {"login": "mod@example.org", "password": "guess"})
    refused = attacker.post("/accounts/login/", {"login": "mod@example.org", "password": PASSWORD})
    assert "_auth_user_id" not in attacker.session  # the guesser is locked out, even with the right password now

    moderator = Client(REMOTE_ADDR="198.51.100.7")
    moderator.post("/accounts/login/", {"login": "mod@example.org", "password": PASSWORD})
    assert moderator.get("/admin/").status_code == 200
    assert refused.status_code in (200, 429)
