"""Data lifetimes: how long a signer's personal data is kept, and the signer's own erasure.

- Unconfirmed signatures are deleted UNCONFIRMED_RETENTION_DAYS after they were last submitted.
- Withdrawn and rejected signatures are anonymised WITHDRAWN_/REJECTED_RETENTION_DAYS after that happened.
- A letter whose organiser chose `anonymise_after_close_months` has its signers anonymised that long after
  it stopped accepting signatures.
- (Client IPs are never stored; the abuse defences keep keyed hashes of IP ranges, purged on their own clock.)
- A signer may erase their signature from the link in any of our emails (`erase`).

Anonymising keeps a signature's status, claim and verification, so the public count, every affiliation tally
and `recount` give the same numbers before and after; only confirmed signatures count, and none of these
steps turns a counted signature into an uncounted one except the signer's own erasure, which moves the
counters exactly as a withdrawal does. Each step is idempotent (it only touches rows not yet done) and
leaves an `Erasure` record per petition: the kind, the moment and how many, never whose.
"""

import calendar
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import Count, QuerySet
from django.utils import timezone

from petitions.models import Petition

from . import counts, tokens
from .models import Erasure, Signature
from .signals import signatures_anonymised

BATCH = 1000


class LinkNotValid(Exception):
    """An erase link that must do nothing: already erased, re-signed or changed since, or unknown."""


@dataclass(frozen=True)
class Outcome:
    """What one lifetime step did: the kind of record it left and how many signatures it touched."""

    kind: str
    rows: int

    def __str__(self) -> str:
        return f"{Erasure.Kind(self.kind).label}: {self.rows}"


def purge_unconfirmed(now: datetime | None = None) -> Outcome:
    """Delete signatures never confirmed within UNCONFIRMED_RETENTION_DAYS of their last submission.

    They never counted, so no counter moves. A signature confirmed (or submitted again) meanwhile is left:
    the delete re-checks the condition on each batch.
    """
    now = now or timezone.now()
    due = Signature.objects.filter(
        status=Signature.Status.UNCONFIRMED,
        submitted_at__lt=now - timedelta(days=settings.UNCONFIRMED_RETENTION_DAYS),
    )
    total = 0
    for petition_id in _petitions_of(due):
        of_petition = due.filter(petition_id=petition_id)
        removed = 0
        while ids := list(of_petition.values_list("pk", flat=True)[:BATCH]):
            with transaction.atomic():
                # Locked and re-checked first: a signer confirming at this moment waits, then finds it gone,
                # or confirms first and it is left.
                still_due = list(of_petition.filter(pk__in=ids).select_for_update().values_list("pk", flat=True))
                _, deleted = Signature.objects.filter(pk__in=still_due).delete()
                removed += deleted.get(Signature._meta.label, 0)
        total += _record(petition_id, Erasure.Kind.UNCONFIRMED_PURGED, removed, now)
    return Outcome(Erasure.Kind.UNCONFIRMED_PURGED, total)


def anonymise_withdrawn_and_rejected(now: datetime | None = None) -> list[Outcome]:
    """Anonymise signatures withdrawn or rejected more than WITHDRAWN_/REJECTED_RETENTION_DAYS ago."""
    now = now or timezone.now()
    withdrawn = Signature.objects.filter(
        status=Signature.Status.WITHDRAWN,
        withdrawn_at__lt=now - timedelta(days=settings.WITHDRAWN_RETENTION_DAYS),
    )
    rejected = Signature.objects.filter(
        status=Signature.Status.REJECTED,
        rejected_at__lt=now - timedelta(days=settings.REJECTED_RETENTION_DAYS),
    )
    return [
        Outcome(
            Erasure.Kind.WITHDRAWN_ANONYMISED, _anonymise_by_petition(withdrawn, Erasure.Kind.WITHDRAWN_ANONYMISED, now)
        ),
        Outcome(
            Erasure.Kind.REJECTED_ANONYMISED, _anonymise_by_petition(rejected, Erasure.Kind.REJECTED_ANONYMISED, now)
        ),
    ]


def anonymise_closed_letters(now: datetime | None = None) -> Outcome:
    """Anonymise every signer of letters whose organiser chose so, that many months after they closed.

    The signatures keep counting (the letter's figures are its record); their names leave the public list.
    """
    now = now or timezone.now()
    total = 0
    for petition in Petition.objects.filter(anonymise_after_close_months__isnull=False).exclude(
        status=Petition.Status.DRAFT
    ):
        ended = petition.ended_at(now)
        if ended is None or add_months(ended, petition.anonymise_after_close_months) > now:
            continue
        total += _anonymise_by_petition(
            Signature.objects.filter(petition=petition), Erasure.Kind.CLOSED_ANONYMISED, now
        )
    return Outcome(Erasure.Kind.CLOSED_ANONYMISED, total)


def erasable(signature_id: int, fingerprint: str) -> Signature:
    """The signature an erase link would erase, read without changing anything (what its page shows)."""
    signature = Signature.objects.select_related("petition").filter(pk=signature_id).first()
    _check_erase_link(signature, fingerprint)
    return signature


def _check_erase_link(signature: Signature | None, fingerprint: str) -> None:
    if signature is None or signature.anonymised:
        raise LinkNotValid("erased")
    if fingerprint != tokens.submission_fingerprint(signature):
        raise LinkNotValid("stale")


def erase(signature_id: int, fingerprint: str) -> Petition:
    """The signer's erasure: a counted signature leaves the counts (as a withdrawal), then is anonymised.

    Recorded as an `Erasure` of kind signer_request, without the data. A second use of the link raises
    LinkNotValid (the signature no longer matches the fingerprint, and is anonymised).
    """
    now = timezone.now()
    with transaction.atomic():
        signature = Signature.objects.select_for_update(of=("self",)).filter(pk=signature_id).first()
        _check_erase_link(signature, fingerprint)
        before = counts.Snapshot.of(signature)
        signature.erase()
        signature.save(update_fields=["status", "withdrawn_at"])
        counts.record(signature, before)
        _anonymise(Signature.objects.filter(pk=signature.pk), now)
        _record(signature.petition_id, Erasure.Kind.SIGNER_REQUEST, 1, now)
    return signature.petition


def _petitions_of(signatures: QuerySet) -> list[int]:
    return list(signatures.order_by().values_list("petition_id", flat=True).distinct())


def _anonymise_by_petition(signatures: QuerySet, kind: str, now: datetime) -> int:
    """Anonymise `signatures` in batches, one Erasure record per petition; how many were anonymised."""
    pending = signatures.filter(anonymised_at__isnull=True)
    total = 0
    for row in pending.order_by().values("petition_id").annotate(n=Count("pk")):
        of_petition = pending.filter(petition_id=row["petition_id"])
        done = 0
        while ids := list(of_petition.values_list("pk", flat=True)[:BATCH]):
            with transaction.atomic():
                done += _anonymise(of_petition.filter(pk__in=ids), now)
        total += _record(row["petition_id"], kind, done, now)
    return total


def _anonymise(signatures: QuerySet, now: datetime) -> int:
    """One batch, inside the caller's transaction; the layers above drop what they hold about these signers.

    The rows are locked and the condition that made them due re-checked (it is part of `signatures`): one
    signed again and confirmed meanwhile is left as it is.
    """
    ids = list(signatures.filter(anonymised_at__isnull=True).select_for_update().values_list("pk", flat=True))
    if not ids:
        return 0
    done = Signature.objects.filter(pk__in=ids).anonymise(now)
    signatures_anonymised.send(sender=Signature, signature_ids=ids)
    return done


def _record(petition_id: int, kind: str, rows: int, now: datetime) -> int:
    if rows:
        Erasure.objects.create(petition_id=petition_id, kind=kind, rows=rows, at=now)
    return rows


def add_months(moment: datetime, months: int) -> datetime:
    """The same day and time `months` later (the month's last day when it is shorter)."""
    month = moment.month - 1 + months
    year, month = moment.year + month // 12, month % 12 + 1
    return moment.replace(year=year, month=month, day=min(moment.day, calendar.monthrange(year, month)[1]))
