"""Invitations: an operator invites organisers, an organiser invites their letter's team; the emailed link is
accepted once, before it expires, unless revoked; every step is in the audit trail."""

from datetime import timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.utils import timezone

from teams import invitations
from teams.models import Invitation
from teams.scope import MODERATORS_GROUP, ORGANISERS_GROUP, can_organise
from tests.support.factories import PASSWORD, make_organiser, make_petition
from tests.support.teams import body_of, invitation_path

pytestmark = pytest.mark.django_db

NEW_PASSWORD = "a-quiet-heron-41"


def invite_in_the_panel(client, settled, email: str, role: str, petition=None):
    with settled():
        return client.post(
            "/admin/teams/invitation/add/",
            {"email": email, "role": role, "petition": petition.pk if petition else ""},
        )


def accept_with_password(client, path: str, password: str = NEW_PASSWORD):
    return client.post(path, {"password1": password, "password2": password})


@pytest.fixture
def organiser(letter_a, artists):
    return make_organiser("org-a@example.org", [letter_a], keeps=[artists])


def test_operator_invites_an_organiser_by_a_branded_email(client, superuser, mailoutbox, settled):
    client.force_login(superuser)
    response = invite_in_the_panel(client, settled, "New.Organiser@Example.org", "organiser")
    assert response.status_code == 302
    [message] = mailoutbox
    assert message.to == ["New.Organiser@example.org"]
    assert message.subject == "Undersigned: you are invited to organise open letters"
    body = body_of(message)
    assert "root@example.org invites you to join Undersigned as organiser" in body
    assert "Hello from" not in body
    assert invitation_path(message).startswith("/accounts/invitation/")
    assert "Accept the invitation" in message.alternatives[0][0]
    invitation = Invitation.objects.get()
    assert LogEntry.objects.get(object_id=str(invitation.pk)).change_message.startswith(
        "Invited New.Organiser@example.org as organiser"
    )


def test_the_invited_organiser_sets_a_password_and_lands_on_their_letters(client, superuser, mailoutbox, settled):
    client.force_login(superuser)
    invite_in_the_panel(client, settled, "newbie@example.org", "organiser")
    path = invitation_path(mailoutbox[0])
    client.logout()

    page = client.get(path)
    assert page.status_code == 200
    assert "root@example.org invites" in page.content.decode()
    assert "Choose a password" in page.content.decode()
    assert not get_user_model().objects.filter(email="newbie@example.org").exists()  # looking changes nothing

    response = accept_with_password(client, path)
    assert response.status_code == 302
    assert response["Location"] == "/admin/petitions/petition/"
    user = get_user_model().objects.get(email="newbie@example.org")
    assert user.is_staff and not user.is_superuser
    assert user.groups.filter(name=ORGANISERS_GROUP).exists()
    assert user.check_password(NEW_PASSWORD)
    assert user.emailaddress_set.get().verified
    landing = client.get("/admin/petitions/petition/")
    assert landing.status_code == 200  # signed in
    assert "you are now organiser" in landing.content.decode()
    invitation = Invitation.objects.get()
    assert invitation.state == "accepted" and invitation.accepted_by == user
    assert LogEntry.objects.filter(user=user, object_id=str(invitation.pk)).exists()


def test_a_new_organiser_creates_a_letter_and_owns_it(client, superuser, mailoutbox, settled):
    client.force_login(superuser)
    invite_in_the_panel(client, settled, "newbie@example.org", "organiser")
    client.logout()
    accept_with_password(client, invitation_path(mailoutbox[0]))
    response = client.post(
        "/admin/petitions/petition/add/",
        {
            "title": "Our letter",
            "slug": "our-letter",
            "kind": "letter",
            "body": "We ask.",
            "summary": "",
            **{f"{inline}-{count}_FORMS": 0 for inline in ("tallies", "versions") for count in ("TOTAL", "INITIAL")},
        },
    )
    assert response.status_code == 302, response.content.decode()[:2000]
    letter = letter_by_slug("our-letter")
    assert can_organise(get_user_model().objects.get(email="newbie@example.org"), letter)


def letter_by_slug(slug: str):
    from petitions.models import Petition

    return Petition.objects.get(slug=slug)


def test_organiser_invites_a_moderator_who_then_moderates_only_that_letter(
    client, organiser, letter_a, letter_b, mailoutbox, settled
):
    client.force_login(organiser)
    assert invite_in_the_panel(client, settled, "helper@example.org", "moderator", letter_a).status_code == 302
    assert "invites you to join Undersigned as moderator of “Letter A about artists”" in body_of(mailoutbox[0])
    assert mailoutbox[0].subject == "Undersigned: you are invited to moderate “Letter A about artists”"
    client.logout()
    accept_with_password(client, invitation_path(mailoutbox[0]))
    helper = get_user_model().objects.get(email="helper@example.org")
    assert helper.groups.filter(name=MODERATORS_GROUP).exists()
    assert list(letter_a.moderators.all()) == [helper]
    listing = client.get("/admin/petitions/petition/").content.decode()
    assert letter_a.title in listing and letter_b.title not in listing


def test_organiser_invites_a_co_organiser_to_their_letter(client, organiser, letter_a, mailoutbox, settled):
    client.force_login(organiser)
    invite_in_the_panel(client, settled, "co@example.org", "organiser", letter_a)
    client.logout()
    accept_with_password(client, invitation_path(mailoutbox[0]))
    assert can_organise(get_user_model().objects.get(email="co@example.org"), letter_a)


def test_organiser_cannot_invite_to_another_teams_letter_or_to_the_site(client, organiser, letter_b, mailoutbox):
    client.force_login(organiser)
    for role, petition in (("moderator", letter_b.pk), ("organiser", letter_b.pk), ("organiser", "")):
        response = client.post(
            "/admin/teams/invitation/add/", {"email": "x@example.org", "role": role, "petition": petition}
        )
        assert response.status_code == 200  # the form again, with its error
    assert not Invitation.objects.exists()
    assert mailoutbox == []
    # The letter choices offer only their own letters.
    assert letter_b.title not in client.get("/admin/teams/invitation/add/").content.decode()


def test_a_moderator_cannot_invite_anyone(client, moderator, letter_a):
    client.force_login(moderator)
    assert client.get("/admin/teams/invitation/add/").status_code == 403
    client.post(
        "/admin/teams/invitation/add/", {"email": "x@example.org", "role": "moderator", "petition": letter_a.pk}
    )
    assert not Invitation.objects.exists()


def test_a_used_invitation_cannot_be_used_again(client, organiser, letter_a, mailoutbox, settled):
    client.force_login(organiser)
    invite_in_the_panel(client, settled, "helper@example.org", "moderator", letter_a)
    client.logout()
    path = invitation_path(mailoutbox[0])
    accept_with_password(client, path)
    client.logout()
    again = client.get(path)
    assert again.status_code == 410
    assert "already been used" in again.content.decode()
    assert accept_with_password(client, path, "another-pass-77").status_code == 410
    assert get_user_model().objects.get(email="helper@example.org").check_password(NEW_PASSWORD)


def test_an_expired_invitation_is_refused_with_a_clear_page(client, organiser, letter_a, mailoutbox, settled):
    client.force_login(organiser)
    invite_in_the_panel(client, settled, "late@example.org", "moderator", letter_a)
    client.logout()
    Invitation.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    path = invitation_path(mailoutbox[0])
    response = accept_with_password(client, path)
    assert response.status_code == 410
    assert "has expired" in response.content.decode()
    assert not get_user_model().objects.filter(email="late@example.org").exists()


def test_invitations_expire_after_the_configured_time(organiser, letter_a, settings):
    settings.INVITATION_MAX_AGE = 3600
    invitation = invitations.invite("x@example.org", "moderator", letter_a, organiser)
    assert timedelta(minutes=59) < invitation.expires_at - timezone.now() <= timedelta(hours=1)


def test_a_revoked_invitation_is_refused_and_the_revocation_is_audited(
    client, organiser, letter_a, mailoutbox, settled
):
    client.force_login(organiser)
    invite_in_the_panel(client, settled, "gone@example.org", "moderator", letter_a)
    invitation = Invitation.objects.get()
    response = client.post(
        "/admin/teams/invitation/", {"action": "revoke_invitations", "_selected_action": [invitation.pk]}
    )
    assert response.status_code == 302
    invitation.refresh_from_db()
    assert invitation.state == "revoked" and invitation.revoked_by == organiser
    assert LogEntry.objects.filter(object_id=str(invitation.pk), change_message__startswith="Revoked").exists()
    client.logout()
    page = accept_with_password(client, invitation_path(mailoutbox[0]))
    assert page.status_code == 410
    assert "withdrawn" in page.content.decode()
    assert not get_user_model().objects.filter(email="gone@example.org").exists()


def test_an_accepted_invitation_cannot_be_revoked(organiser, letter_a):
    invitation = invitations.invite("x@example.org", "moderator", letter_a, organiser)
    invitations.accept_with_new_account(invitation, NEW_PASSWORD)
    with pytest.raises(invitations.InvitationError):
        invitations.revoke(invitation, organiser)


def test_an_address_with_an_account_accepts_after_signing_in_as_it(
    client, organiser, letter_a, letter_b, mailoutbox, settled
):
    """The existing account (a moderator of B) is added to letter A; no second account is made."""
    from tests.support.factories import make_moderator

    existing = make_moderator("known@example.org", [letter_b])
    client.force_login(organiser)
    invite_in_the_panel(client, settled, "known@example.org", "moderator", letter_a)
    client.logout()
    path = invitation_path(mailoutbox[0])

    page = client.get(path).content.decode()
    assert "An account already uses known@example.org" in page
    assert "Choose a password" not in page
    assert client.post(path, {"password1": "x", "password2": "x"}).status_code == 403  # not signed in: nothing
    assert not letter_a.moderators.filter(pk=existing.pk).exists()

    login = client.post(f"/accounts/login/?next={path}", {"login": "known@example.org", "password": PASSWORD})
    assert login["Location"] == path
    assert client.post(path).status_code == 302
    assert letter_a.moderators.filter(pk=existing.pk).exists()
    assert letter_b.moderators.filter(pk=existing.pk).exists()
    assert get_user_model().objects.filter(email__iexact="known@example.org").count() == 1
    assert existing.check_password(PASSWORD)


def test_someone_signed_in_as_another_account_cannot_accept(client, organiser, letter_a, mailoutbox, settled):
    from tests.support.factories import make_moderator

    make_moderator("known@example.org")
    client.force_login(organiser)
    invite_in_the_panel(client, settled, "known@example.org", "moderator", letter_a)
    path = invitation_path(mailoutbox[0])
    # Still signed in as the organiser who sent it.
    assert "this invitation is for another account" in client.get(path).content.decode()
    assert client.post(path).status_code == 403
    assert not letter_a.moderators.exists()


@pytest.mark.parametrize(
    "token",
    ["", "x", "not-a-token:at-all", "W10:1tXq0a:" + "A" * 43, "A" * 5000],
)
def test_unknown_or_tampered_links_find_nothing(client, token):
    response = client.get(f"/accounts/invitation/{token}/") if token else client.get("/accounts/invitation//")
    assert response.status_code == 404


def test_a_link_with_one_character_changed_finds_nothing(client, organiser, letter_a, mailoutbox, settled):
    client.force_login(organiser)
    invite_in_the_panel(client, settled, "x@example.org", "moderator", letter_a)
    client.logout()
    path = invitation_path(mailoutbox[0])
    token = path.split("/")[-2]
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    assert client.get(f"/accounts/invitation/{altered}/").status_code == 404


@pytest.mark.parametrize(
    "email",
    [
        "",
        "no-at-sign",
        "two@@example.org",
        "<script>alert(1)</script>@example.org",
        "a" * 250 + "@example.org",
        "ann@exa\u00admple.org",  # a soft hyphen: mail would go to example.org
        "ann@ｅxample.org",  # full-width letters
        "ann\r\nBcc: victim@example.org@example.org",
    ],
)
def test_hostile_or_oversized_addresses_are_refused_in_the_invitation_form(client, superuser, email, mailoutbox):
    client.force_login(superuser)
    response = client.post("/admin/teams/invitation/add/", {"email": email, "role": "organiser", "petition": ""})
    assert response.status_code == 200
    assert "errornote" in response.content.decode() or "errorlist" in response.content.decode()
    assert not Invitation.objects.exists()
    assert mailoutbox == []


def test_a_second_invitation_to_the_same_role_waits_for_the_first(client, organiser, letter_a, settled):
    client.force_login(organiser)
    invite_in_the_panel(client, settled, "x@example.org", "moderator", letter_a)
    response = invite_in_the_panel(client, settled, "X@example.org", "moderator", letter_a)
    assert response.status_code == 200
    assert "already has an invitation to this role waiting" in response.content.decode()
    assert Invitation.objects.count() == 1


def test_mismatched_or_weak_passwords_create_no_account(client, organiser, letter_a, mailoutbox, settled):
    client.force_login(organiser)
    invite_in_the_panel(client, settled, "x@example.org", "moderator", letter_a)
    client.logout()
    path = invitation_path(mailoutbox[0])
    assert client.post(path, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD + "x"}).status_code == 400
    weak = client.post(path, {"password1": "password", "password2": "password"})
    assert weak.status_code == 400
    assert "too common" in weak.content.decode()
    assert client.post(path, {}).status_code == 400
    assert not get_user_model().objects.filter(email="x@example.org").exists()
    assert Invitation.objects.get().state == "pending"


def test_organiser_sees_only_the_invitations_of_their_letters(client, organiser, superuser, letter_a, letter_b):
    other = make_organiser("org-b@example.org", [letter_b])
    invitations.invite("mine@example.org", "moderator", letter_a, organiser)
    theirs = invitations.invite("theirs@example.org", "moderator", letter_b, other)
    invitations.invite("site@example.org", "organiser", None, superuser)
    client.force_login(organiser)
    listing = client.get("/admin/teams/invitation/").content.decode()
    assert "mine@example.org" in listing
    assert "theirs@example.org" not in listing and "site@example.org" not in listing
    assert client.get(f"/admin/teams/invitation/{theirs.pk}/change/").status_code == 404
    client.post("/admin/teams/invitation/", {"action": "revoke_invitations", "_selected_action": [theirs.pk]})
    theirs.refresh_from_db()
    assert theirs.state == "pending"


def test_open_sign_up_stays_off_unless_the_setting_turns_it_on(client, settings):
    closed = client.get("/accounts/signup/").content.decode()
    assert "Sign Up Closed" in closed
    settings.ACCOUNT_OPEN_SIGNUP = True
    assert 'name="password1"' in client.get("/accounts/signup/").content.decode()


def test_the_password_reset_email_speaks_in_the_products_name(client, organiser, mailoutbox, settings):
    settings.SITE_URL = "https://letters.example"
    client.post("/accounts/password/reset/", {"email": "org-a@example.org"})
    [message] = mailoutbox
    assert message.subject.startswith("Undersigned: ")
    assert "Hello from" not in message.body and "testserver" not in message.body.split("http")[0]
    assert "Undersigned" in message.body
    assert "https://letters.example" in message.body


def test_the_organisers_group_exists_after_migrate():
    assert Group.objects.get(name=ORGANISERS_GROUP).permissions.filter(codename="add_invitation").exists()


def test_an_organiser_created_letter_has_no_other_teams_in_its_moderator_choices(
    client, organiser, moderator, letter_b
):
    make_petition(title="Elsewhere", moderators=[moderator])
    outsider = make_organiser("outsider@example.org")
    client.force_login(organiser)
    page = client.get("/admin/petitions/petition/add/").content.decode()
    assert outsider.email not in page
    assert moderator.email in page  # their own letter's moderator
