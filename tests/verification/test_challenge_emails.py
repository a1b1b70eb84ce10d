"""Roster challenge emails leave in batches: the challenges a chunk of claims opens are emailed by one task over
one SMTP connection, each exactly once, even with two senders at once; what the mail server could not take stays
unsent for the sweeper. Against the real worker, broker, PostgreSQL and SMTP sink."""

from datetime import timedelta

import pytest
from django.test import override_settings
from django.utils import timezone

from signatures.models import Signature
from signatures.outbox import MailServerUnavailable
from tests.support.factories import make_petition, make_roster_entry, make_signature
from tests.support.queued import settled
from tests.support.together import at_once
from verification import emails
from verification.models import RosterChallenge
from verification.tasks import queue_recheck, requeue_stalled_checks

V = Signature.Verification
MEMBERS = ["Ada Lovelace", "Grace Hopper", "Alan Turing", "Katherine Johnson", "Edsger Dijkstra", "Barbara Liskov"]


def roster_address(name: str) -> str:
    return name.lower().replace(" ", ".") + "@studio.org"


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_the_challenges_a_chunk_opens_go_over_one_smtp_connection(artists, celery_worker, smtp_sink, wait_until):
    letter = make_petition(affiliations=[artists])
    for name in MEMBERS:  # signed from personal addresses, checked while nobody is on the roster
        make_signature(letter, full_name=name, email=name.split()[0].lower() + "@gmail.com", affiliation=artists)
    unverified = Signature.objects.filter(petition=letter, verification=V.UNVERIFIED)
    wait_until(lambda: unverified.count() == len(MEMBERS), timeout=60)
    wait_until(lambda: len(smtp_sink.messages) >= len(MEMBERS))  # their confirmation emails
    smtp_sink.clear()
    for name in MEMBERS:  # the members join the roster: each claim's member is asked at the roster address
        make_roster_entry(artists, name, roster_address(name))

    queue_recheck(Signature.objects.filter(petition=letter), "members joined")  # one chunk

    wait_until(lambda: len(smtp_sink.messages) >= len(MEMBERS), timeout=60)
    wait_until(lambda: not RosterChallenge.objects.filter(sent_at=None).exists())
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(roster_address(n) for n in MEMBERS)  # each once
    assert smtp_sink.connections() == 1
    assert RosterChallenge.objects.filter(petition=letter, leased_until=None).count() == len(MEMBERS)


def open_challenges(artists, count: int) -> list[RosterChallenge]:
    """`count` open challenges not sent yet (written directly: the sender is what is tested)."""
    letter = make_petition(affiliations=[artists])
    signatures = [make_signature(letter, full_name=f"Member {n}", affiliation=artists) for n in range(count)]
    made = []
    for n, signature in enumerate(signatures):  # checked while nobody was on the roster: no challenge opened
        entry = make_roster_entry(artists, f"Member {n}", f"member{n}@studio.org")
        made.append(
            RosterChallenge.objects.create(
                signature=signature,
                petition=letter,
                roster_entry=entry,
                address=entry.email,
                expires_at=timezone.now() + timedelta(days=7),
            )
        )
    return made


@pytest.mark.django_db(transaction=True)
def test_two_senders_at_once_never_send_one_challenge_twice(artists, smtp_sink, settings, monkeypatch):
    challenges = open_challenges(artists, 30)
    smtp_sink.clear()
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_sink.port
    monkeypatch.setattr(emails, "BATCH", 4)  # many small claims, so the two senders interleave
    ids = [c.pk for c in challenges]
    results = at_once(lambda: emails.send_challenges(ids), lambda: emails.send_challenges(ids))

    assert sum(result.sent for result in results) == len(challenges)
    assert sorted(m["To"] for m in smtp_sink.messages) == sorted(c.address for c in challenges)  # each once
    assert smtp_sink.connections() <= 2  # one connection per sender, whatever the number of batches
    assert not RosterChallenge.objects.filter(sent_at=None).exists()
    assert emails.send_challenges([c.pk for c in challenges]).sent == 0  # sent once: a repeat sends nothing


@pytest.mark.django_db
def test_a_challenge_the_mail_server_could_not_take_stays_unsent_and_the_sweeper_sends_it(
    artists, mailoutbox, settings
):
    [challenge] = open_challenges(artists, 1)
    mailoutbox.clear()
    with (
        override_settings(
            EMAIL_BACKEND="django.core.mail.backends.smtp.EmailBackend", EMAIL_HOST="127.0.0.1", EMAIL_PORT=1
        ),
        pytest.raises(MailServerUnavailable),
    ):
        emails.send_challenges([challenge.pk])
    challenge.refresh_from_db()
    assert (challenge.sent_at, challenge.leased_until) == (None, None)  # released for the next attempt

    settings.SWEEP_AFTER = 0
    with settled():
        assert requeue_stalled_checks()["challenges"] == 1
    assert [m.to for m in mailoutbox] == [[challenge.address]]
    challenge.refresh_from_db()
    assert challenge.sent_at is not None


@pytest.mark.django_db
def test_a_closed_or_answered_challenge_is_never_emailed(artists, mailoutbox):
    closed, answered, held, to_send = open_challenges(artists, 4)
    mailoutbox.clear()
    RosterChallenge.objects.filter(pk=closed.pk).update(state=RosterChallenge.State.CANCELLED)
    RosterChallenge.objects.filter(pk=answered.pk).update(state=RosterChallenge.State.DENIED)
    RosterChallenge.objects.filter(pk=held.pk).update(leased_until=timezone.now() + timedelta(minutes=1))

    sent = emails.send_challenges([closed.pk, answered.pk, held.pk, to_send.pk])

    assert sent.sent == 1
    assert [m.to for m in mailoutbox] == [[to_send.address]]


@pytest.mark.django_db
def test_sending_costs_the_same_queries_for_two_challenges_or_eight_and_reads_no_more_than_the_email_shows(
    artists, mailoutbox
):
    """The batch is read once with what its emails show (not the letter's text): a field left out would be read
    again for each challenge, a query per email."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    made = open_challenges(artists, 10)
    mailoutbox.clear()
    queries = []
    for challenges in (made[:2], made[2:]):
        count = len(challenges)
        mailoutbox.clear()
        with CaptureQueriesContext(connection) as captured:
            assert emails.send_challenges([c.pk for c in challenges]).sent == count
        queries.append(len(captured))
        lease = next(q["sql"] for q in captured.captured_queries if "FOR UPDATE" in q["sql"])
        assert '"petitions_petition"."body"' not in lease and '"signatures_signature"."email"' not in lease
        letter = challenges[0].petition
        for message, challenge in zip(
            sorted(mailoutbox, key=lambda m: m.to), sorted(challenges, key=lambda c: c.address), strict=True
        ):
            assert message.to == [challenge.address]
            assert letter.title in message.subject and letter.title in message.body
            assert artists.name in message.body and challenge.roster_entry.full_name in message.body
    assert queries[0] == queries[1]
