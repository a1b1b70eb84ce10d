"""Checking a confirmed claim against the roster: what each kind of evidence decides, and what it never touches.

Confirming a signature queues the verification task for after the commit; `settled()` runs it (eagerly).
"""

import io

import pytest
from django.core.exceptions import ValidationError
from django.core.management import call_command

from signatures import services
from signatures.models import Signature
from tests.support.counting import real_counts, stored_counts
from tests.support.factories import make_affiliation, make_petition, make_roster_entry, make_signature, make_user
from tests.support.queued import settled
from verification import claims, matching
from verification.models import Evidence
from verification.rosters import import_roster
from verification.tasks import check_owed_claims, verify_claims

pytestmark = pytest.mark.django_db

V = Signature.Verification
M = Evidence.Method


@pytest.fixture
def petition(artists):
    """A letter whose affiliation's policy says an address at example.com is membership."""
    artists.email_domains = "example.com"
    artists.domain_policy = True
    artists.save()
    return make_petition(affiliations=[artists])


@pytest.fixture
def moderator():
    return make_user("moderator@example.net")


def claim(petition, affiliation, full_name="Someone Else", email="someone@elsewhere.net", **fields):
    """A confirmed signature claiming `affiliation`; confirming it ran the verification task."""
    with settled():
        signature = make_signature(petition, full_name=full_name, email=email, affiliation=affiliation, **fields)
    signature.refresh_from_db()
    return signature


@pytest.mark.parametrize(
    "signed_with",
    ["jane.doe@studio.org", "Jane.Doe@STUDIO.org", "jane.doe+letters@studio.org", "JANE.DOE+x@Studio.Org"],
)
def test_claim_whose_email_is_on_the_roster_is_verified_by_email(petition, artists, signed_with):
    entry = make_roster_entry(artists, "Jane Doe", "Jane.Doe@studio.org")
    signature = claim(petition, artists, "J. Doe", signed_with)
    assert signature.verification == V.VERIFIED
    assert signature.verified_at is not None
    evidence = signature.evidence
    assert (evidence.method, evidence.verdict, evidence.roster_entry, evidence.roster_name, evidence.score) == (
        M.EMAIL,
        V.VERIFIED,
        entry,
        "Jane Doe",
        1.0,
    )
    assert evidence.worker.startswith("verification.tasks.check_owed_claims@")
    assert evidence.decided_by is None
    assert stored_counts(petition) == real_counts(petition)


def test_gmail_address_with_dots_matches_the_roster_without_them(petition, artists):
    entry = make_roster_entry(artists, "Jane Doe", "janedoe@gmail.com")
    signature = claim(petition, artists, "Jane Doe", "jane.doe@googlemail.com")
    assert (signature.verification, signature.evidence.method, signature.evidence.roster_entry) == (
        V.VERIFIED,
        M.EMAIL,
        entry,
    )


def test_email_on_the_roster_wins_over_the_affiliation_domain(petition, artists):
    entry = make_roster_entry(artists, "Jane Doe", "jane@example.com")
    signature = claim(petition, artists, "Jane Doe", "jane@example.com")
    assert (signature.evidence.method, signature.evidence.roster_entry) == (M.EMAIL, entry)


@pytest.mark.parametrize("signed_with", ["kim@example.com", "kim@EXAMPLE.COM", "kim@EXAMPLE.com."[:-1]])
def test_claim_with_an_address_at_the_affiliation_domain_is_verified_by_domain(petition, artists, signed_with):
    signature = claim(petition, artists, "Kim Lee", signed_with)
    assert signature.verification == V.VERIFIED
    assert signature.evidence.method == M.EMAIL_DOMAIN
    assert signature.evidence.roster_entry is None
    assert "example.com" in signature.evidence.detail
    assert stored_counts(petition) == real_counts(petition)


def test_a_subdomain_counts_only_when_the_policy_says_subdomains_count(petition, artists):
    assert claim(petition, artists, "Kim Lee", "kim@alumni.example.com").verification == V.UNVERIFIED
    artists.domain_subdomains = True
    artists.save()
    signature = claim(petition, artists, "Kim Lee", "kim2@alumni.example.com")
    assert (signature.verification, signature.evidence.method) == (V.VERIFIED, M.EMAIL_DOMAIN)


def test_domains_verify_nobody_while_the_policy_is_off(petition, artists):
    artists.domain_policy = False
    artists.save()
    signature = claim(petition, artists, "Kim Lee", "kim@example.com")
    assert (signature.verification, signature.evidence.method) == (V.UNVERIFIED, M.NONE)


@pytest.mark.parametrize(
    "signed_with",
    [
        "kim@evil-example.com",
        "kim@example.com.evil.net",
        "kim@notexample.com",
        "kim@example.co",
        "kim@exаmple.com",  # a Cyrillic "а"
        "kim@xn--exmple-4nf.com",  # the same lookalike, typed in punycode
    ],
)
def test_claim_at_a_lookalike_domain_is_not_verified(petition, artists, signed_with):
    signature = claim(petition, artists, "Kim Lee", signed_with)
    assert signature.verification == V.UNVERIFIED
    assert signature.evidence.method == M.NONE
    assert signature.verified_at is None


def test_a_name_alone_sends_challenges_to_the_candidates_roster_addresses_best_first(petition, artists, mailoutbox):
    best = make_roster_entry(artists, "Jonathan Smith", "jonathan@studio.org")
    near = make_roster_entry(artists, "Jonathan Smyth", "smyth@studio.org")
    make_roster_entry(artists, "Pedro Alvarez", "pedro@studio.org")
    signature = claim(petition, artists, "smith, JONATHON", "jon@elsewhere.net")
    assert signature.verification == V.PENDING
    evidence = signature.evidence
    assert (evidence.method, evidence.roster_entry) == (M.ROSTER_CHALLENGE, best)
    assert [c["entry"] for c in evidence.candidates] == [best.pk, near.pk]
    assert evidence.candidates[0]["score"] > evidence.candidates[1]["score"] >= 0.8
    assert all(c["address"] is True for c in evidence.candidates)
    assert sorted(c.roster_entry_id for c in signature.challenges.all()) == sorted([best.pk, near.pk])
    challenged = sorted(m.to[0] for m in mailoutbox if "Did you sign" in m.subject)
    assert challenged == ["jonathan@studio.org", "smyth@studio.org"]
    assert signature.verified_at is None
    assert stored_counts(petition) == real_counts(petition)


def test_a_name_whose_candidates_have_no_address_goes_to_review_with_candidates_best_first(petition, artists):
    exact = make_roster_entry(artists, "María Núñez")
    make_roster_entry(artists, "Pedro Alvarez")
    signature = claim(petition, artists, "nunez, MARIA", "maria.n@elsewhere.net")
    assert signature.verification == V.NEEDS_REVIEW
    evidence = signature.evidence
    assert (evidence.method, evidence.roster_entry, evidence.score) == (M.NAME, exact, 1.0)
    assert [(c["entry"], c["reason"], c["address"], c["frequency"]) for c in evidence.candidates] == [
        (exact.pk, "word order", False, 1)
    ]
    assert "no candidate has a roster address" in evidence.detail
    assert not signature.challenges.exists()


def test_fuzzy_near_miss_above_the_threshold_goes_to_review(petition, artists, settings):
    settings.NAME_MATCH_THRESHOLD = 90
    entry = make_roster_entry(artists, "Jonathan Smith")
    signature = claim(petition, artists, "Jonathon Smith")
    assert signature.verification == V.NEEDS_REVIEW
    assert signature.evidence.roster_entry == entry
    assert 0.9 <= signature.evidence.score < 1.0


def test_fuzzy_match_below_the_threshold_is_unverified(petition, artists, settings):
    settings.NAME_MATCH_THRESHOLD = 90
    make_roster_entry(artists, "Jonathan Smith")
    signature = claim(petition, artists, "John Smyth")
    assert signature.verification == V.UNVERIFIED
    assert (signature.evidence.method, signature.evidence.candidates, signature.evidence.roster_entry) == (
        M.NONE,
        [],
        None,
    )


def test_a_higher_threshold_sends_the_same_near_miss_to_unverified(petition, artists, settings):
    settings.NAME_MATCH_THRESHOLD = 95
    make_roster_entry(artists, "Jonathan Smith")
    assert claim(petition, artists, "Jonathon Smith").verification == V.UNVERIFIED


def test_claim_against_an_empty_roster_is_unverified(petition, artists):
    signature = claim(petition, artists, "Kim Lee")
    assert signature.verification == V.UNVERIFIED
    assert stored_counts(petition) == real_counts(petition)


def test_name_made_only_of_punctuation_matches_nobody(petition, artists):
    make_roster_entry(artists, "Jane Doe")
    assert claim(petition, artists, "-- . --").verification == V.UNVERIFIED


def test_review_candidates_are_limited(petition, artists):
    for n in range(8):
        make_roster_entry(artists, "Jane Doe", external_id=f"id-{n}")
    signature = claim(petition, artists, "Jane Doe")
    assert len(signature.evidence.candidates) == matching.MAX_CANDIDATES


def test_roster_of_another_affiliation_is_not_evidence(petition, artists):
    other = make_affiliation("other-group")
    make_roster_entry(other, "Jane Doe", "jane@studio.org")
    signature = claim(petition, artists, "Jane Doe", "jane@studio.org")
    assert signature.verification == V.UNVERIFIED


def test_signature_without_affiliation_has_no_claim_and_queues_no_check(petition, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        signature = make_signature(petition, affiliation=None)
    queued = [getattr(getattr(cb, "func", None), "__self__", None) for cb in callbacks]
    assert check_owed_claims not in queued
    assert signature.verification == V.NONE
    assert not Evidence.objects.exists()
    assert claims.verify_claim(signature.pk) == []
    signature.refresh_from_db()
    assert signature.verification == V.NONE
    assert not Evidence.objects.exists()


def test_unconfirmed_signature_is_not_checked(petition, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    signature = claim(petition, artists, "Jane Doe", "jane@studio.org", confirmed=False)
    claims.verify_claim(signature.pk)
    check_owed_claims.delay()
    signature.refresh_from_db()
    assert signature.verification != V.VERIFIED
    assert not Evidence.objects.filter(signature=signature).exists()
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 0, "by_affiliation": {}}


def test_withdrawn_signature_is_not_checked(petition, artists):
    signature = claim(petition, artists, "Jane Doe", "jane@studio.org")
    services.withdraw(signature.pk)
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    claims.verify_claim(signature.pk)
    signature.refresh_from_db()
    assert signature.verification == V.UNVERIFIED
    assert Evidence.objects.filter(signature=signature).count() == 1
    assert stored_counts(petition) == real_counts(petition)


def test_verifying_twice_records_one_evidence_and_counts_once(petition, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    signature = claim(petition, artists, "Jane Doe", "jane@studio.org")
    claims.verify_claim(signature.pk, worker="again")
    check_owed_claims.delay()
    verify_claims.delay([signature.pk, signature.pk])
    assert Evidence.objects.filter(signature=signature).count() == 1
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 1)}}


def test_review_verified_twice_keeps_one_evidence(petition, artists):
    make_roster_entry(artists, "Jane Doe")
    signature = claim(petition, artists, "Jane Doe")
    claims.verify_claim(signature.pk)
    assert Evidence.objects.filter(signature=signature).count() == 1


def test_verified_signer_who_withdraws_leaves_the_counts(petition, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    signature = claim(petition, artists, "Jane Doe", "jane@studio.org")
    claim(petition, artists, "Kim Lee", "kim@example.com")
    services.withdraw(signature.pk)
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 1)}}


def test_signer_who_withdraws_and_confirms_again_is_verified_again(petition, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    signature = claim(petition, artists, "Jane Doe", "jane@studio.org")
    services.withdraw(signature.pk)
    with settled():
        services.confirm(signature.pk)
    signature.refresh_from_db()
    assert signature.verification == V.VERIFIED
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 1)}}


def test_moderator_approval_is_recorded_and_counted(petition, artists, moderator):
    entry = make_roster_entry(artists, "Jane Doe")
    signature = claim(petition, artists, "Jane Doe")
    claims.approve_claim(signature, moderator, note="known to the coordinator")
    signature.refresh_from_db()
    assert signature.verification == V.VERIFIED
    assert (signature.evidence.method, signature.evidence.decided_by, signature.evidence.roster_entry) == (
        M.MODERATOR,
        moderator,
        entry,
    )
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 1)}}


def test_moderator_approval_survives_automatic_runs_roster_import_and_verify_signatures(petition, artists, moderator):
    make_roster_entry(artists, "Jane Doe", external_id="a-1")
    signature = claim(petition, artists, "Jane Doe")
    claims.approve_claim(signature, moderator, note="known to the coordinator")

    claims.verify_claim(signature.pk)
    verify_claims.delay([signature.pk])
    with settled():
        import_roster(artists, b"full_name,external_id\nSomebody Else,b-2\n", "other.csv", replace=True)
    with settled():
        call_command("verify_signatures", stdout=io.StringIO())

    signature.refresh_from_db()
    assert signature.verification == V.VERIFIED
    assert signature.evidence.decided_by == moderator
    assert Evidence.objects.filter(signature=signature).count() == 2
    assert stored_counts(petition) == real_counts(petition)


def test_moderator_rejection_survives_automatic_runs_roster_import_and_verify_signatures(petition, artists, moderator):
    signature = claim(petition, artists, "Jane Doe", "jane@studio.org")
    claims.reject_claim(signature, moderator)

    with settled():
        import_roster(artists, b"full_name,email\nJane Doe,jane@studio.org\n", "roster.csv")
    claims.verify_claim(signature.pk)
    with settled():
        call_command("verify_signatures", "--affiliation", artists.slug, stdout=io.StringIO())

    signature.refresh_from_db()
    assert signature.verification == V.REJECTED
    assert signature.evidence.decided_by == moderator
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 0)}}


def test_moderator_rejection_of_a_verified_claim_takes_it_out_of_the_verified_count(petition, artists, moderator):
    signature = claim(petition, artists, "Kim Lee", "kim@example.com")
    claims.reject_claim(signature, moderator)
    signature.refresh_from_db()
    assert (signature.verification, signature.verified_at) == (V.REJECTED, None)
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 0)}}


def test_batch_of_claims_is_decided_like_single_claims(petition, artists):
    signatures = [
        claim(petition, artists, "Jane Doe", "jane@studio.org"),
        claim(petition, artists, "Kim Lee", "kim@example.com"),
        claim(petition, artists, "Ana Núñez", "ana@elsewhere.net"),
        claim(petition, artists, "Pat Quinn", "pat@elsewhere.net"),
    ]
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    make_roster_entry(artists, "Ana Nunez")
    verify_claims.delay([s.pk for s in signatures])
    outcomes = {
        s.full_name: (s.verification, s.evidence.method)
        for s in Signature.objects.filter(petition=petition).select_related("evidence")
    }
    assert outcomes == {
        "Jane Doe": (V.VERIFIED, M.EMAIL),
        "Kim Lee": (V.VERIFIED, M.EMAIL_DOMAIN),
        "Ana Núñez": (V.NEEDS_REVIEW, M.NAME),
        "Pat Quinn": (V.UNVERIFIED, M.NONE),
    }
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 4, "by_affiliation": {artists.pk: (4, 2)}}


def test_moderator_cannot_approve_a_claim_as_a_member_of_another_roster(petition, artists, moderator):
    elsewhere = make_roster_entry(make_affiliation("union-y"), "Jane Doe")
    signature = claim(petition, artists, "Jane Doe")
    with pytest.raises(ValidationError, match="another affiliation"):
        claims.approve_claim(signature, moderator, entry=elsewhere)
    signature.refresh_from_db()
    assert signature.verification == V.UNVERIFIED
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 0)}}


def test_moderator_cannot_decide_the_claim_of_an_unconfirmed_signature(petition, artists, moderator):
    make_roster_entry(artists, "Jane Doe")
    signature = make_signature(petition, confirmed=False, full_name="Jane Doe", affiliation=artists)
    with pytest.raises(ValidationError, match="confirmed"):
        claims.approve_claim(signature, moderator, note="known to the coordinator")
    assert not Evidence.objects.filter(signature=signature).exists()


def test_a_name_added_to_the_roster_after_a_check_is_found_by_the_next_check(petition, artists):
    signature = claim(petition, artists, "Jane Doe")  # the worker has now read this roster's names
    assert signature.verification == V.UNVERIFIED

    make_roster_entry(artists, "Jane Doe")
    claims.verify_claim(signature.pk)

    signature.refresh_from_db()
    assert signature.verification == V.NEEDS_REVIEW


def test_a_name_imported_after_a_check_is_found_by_the_recheck(petition, artists):
    signature = claim(petition, artists, "Jane Doe")
    with settled():
        import_roster(artists, b"full_name\nJane Doe\n", "names.csv")
    signature.refresh_from_db()
    assert signature.verification == V.NEEDS_REVIEW


def test_a_renamed_roster_entry_no_longer_matches_its_old_name(petition, artists):
    entry = make_roster_entry(artists, "Jane Doe")
    signature = claim(petition, artists, "Jane Doe")
    assert signature.verification == V.NEEDS_REVIEW

    entry.full_name = "Someone Else Entirely"
    entry.save()
    claims.verify_claim(signature.pk)

    signature.refresh_from_db()
    assert signature.verification == V.UNVERIFIED


def test_a_worker_builds_the_rosters_open_letters_offer_before_forking_and_its_processes_reuse_them(monkeypatch):
    """matching.preload_roster_indexes (run by a worker's main process before it forks its pool): the rosters of
    affiliations an open letter offers are indexed once, and a claim's check then finds its copy ready; a roster
    no open letter offers, or an empty one, is left for when it is needed."""
    monkeypatch.setattr(matching, "_ROSTER_INDEXES", {})
    offered, closed_only, empty = (make_affiliation(slug) for slug in ("offered", "closed-only", "empty"))
    make_roster_entry(offered, "Olga Offered", "olga@roster.example")
    make_roster_entry(closed_only, "Carl Closed", "carl@roster.example")
    letter = make_petition(affiliations=[offered, empty])
    make_petition(status="closed", affiliations=[closed_only])

    assert matching.preload_roster_indexes() == 1
    assert set(matching._ROSTER_INDEXES) == {offered.pk}
    kept = matching._ROSTER_INDEXES[offered.pk][1]
    signature = make_signature(letter, full_name="Olga Offerred", email="olga@else.example", affiliation=offered)
    claims.verify_claim(signature.pk)
    assert matching._ROSTER_INDEXES[offered.pk][1] is kept
    assert Signature.objects.get(pk=signature.pk).evidence.candidates[0]["name"] == "Olga Offered"
