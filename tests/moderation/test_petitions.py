"""Petitions in the panel: named transitions as actions, and edits to an open text becoming a new version."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model

from petitions.models import Petition
from tests.support.factories import make_petition, make_signature

pytestmark = pytest.mark.django_db

CHANGELIST = "/admin/petitions/petition/"


def form_data(petition: Petition, **changes) -> dict:
    """The change form as the superuser submits it (inlines are read-only, their management forms stay empty)."""
    data = {
        "title": petition.title,
        "kind": petition.kind,
        "summary": petition.summary,
        "body": petition.body,
        "affiliations": [a.pk for a in petition.affiliations.all()],
        "moderators": [u.pk for u in petition.moderators.all()],
        "goal": "",
        "closes_at_0": "",
        "closes_at_1": "",
    }
    for prefix in ("tallies", "versions"):
        data.update({f"{prefix}-TOTAL_FORMS": 0, f"{prefix}-INITIAL_FORMS": 0, f"{prefix}-MAX_NUM_FORMS": 1000})
    if not petition.is_public:
        data["slug"] = petition.slug
    data.update(changes)
    return data


def test_superuser_publishes_a_draft_with_the_action(client, superuser):
    draft = make_petition(title="Draft letter", status=Petition.Status.DRAFT)
    client.force_login(superuser)
    response = client.post(CHANGELIST, {"action": "publish", "_selected_action": [draft.pk]}, follow=True)
    assert "Published: Draft letter." in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Petition.Status.OPEN
    assert draft.current_version.number == 1
    assert client.get(f"/petitions/{draft.slug}/").status_code == 200
    assert LogEntry.objects.get(object_id=str(draft.pk)).get_change_message() == "Published the petition."


def test_publishing_an_open_petition_reports_why_it_cannot(client, superuser, letter_a):
    client.force_login(superuser)
    response = client.post(CHANGELIST, {"action": "publish", "_selected_action": [letter_a.pk]}, follow=True)
    assert "Only a draft can be published; this petition is open." in response.content.decode()
    assert not LogEntry.objects.exists()


def test_closing_stops_signing(client, superuser, letter_a):
    client.force_login(superuser)
    client.post(CHANGELIST, {"action": "close", "_selected_action": [letter_a.pk]})
    letter_a.refresh_from_db()
    assert letter_a.status == Petition.Status.CLOSED
    assert not letter_a.accepts_signatures


def test_moderator_cannot_publish_or_close(client, moderator, letter_a):
    client.force_login(moderator)
    page = client.get(CHANGELIST).content.decode()
    assert "Close the selected open petitions" not in page
    client.post(CHANGELIST, {"action": "close", "_selected_action": [letter_a.pk]})
    letter_a.refresh_from_db()
    assert letter_a.status == Petition.Status.OPEN


def test_editing_an_open_petitions_body_creates_version_two(client, superuser, letter_a):
    first = letter_a.current_version
    early = make_signature(letter_a)
    client.force_login(superuser)
    response = client.post(
        f"/admin/petitions/petition/{letter_a.pk}/change/",
        form_data(letter_a, body="We, the undersigned, ask for **even better** things."),
        follow=True,
    )
    assert "new signers now see version 2" in response.content.decode()
    letter_a.refresh_from_db()
    assert letter_a.current_version.number == 2
    assert letter_a.current_version.body == "We, the undersigned, ask for **even better** things."
    assert list(letter_a.versions.values_list("number", flat=True)) == [1, 2]
    early.refresh_from_db()
    assert early.version == first
    assert make_signature(letter_a).version.number == 2
    assert "even better" in client.get(f"/admin/petitions/petition/{letter_a.pk}/change/").content.decode()


def test_saving_without_a_text_change_adds_no_version(client, superuser, letter_a):
    client.force_login(superuser)
    client.post(f"/admin/petitions/petition/{letter_a.pk}/change/", form_data(letter_a, goal=500))
    letter_a.refresh_from_db()
    assert letter_a.goal == 500
    assert letter_a.versions.count() == 1


def test_published_petitions_slug_cannot_change(client, superuser, letter_a):
    client.force_login(superuser)
    client.post(f"/admin/petitions/petition/{letter_a.pk}/change/", form_data(letter_a, slug="moved"))
    letter_a.refresh_from_db()
    assert letter_a.slug == "letter-a"


def test_superuser_makes_someone_a_moderator_of_a_petition(client, superuser, letter_a):
    client.force_login(superuser)
    added = client.post(
        "/admin/auth/user/add/",
        {
            "email": "new-mod@example.org",
            "username": "new-mod",
            "moderator": "on",
            "usable_password": "true",
            "password1": "a-strong-pass-42",
            "password2": "a-strong-pass-42",
        },
    )
    assert added.status_code == 302
    user = get_user_model().objects.get(email="new-mod@example.org")
    assert user.is_staff and user.groups.filter(name="Moderators").exists()
    client.post(f"/admin/petitions/petition/{letter_a.pk}/change/", form_data(letter_a, moderators=[user.pk]))
    assert list(letter_a.moderators.all()) == [user]

    client.logout()
    client.post("/accounts/login/", {"login": "new-mod@example.org", "password": "a-strong-pass-42"})
    listing = client.get(CHANGELIST).content.decode()
    assert letter_a.title in listing
    assert client.get(f"/admin/petitions/{letter_a.slug}/export.csv").status_code == 200


def test_petition_list_links_to_the_csv_export(client, moderator, letter_a):
    client.force_login(moderator)
    assert f'href="/admin/petitions/{letter_a.slug}/export.csv"' in client.get(CHANGELIST).content.decode()
    page = client.get(f"/admin/petitions/petition/{letter_a.pk}/change/").content.decode()
    assert f'href="/admin/petitions/{letter_a.slug}/export.csv?verification=verified"' in page


def test_moderator_reads_the_exact_text_of_each_version_of_their_petitions_only(client, moderator, letter_a, letter_b):
    letter_a.body = "Version two adds a **demand**.\n\n<script>alert(1)</script>"
    letter_a.record_version()
    client.force_login(moderator)

    v2 = letter_a.versions.get(number=2)
    page = client.get(f"/admin/petitions/petitionversion/{v2.pk}/change/").content.decode()
    assert "Version two adds a <strong>demand</strong>." in page
    assert "<script>alert(1)</script>" not in page
    listing = client.get("/admin/petitions/petitionversion/").content.decode()
    assert letter_a.title in listing and letter_b.title not in listing
    other = letter_b.versions.get()
    assert client.get(f"/admin/petitions/petitionversion/{other.pk}/change/").status_code == 404
