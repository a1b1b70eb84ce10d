"""A moderator sees only the petitions they moderate, and everything hanging off them; superusers see all."""

import pytest

from signatures.models import Signature
from tests.support.factories import (
    make_affiliation,
    make_moderator,
    make_petition,
    make_roster_entry,
    make_signature,
    make_user,
)
from verification.models import RosterImport
from verification.tasks import queue_recheck

pytestmark = pytest.mark.django_db


@pytest.fixture
def signers(letter_a, letter_b, artists, settled):
    """One confirmed, checked claim on each petition (neither roster knows them: unverified)."""
    writers = letter_b.affiliations.get()
    with settled():
        return {
            "a": make_signature(letter_a, full_name="Alice Artist", email="alice@a.example", affiliation=artists),
            "b": make_signature(letter_b, full_name="Bob Writer", email="bob@b.example", affiliation=writers),
        }


def test_moderator_of_a_sees_only_petition_a_in_the_list(client, moderator, letter_a, letter_b):
    client.force_login(moderator)
    page = client.get("/admin/petitions/petition/").content.decode()
    assert letter_a.title in page
    assert letter_b.title not in page


def test_moderator_of_a_cannot_open_petition_b(client, moderator, letter_b):
    client.force_login(moderator)
    assert client.get(f"/admin/petitions/petition/{letter_b.pk}/change/").status_code == 404
    assert client.get(f"/admin/petitions/petition/{letter_b.pk}/history/").status_code == 404


def test_moderator_of_a_lists_only_a_signatures_and_cannot_open_b_signatures(client, moderator, signers, letter_b):
    client.force_login(moderator)
    listing = client.get("/admin/signatures/signature/").content.decode()
    assert "Alice Artist" in listing
    assert "Bob Writer" not in listing
    # Not even B's title in the petition filter.
    assert letter_b.title not in listing
    assert client.get(f"/admin/signatures/signature/{signers['b'].pk}/change/").status_code == 404
    assert client.get(f"/admin/signatures/signature/{signers['a'].pk}/change/").status_code == 200


def test_moderator_of_a_cannot_decide_on_b_claims(client, moderator, signers):
    client.force_login(moderator)
    bob = signers["b"]
    response = client.post(f"/admin/signatures/signature/{bob.pk}/decide/", {"decision": "reject"})
    assert response.status_code == 404
    bob.refresh_from_db()
    assert bob.verification == "unverified"
    assert not bob.evidence_trail.filter(decided_by=moderator).exists()
    # Nor through a bulk action naming B's signature.
    client.post(
        "/admin/signatures/signature/", {"action": "reject_claims", "confirmed": "yes", "_selected_action": [bob.pk]}
    )
    bob.refresh_from_db()
    assert bob.verification == "unverified"


def test_moderator_exports_a_but_not_b(client, moderator, signers, letter_a, letter_b):
    client.force_login(moderator)
    assert client.get(f"/admin/petitions/{letter_b.slug}/export.csv").status_code == 403
    export = client.get(f"/admin/petitions/{letter_a.slug}/export.csv?verification=all")
    assert export.status_code == 200
    lines = b"".join(export.streaming_content).decode().splitlines()
    assert lines[0].startswith("full_name,email,affiliation,verification")
    assert lines[1].startswith("Alice Artist,alice@a.example,sora-alpha-artist,unverified")
    assert len(lines) == 2


def test_moderator_sees_the_affiliations_of_their_petitions_but_no_roster(client, moderator, letter_b, artists):
    writers = letter_b.affiliations.get()
    make_roster_entry(artists, "Ana Artist")
    RosterImport.objects.create(affiliation=artists, filename="artists.csv", rows=1, created=1)
    client.force_login(moderator)

    affiliations = client.get("/admin/verification/affiliation/").content.decode()
    assert "Sora alpha artists" in affiliations
    assert "Writers guild" not in affiliations
    assert client.get(f"/admin/verification/affiliation/{writers.pk}/change/").status_code == 404
    page = client.get(f"/admin/verification/affiliation/{artists.pk}/change/").content.decode()
    assert "Ana Artist" not in page and "artists.csv" not in page
    # Rosters and their imports are the keepers' only.
    assert client.get("/admin/verification/rosterentry/").status_code == 403
    assert client.get("/admin/verification/rosterimport/").status_code == 403
    assert client.get(f"/admin/verification/affiliation/{artists.pk}/roster/").status_code == 403


def test_keeper_sees_only_the_rosters_and_imports_they_keep(client, keeper, letter_b, artists):
    writers = letter_b.affiliations.get()
    make_roster_entry(artists, "Ana Artist")
    make_roster_entry(writers, "Wren Writer")
    RosterImport.objects.create(affiliation=writers, filename="writers.csv", rows=1, created=1)
    RosterImport.objects.create(affiliation=artists, filename="artists.csv", rows=1, created=1)
    client.force_login(keeper)

    entries = client.get("/admin/verification/rosterentry/").content.decode()
    assert "Ana Artist" in entries
    assert "Wren Writer" not in entries
    imports = client.get("/admin/verification/rosterimport/").content.decode()
    assert "artists.csv" in imports
    assert "writers.csv" not in imports
    assert client.get(f"/admin/verification/affiliation/{writers.pk}/roster/").status_code == 404


def test_moderator_sees_only_evidence_of_their_petitions(client, moderator, signers):
    client.force_login(moderator)
    page = client.get("/admin/verification/evidence/").content.decode()
    assert "Alice Artist" in page
    assert "Bob Writer" not in page
    bob_evidence = signers["b"].evidence_trail.get()
    assert client.get(f"/admin/verification/evidence/{bob_evidence.pk}/change/").status_code == 404


def test_an_affiliation_shared_with_another_petition_is_visible_through_the_moderated_one(client, moderator, artists):
    other = make_petition(title="Other letter", affiliations=[artists])
    client.force_login(moderator)
    assert client.get(f"/admin/verification/affiliation/{artists.pk}/change/").status_code == 200
    assert other.title not in client.get("/admin/petitions/petition/").content.decode()


def test_superuser_sees_every_petition_signature_and_affiliation(client, superuser, signers, letter_a, letter_b):
    client.force_login(superuser)
    petitions = client.get("/admin/petitions/petition/").content.decode()
    assert letter_a.title in petitions and letter_b.title in petitions
    signatures = client.get("/admin/signatures/signature/").content.decode()
    assert "Alice Artist" in signatures and "Bob Writer" in signatures
    assert client.get(f"/admin/signatures/signature/{signers['b'].pk}/change/").status_code == 200
    assert "Writers guild" in client.get("/admin/verification/affiliation/").content.decode()
    assert client.get(f"/admin/petitions/{letter_b.slug}/export.csv").status_code == 200


def test_staff_user_outside_the_moderators_group_sees_nothing_even_when_listed(client, letter_a, signers):
    user = make_user("helper@example.org")
    letter_a.moderators.add(user)
    client.force_login(user)
    assert "permission to view or edit anything" in client.get("/admin/").content.decode()
    assert client.get("/admin/signatures/signature/").status_code == 403
    assert client.get(f"/admin/petitions/{letter_a.slug}/export.csv").status_code == 403


def test_moderator_listed_on_no_petition_sees_empty_lists(client, signers):
    idle = make_moderator("idle@example.org")
    client.force_login(idle)
    assert "Alice Artist" not in client.get("/admin/signatures/signature/").content.decode()
    assert "Letter A" not in client.get("/admin/petitions/petition/").content.decode()


def test_moderator_can_view_but_not_edit_their_petition(client, moderator, letter_a):
    client.force_login(moderator)
    page = client.get(f"/admin/petitions/petition/{letter_a.pk}/change/")
    assert page.status_code == 200
    assert 'name="title"' not in page.content.decode()
    client.post(f"/admin/petitions/petition/{letter_a.pk}/change/", {"title": "Hijacked", "body": "x"})
    letter_a.refresh_from_db()
    assert letter_a.title == "Letter A about artists"


def test_signature_filter_for_another_petition_id_shows_nothing(client, moderator, signers, letter_b):
    client.force_login(moderator)
    page = client.get(f"/admin/signatures/signature/?petition={letter_b.pk}").content.decode()
    assert "Bob Writer" not in page
    assert "Alice Artist" not in page


def test_moderator_cannot_reach_user_accounts(client, moderator):
    make_affiliation("unrelated")
    client.force_login(moderator)
    assert client.get("/admin/auth/user/").status_code == 403


def test_moderator_follows_rechecks_of_their_affiliations_only(client, moderator, signers, artists, letter_b, settled):
    writers = letter_b.affiliations.get()
    with settled():
        mine = queue_recheck(Signature.objects.filter(affiliation=artists), "artists re-check", affiliation=artists)
        theirs = queue_recheck(Signature.objects.filter(affiliation=writers), "writers re-check", affiliation=writers)
    client.force_login(moderator)

    page = client.get("/admin/verification/recheck/").content.decode()
    assert "artists re-check" in page
    assert "1 of 1 claims checked (100%)" in page
    assert "writers re-check" not in page
    assert client.get(f"/admin/verification/recheck/{theirs.pk}/change/").status_code == 404
    affiliation_page = client.get(f"/admin/verification/affiliation/{artists.pk}/change/").content.decode()
    assert "artists re-check" in affiliation_page
    assert f"/admin/verification/recheck/{mine.pk}/change/" in affiliation_page


def test_view_on_site_shortcut_takes_a_moderator_only_to_their_own_petitions(client, moderator, letter_a):
    from django.contrib.contenttypes.models import ContentType

    from petitions.models import Petition

    draft = make_petition(title="Team B's secret draft", slug="team-b-secret-plan", status=Petition.Status.DRAFT)
    petition_type = ContentType.objects.get_for_model(Petition).pk
    client.force_login(moderator)

    response = client.get(f"/admin/r/{petition_type}/{draft.pk}/")
    assert response.status_code == 404
    assert "team-b-secret-plan" not in response.get("Location", "") + response.content.decode()
    assert client.get(f"/admin/r/{petition_type}/not-an-id/").status_code == 404
    assert client.get(f"/admin/r/99999/{draft.pk}/").status_code == 404
    own = client.get(f"/admin/r/{petition_type}/{letter_a.pk}/")
    assert own.status_code == 302 and own["Location"].endswith(f"/petitions/{letter_a.slug}/")


def test_view_on_site_shortcut_still_serves_a_superuser_every_petition(client, superuser, letter_b):
    from django.contrib.contenttypes.models import ContentType

    from petitions.models import Petition

    client.force_login(superuser)
    petition_type = ContentType.objects.get_for_model(Petition).pk
    response = client.get(f"/admin/r/{petition_type}/{letter_b.pk}/")
    assert response.status_code == 302 and response["Location"].endswith("/petitions/letter-b/")


def test_erasure_records_name_no_one_and_only_superusers_list_them(client, superuser, moderator, letter_a):
    from signatures import lifetimes, tokens

    signature = make_signature(letter_a, full_name="Gone Signer", email="gone@example.org")
    lifetimes.erase(signature.pk, tokens.submission_fingerprint(signature))

    client.force_login(superuser)
    page = client.get("/admin/signatures/erasure/").content.decode()
    assert "Erased at the signer" in page and letter_a.title in page
    assert "Gone Signer" not in page and "gone@example.org" not in page
    client.force_login(moderator)
    assert client.get("/admin/signatures/erasure/").status_code == 403
