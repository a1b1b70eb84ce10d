"""A draft's public address is its preview: its team sees the page as signers will, everyone else gets 404."""

import pytest

from petitions.models import Petition
from teams.roles import add_organiser
from tests.support.factories import make_moderator, make_organiser, make_petition, make_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def draft(artists):
    return make_petition(
        title="Our draft letter",
        slug="our-draft",
        status=Petition.Status.DRAFT,
        body="We **ask**.",
        affiliations=[artists],
    )


def test_the_drafts_organiser_previews_it_at_its_real_address(client, draft):
    organiser = make_organiser("org@example.org")
    add_organiser(draft, organiser)
    client.force_login(organiser)
    response = client.get("/petitions/our-draft/")
    page = response.content.decode()
    assert response.status_code == 200
    assert "Our draft letter" in page and "<strong>ask</strong>" in page
    assert "Draft preview: only this letter's team can see this page." in page
    assert "private" in response["Cache-Control"] and "no-store" in response["Cache-Control"]


def test_the_drafts_moderator_and_an_operator_see_the_preview(client, draft):
    client.force_login(make_moderator("mod@example.org", [draft]))
    assert client.get("/petitions/our-draft/").status_code == 200
    client.force_login(make_user("root@example.org", superuser=True))
    assert client.get("/petitions/our-draft/").status_code == 200


def test_a_draft_is_not_found_for_the_public_and_for_other_teams(client, draft):
    assert client.get("/petitions/our-draft/").status_code == 404
    other = make_organiser("other@example.org", [make_petition(title="Another letter")])
    client.force_login(other)
    assert client.get("/petitions/our-draft/").status_code == 404
    client.force_login(make_moderator("elsewhere@example.org", []))
    assert client.get("/petitions/our-draft/").status_code == 404


def test_nobody_can_sign_a_draft_even_from_its_preview(client, draft):
    organiser = make_organiser("org@example.org", [draft])
    client.force_login(organiser)
    response = client.post(
        "/petitions/our-draft/sign/", {"full_name": "Ann", "email": "ann@example.org", "affiliation": ""}
    )
    assert response.status_code in (404, 409, 410)
    assert not draft.signatures.exists()


def test_a_public_letter_is_still_cached_as_before(client, letter):
    response = client.get(f"/petitions/{letter.slug}/")
    assert response.status_code == 200
    assert "no-store" not in response.get("Cache-Control", "")
