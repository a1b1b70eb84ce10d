"""Trending detection, after e-petitions' trending-IP and trending-domain jobs: bursts become flags.

Each run looks at the last ABUSE_TRENDING_WINDOW seconds of every petition's signatures (from `Source`) and
parked submissions, grouped by IP range, email domain and claimed affiliation; a group at or over
ABUSE_TRENDING_THRESHOLD raises (or refreshes) a Flag that moderators see beside the petition's counts.
Big free-mail providers and operators' allowed domains are not flagged as domains: they are expected to be
common. A flag stays as a record; `last_seen` says whether the burst is still going on.
"""

from datetime import datetime, timedelta

from django.conf import settings
from django.db.models import Count
from django.utils import timezone

from . import domains
from .models import Domain, Flag, Parked, Source

# kind → (the group's field on Source, the same on Parked)
GROUPS = {
    Flag.Kind.RANGE: ("network", "network"),
    Flag.Kind.DOMAIN: ("domain", "domain"),
    Flag.Kind.AFFILIATION: ("signature__affiliation__slug", "affiliation__slug"),
}


def _bursts(queryset, field: str, threshold: int | None) -> dict[tuple[int, str], int]:
    rows = queryset.exclude(**{f"{field}__isnull": True}).exclude(**{field: ""}).values("petition_id", field)
    rows = rows.annotate(n=Count("pk"))
    if threshold is not None:
        rows = rows.filter(n__gte=threshold)
    return {(row["petition_id"], row[field]): row["n"] for row in rows}


def _expected(domain: str) -> bool:
    return domains.is_big_provider(domain) or Domain.objects.filter(name=domain, state=Domain.State.ALLOWED).exists()


def flag_trending(now: datetime | None = None) -> list[Flag]:
    """Raise or refresh the flags for the bursts of the last window; returns them."""
    now = now or timezone.now()
    since = now - timedelta(seconds=settings.ABUSE_TRENDING_WINDOW)
    threshold = settings.ABUSE_TRENDING_THRESHOLD
    signed = Source.objects.filter(created_at__gte=since)
    parked = Parked.objects.filter(created_at__gte=since)
    flags = []
    for kind, (signed_field, parked_field) in GROUPS.items():
        over = set(_bursts(signed, signed_field, threshold)) | set(_bursts(parked, parked_field, threshold))
        if kind == Flag.Kind.DOMAIN:
            over = {(petition, key) for petition, key in over if not _expected(key)}
        if not over:
            continue
        keys = {key for _petition, key in over}
        signed_counts = _bursts(signed.filter(**{f"{signed_field}__in": keys}), signed_field, None)
        parked_counts = _bursts(parked.filter(**{f"{parked_field}__in": keys}), parked_field, None)
        for petition_id, key in sorted(over):
            flag, created = Flag.objects.get_or_create(
                petition_id=petition_id, kind=kind, key=key, defaults={"first_seen": now, "last_seen": now}
            )
            flag.signatures = signed_counts.get((petition_id, key), 0)
            flag.parked = parked_counts.get((petition_id, key), 0)
            flag.last_seen = now
            flag.save(update_fields=["signatures", "parked", "last_seen"])
            flags.append(flag)
    return flags
