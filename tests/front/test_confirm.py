import threading

import pytest
from django.core import signing
from django.db import connection
from django.test import Client, override_settings

from signatures import services
from signatures.models import AffiliationTally, Signature
from tests.support.factories import make_roster_entry

pytestmark = pytest.mark.django_db


def counts(letter, artists) -> tuple[int, int, int]:
    letter.refresh_from_db()
    tally = AffiliationTally.objects.filter(petition=letter, affiliation=artists).first()
    return letter.signature_count, tally.claimed if tally else 0, tally.verified if tally else 0


def test_following_the_link_confirms_and_counts_once(signer, letter, artists):
    signer.sign(letter, affiliation=artists.slug)
    response = signer.post(signer.confirm_link("ada@example.org"))
    assert response.status_code == 200
    assert "your signature is confirmed" in response.content.decode()
    signature = Signature.objects.get()
    assert signature.status == "confirmed"
    assert signature.confirmed_at is not None
    assert counts(letter, artists) == (1, 1, 0)


def test_second_click_changes_nothing(signer, letter, artists):
    signer.sign(letter, affiliation=artists.slug)
    link = signer.confirm_link("ada@example.org")
    signer.post(link)
    confirmed_at = Signature.objects.get().confirmed_at
    response = signer.post(link)
    assert response.status_code == 200
    assert Signature.objects.get().confirmed_at == confirmed_at
    assert counts(letter, artists) == (1, 1, 0)


def test_claim_is_pending_until_the_check_runs_then_has_a_verdict(
    signer, client, letter, artists, django_capture_on_commit_callbacks
):
    make_roster_entry(artists, "Ada Lovelace", "ada@example.org")
    signer.sign(letter, affiliation=artists.slug)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        client.post(signer.confirm_link("ada@example.org"))
    assert Signature.objects.get().verification == "pending"
    for task in queued:
        task()
    signature = Signature.objects.select_related("evidence").get()
    assert signature.verification == "verified"
    assert signature.evidence.method == "email"
    assert counts(letter, artists) == (1, 1, 1)


def test_claim_without_roster_match_ends_unverified(signer, letter, artists):
    signer.sign(letter, affiliation=artists.slug)
    signer.post(signer.confirm_link("ada@example.org"))
    assert Signature.objects.get().verification == "unverified"
    assert counts(letter, artists) == (1, 1, 0)


def test_signature_without_a_claim_needs_no_check(signer, letter, artists):
    signer.sign(letter)
    signer.post(signer.confirm_link("ada@example.org"))
    assert Signature.objects.get().verification == "none"
    assert counts(letter, artists) == (1, 0, 0)


def _tampered(link: str) -> str:
    token = link.split("/")[-2]
    forged = token[:-1] + ("A" if token[-1] != "A" else "B")
    return link.replace(token, forged)


def _forged_payload(link: str) -> str:
    """Another signature's id under the original signature (the id part of a signed value swapped)."""
    token = link.split("/")[-2]
    other = signing.dumps([999, "x" * 24], salt="signatures.confirm", compress=False)
    return link.replace(token, other.split(":")[0] + ":" + ":".join(token.split(":")[1:]))


BAD_LINKS = {
    "tampered": lambda s: _tampered(s.confirm_link("ada@example.org")),
    "payload swapped": lambda s: _forged_payload(s.confirm_link("ada@example.org")),
    "withdraw token": lambda s: s.withdraw_link("ada@example.org").replace("/withdraw/", "/confirm/"),
    "random": lambda s: "/signatures/confirm/not-a-token-at-all/",
    "unsigned id": lambda s: "/signatures/confirm/1/",
}


@pytest.mark.parametrize("kind", BAD_LINKS)
def test_bad_confirm_link_changes_nothing(signer, letter, artists, kind):
    signer.sign(letter, affiliation=artists.slug)
    response = signer.post(BAD_LINKS[kind](signer))
    assert response.status_code == 400
    assert "not valid or has expired" in response.content.decode()
    assert Signature.objects.get().status == "unconfirmed"
    assert counts(letter, artists) == (0, 0, 0)


def test_expired_confirm_link_changes_nothing(signer, letter, artists):
    signer.sign(letter, affiliation=artists.slug)
    link = signer.confirm_link("ada@example.org")
    with override_settings(SIGNATURE_CONFIRM_MAX_AGE=-1):
        response = signer.post(link)
    assert response.status_code == 400
    assert Signature.objects.get().status == "unconfirmed"
    assert counts(letter, artists) == (0, 0, 0)


def test_link_of_a_rejected_signature_does_nothing(signer, letter, artists):
    signer.sign(letter, affiliation=artists.slug)
    services.reject(Signature.objects.get())
    assert signer.post(signer.confirm_link("ada@example.org")).status_code == 400
    assert Signature.objects.get().status == "rejected"
    assert counts(letter, artists) == (0, 0, 0)


@pytest.mark.parametrize("method", ["put", "delete", "patch"])
def test_confirm_link_answers_only_get_head_and_post(signer, letter, method):
    signer.sign(letter)
    assert getattr(signer.client, method)(signer.confirm_link("ada@example.org")).status_code == 405
    assert Signature.objects.get().status == "unconfirmed"


def test_old_confirm_link_does_not_undo_a_withdrawal(signer, letter, artists):
    signer.sign(letter, affiliation=artists.slug)
    confirm = signer.confirm_link("ada@example.org")
    signer.post(confirm)
    signer.post(signer.withdraw_link("ada@example.org"))
    assert signer.post(confirm).status_code == 400
    assert Signature.objects.get().status == "withdrawn"
    assert counts(letter, artists) == (0, 0, 0)


def test_signing_again_after_withdrawing_sends_a_link_that_restores_the_signature(signer, letter, artists):
    signer.sign(letter, affiliation=artists.slug)
    signer.post(signer.confirm_link("ada@example.org"))
    signer.post(signer.withdraw_link("ada@example.org"))
    signer.sign(letter, affiliation=artists.slug, comment="Back again")
    assert signer.post(signer.confirm_link("ada@example.org")).status_code == 200
    signature = Signature.objects.get()
    assert (signature.status, signature.comment, signature.withdrawn_at) == ("confirmed", "Back again", None)
    assert counts(letter, artists) == (1, 1, 0)


def test_signing_again_before_confirming_takes_the_newest_details(signer, letter, artists):
    signer.sign(letter, full_name="Mallory Impostor", comment="Something Ada never said")
    first_link = signer.confirm_link("ada@example.org")
    signer.sign(letter, full_name="Ada Lovelace", affiliation=artists.slug)
    assert signer.post(first_link).status_code == 400
    assert signer.post(signer.confirm_link("ada@example.org")).status_code == 200
    signature = Signature.objects.get()
    assert (signature.full_name, signature.comment, signature.affiliation) == ("Ada Lovelace", "", artists)
    assert counts(letter, artists) == (1, 1, 0)


def test_confirm_page_shows_no_email_address_and_offers_withdrawal(signer, letter):
    signer.sign(letter)
    page = signer.post(signer.confirm_link("ada@example.org")).content.decode()
    assert "ada@example.org" not in page
    assert "/signatures/withdraw/" in page


def test_pages_behind_emailed_links_are_not_cached(signer, letter):
    signer.sign(letter)
    for path in (signer.confirm_link("ada@example.org"), signer.withdraw_link("ada@example.org")):
        assert "no-store" in signer.get(path)["Cache-Control"]


@pytest.mark.django_db(transaction=True)
def test_concurrent_clicks_on_one_link_count_once(signer, letter, artists):
    signer.sign(letter, affiliation=artists.slug)
    link = signer.confirm_link("ada@example.org")
    statuses, barrier = [], threading.Barrier(5, timeout=30)

    def click():
        try:
            client = Client()
            barrier.wait()
            statuses.append(client.post(link).status_code)
        finally:
            connection.close()

    clicks = [threading.Thread(target=click) for _ in range(5)]
    for thread in clicks:
        thread.start()
    for thread in clicks:
        thread.join()
    assert statuses == [200] * 5
    assert counts(letter, artists) == (1, 1, 0)


@pytest.mark.parametrize("method", ["get", "head"])
@pytest.mark.parametrize("prefetch", [{}, {"HTTP_PURPOSE": "prefetch"}, {"HTTP_SEC_PURPOSE": "prefetch"}])
def test_opening_the_link_as_a_mail_scanner_would_confirms_nothing(signer, letter, artists, method, prefetch):
    signer.sign(letter, affiliation=artists.slug)
    link = signer.confirm_link("ada@example.org")
    with signer._capture(execute=True) as queued:
        response = getattr(signer.client, method)(link, **prefetch)
    assert response.status_code == 200
    assert Signature.objects.get().status == "unconfirmed"
    assert counts(letter, artists) == (0, 0, 0)
    assert queued == []


def test_the_confirm_page_shows_what_the_button_will_publish(signer, letter, artists):
    signer.sign(letter, affiliation=artists.slug, full_name="Ada King")
    page = signer.get(signer.confirm_link("ada@example.org")).content.decode()
    assert "Confirm my signature" in page and "Ada King" in page and artists.name in page
    assert "ada@example.org" not in page
