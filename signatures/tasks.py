from celery import shared_task

from undersigned.celery import mail_task_options

from . import outbox


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
