import pytest
from django.test import Client, override_settings

from signatures import services
from signatures.models import AffiliationTally, Signature
from tests.support.factories import make_roster_entry

pytestmark = pytest.mark.django_db


@pytest.fixture
def confirmed(signer, letter, artists):
    """Ada signed claiming the artists' affiliation, is on their roster, and confirmed."""
    make_roster_entry(artists, "Ada Lovelace", "ada@example.org")
    signer.sign(letter, affiliation=artists.slug)
    signer.post(signer.confirm_link("ada@example.org"))
    signature = Signature.objects.get()
    assert (signature.status, signature.verification) == ("confirmed", "verified")
    return signature


def counts(letter, artists) -> tuple[int, int, int]:
    letter.refresh_from_db()
    tally = AffiliationTally.objects.get(petition=letter, affiliation=artists)
    return letter.signature_count, tally.claimed, tally.verified


def test_withdraw_link_shows_a_csrf_protected_form_and_changes_nothing(signer, confirmed, letter, artists):
    response = signer.get(signer.withdraw_link("ada@example.org"))
    assert response.status_code == 200
    page = response.content.decode()
    assert '<form method="post">' in page
    assert "csrfmiddlewaretoken" in page
    assert Signature.objects.get().status == "confirmed"
    assert counts(letter, artists) == (1, 1, 1)


def test_withdrawing_takes_the_signature_out_of_counts_and_lists(signer, client, confirmed, letter, artists):
    response = signer.post(signer.withdraw_link("ada@example.org"))
    assert response.status_code == 200
    assert "Your signature is withdrawn" in response.content.decode()
    signature = Signature.objects.get()
    assert (signature.status, signature.withdrawn_at is not None) == ("withdrawn", True)
    assert counts(letter, artists) == (0, 0, 0)
    assert "Ada Lovelace" not in client.get(letter.get_absolute_url()).content.decode()
    assert "Ada Lovelace" not in client.get(f"/petitions/{letter.slug}/signatures/").content.decode()
    assert client.get(f"/api/petitions/{letter.slug}/signatures/").json()["results"] == []
    assert client.get(f"/api/petitions/{letter.slug}/").json()["counts"]["confirmed"] == 0


def test_withdrawing_twice_changes_nothing_more(signer, confirmed, letter, artists):
    link = signer.withdraw_link("ada@example.org")
    signer.post(link)
    withdrawn_at = Signature.objects.get().withdrawn_at
    assert signer.post(link).status_code == 200
    assert Signature.objects.get().withdrawn_at == withdrawn_at
    assert counts(letter, artists) == (0, 0, 0)
    assert "already withdrawn" in signer.get(link).content.decode()


def test_unconfirmed_signature_can_be_withdrawn_and_its_link_then_fails(signer, letter):
    signer.sign(letter)
    signer.post(signer.withdraw_link("ada@example.org"))
    assert Signature.objects.get().status == "withdrawn"
    assert signer.post(signer.confirm_link("ada@example.org")).status_code == 400
    assert Signature.objects.get().status == "withdrawn"


def test_withdrawing_without_a_csrf_token_is_forbidden(signer, confirmed, letter, artists):
    link = signer.withdraw_link("ada@example.org")
    assert Client(enforce_csrf_checks=True).post(link).status_code == 403
    assert Signature.objects.get().status == "confirmed"
    assert counts(letter, artists) == (1, 1, 1)


def _tampered(link: str) -> str:
    token = link.split("/")[-2]
    return link.replace(token, token[:-1] + ("A" if token[-1] != "A" else "B"))


BAD_LINKS = {
    "tampered": lambda s: _tampered(s.withdraw_link("ada@example.org")),
    "confirm token": lambda s: s.confirm_link("ada@example.org").replace("/confirm/", "/withdraw/"),
    "random": lambda s: "/signatures/withdraw/not-a-token-at-all/",
}


@pytest.mark.parametrize("method", ["get", "post"])
@pytest.mark.parametrize("kind", BAD_LINKS)
def test_bad_withdraw_link_changes_nothing(signer, confirmed, letter, artists, kind, method):
    response = getattr(signer, method)(BAD_LINKS[kind](signer))
    assert response.status_code == 400
    assert "not valid or has expired" in response.content.decode()
    assert Signature.objects.get().status == "confirmed"
    assert counts(letter, artists) == (1, 1, 1)


@pytest.mark.parametrize("method", ["get", "post"])
def test_expired_withdraw_link_changes_nothing(signer, confirmed, letter, artists, method):
    link = signer.withdraw_link("ada@example.org")
    with override_settings(SIGNATURE_WITHDRAW_MAX_AGE=-1):
        assert getattr(signer, method)(link).status_code == 400
    assert Signature.objects.get().status == "confirmed"
    assert counts(letter, artists) == (1, 1, 1)


def test_withdraw_link_of_a_rejected_signature_does_nothing(signer, confirmed, letter, artists):
    services.reject(confirmed)
    link = signer.withdraw_link("ada@example.org")
    assert signer.get(link).status_code == 400
    assert signer.post(link).status_code == 400
    assert Signature.objects.get().status == "rejected"
    assert counts(letter, artists) == (0, 0, 0)


def test_a_withdraw_link_dies_when_its_signature_is_signed_again(signer, confirmed, letter, artists):
    old_link = signer.withdraw_link("ada@example.org")
    signer.post(old_link)
    signer.sign(letter, affiliation=artists.slug)  # the same details, signed again
    signer.post(signer.confirm_link("ada@example.org"))
    assert counts(letter, artists) == (1, 1, 1)

    assert signer.get(old_link).status_code == 400
    assert signer.post(old_link).status_code == 400
    assert Signature.objects.get().status == "confirmed"
    assert counts(letter, artists) == (1, 1, 1)
    assert signer.post(signer.withdraw_link("ada@example.org")).status_code == 200
    assert counts(letter, artists) == (0, 0, 0)


def test_a_withdraw_link_dies_when_the_unconfirmed_details_are_changed(signer, letter):
    signer.sign(letter)
    old_link = signer.withdraw_link("ada@example.org")
    signer.sign(letter, full_name="Ada King")
    assert signer.post(old_link).status_code == 400
    assert Signature.objects.get().status == "unconfirmed"


def test_a_withdraw_link_from_before_the_fingerprint_is_refused(signer, confirmed, letter, artists):
    from signatures import tokens

    legacy = f"/signatures/withdraw/{tokens.make_token(confirmed.pk, tokens.WITHDRAW)}/"
    assert signer.post(legacy).status_code == 400
    assert counts(letter, artists) == (1, 1, 1)
