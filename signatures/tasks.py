from celery import shared_task

from undersigned.celery import MAIL_TASK_OPTIONS

from . import counts
from .emails import send_confirmation_email
from .models import Signature


@shared_task(**MAIL_TASK_OPTIONS)
def deliver_confirmation_email(signature_id: int) -> None:
    """Safe to retry: the email is built from the signature as it is now, so it never carries stale links."""
    signature = Signature.objects.select_related("petition", "affiliation").filter(pk=signature_id).first()
    if signature is not None:
        send_confirmation_email(signature)


@shared_task(ignore_result=True)
def fold_counters() -> int:
    """Periodic (celery beat, every COUNTS_FOLD_SECONDS): add parked counter deltas into the public counts, so
    that a count left behind by the last of a burst of concurrent confirmations lags by seconds, not forever."""
    return counts.fold_all()
