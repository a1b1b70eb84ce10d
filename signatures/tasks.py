from smtplib import SMTPException

from celery import shared_task

from .emails import send_confirmation_email
from .models import Signature


@shared_task(
    acks_late=True,
    autoretry_for=(SMTPException, ConnectionError, TimeoutError),
    retry_backoff=True,
    retry_backoff_max=600,
    max_retries=8,
)
def deliver_confirmation_email(signature_id: int) -> None:
    """Safe to retry: the email is built from the signature as it is now, so it never carries stale links."""
    signature = Signature.objects.select_related("petition", "affiliation").filter(pk=signature_id).first()
    if signature is not None:
        send_confirmation_email(signature)
