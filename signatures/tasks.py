from celery import shared_task

from undersigned.celery import mail_task_options

from . import counts, lifetimes, outbox
from .emails import resend_confirmation_email


@shared_task(**{**mail_task_options(), "autoretry_for": (outbox.MailServerUnavailable,)})
def deliver_confirmation_email(signature_id: int) -> None:
    """Send the confirmation this signature is owed (signatures.outbox), built from the signature as it is now.

    Safe to repeat: a row already sent is gone, so a repeat sends nothing. When the retries run out the row is
    still there, and `send_unsent_confirmations` sends it.
    """
    outbox.send_owed(signature_id)


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


@shared_task(**mail_task_options())
def deliver_resent_confirmation(petition_id: int, key: str) -> None:
    """The "didn't get the email?" request. Takes the mailbox key, not a signature id: looking the signature
    up here keeps the web request's work the same whether or not that address signed."""
    resend_confirmation_email(petition_id, key)


@shared_task(ignore_result=True)
def fold_counters() -> int:
    """Periodic (celery beat, every COUNTS_FOLD_SECONDS): add parked counter deltas into the public counts, so
    that a count left behind by the last of a burst of concurrent confirmations lags by seconds, not forever."""
    return counts.fold_all()
