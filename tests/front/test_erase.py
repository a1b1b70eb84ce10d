"""A signer erases their signature from the link in any of our emails: GET shows one button, POST erases.

The erasure keeps the counts right (a counted signature leaves them, as a withdrawal would) and leaves a
record without the data.
"""

import pytest
from django.test import Client, override_settings

from signatures import counts as counters
from signatures.models import AffiliationTally, Erasure, Signature
from tests.support.factories import make_roster_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(signer, letter, artists):
    """Ada signed claiming the artists' affiliation, is on their roster, and confirmed; Bo signed plainly."""
    make_roster_entry(artists, "Ada Lovelace", "ada@example.org")
    signer.sign(letter, affiliation=artists.slug, comment="Count me in.")
    signer.post(signer.confirm_link("ada@example.org"))
    signer.sign(letter, full_name="Bo Plain", email="bo@example.org")
    signer.post(signer.confirm_link("bo@example.org"))
    return Signature.objects.get(email="ada@example.org")


def public(client, letter) -> dict:
    api = client.get(f"/api/petitions/{letter.slug}/").json()["counts"]
    names = [row["full_name"] for row in client.get(f"/api/petitions/{letter.slug}/signatures/").json()["results"]]
    return {"confirmed": api["confirmed"], "artists": api["by_affiliation"]["sora-alpha-artist"], "names": names}


def test_every_signer_email_carries_an_erase_link(signer, letter):
    signer.sign(letter)
    assert signer.erase_link("ada@example.org").startswith("/signatures/erase/")
    signer.post(signer.confirm_link("ada@example.org"))
    signer.sign(letter)  # "you have already signed"
    assert "erase" in signer.links("ada@example.org")


def test_the_erase_link_shows_a_page_with_one_button_and_changes_nothing(signer, client, confirmed, letter):
    before = public(client, letter)
    for method in ("get", "head"):
        response = getattr(signer.client, method)(signer.erase_link("ada@example.org"))
        assert response.status_code == 200
    page = signer.get(signer.erase_link("ada@example.org")).content.decode()
    assert '<form method="post">' in page and "csrfmiddlewaretoken" in page
    assert public(client, letter) == before
    assert not Erasure.objects.exists()


def test_erasing_a_counted_signature_takes_it_out_of_the_counts_and_keeps_no_data(signer, client, confirmed, letter):
    before = public(client, letter)
    assert before == {
        "confirmed": 2,
        "artists": {"claimed": 1, "verified": 1, "disputed": 0},
        "names": ["Bo Plain", "Ada Lovelace"],
    }

    response = signer.post(signer.erase_link("ada@example.org"))

    assert response.status_code == 200
    assert public(client, letter) == {
        "confirmed": 1,
        "artists": {"claimed": 0, "verified": 0, "disputed": 0},
        "names": ["Bo Plain"],
    }
    assert counters.recount(letter) == []
    confirmed.refresh_from_db()
    assert confirmed.status == "withdrawn" and confirmed.anonymised_at is not None
    assert (confirmed.full_name, confirmed.email, confirmed.comment) == ("", "", "")
    assert not Signature.objects.filter(email__icontains="ada").exists()
    [record] = Erasure.objects.all()
    assert (record.petition, record.kind, record.rows) == (letter, Erasure.Kind.SIGNER_REQUEST, 1)
    assert "Ada" not in str(record) and "ada@" not in str(record)


def test_erasing_an_unconfirmed_signature_kills_its_confirm_link(signer, client, letter):
    signer.sign(letter)
    confirm = signer.confirm_link("ada@example.org")
    assert signer.post(signer.erase_link("ada@example.org")).status_code == 200

    assert signer.post(confirm).status_code == 400
    assert public(client, letter)["confirmed"] == 0
    assert Signature.objects.get().anonymised_at is not None


def test_an_erase_link_used_twice_is_refused_and_changes_nothing_more(signer, client, confirmed, letter):
    link = signer.erase_link("ada@example.org")
    signer.post(link)
    after = public(client, letter)

    for method in ("get", "post"):
        response = getattr(signer, method)(link)
        assert response.status_code == 400
        assert "Nothing was changed" in response.content.decode()
    assert public(client, letter) == after
    assert Erasure.objects.count() == 1


def _tampered(link: str) -> str:
    token = link.split("/")[-2]
    return link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))


BAD_LINKS = {
    "tampered": lambda s: _tampered(s.erase_link("ada@example.org")),
    "withdraw token": lambda s: s.withdraw_link("ada@example.org").replace("/withdraw/", "/erase/"),
    "confirm token": lambda s: s.confirm_link("ada@example.org").replace("/confirm/", "/erase/"),
    "random": lambda s: "/signatures/erase/not-a-token-at-all/",
    "empty-ish": lambda s: "/signatures/erase/%20/",
    "oversized": lambda s: "/signatures/erase/" + "A" * 5000 + "/",
    "hostile": lambda s: "/signatures/erase/%3Cscript%3Ealert(1)%3Cscript%3E/",
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("kind", BAD_LINKS)
def test_a_bad_erase_link_is_refused_and_changes_nothing(signer, client, confirmed, letter, kind, method):
    before = public(client, letter)
    response = getattr(signer, method)(BAD_LINKS[kind](signer))
    assert response.status_code == 400
    assert "<script>alert" not in response.content.decode()
    assert public(client, letter) == before
    assert not Erasure.objects.exists()


@pytest.mark.parametrize("method", ["get", "post"])
def test_an_expired_erase_link_changes_nothing(signer, client, confirmed, letter, method):
    link = signer.erase_link("ada@example.org")
    before = public(client, letter)
    with override_settings(SIGNATURE_ERASE_MAX_AGE=-1):
        assert getattr(signer, method)(link).status_code == 400
    assert public(client, letter) == before


def test_an_erase_link_from_before_a_re_sign_is_refused(signer, client, letter):
    signer.sign(letter)
    old = signer.erase_link("ada@example.org")
    signer.sign(letter, full_name="Ada King")
    assert signer.post(old).status_code == 400
    assert Signature.objects.get().full_name == "Ada King"


def test_erasing_without_a_csrf_token_is_forbidden(signer, client, confirmed, letter):
    before = public(client, letter)
    assert Client(enforce_csrf_checks=True).post(signer.erase_link("ada@example.org")).status_code == 403
    assert public(client, letter) == before


def test_the_tally_of_an_erased_claim_matches_a_recount(signer, confirmed, letter, artists):
    signer.post(signer.erase_link("ada@example.org"))
    tally = AffiliationTally.objects.get(petition=letter, affiliation=artists)
    assert (tally.claimed, tally.verified) == (0, 0)
    assert counters.recount(letter) == []
