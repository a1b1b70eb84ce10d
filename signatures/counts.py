"""The maintained counters behind every public count: never a COUNT(*) on a page view.

This module is the only door to them: `record` moves them with each change, `fold` adds in the changes that
were parked as CountDelta rows (so that confirmations never queue on one counter row), `claim_counts` reads
them for the public pages, and `recount` repairs them from the signatures (the `recount` command).
"""

from collections.abc import Iterable
from dataclasses import dataclass

from django.db import connection, models, transaction

from petitions.models import Petition

from .models import AffiliationTally, CountDelta, Signature


@dataclass(frozen=True)
class Snapshot:
    status: str
    verification: str

    @classmethod
    def of(cls, signature: Signature) -> "Snapshot":
        return cls(signature.status, signature.verification)

    @property
    def counted(self) -> bool:
        return self.status == Signature.Status.CONFIRMED

    @property
    def verified(self) -> bool:
        return self.counted and self.verification == Signature.Verification.VERIFIED

    @property
    def disputed(self) -> bool:
        return self.counted and self.verification == Signature.Verification.DISPUTED


def record(signature: Signature, before: Snapshot) -> None:
    """Move the counters from what `before` contributed to what `signature` contributes now.

    Called inside the transaction that changed the signature. When no other transaction holds the petition's
    row, the change (with any deltas others parked meanwhile) goes straight into the counters; when one does,
    the change is parked as a CountDelta row instead of queueing behind it, and the next fold adds it in (the
    next uncontended change, the `fold_counters` task every COUNTS_FOLD_SECONDS, or a public page's refresh).
    No confirmation waits for another, and nothing is counted twice or lost.
    """
    record_many([(signature, before)])


def record_many(changes: Iterable[tuple[Signature, Snapshot]]) -> None:
    """`record` for many signatures changed in one transaction (a chunk of claim checks): the changes are
    summed per petition and affiliation, then each petition gets one fold, or one parked delta per affiliation."""
    by_petition: dict[int, dict[int, list[int]]] = {}
    for signature, before in changes:
        after = Snapshot.of(signature)
        confirmed = int(after.counted) - int(before.counted)
        verified = int(after.verified) - int(before.verified)
        disputed = int(after.disputed) - int(before.disputed)
        if not (confirmed or verified or disputed):
            continue
        claimed = confirmed if signature.affiliation_id else 0
        row = by_petition.setdefault(signature.petition_id, {}).setdefault(signature.affiliation_id or 0, [0] * 4)
        for n, value in enumerate((confirmed, claimed, verified, disputed)):
            row[n] += value
    for petition_id, sums in sorted(by_petition.items()):
        sums = {affiliation_id: row for affiliation_id, row in sums.items() if any(row)}
        if sums and _fold(petition_id, extra=sums) is None:
            CountDelta.objects.bulk_create(
                CountDelta(
                    petition_id=petition_id,
                    affiliation_id=affiliation_id,
                    confirmed=confirmed,
                    claimed=claimed,
                    verified=verified,
                    disputed=disputed,
                )
                for affiliation_id, (confirmed, claimed, verified, disputed) in sorted(sums.items())
            )


def fold(petition_id: int, wait: bool = False) -> int | None:
    """Add the petition's parked deltas into its counters; how many confirmed signatures that added. None if
    another transaction holds the petition's row (unless `wait`): that one folds, or a later fold does."""
    return _fold(petition_id, wait=wait)


def fold_all() -> int:
    """Fold every petition that has deltas parked; how many petitions were folded (the periodic task)."""
    petition_ids = CountDelta.objects.values_list("petition_id", flat=True).distinct().order_by()
    return sum(_fold(petition_id) is not None for petition_id in list(petition_ids))


def _fold(petition_id: int, extra: dict[int, list[int]] | None = None, wait: bool = False) -> int | None:
    """`extra`: changes of the caller's own, per affiliation (0: no claim) as [confirmed, claimed, verified,
    disputed], added in with the parked ones."""
    with transaction.atomic():
        locked = (
            Petition.objects.select_for_update(skip_locked=not wait, no_key=True)
            .filter(pk=petition_id)
            .values_list("pk")
        )
        if not list(locked):
            return None
        sums = _take_deltas(petition_id)
        for affiliation_id, values in (extra or {}).items():
            row = sums.setdefault(affiliation_id, [0, 0, 0, 0])
            for n, value in enumerate(values):
                row[n] += value
        confirmed = sum(row[0] for row in sums.values())
        if confirmed:
            Petition.objects.filter(pk=petition_id).update(signature_count=models.F("signature_count") + confirmed)
        tallies = [(affiliation, *row[1:]) for affiliation, row in sorted(sums.items()) if affiliation and any(row[1:])]
        if tallies:
            _add_to_tallies(petition_id, tallies)
    return confirmed


def _take_deltas(petition_id: int) -> dict[int, list[int]]:
    """Delete the petition's committed deltas, returning their sums per affiliation (0: no claim).

    The caller holds the petition's row, so no one else folds meanwhile; deltas committed after the read are
    left for the next fold (PostgreSQL deletes and returns in one statement; elsewhere the rows read are
    deleted by id).
    """
    sums: dict[int, list[int]] = {}
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                f"WITH gone AS (DELETE FROM {CountDelta._meta.db_table} WHERE petition_id = %s "  # noqa: S608 (table name)
                "RETURNING affiliation_id, confirmed, claimed, verified, disputed) "
                "SELECT affiliation_id, sum(confirmed), sum(claimed), sum(verified), sum(disputed) "
                "FROM gone GROUP BY affiliation_id",
                [petition_id],
            )
            for affiliation_id, *values in cursor.fetchall():
                sums[affiliation_id] = [int(value) for value in values]
        return sums
    rows = list(
        CountDelta.objects.filter(petition_id=petition_id).values_list(
            "pk", "affiliation_id", "confirmed", "claimed", "verified", "disputed"
        )
    )
    for _, affiliation_id, *values in rows:
        row = sums.setdefault(affiliation_id, [0, 0, 0, 0])
        for n, value in enumerate(values):
            row[n] += value
    if rows:
        CountDelta.objects.filter(pk__in=[row[0] for row in rows]).delete()
    return sums


def _add_to_tallies(petition_id: int, tallies: list[tuple[int, int, int, int]]) -> None:
    """Add (claimed, verified, disputed) to each affiliation's tally, creating the missing ones, one upsert each.

    The inserted row is clamped at zero: PostgreSQL checks the counters' `>= 0` on the proposed row even when
    the conflict turns the insert into the update that adds the (maybe negative) delta.
    """
    table = AffiliationTally._meta.db_table
    query = (
        f"INSERT INTO {table} (petition_id, affiliation_id, claimed, verified, disputed) "  # noqa: S608 (table name)
        "VALUES (%s, %s, %s, %s, %s) ON CONFLICT (petition_id, affiliation_id) DO UPDATE SET "
        f"claimed = {table}.claimed + %s, verified = {table}.verified + %s, disputed = {table}.disputed + %s"
    )
    with connection.cursor() as cursor:
        for affiliation_id, *delta in tallies:
            cursor.execute(query, [petition_id, affiliation_id, *(max(0, n) for n in delta), *delta])


COUNTERS = ("claimed", "verified", "disputed")


def claim_counts(petition: Petition) -> list[dict]:
    """Claimed, verified and disputed per offered affiliation, from the maintained tallies (zeros included)."""
    tallies = {t.affiliation_id: t for t in petition.tallies.all()}
    return [
        {"affiliation": affiliation}
        | {name: getattr(tallies[affiliation.pk], name) if affiliation.pk in tallies else 0 for name in COUNTERS}
        for affiliation in petition.affiliations.all()
    ]


@dataclass(frozen=True)
class Drift:
    """One counter that disagreed with the signatures, and what it was set to."""

    petition: str
    counter: str
    stored: int
    actual: int

    def __str__(self) -> str:
        return f"{self.petition}: {self.counter} was {self.stored}, is {self.actual}"


def recount(petition: Petition) -> list[Drift]:
    """Set the petition's counters to what its signatures say, and report each one that had drifted.

    The petition's row and its tallies are locked first, so no fold runs meanwhile. The parked deltas are
    deleted and the signatures counted in one statement, under one snapshot: a change committed before it is
    counted (its delta deleted), one committed after it keeps its delta for the next fold, so nothing is
    counted twice or lost. Parked deltas are not drift: a counter drifted if counter + its deltas was wrong.
    """
    drift: list[Drift] = []
    with transaction.atomic():
        stored = (
            Petition.objects.select_for_update(no_key=True)
            .values_list("signature_count", flat=True)
            .get(pk=petition.pk)
        )
        tallies = {t.affiliation_id: t for t in AffiliationTally.objects.select_for_update().filter(petition=petition)}
        actual, parked = _count_and_clear(petition.pk)
        confirmed = sum(row[0] for row in actual.values())
        was = stored + sum(row[0] for row in parked.values())
        if stored != confirmed:
            Petition.objects.filter(pk=petition.pk).update(signature_count=confirmed)
        if was != confirmed:
            drift.append(Drift(petition.slug, "confirmed", was, confirmed))
        for affiliation_id in (set(tallies) | set(actual) | set(parked)) - {0}:
            tally = tallies.get(affiliation_id)
            kept = [getattr(tally, name) if tally else 0 for name in COUNTERS]
            pending = parked.get(affiliation_id, [0, 0, 0, 0])[1:]
            now = actual.get(affiliation_id, [0, 0, 0, 0])[1:]
            if kept != now:
                AffiliationTally.objects.update_or_create(
                    petition=petition, affiliation_id=affiliation_id, defaults=dict(zip(COUNTERS, now, strict=True))
                )
            was_here = [a + b for a, b in zip(kept, pending, strict=True)]
            for counter, before, after in zip(COUNTERS, was_here, now, strict=True):
                if before != after:
                    drift.append(Drift(petition.slug, f"{counter} (affiliation {affiliation_id})", before, after))
    return drift


def _count_and_clear(petition_id: int) -> tuple[dict[int, list[int]], dict[int, list[int]]]:
    """What the confirmed signatures say per affiliation (0: no claim) as [confirmed, claimed, verified,
    disputed], and the parked deltas deleted, summed the same way: both from one snapshot."""
    signature = Signature._meta.db_table
    delta = CountDelta._meta.db_table
    verified, disputed = Signature.Verification.VERIFIED, Signature.Verification.DISPUTED
    actual: dict[int, list[int]] = {}
    parked: dict[int, list[int]] = {}
    if connection.vendor == "postgresql":
        query = (
            f"WITH gone AS (DELETE FROM {delta} WHERE petition_id = %s "  # noqa: S608 (table names, values bound)
            "RETURNING affiliation_id, confirmed, claimed, verified, disputed) "
            "SELECT 'actual', coalesce(affiliation_id, 0), count(*), count(affiliation_id), "
            "count(*) FILTER (WHERE verification = %s), count(*) FILTER (WHERE verification = %s) "
            f"FROM {signature} WHERE petition_id = %s AND status = %s GROUP BY affiliation_id "
            "UNION ALL SELECT 'parked', affiliation_id, sum(confirmed), sum(claimed), sum(verified), sum(disputed) "
            "FROM gone GROUP BY affiliation_id"
        )
        with connection.cursor() as cursor:
            cursor.execute(query, [petition_id, verified, disputed, petition_id, Signature.Status.CONFIRMED])
            for kind, affiliation_id, *values in cursor.fetchall():
                (actual if kind == "actual" else parked)[affiliation_id] = [int(value) for value in values]
        return actual, parked
    parked = _take_deltas(petition_id)
    rows = Signature.objects.counted().filter(petition_id=petition_id).values_list("affiliation_id", "verification")
    for affiliation_id, verification in rows.iterator():
        row = actual.setdefault(affiliation_id or 0, [0, 0, 0, 0])
        row[0] += 1
        row[1] += affiliation_id is not None
        row[2] += verification == verified
        row[3] += verification == disputed
    return actual, parked
