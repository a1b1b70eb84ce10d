"""The verification workers' tasks: each takes ids and calls one function in verification.claims.

Also the fan-out of a re-check (`queue_recheck`) and the receiver that queues a claim's check when its
signer confirms (connected in VerificationConfig.ready).
"""

import logging
import time
from datetime import timedelta

from celery import shared_task
from celery.signals import worker_init
from django.conf import settings
from django.contrib.auth import get_user_model
from django.db import OperationalError, connections, transaction
from django.db.models import QuerySet

from signatures.models import Signature
from signatures.outbox import MailServerUnavailable
from undersigned.celery import mail_task_options, queue_length

from . import backlog, claims, emails, matching, roster_import
from .models import Affiliation, Recheck, RecheckChunk

logger = logging.getLogger(__name__)

RECHECK_CHUNK = 500
# Chunks a `check_owed_claims` run checks before it queues the next run (about 10 to 30 s of one worker process).
OWED_CHUNKS_PER_RUN = 20
# Above this many tasks waiting in the queue, the sweeper does not queue claims or chunks again (see below).
QUEUE_BUSY = 100


def _worker_name(task) -> str:
    host = task.request.hostname or "in-process"
    return f"{task.name}@{host} ({task.request.id})"


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def check_owed_claims(self) -> int:
    """Check every confirmed claim owed a check since its confirmation, in chunks of RECHECK_CHUNK
    (claims.check_owed), and send the roster challenges each chunk opens, one task a chunk. Queued at most once a
    CLAIM_CHECK_WINDOW per web process, after the confirmations that owe the checks (queue_claim_check:
    Task.gather_on_commit).

    Two at once check different claims (each chunk takes the claims no other worker holds), so a run that finds
    more than a chunk owed queues one more run at once, which shares the rest with it (a burst uses every worker
    process). A run stops after OWED_CHUNKS_PER_RUN chunks and queues the next, so no task holds a worker for
    long. A claim that cannot be checked is left owed (the sweeper tries it again) and fails the run once the
    others are done.
    """
    owed = claims.check_owed(
        _worker_name(self),
        size=RECHECK_CHUNK,
        chunks=OWED_CHUNKS_PER_RUN,
        send=send_challenges,
        share=check_owed_claims.delay_on_commit,
    )
    if owed.more:
        check_owed_claims.delay_on_commit()
    if owed.error is not None:
        raise owed.error
    return owed.checked


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def verify_claims(self, signature_ids: list[int], recheck_id: int | None = None, chunk_id: int | None = None) -> None:
    """Re-check a chunk of claims in one transaction (claims.verify_claims); if that fails, one transaction per
    claim, so one failure loses nothing already decided: the others' challenges are sent, then the task fails
    with the first error (retried if transient) and its chunk stays unfinished for the sweeper.

    A re-check's chunk counts towards its progress once, however often it is delivered (RecheckChunk.finish).
    """
    try:
        opened = claims.verify_claims(signature_ids, worker=_worker_name(self))
    except claims.ChunkIncomplete as incomplete:
        send_challenges(incomplete.opened)
        raise incomplete.error from incomplete
    send_challenges(opened)
    if chunk_id is not None:
        RecheckChunk.finish(chunk_id)
    elif recheck_id is not None:  # queued before chunks were recorded
        Recheck.advance(recheck_id, len(signature_ids))


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recheck_affiliation_claims(
    affiliation_id: int, reason: str = "the roster changed", user_id: int | None = None
) -> int:
    """After a roster change: every confirmed claim of this affiliation, on every petition."""
    recheck = queue_recheck(
        Signature.objects.filter(affiliation_id=affiliation_id),
        reason,
        affiliation=Affiliation.objects.filter(pk=affiliation_id).first(),
        requested_by=get_user_model().objects.filter(pk=user_id).first() if user_id else None,
    )
    return recheck.total


def queue_recheck(
    signatures: QuerySet,
    reason: str,
    *,
    affiliation=None,
    petition=None,
    requested_by=None,
    chunk_size: int = RECHECK_CHUNK,
) -> Recheck:
    """Queue the workers to re-check these claims, a chunk of ids per task, tracked by a Recheck row.

    The chunks are sent after the commit, so the workers always find the row with its final total.
    """
    with transaction.atomic():
        recheck = Recheck.objects.create(
            reason=reason[:200], affiliation=affiliation, petition=petition, requested_by=requested_by
        )
        ids = claims.claims_to_recheck(signatures).order_by("pk").values_list("pk", flat=True)
        chunks: list[RecheckChunk] = []
        chunk: list[int] = []
        for pk in ids.iterator(chunk_size):
            chunk.append(pk)
            recheck.total += 1
            if len(chunk) == chunk_size:
                chunks.append(RecheckChunk(recheck=recheck, signature_ids=chunk))
                chunk = []
        if chunk:
            chunks.append(RecheckChunk(recheck=recheck, signature_ids=chunk))
        for saved in RecheckChunk.objects.bulk_create(chunks, batch_size=100):
            verify_claims.delay_on_commit(saved.signature_ids, recheck.pk, saved.pk)
        if recheck.total == 0:
            recheck.finished_at = recheck.created_at
        recheck.save(update_fields=["total", "finished_at"])
    return recheck


@shared_task(acks_late=True, reject_on_worker_lost=True)
def requeue_stalled_checks(waited: int | None = None) -> dict[str, int]:
    """Periodic (celery beat, every SWEEP_EVERY seconds): queue again what an outage left behind, once it has
    waited SWEEP_AFTER seconds (or `waited`) for its task: claims still `pending` with no challenge open,
    challenge emails not sent, re-check chunks not finished and roster uploads not imported. Idempotent: each
    task is safe to run twice.
    """
    waited = settings.SWEEP_AFTER if waited is None else waited
    # A long queue means busy workers, not lost tasks: claims and chunks wait for it to drain, rather than pile
    # up in it twice (their tasks are safe to repeat, but not free).
    stalled = backlog.stalled(timedelta(seconds=waited), include_claims=queue_length() <= QUEUE_BUSY)
    for start in range(0, len(stalled.claims), RECHECK_CHUNK):
        verify_claims.delay_on_commit(stalled.claims[start : start + RECHECK_CHUNK])
    for start in range(0, len(stalled.challenges), RECHECK_CHUNK):
        send_roster_challenges.delay_on_commit(stalled.challenges[start : start + RECHECK_CHUNK])
    for chunk in stalled.chunks:
        verify_claims.delay_on_commit(chunk.signature_ids, chunk.recheck_id, chunk.pk)
    for import_id in stalled.imports:
        import_roster_file.delay_on_commit(import_id)
    counts = {
        "claims": len(stalled.claims),
        "challenges": len(stalled.challenges),
        "chunks": len(stalled.chunks),
        "imports": len(stalled.imports),
    }
    if any(counts.values()):
        logger.warning("Queued again after waiting %ss or more: %s", waited, counts)
    return counts


@shared_task(acks_late=True, reject_on_worker_lost=True)
def import_roster_file(import_id: int) -> None:
    """Import an uploaded roster (queued by verification.rosters.queue_import): all of it or nothing, progress
    on its record; the claims are re-checked if the roster changed."""
    roster_import.run_import(import_id, on_change=queue_roster_recheck)


def queue_roster_recheck(affiliation_id: int, reason: str, user=None) -> None:
    """The affiliation's claims are checked again, on every petition, once this transaction commits."""
    recheck_affiliation_claims.delay_on_commit(affiliation_id, reason, user.pk if user else None)


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def cancel_unconfirmed_imports() -> int:
    """Periodic (celery beat, daily): uploads left waiting for their keeper's confirmation for
    roster_import.REVIEW_DAYS are cancelled, their files deleted."""
    return roster_import.cancel_unconfirmed()


@shared_task(**{**mail_task_options(), "autoretry_for": (MailServerUnavailable, *mail_task_options()["autoretry_for"])})
def send_roster_challenges(challenge_ids: list[int]) -> int:
    """Email these roster challenges to their roster addresses over one SMTP connection (emails.send_challenges):
    those a chunk of claims opened, or a moderator's, or those the sweeper found unsent. Sends nothing for a
    challenge already sent, closed, or being sent by another task; with the mail server down, retried with
    backoff (mail_task_options), and after that the sweeper's."""
    return emails.send_challenges(challenge_ids).sent


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def expire_roster_challenges() -> int:
    """Periodic (celery beat): close unanswered challenges past their time and settle the claims they leave."""
    return claims.expire_challenges()


def send_challenges(challenge_ids: list[int]) -> None:
    """After the commit, one task emails all these challenges (over one SMTP connection)."""
    if challenge_ids:
        send_roster_challenges.delay_on_commit(list(challenge_ids))


@worker_init.connect(dispatch_uid="verification.preload_roster_indexes")
def preload_in_worker(**kwargs) -> None:
    """Before a worker forks its pool processes: the roster indexes the claim checks will need
    (matching.preload_roster_indexes), built once in the main process and inherited by every pool process, then
    the database connection closed (a pool process opens its own). A failure is logged: the processes build
    their indexes themselves, as before."""
    try:
        began = time.perf_counter()
        built = matching.preload_roster_indexes()
        if built:
            logger.info("Roster indexes built before forking: %d in %.1f s", built, time.perf_counter() - began)
    except Exception:
        logger.exception("Could not build the roster indexes before forking; each process builds its own")
    finally:
        connections.close_all()


def queue_claim_check(sender, signature_id: int, **kwargs) -> None:
    """Receiver of signatures.signals.signature_confirmed: the claim is owed its check (the row says so: `pending`
    without evidence), and a `check_owed_claims` run due at the end of this CLAIM_CHECK_WINDOW checks it with the
    others confirmed meanwhile (one task per window and web process, queued after the commit). Run eagerly
    (`make run`, the unit tests), each confirmation's commit checks it at once."""
    check_owed_claims.gather_on_commit(settings.CLAIM_CHECK_WINDOW)
