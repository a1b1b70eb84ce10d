from celery import shared_task
from django.db import OperationalError

from . import matching


def _worker_name(task) -> str:
    host = task.request.hostname or "in-process"
    return f"{task.name}@{host} ({task.request.id})"


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def verify_claim(self, signature_id: int) -> None:
    """Check one claim (queued when a signer confirms). Idempotent: a repeat records nothing new."""
    matching.verify_claim(signature_id, worker=_worker_name(self))


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def verify_claims(self, signature_ids: list[int]) -> None:
    """Re-check a chunk of claims, one transaction each, so one failure loses nothing already decided."""
    matching.verify_claims(signature_ids, worker=_worker_name(self))


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recheck_affiliation_claims(affiliation_id: int) -> int:
    """After a roster change: every confirmed claim of this affiliation, on every petition."""
    from signatures.models import Signature

    return matching.queue_recheck(Signature.objects.filter(affiliation_id=affiliation_id))
