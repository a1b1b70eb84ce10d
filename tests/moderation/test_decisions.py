"""A moderator's decisions on claims and signatures: what changes, what is counted, and what is recorded."""

import pytest
from django.contrib.admin.models import LogEntry
from django.contrib.contenttypes.models import ContentType

from signatures.models import AffiliationTally, Signature
from tests.support.factories import make_roster_entry, make_signature
from verification.models import Evidence

pytestmark = pytest.mark.django_db

V = Signature.Verification
CHANGELIST = "/admin/signatures/signature/"


def tally(signature: Signature) -> tuple[int, int]:
    counted = AffiliationTally.objects.get(petition=signature.petition_id, affiliation=signature.affiliation_id)
    return counted.claimed, counted.verified


def public_counts(client, petition) -> dict:
    return client.get(f"/api/petitions/{petition.slug}/").json()["counts"]


REASON = "Known to the programme's coordinator"


def history(signature: Signature) -> list[LogEntry]:
    signature_type = ContentType.objects.get_for_model(Signature)
    return list(LogEntry.objects.filter(content_type=signature_type, object_id=str(signature.pk)))


def test_approving_a_claim_verifies_it_counts_it_and_records_who_decided(client, moderator, review_claim, letter_a):
    assert tally(review_claim) == (1, 0)
    client.force_login(moderator)
    response = client.post(
        CHANGELIST,
        {"action": "approve_claims", "confirmed": "yes", "_selected_action": [review_claim.pk], "reason": REASON},
        follow=True,
    )
    assert "Approved 1 claim." in response.content.decode()

    review_claim.refresh_from_db()
    assert review_claim.verification == V.VERIFIED
    assert review_claim.verified_at is not None
    assert tally(review_claim) == (1, 1)
    counts = public_counts(client, letter_a)["by_affiliation"]["sora-alpha-artist"]
    assert counts == {"claimed": 1, "verified": 1, "disputed": 0}
    evidence = review_claim.evidence
    assert (evidence.method, evidence.verdict, evidence.decided_by, evidence.roster_name) == (
        Evidence.Method.MODERATOR,
        V.VERIFIED,
        moderator,
        "Ana Núñez",
    )
    [entry] = history(review_claim)
    assert entry.user == moderator
    assert "Approved the claim to Sora alpha artists" in entry.get_change_message()
    page = client.get(f"/admin/signatures/signature/{review_claim.pk}/history/").content.decode()
    assert "Approved the claim" in page and "mod-a@example.org" in page


def test_rejecting_a_claim_keeps_the_signature_counted_but_not_verified(client, moderator, review_claim, letter_a):
    client.force_login(moderator)
    client.post(
        CHANGELIST,
        {"action": "approve_claims", "confirmed": "yes", "_selected_action": [review_claim.pk], "reason": REASON},
    )
    client.post(CHANGELIST, {"action": "reject_claims", "confirmed": "yes", "_selected_action": [review_claim.pk]})

    review_claim.refresh_from_db()
    assert review_claim.verification == V.REJECTED
    assert review_claim.verified_at is None
    assert tally(review_claim) == (1, 0)
    assert public_counts(client, letter_a)["confirmed"] == 1
    trail = list(review_claim.evidence_trail.values_list("verdict", "decided_by"))
    assert trail[:2] == [(V.REJECTED, moderator.pk), (V.VERIFIED, moderator.pk)]
    assert [e.get_change_message() for e in history(review_claim)] == [
        "Rejected the claim to Sora alpha artists.",
        f"Approved the claim to Sora alpha artists as roster entry “Ana Núñez”. Reason: {REASON}",
    ]


def test_rejecting_a_signature_as_spam_removes_it_from_every_count(client, moderator, review_claim, letter_a):
    client.force_login(moderator)
    response = client.post(
        CHANGELIST, {"action": "reject_as_spam", "confirmed": "yes", "_selected_action": [review_claim.pk]}, follow=True
    )
    assert "Rejected as spam 1 signature." in response.content.decode()
    review_claim.refresh_from_db()
    assert review_claim.status == Signature.Status.REJECTED
    assert public_counts(client, letter_a) == {
        "confirmed": 0,
        "by_affiliation": {"sora-alpha-artist": {"claimed": 0, "verified": 0, "disputed": 0}},
    }
    assert history(review_claim)[0].get_change_message() == "Rejected the signature as spam."


def test_deciding_twice_the_same_way_changes_nothing_more(client, moderator, review_claim):
    client.force_login(moderator)
    client.post(
        CHANGELIST,
        {"action": "approve_claims", "confirmed": "yes", "_selected_action": [review_claim.pk], "reason": REASON},
    )
    response = client.post(
        CHANGELIST,
        {"action": "approve_claims", "confirmed": "yes", "_selected_action": [review_claim.pk], "reason": REASON},
        follow=True,
    )
    assert "Left 1 claim unchanged" in response.content.decode()
    assert review_claim.evidence_trail.filter(decided_by=moderator).count() == 1
    assert len(history(review_claim)) == 1
    assert tally(review_claim) == (1, 1)


def test_signature_without_a_claim_is_left_alone_by_claim_decisions(client, moderator, letter_a):
    plain = make_signature(letter_a, full_name="No Claim")
    client.force_login(moderator)
    response = client.post(
        CHANGELIST, {"action": "approve_claims", "confirmed": "yes", "_selected_action": [plain.pk]}, follow=True
    )
    assert "Left 1 claim unchanged" in response.content.decode()
    plain.refresh_from_db()
    assert plain.verification == V.NONE
    assert history(plain) == []


def test_recheck_verifies_a_claim_once_the_roster_knows_the_signer(client, moderator, letter_a, artists, settled):
    with settled():
        signature = make_signature(letter_a, full_name="Late Member", email="late@studio.example", affiliation=artists)
    signature.refresh_from_db()
    assert signature.verification == V.UNVERIFIED
    make_roster_entry(artists, "Late Member", "late@studio.example")
    client.force_login(moderator)
    with settled():
        response = client.post(CHANGELIST, {"action": "recheck_claims", "_selected_action": [signature.pk]})
    assert response.status_code == 302
    signature.refresh_from_db()
    assert signature.verification == V.VERIFIED
    assert signature.evidence.method == Evidence.Method.EMAIL
    assert signature.evidence.decided_by is None
    assert tally(signature) == (1, 1)


def test_recheck_never_overrides_a_moderators_decision(client, moderator, review_claim, settled):
    client.force_login(moderator)
    client.post(CHANGELIST, {"action": "reject_claims", "confirmed": "yes", "_selected_action": [review_claim.pk]})
    with settled():
        response = client.post(
            CHANGELIST, {"action": "recheck_claims", "_selected_action": [review_claim.pk]}, follow=True
        )
    assert "Nothing to re-check" in response.content.decode()
    review_claim.refresh_from_db()
    assert review_claim.verification == V.REJECTED


def test_signature_page_shows_what_the_signer_typed_read_only_and_the_evidence_trail(client, moderator, review_claim):
    client.force_login(moderator)
    client.post(f"/admin/signatures/signature/{review_claim.pk}/decide/", {"decision": "reject"})
    page = client.get(f"/admin/signatures/signature/{review_claim.pk}/change/")
    html = page.content.decode()
    assert page.status_code == 200
    for typed in ("Ana Nunez", "ana.nunez@mail.example", "Concept artist", "Studio Kite"):
        assert typed in html
    assert 'name="full_name"' not in html and 'name="email"' not in html
    assert 'name="_save"' not in html
    # The trail: the worker's name match, then the moderator's rejection.
    assert "Name matches roster" in html
    assert "moderator mod-a@example.org" in html
    assert "Moderator decision" in html


def test_decision_from_the_signature_page_returns_to_it_with_a_message(client, moderator, review_claim):
    client.force_login(moderator)
    page_url = f"/admin/signatures/signature/{review_claim.pk}/change/"
    response = client.post(
        f"/admin/signatures/signature/{review_claim.pk}/decide/",
        {"decision": "approve", f"note-{review_claim.pk}": REASON},
        HTTP_REFERER=f"http://testserver{page_url}",
    )
    assert response["Location"] == f"http://testserver{page_url}"
    assert "Approved 1 claim." in client.get(page_url).content.decode()


def test_decide_view_needs_a_post_with_a_csrf_token(moderator, review_claim):
    from django.test import Client

    strict = Client(enforce_csrf_checks=True)
    strict.force_login(moderator)
    url = f"/admin/signatures/signature/{review_claim.pk}/decide/"
    assert strict.get(url).status_code == 405
    assert strict.post(url, {"decision": "approve"}).status_code == 403
    review_claim.refresh_from_db()
    assert review_claim.verification == V.NEEDS_REVIEW


def test_nobody_adds_or_deletes_signatures_in_the_panel(client, superuser, review_claim):
    client.force_login(superuser)
    assert client.get("/admin/signatures/signature/add/").status_code == 403
    assert client.get(f"/admin/signatures/signature/{review_claim.pk}/delete/").status_code == 403
    assert Signature.objects.filter(pk=review_claim.pk).exists()
