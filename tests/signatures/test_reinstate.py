"""Undoing a rejection: `Signature.reinstate` through the service, the claims' evidence and `decide`."""

import pytest
from django.core.exceptions import ValidationError

from moderation.decisions import Decision, decide
from signatures import services
from signatures.models import AffiliationTally, Signature
from tests.support.factories import make_moderator, make_petition, make_signature

pytestmark = pytest.mark.django_db

S, V = Signature.Status, Signature.Verification


def counted(petition, affiliation) -> tuple[int, int, int]:
    petition.refresh_from_db()
    tally = AffiliationTally.objects.get(petition=petition, affiliation=affiliation)
    return petition.signature_count, tally.claimed, tally.verified


@pytest.fixture
def moderator(letter):
    return make_moderator("mod@example.org", [letter])


def test_reinstating_a_signature_rejected_as_spam_counts_it_again_with_its_claim(letter, artists, moderator, settled):
    with settled():
        signature = make_signature(letter, affiliation=artists, full_name="Ana Nunez")
    signature.refresh_from_db()
    before = counted(letter, artists)
    assert before[0] == 1

    assert decide(signature, Decision.SPAM, moderator, note="looked like a bot") is True
    assert counted(letter, artists) == (0, 0, 0)

    assert decide(signature, Decision.REINSTATE, moderator, note="a real member after all") is True
    signature.refresh_from_db()
    assert signature.status == S.CONFIRMED
    assert counted(letter, artists) == before
    trail = list(signature.evidence_trail.values_list("detail", "decided_by"))
    assert trail[:2] == [
        ("signature reinstated: a real member after all", moderator.pk),
        ("signature rejected as spam: looked like a bot", moderator.pk),
    ]


def test_reinstating_restores_public_counts(client, letter, artists, moderator):
    signature = make_signature(letter, full_name="Plain Signer")
    decide(signature, Decision.SPAM, moderator)
    assert client.get(f"/api/petitions/{letter.slug}/").json()["counts"]["confirmed"] == 0
    decide(signature, Decision.REINSTATE, moderator)
    assert client.get(f"/api/petitions/{letter.slug}/").json()["counts"]["confirmed"] == 1


def test_a_verified_claim_comes_back_verified(letter, artists, moderator):
    signature = make_signature(letter, affiliation=artists)
    decide(signature, Decision.APPROVE, moderator, note="known to the coordinator")
    assert counted(letter, artists) == (1, 1, 1)
    decide(signature, Decision.SPAM, moderator)
    assert counted(letter, artists) == (0, 0, 0)
    decide(signature, Decision.REINSTATE, moderator)
    signature.refresh_from_db()
    assert (signature.status, signature.verification) == (S.CONFIRMED, V.VERIFIED)
    assert counted(letter, artists) == (1, 1, 1)


def test_reinstating_twice_changes_nothing_more(letter, moderator):
    signature = make_signature(letter)
    decide(signature, Decision.SPAM, moderator)
    assert decide(signature, Decision.REINSTATE, moderator) is True
    assert decide(signature, Decision.REINSTATE, moderator) is False
    letter.refresh_from_db()
    assert letter.signature_count == 1
    assert signature.evidence_trail.count() == 2


def test_a_signature_never_rejected_cannot_be_reinstated(letter, moderator):
    unconfirmed = make_signature(letter, confirmed=False)
    with pytest.raises(ValidationError):
        decide(unconfirmed, Decision.REINSTATE, moderator)
    withdrawn = services.withdraw(make_signature(letter).pk)
    with pytest.raises(ValidationError):
        services.reinstate(withdrawn)
    letter.refresh_from_db()
    assert letter.signature_count == 0
    assert not unconfirmed.evidence_trail.exists()


def test_a_signature_rejected_before_its_signer_confirmed_goes_back_to_unconfirmed_and_counts_nowhere(letter):
    signature = make_signature(letter, confirmed=False)
    services.reject(signature)
    assert services.reinstate(signature) is True
    signature.refresh_from_db()
    assert signature.status == S.UNCONFIRMED
    letter.refresh_from_db()
    assert letter.signature_count == 0


def test_a_withdrawn_then_rejected_signature_goes_back_to_withdrawn(letter):
    signature = services.withdraw(make_signature(letter).pk)
    services.reject(signature)
    services.reinstate(signature)
    signature.refresh_from_db()
    assert signature.status == S.WITHDRAWN
    letter.refresh_from_db()
    assert letter.signature_count == 0


def test_a_reinstated_claim_that_was_never_checked_is_queued_again(letter, artists, django_capture_on_commit_callbacks):
    draft_free = make_petition(affiliations=[artists])
    with django_capture_on_commit_callbacks(execute=False):
        signature = make_signature(draft_free, affiliation=artists)
    assert signature.verification == V.PENDING
    services.reject(signature)
    with django_capture_on_commit_callbacks(execute=False) as queued:
        services.reinstate(signature)
    assert queued, "the claim's check is queued again after the commit"


def test_a_rejected_signature_anonymised_by_its_lifetime_is_not_reinstated(letter, artists, moderator, settled):
    from datetime import timedelta

    from django.utils import timezone

    from signatures.lifetimes import anonymise_withdrawn_and_rejected

    with settled():
        signature = make_signature(letter, affiliation=artists, full_name="Ana Nunez")
    signature.refresh_from_db()
    assert decide(signature, Decision.SPAM, moderator, note="a bot") is True
    anonymise_withdrawn_and_rejected(now=timezone.now() + timedelta(days=3650))
    signature.refresh_from_db()
    assert signature.anonymised and signature.status == S.REJECTED
    before = counted(letter, artists)
    with pytest.raises(ValidationError, match="anonymised"):
        decide(signature, Decision.REINSTATE, moderator, note="undo")
    signature.refresh_from_db()
    assert signature.status == S.REJECTED and counted(letter, artists) == before
