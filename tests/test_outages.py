"""Outages against real processes: the broker killed, the mail server down past the retries, the worker killed
mid-chunk. Nothing is lost: every email arrives (once), every claim is decided, re-check progress is exact.

One stack for the module (tests/support/stack.py): a private redis-server as the broker, an SMTP sink, and
bin/web, bin/worker (2 pool processes) and bin/beat on the test database, with the sweepers shortened
(SWEEP_EVERY=1, SWEEP_AFTER=2) and the mail retry budget shrunk (1 retry, at most 1 s apart).
"""

import signal
import subprocess
import sys
import time

import pytest

from signatures import tokens
from signatures.models import OutgoingConfirmation, Signature
from tests.support.bulk import insert_signatures
from tests.support.factories import make_affiliation, make_petition, make_roster_entry
from tests.support.stack import ROOT, Broker, MailSink, Stack, wait_until
from verification.models import Recheck, RecheckChunk, RosterEntry

pytestmark = pytest.mark.django_db(transaction=True)

SETTLE = 90  # seconds the stack may take to catch up after an outage ends


@pytest.fixture(scope="module")
def stack(django_db_setup, tmp_path_factory):
    from django.db import connection

    db = connection.settings_dict
    if connection.vendor != "postgresql" or not db["NAME"].startswith("test_"):
        pytest.fail("the outage tests need the PostgreSQL test database: run them with `make test`")
    workdir = tmp_path_factory.mktemp("outages")
    broker, mail = Broker(workdir), MailSink()
    broker.start()
    mail.start()
    processes = Stack(
        f"postgres://{db['USER']}@{db['HOST']}:{db['PORT']}/{db['NAME']}",
        broker,
        mail,
        workdir,
        SWEEP_EVERY="1",
        SWEEP_AFTER="2",
        MAIL_RETRIES="1",
        MAIL_RETRY_BACKOFF_MAX="1",
        BROKER_TIMEOUT="0.5",
    )
    processes.broker, processes.mail = broker, mail
    try:
        for name in ("web", "worker", "beat"):
            processes.start(name)
        yield processes
    finally:
        processes.stop_all()
        mail.stop()
        broker.kill()


@pytest.fixture
def running(stack):
    """The whole stack up (a previous test may have killed a part). The worker and beat are stopped after the
    test, before the test database is emptied: their sweeps would otherwise hold locks the emptying waits for.
    """
    if stack.broker.process.poll() is not None:
        stack.broker.start()
    if stack.mail.controller is None:
        stack.mail.start()
    for name in ("web", "worker", "beat"):
        if name not in stack.processes:
            stack.start(name)
    yield stack
    stack.kill("beat", signal.SIGTERM)
    stack.kill("worker", signal.SIGTERM)


def members(n: int, prefix: str):
    """A letter offering an affiliation whose roster lists n members by address: their claims verify by email."""
    artists = make_affiliation(f"{prefix}-artists")
    letter = make_petition(affiliations=[artists])
    people = [(f"Member {prefix} {i}", f"{prefix}{i}@members.example") for i in range(n)]
    for name, email in people:
        make_roster_entry(artists, name, email)
    return letter, artists, people


def sign_and_confirm(stack: Stack, letter, artists, people) -> None:
    browser = stack.browser()
    for name, email in people:
        assert browser.sign(letter.slug, full_name=name, email=email, affiliation=artists.slug) == 200
    for signature in Signature.objects.filter(petition=letter):
        assert browser.confirm(tokens.confirm_token(signature)) == 200


def every_email_arrived_once(stack: Stack, letter, people) -> None:
    wait_until(
        lambda: all(stack.mail.count_to(email) >= 1 for _, email in people),
        SETTLE,
        what=f"an email to each of {len(people)} signers (log: {stack.log('worker')[-1500:]})",
    )
    time.sleep(3)  # three more sweeps: none may send an email again
    assert [stack.mail.count_to(email) for _, email in people] == [1] * len(people)
    assert not OutgoingConfirmation.objects.filter(signature__petition=letter).exists()


def every_claim_decided(letter, expected: str = Signature.Verification.VERIFIED) -> None:
    wait_until(
        lambda: not Signature.objects.filter(petition=letter, verification=Signature.Verification.PENDING).exists(),
        SETTLE,
        what="every claim decided",
    )
    assert set(Signature.objects.filter(petition=letter).values_list("verification", flat=True)) == {expected}


def test_a_broker_killed_and_restarted_empty_loses_no_email_and_no_claim(running):
    letter, artists, people = members(8, "broker")
    running.broker.kill()

    sign_and_confirm(running, letter, artists, people)  # each answered 200 while the broker is down
    assert Signature.objects.filter(petition=letter, status=Signature.Status.CONFIRMED).count() == len(people)
    assert sum(running.mail.count_to(email) for _, email in people) == 0

    running.broker.start()  # without the queued tasks: they were lost with it
    every_email_arrived_once(running, letter, people)
    every_claim_decided(letter)


def test_the_mail_server_down_past_the_retry_budget_loses_no_email(running):
    letter, artists, people = members(6, "smtp")
    running.mail.stop()

    sign_and_confirm(running, letter, artists, people)
    every_claim_decided(letter)  # claims need no mail
    # The retries (1, at most 1 s apart) are spent, and the sweepers have failed too, while the server is down.
    wait_until(
        lambda: (
            OutgoingConfirmation.objects.filter(signature__petition=letter).exclude(last_error="").count()
            == len(people)
        ),
        30,
        what="every delivery attempt failed",
    )
    time.sleep(4)
    assert OutgoingConfirmation.objects.filter(signature__petition=letter).count() == len(people)

    running.mail.start()
    every_email_arrived_once(running, letter, people)


def test_the_worker_killed_mid_chunk_leaves_every_claim_decided_and_the_progress_exact(running):
    letter, artists, people = members(0, "killed")
    # A chunk is one transaction of about a second: enough chunks that the kill lands while some are left.
    insert_signatures(letter, 6000, affiliation_id=artists.pk, tag="killed")  # unverified: nobody on the roster yet
    claims = list(Signature.objects.filter(petition=letter))
    # The members join the roster (written directly: the test queues the re-check itself, through the command).
    entries = [RosterEntry(affiliation=artists, full_name=s.full_name, email=s.email) for s in claims]
    for entry in entries:
        entry.fill_keys()
    RosterEntry.objects.bulk_create(entries)

    subprocess.run(
        [sys.executable, "manage.py", "verify_signatures", "--affiliation", artists.slug],
        env=running.env,
        cwd=ROOT,
        check=True,
        capture_output=True,
        timeout=60,
    )
    recheck = Recheck.objects.get(affiliation=artists)
    assert recheck.total == len(claims)
    verified = Signature.objects.filter(petition=letter, verification=Signature.Verification.VERIFIED)
    wait_until(lambda: verified.count() >= 1, 60, 0.02, what="the re-check under way (a chunk committed)")
    running.kill("worker", signal.SIGKILL)  # the main process and its pool, mid-chunk

    recheck.refresh_from_db()
    assert recheck.done < recheck.total, "the worker finished before it was killed: the test proves nothing"
    assert verified.count() < len(claims)

    running.start("worker")
    wait_until(lambda: Recheck.objects.get(pk=recheck.pk).finished_at, SETTLE, what="the re-check finished")
    every_claim_decided(letter)
    recheck.refresh_from_db()
    assert (recheck.done, recheck.total) == (len(claims), len(claims))
    assert not RecheckChunk.objects.filter(recheck=recheck, done_at=None).exists()
