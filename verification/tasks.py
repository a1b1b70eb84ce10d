from celery import shared_task
from django.contrib.auth import get_user_model
from django.db import OperationalError

from . import matching
from .models import Affiliation, Recheck


def _worker_name(task) -> str:
    host = task.request.hostname or "in-process"
    return f"{task.name}@{host} ({task.request.id})"


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def verify_claim(self, signature_id: int) -> None:
    """Check one claim (queued when a signer confirms). Idempotent: a repeat records nothing new."""
    matching.verify_claim(signature_id, worker=_worker_name(self))


@shared_task(bind=True, acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def verify_claims(self, signature_ids: list[int], recheck_id: int | None = None) -> None:
    """Re-check a chunk of claims, one transaction each, so one failure loses nothing already decided."""
    matching.verify_claims(signature_ids, worker=_worker_name(self))
    if recheck_id is not None:
        Recheck.advance(recheck_id, len(signature_ids))


@shared_task(acks_late=True, autoretry_for=(OperationalError,), retry_backoff=True, max_retries=5)
def recheck_affiliation_claims(
    affiliation_id: int, reason: str = "the roster changed", user_id: int | None = None
) -> int:
    """After a roster change: every confirmed claim of this affiliation, on every petition."""
    from signatures.models import Signature

    recheck = matching.queue_recheck(
        Signature.objects.filter(affiliation_id=affiliation_id),
        reason,
        affiliation=Affiliation.objects.filter(pk=affiliation_id).first(),
        requested_by=get_user_model().objects.filter(pk=user_id).first() if user_id else None,
    )
    return recheck.total
