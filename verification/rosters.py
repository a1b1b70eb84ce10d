"""The only door for roster writes: CSV import, an entry saved or deleted, a changed domain rule.

Every write here ends in `roster_changed`, which queues the re-check of the affiliation's claims once the
transaction commits (the roster's version, which workers key their copies on, moves with every write in
the model layer itself). The CSV import validates every row first (verification.roster_csv), then writes
all of it or nothing. An upload is stored and imported by a worker (`queue_import` → `run_import`), with
its progress and outcome on its RosterImport; one that changes claims' verdicts waits for its keeper to
confirm what it changes (`confirm_upload`) or to cancel it (`cancel_upload`).
"""

import uuid
from collections.abc import Callable
from typing import BinaryIO

from django.core.files import File
from django.db import transaction
from django.utils import timezone

from . import roster_import
from .models import Affiliation, RosterEntry, RosterImport
from .roster_csv import COLUMNS, RosterError
from .tasks import import_roster_file, queue_roster_recheck

__all__ = [
    "COLUMNS",
    "RosterError",
    "cancel_upload",
    "confirm_upload",
    "delete_entries",
    "domains_changed",
    "import_roster",
    "queue_import",
    "run_import",
    "save_entry",
]


def roster_changed(affiliation_id: int, reason: str, user=None) -> None:
    """The affiliation's claims are checked again, on every petition, once this transaction commits."""
    queue_roster_recheck(affiliation_id, reason, user)


def save_entry(entry: RosterEntry, user=None) -> None:
    """A roster entry added or edited by hand."""
    with transaction.atomic():
        entry.save()
        roster_changed(entry.affiliation_id, "a roster entry was edited", user)


def delete_entries(entries, user=None) -> int:
    """Remove roster entries (a queryset), then re-check the claims of each affiliation they were on."""
    with transaction.atomic():
        affiliations = set(entries.values_list("affiliation_id", flat=True).distinct())
        deleted, _ = entries.delete()
        for affiliation_id in sorted(affiliations):
            roster_changed(affiliation_id, "roster entries were deleted", user)
    return deleted


def domains_changed(affiliation: Affiliation, user=None) -> None:
    """The affiliation's email-domain rule was changed (saved by the caller)."""
    roster_changed(affiliation.pk, "its email domains changed", user)


def import_roster(
    affiliation: Affiliation,
    source: bytes | BinaryIO,
    filename: str,
    *,
    replace: bool = False,
    user=None,
    record: RosterImport | None = None,
    progress: Callable[[int], None] | None = None,
) -> RosterImport:
    """Add (or with `replace`, make the roster exactly) the file's rows, then re-check the claims; all or
    nothing (verification.roster_import.import_file). `source`: the file's bytes or a binary file."""
    return roster_import.import_file(
        affiliation,
        source,
        filename,
        on_change=roster_changed,
        replace=replace,
        user=user,
        record=record,
        progress=progress,
    )


def queue_import(affiliation: Affiliation, upload: File, *, replace: bool = False, user=None) -> RosterImport:
    """An upload: the file is stored (default storage, under MEDIA_ROOT) and a worker imports it
    (`import_roster_file`), so a big roster never holds a web request; the record shows its progress."""
    record = RosterImport(
        affiliation=affiliation,
        filename=(upload.name or "roster.csv")[:255],
        replaced=replace,
        imported_by=user,
        state=RosterImport.State.QUEUED,
        progress_at=timezone.now(),
    )
    record.upload.save(f"{uuid.uuid4().hex}.csv", upload, save=False)
    with transaction.atomic():
        record.save()
        import_roster_file.delay_on_commit(record.pk)
    return record


def confirm_upload(record: RosterImport, user) -> bool:
    """The keeper has seen the verdicts the upload changes and goes ahead: a worker writes it (unless the roster
    changed since: then it is judged again). False if it was no longer waiting for review."""
    with transaction.atomic():
        confirmed = roster_import.confirm_import(record, user)
        if confirmed:
            import_roster_file.delay_on_commit(record.pk)
    return confirmed


def cancel_upload(record: RosterImport, user) -> bool:
    """The keeper drops an upload waiting for review: nothing is written, the file is deleted."""
    who = getattr(user, "email", "") or "its keeper"
    return roster_import.cancel_import(record, f"cancelled by {who} after the dry run")


def run_import(import_id: int) -> RosterImport | None:
    """Import an upload now, in this process (what the `import_roster_file` task does in a worker)."""
    return roster_import.run_import(import_id, on_change=roster_changed)
