from celery import shared_task

from . import counts, lifetimes, outbox


@shared_task(acks_late=True, reject_on_worker_lost=True, ignore_result=True)
def send_owed_confirmations() -> int:
    """Send every confirmation email owed (signatures.outbox) over one SMTP connection, each built from its
    signature as it is now. Queued at most once a CONFIRMATION_BATCH_WINDOW per web process, after the
    signings (and resend requests) that owe them (services: Task.gather_on_commit).

    Safe to repeat, and two at once never send one email twice (the rows are claimed). With the mail server
    down it does not retry: the rows stay owed, and the next run or the sweeper (`send_unsent_confirmations`)
    sends them.
    """
    try:
        return outbox.send_owed().sent
    except outbox.MailServerUnavailable:
        return 0


@shared_task(acks_late=True, reject_on_worker_lost=True)
def send_unsent_confirmations() -> int:
    """Periodic (celery beat, every SWEEP_EVERY seconds): send every confirmation owed for SWEEP_AFTER seconds
    or more, in batches of one SMTP connection each. Idempotent; a mail server still down waits for the next run.
    """
    try:
        return outbox.send_due().sent
    except outbox.MailServerUnavailable:
        return 0


# Data lifetimes (signatures.lifetimes), run by celery beat (settings.CELERY_BEAT_SCHEDULE) and by the
# `apply_data_lifetimes` command. Each is idempotent: a second run finds nothing left to do.


@shared_task
def purge_unconfirmed() -> int:
    return lifetimes.purge_unconfirmed().rows


@shared_task
def anonymise_withdrawn_and_rejected() -> int:
    return sum(outcome.rows for outcome in lifetimes.anonymise_withdrawn_and_rejected())


@shared_task
def anonymise_closed_letters() -> int:
    return lifetimes.anonymise_closed_letters().rows


@shared_task(ignore_result=True)
def fold_counters() -> int:
    """Periodic (celery beat, every COUNTS_FOLD_SECONDS): add parked counter deltas into the public counts, so
    that a count left behind by the last of a burst of concurrent confirmations lags by seconds, not forever."""
    return counts.fold_all()
