"""Data has a lifetime: unconfirmed signatures are purged, withdrawn and rejected ones anonymised, a closed
letter's signers anonymised if its organiser chose so — and the counts never move.

Time passes by handing each step a later `now`, as celery beat would call it days later.
"""

import io
from datetime import UTC, timedelta

import pytest
from django.contrib.admin.models import LogEntry
from django.core.management import call_command
from django.utils import timezone

from moderation.decisions import Decision, decide
from signatures import counts, lifetimes, services
from signatures.models import Erasure, Signature
from tests.support.counting import real_counts, stored_counts
from tests.support.factories import make_affiliation, make_petition, make_roster_entry, make_signature, make_user
from verification.models import Evidence

pytestmark = pytest.mark.django_db

PERSONAL = ("full_name", "email", "roster_email", "role", "organisation", "comment")


def days_later(days: float):
    return timezone.now() + timedelta(days=days)


def public_view(client, letter) -> dict:
    """What the public sees: the API's counts and every name in the signers list."""
    counts_now = client.get(f"/api/petitions/{letter.slug}/").json()["counts"]
    names = [row["full_name"] for row in client.get(f"/api/petitions/{letter.slug}/signatures/").json()["results"]]
    return {"counts": counts_now, "names": names}


def apply_lifetimes(*args) -> str:
    out = io.StringIO()
    call_command("apply_data_lifetimes", *args, stdout=out)
    return out.getvalue()


def assert_anonymous(signature: Signature) -> None:
    signature.refresh_from_db()
    assert signature.anonymised_at is not None
    assert all(getattr(signature, name) == "" for name in PERSONAL), signature.__dict__
    assert signature.public is False and "@" not in signature.email_key


@pytest.fixture
def story(letter, artists, settled):
    """A letter with two counted signers (one verified), an unconfirmed one, a withdrawn and a spam one."""
    make_roster_entry(artists, "Ana Castillo", "ana@studio.example")
    with settled():
        signed = {
            "verified": make_signature(
                letter, full_name="Ana Castillo", email="ana@studio.example", affiliation=artists, comment="Yes."
            ),
            "plain": make_signature(letter, full_name="Bo Plain", email="bo@example.org"),
            "unconfirmed": make_signature(letter, full_name="Cy Pending", email="cy@example.org", confirmed=False),
            "withdrawn": make_signature(
                letter, full_name="Di Gone", email="di@example.org", affiliation=artists, role="Painter"
            ),
            "spam": make_signature(letter, full_name="Ed Spam", email="ed@spam.example", comment="buy now"),
        }
        services.withdraw(signed["withdrawn"].pk)
        services.reject(signed["spam"])
    return signed


def test_unconfirmed_signatures_are_purged_after_thirty_days_and_nothing_else_moves(client, letter, story):
    before = public_view(client, letter)

    assert lifetimes.purge_unconfirmed(days_later(29)).rows == 0
    assert lifetimes.purge_unconfirmed(days_later(31)).rows == 1

    assert not Signature.objects.filter(pk=story["unconfirmed"].pk).exists()
    assert Signature.objects.filter(petition=letter).count() == 4
    assert public_view(client, letter) == before
    assert counts.recount(letter) == []
    [record] = Erasure.objects.filter(petition=letter)
    assert (record.kind, record.rows) == (Erasure.Kind.UNCONFIRMED_PURGED, 1)
    assert lifetimes.purge_unconfirmed(days_later(31)).rows == 0  # idempotent
    assert Erasure.objects.count() == 1


def test_signing_again_restarts_the_purge_clock(signer, letter):
    signer.sign(letter, email="late@example.org")
    signature = Signature.objects.get(email="late@example.org")
    Signature.objects.filter(pk=signature.pk).update(submitted_at=timezone.now() - timedelta(days=29))
    signer.sign(letter, email="late@example.org", full_name="Late Signer")

    assert lifetimes.purge_unconfirmed(days_later(2)).rows == 0
    assert Signature.objects.filter(pk=signature.pk).exists()


def test_withdrawn_and_rejected_signatures_are_anonymised_after_their_retention_keeping_every_count(
    client, letter, story
):
    before, stored_before = public_view(client, letter), stored_counts(letter)

    assert [o.rows for o in lifetimes.anonymise_withdrawn_and_rejected(days_later(29))] == [0, 0]
    assert [o.rows for o in lifetimes.anonymise_withdrawn_and_rejected(days_later(31))] == [1, 0]
    assert_anonymous(story["withdrawn"])
    story["spam"].refresh_from_db()
    assert story["spam"].full_name == "Ed Spam"  # rejected ones are kept longer (REJECTED_RETENTION_DAYS = 90)
    assert [o.rows for o in lifetimes.anonymise_withdrawn_and_rejected(days_later(91))] == [0, 1]
    assert_anonymous(story["spam"])

    assert public_view(client, letter) == before
    assert stored_counts(letter) == stored_before == real_counts(letter)
    assert counts.recount(letter) == []
    kinds = sorted(Erasure.objects.filter(petition=letter).values_list("kind", "rows"))
    assert kinds == [(Erasure.Kind.REJECTED_ANONYMISED, 1), (Erasure.Kind.WITHDRAWN_ANONYMISED, 1)]
    assert [o.rows for o in lifetimes.anonymise_withdrawn_and_rejected(days_later(91))] == [0, 0]
    assert Erasure.objects.count() == 2


def test_an_anonymised_address_may_sign_the_letter_again_afresh(signer, letter, story):
    lifetimes.anonymise_withdrawn_and_rejected(days_later(31))
    signer.sign(letter, full_name="Di Back", email="di@example.org")
    signer.post(signer.confirm_link("di@example.org"))

    assert Signature.objects.get(email="di@example.org").status == Signature.Status.CONFIRMED
    assert Signature.objects.filter(petition=letter, anonymised_at__isnull=False).count() == 1


def test_a_closed_letters_signers_are_anonymised_months_later_only_if_its_organiser_chose_so(client, artists, settled):
    chosen = make_petition(affiliations=[artists], anonymise_after_close_months=6)
    other = make_petition(affiliations=[artists])
    with settled():
        for petition in (chosen, other):
            make_signature(petition, full_name="Fay Named", affiliation=artists)
            make_signature(petition, full_name="Gil Named")
    chosen.close()
    other.close()
    before = public_view(client, chosen)
    assert before["names"] == ["Gil Named", "Fay Named"]

    assert lifetimes.anonymise_closed_letters(days_later(5 * 30)).rows == 0
    assert lifetimes.anonymise_closed_letters(days_later(6 * 31)).rows == 2

    after = public_view(client, chosen)
    assert after == {"counts": before["counts"], "names": []}
    assert after["counts"]["confirmed"] == 2 and after["counts"]["by_affiliation"]["sora-alpha-artist"]["claimed"] == 1
    for signature in Signature.objects.filter(petition=chosen):
        assert_anonymous(signature)
    assert public_view(client, other)["names"] == ["Gil Named", "Fay Named"]
    assert counts.recount(chosen) == []
    assert lifetimes.anonymise_closed_letters(days_later(6 * 31)).rows == 0
    [record] = Erasure.objects.all()
    assert (record.petition, record.kind, record.rows) == (chosen, Erasure.Kind.CLOSED_ANONYMISED, 2)


def test_anonymising_drops_the_evidence_and_the_signers_name_from_the_moderators_history(letter, artists, settled):
    moderator = make_user("mod@example.org", superuser=True)
    make_roster_entry(artists, "Hal Member", "hal@studio.example")
    with settled():
        signature = make_signature(letter, full_name="Hal Member", email="hal@studio.example", affiliation=artists)
    decide(signature, Decision.SPAM, moderator)
    assert Evidence.objects.filter(signature=signature).exists()

    lifetimes.anonymise_withdrawn_and_rejected(days_later(91))

    assert not Evidence.objects.filter(signature=signature).exists()
    [entry] = LogEntry.objects.filter(object_id=str(signature.pk))
    assert "Hal" not in entry.object_repr and entry.user == moderator
    assert entry.change_message == "Rejected the signature as spam."


def test_an_anonymised_claim_is_not_checked_again_so_its_verdict_and_the_tallies_stay(client, letter, artists, settled):
    chosen = make_petition(affiliations=[artists], anonymise_after_close_months=1)
    make_roster_entry(artists, "Ivy Member", "ivy@studio.example")
    with settled():
        make_signature(chosen, full_name="Ivy Member", email="ivy@studio.example", affiliation=artists)
    chosen.close()
    lifetimes.anonymise_closed_letters(days_later(40))
    before = public_view(client, chosen)

    with settled():
        call_command("verify_signatures", stdout=io.StringIO())

    assert public_view(client, chosen) == before
    assert before["counts"]["by_affiliation"]["sora-alpha-artist"] == {"claimed": 1, "verified": 1, "disputed": 0}


def test_the_operators_command_applies_every_lifetime_and_a_second_run_changes_nothing(client, letter, story, settings):
    settings.UNCONFIRMED_RETENTION_DAYS = 1
    settings.WITHDRAWN_RETENTION_DAYS = 0
    settings.REJECTED_RETENTION_DAYS = 0
    Signature.objects.filter(petition=letter).update(submitted_at=timezone.now() - timedelta(days=2))
    before = public_view(client, letter)

    first = apply_lifetimes()
    second = apply_lifetimes()

    assert "Unconfirmed, purged: 1" in first and "Withdrawn, anonymised: 1" in first
    assert "Rejected, anonymised: 1" in first
    assert "Unconfirmed, purged: 0" in second and "Withdrawn, anonymised: 0" in second
    assert "Rejected, anonymised: 0" in second
    assert public_view(client, letter) == before
    assert counts.recount(letter) == []


def test_the_lifetimes_run_under_celery_beat_by_name(settings):
    tasks = {entry["task"] for entry in settings.CELERY_BEAT_SCHEDULE.values()}
    assert {
        "signatures.tasks.purge_unconfirmed",
        "signatures.tasks.anonymise_withdrawn_and_rejected",
        "signatures.tasks.anonymise_closed_letters",
    } <= tasks


def test_the_beat_tasks_do_the_same_work_as_the_command(letter, story, settings):
    from signatures import tasks

    settings.UNCONFIRMED_RETENTION_DAYS = 1
    Signature.objects.filter(pk=story["unconfirmed"].pk).update(submitted_at=timezone.now() - timedelta(days=2))

    assert tasks.purge_unconfirmed.delay().get() == 1
    assert tasks.purge_unconfirmed.delay().get() == 0


def test_a_second_affiliation_tally_is_untouched_by_anonymising_another(client, artists, settled):
    writers = make_affiliation("writers")
    chosen = make_petition(affiliations=[artists, writers], anonymise_after_close_months=1)
    with settled():
        make_signature(chosen, affiliation=writers)
        make_signature(chosen, affiliation=artists)
    chosen.close()
    before = stored_counts(chosen)
    lifetimes.anonymise_closed_letters(days_later(40))
    assert stored_counts(chosen) == before == real_counts(chosen)


def test_a_letter_past_its_closing_time_counts_as_closed_from_that_moment(client, artists, settled):
    ends = timezone.now() + timedelta(days=3)
    letter = make_petition(affiliations=[artists], anonymise_after_close_months=1, closes_at=ends)
    with settled():
        make_signature(letter, full_name="Jo Named")

    assert lifetimes.anonymise_closed_letters(ends + timedelta(days=20)).rows == 0
    assert lifetimes.anonymise_closed_letters(ends + timedelta(days=32)).rows == 1
    assert public_view(client, letter)["counts"]["confirmed"] == 1


def test_months_are_calendar_months_ending_on_the_shorter_months_last_day():
    from datetime import datetime

    assert lifetimes.add_months(datetime(2026, 1, 31, 12, tzinfo=UTC), 1) == datetime(2026, 2, 28, 12, tzinfo=UTC)
    assert lifetimes.add_months(datetime(2026, 11, 15, tzinfo=UTC), 14) == datetime(2028, 1, 15, tzinfo=UTC)


def test_an_anonymised_claim_leaves_the_review_queue(artists, settled):
    chosen = make_petition(affiliations=[artists], anonymise_after_close_months=1)
    make_roster_entry(artists, "Kim Namesake")
    with settled():
        waiting = make_signature(chosen, full_name="Kim Namesake", affiliation=artists)
    assert list(Signature.objects.claims_to_review()) == [waiting]
    chosen.close()

    lifetimes.anonymise_closed_letters(days_later(40))

    assert list(Signature.objects.claims_to_review()) == []
    waiting.refresh_from_db()
    assert waiting.verification == Signature.Verification.NEEDS_REVIEW  # the verdict stays with the counts
