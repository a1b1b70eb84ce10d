"""The abuse workers' tasks: each takes ids (or nothing) and calls one function."""

from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import OperationalError
from django.utils import timezone

from . import invalidation, trending
from .models import Parked, Source

RETRY = {"acks_late": True, "autoretry_for": (OperationalError,), "retry_backoff": True, "max_retries": 5}


@shared_task(**RETRY)
def invalidate_signatures(invalidation_id: int) -> int:
    """Run one bulk invalidation (resumable: a redelivered task carries on where it stopped)."""
    return invalidation.run(invalidation_id).invalidated


@shared_task(**RETRY)
def undo_invalidation(invalidation_id: int) -> int:
    return invalidation.undo(invalidation_id).reinstated


@shared_task(**RETRY)
def flag_trending() -> int:
    """Periodic (celery beat, ABUSE_TRENDING_INTERVAL): raise or refresh flags for the last window's bursts."""
    return len(trending.flag_trending())


@shared_task(**RETRY)
def purge_abuse_records() -> int:
    """Periodic (daily): forget signing sources and parked submissions older than ABUSE_RETENTION_DAYS."""
    before = timezone.now() - timedelta(days=settings.ABUSE_RETENTION_DAYS)
    sources, _ = Source.objects.filter(created_at__lt=before).delete()
    parked, _ = Parked.objects.filter(created_at__lt=before).delete()
    return sources + parked
