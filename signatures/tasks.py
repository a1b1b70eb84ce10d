from celery import shared_task

from undersigned.celery import MAIL_TASK_OPTIONS

from . import counts, lifetimes
from .emails import resend_confirmation_email, send_confirmation_email
from .models import Signature


@shared_task(**MAIL_TASK_OPTIONS)
def deliver_confirmation_email(signature_id: int) -> None:
    """Safe to retry: the email is built from the signature as it is now, so it never carries stale links."""
    signature = Signature.objects.select_related("petition", "affiliation").filter(pk=signature_id).first()
    if signature is not None:
        send_confirmation_email(signature)


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


@shared_task(**MAIL_TASK_OPTIONS)
def deliver_resent_confirmation(petition_id: int, key: str) -> None:
    """The "didn't get the email?" request. Takes the mailbox key, not a signature id: looking the signature
    up here keeps the web request's work the same whether or not that address signed."""
    resend_confirmation_email(petition_id, key)


@shared_task(ignore_result=True)
def fold_counters() -> int:
    """Periodic (celery beat, every COUNTS_FOLD_SECONDS): add parked counter deltas into the public counts, so
    that a count left behind by the last of a burst of concurrent confirmations lags by seconds, not forever."""
    return counts.fold_all()
