"""Decisions that ask first: "Reject as spam" shows what will change and can be undone; bulk decisions say how
many signatures they will change before they run."""

import pytest

from signatures.models import Signature
from tests.support.factories import make_signature

pytestmark = pytest.mark.django_db

S, V = Signature.Status, Signature.Verification
CHANGELIST = "/admin/signatures/signature/"
QUEUE = "/admin/signatures/claimreview/"


def decide_url(signature: Signature) -> str:
    return f"/admin/signatures/signature/{signature.pk}/decide/"


def confirmed_count(client, petition) -> int:
    return client.get(f"/api/petitions/{petition.slug}/").json()["counts"]["confirmed"]


def test_reject_as_spam_first_shows_what_will_change_and_changes_nothing(client, moderator, review_claim, letter_a):
    client.force_login(moderator)
    page = client.post(decide_url(review_claim), {"decision": "spam"})
    html = page.content.decode()
    assert page.status_code == 200
    assert "Reject this signature as spam?" in html
    assert "Ana Nunez" in html
    assert "confirmed signatures on “Letter A about artists”: 1 → 0" in html
    assert "claiming Sora alpha artists: 1 → 0" in html
    assert "Reinstate" in html
    review_claim.refresh_from_db()
    assert review_claim.status == S.CONFIRMED
    assert confirmed_count(client, letter_a) == 1


def test_confirming_reject_as_spam_rejects_it_returns_to_the_queue_and_offers_the_undo(
    client, moderator, review_claim, letter_a
):
    client.force_login(moderator)
    response = client.post(
        decide_url(review_claim),
        {"decision": "spam", "confirmed": "yes", "next": QUEUE, f"note-{review_claim.pk}": "bot wave"},
    )
    assert response["Location"] == QUEUE
    review_claim.refresh_from_db()
    assert review_claim.status == S.REJECTED
    assert confirmed_count(client, letter_a) == 0
    messages = client.get(QUEUE).content.decode()
    assert "Rejected as spam 1 signature." in messages
    assert f'href="/admin/signatures/signature/{review_claim.pk}/change/">Reinstate Ana Nunez' in messages
    assert review_claim.evidence_trail.filter(detail="signature rejected as spam: bot wave").exists()


def test_a_hostile_next_address_is_not_followed(client, moderator, review_claim):
    client.force_login(moderator)
    response = client.post(
        decide_url(review_claim), {"decision": "spam", "confirmed": "yes", "next": "https://evil.example/"}
    )
    assert "evil.example" not in response["Location"]


def test_the_reinstate_button_undoes_a_spam_rejection_and_the_history_says_who(
    client, moderator, review_claim, letter_a
):
    client.force_login(moderator)
    client.post(decide_url(review_claim), {"decision": "spam", "confirmed": "yes"})
    page = client.get(f"/admin/signatures/signature/{review_claim.pk}/change/").content.decode()
    assert 'value="reinstate"' in page and 'value="spam"' not in page

    client.post(decide_url(review_claim), {"decision": "reinstate"})
    review_claim.refresh_from_db()
    assert (review_claim.status, review_claim.verification) == (S.CONFIRMED, V.NEEDS_REVIEW)
    assert confirmed_count(client, letter_a) == 1
    history = client.get(f"/admin/signatures/signature/{review_claim.pk}/history/").content.decode()
    assert "Reinstated the signature" in history and "Rejected the signature as spam." in history
    assert "mod-a@example.org" in history


def test_reinstating_a_signature_that_was_not_rejected_changes_nothing(client, moderator, review_claim, letter_a):
    client.force_login(moderator)
    response = client.post(decide_url(review_claim), {"decision": "reinstate"}, follow=True)
    assert "Left 1 signature unchanged (not rejected)." in response.content.decode()
    assert not review_claim.evidence_trail.filter(decided_by=moderator).exists()
    assert confirmed_count(client, letter_a) == 1


def test_a_bulk_decision_first_says_how_many_of_the_selection_it_will_change(
    client, moderator, review_claim, letter_a, artists
):
    plain = make_signature(letter_a, full_name="No Claim Person")
    client.force_login(moderator)
    page = client.post(CHANGELIST, {"action": "reject_claims", "_selected_action": [review_claim.pk, plain.pk]})
    html = page.content.decode()
    assert "This will change 1 of the 2 selected signatures." in html
    assert "Ana Nunez" in html and "No Claim Person" not in html
    review_claim.refresh_from_db()
    assert review_claim.verification == V.NEEDS_REVIEW

    # Its button posts the same selection back, confirmed: then the decision runs.
    done = client.post(
        CHANGELIST,
        {"action": "reject_claims", "_selected_action": [review_claim.pk, plain.pk], "confirmed": "yes"},
        follow=True,
    )
    assert "Rejected 1 claim." in done.content.decode()
    review_claim.refresh_from_db()
    assert review_claim.verification == V.REJECTED


def test_a_large_bulk_selection_is_counted_in_full_and_listed_truncated(client, moderator, letter_a):
    many = [make_signature(letter_a, full_name=f"Spammer {n:02d}") for n in range(25)]
    client.force_login(moderator)
    html = client.post(
        CHANGELIST, {"action": "reject_as_spam", "_selected_action": [s.pk for s in many]}
    ).content.decode()
    assert "This will change 25 of the 25 selected signatures." in html
    assert "… and 5 more." in html
    assert html.count("Spammer ") == 20
    assert confirmed_count(client, letter_a) == 25


def test_the_counted_changes_are_the_ones_that_happen(client, moderator, letter_a):
    kept = [make_signature(letter_a) for _ in range(3)]
    rejected = [make_signature(letter_a) for _ in range(2)]
    client.force_login(moderator)
    everyone = [s.pk for s in kept + rejected]
    client.post(
        CHANGELIST, {"action": "reject_as_spam", "_selected_action": [s.pk for s in rejected], "confirmed": "yes"}
    )
    html = client.post(CHANGELIST, {"action": "reinstate_signatures", "_selected_action": everyone}).content.decode()
    assert "This will change 2 of the 5 selected signatures." in html
    done = client.post(
        CHANGELIST, {"action": "reinstate_signatures", "_selected_action": everyone, "confirmed": "yes"}, follow=True
    ).content.decode()
    assert "Reinstated 2 signatures." in done
    assert confirmed_count(client, letter_a) == 5


def test_a_forged_bulk_post_for_another_teams_signatures_changes_nothing(client, moderator, letter_b):
    theirs = make_signature(letter_b, full_name="Bob Writer")
    client.force_login(moderator)
    page = client.post(CHANGELIST, {"action": "reject_as_spam", "_selected_action": [theirs.pk]}).content.decode()
    assert "Bob Writer" not in page
    client.post(CHANGELIST, {"action": "reject_as_spam", "_selected_action": [theirs.pk], "confirmed": "yes"})
    client.post(QUEUE, {"action": "reject_as_spam", "_selected_action": [theirs.pk], "confirmed": "yes"})
    theirs.refresh_from_db()
    assert theirs.status == S.CONFIRMED
    assert not theirs.evidence_trail.exists()


def test_a_malformed_bulk_selection_is_refused_without_changes(client, moderator, review_claim):
    client.force_login(moderator)
    response = client.post(
        CHANGELIST, {"action": "reject_as_spam", "_selected_action": ["'; drop table x; --"], "confirmed": "yes"}
    )
    assert response.status_code in (200, 302, 400)
    review_claim.refresh_from_db()
    assert review_claim.status == S.CONFIRMED
