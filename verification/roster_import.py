"""The roster import pipeline behind verification.rosters (the door every surface uses): a CSV read line by
line, every row checked (verification.roster_csv), then all of it written or nothing, in one transaction.

An upload is imported by a worker (`run_import`, from the `import_roster_file` task) with its progress and
outcome on its RosterImport. This module queues nothing itself: whoever calls it passes `on_change`, which
queues the re-check of the claims in the import's transaction (the door passes `rosters.roster_changed`).
"""

import functools
import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import BinaryIO

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from .models import Affiliation, RosterEntry, RosterImport
from .roster_csv import RosterError, RosterRow, parse_roster
from .signals import roster_imported

FIELDS = ["full_name", "email", "handles", "external_id", "name_key", "email_key"]
# Problems kept on a failed import's record (all are counted).
MAX_PROBLEMS_KEPT = 1000
OnChange = Callable[[int, str, object], None]


@dataclass(slots=True)
class _Existing:
    """An entry already on the roster, as the plan needs it (a big roster is hundreds of thousands of them)."""

    pk: int
    full_name: str
    email: str
    handles: str
    external_id: str
    name_key: str
    email_key: str
    line: int = 0  # the file's line that states this entry (0: none does)

    def as_entry(self, affiliation: Affiliation) -> RosterEntry:
        return RosterEntry(pk=self.pk, affiliation=affiliation, **{name: getattr(self, name) for name in FIELDS})


@dataclass
class _Plan:
    create: list[RosterRow] = field(default_factory=list)  # new entries, as their rows (no model instances)
    update: list[_Existing] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)


def import_file(
    affiliation: Affiliation,
    source: bytes | BinaryIO,
    filename: str,
    *,
    on_change: OnChange,
    replace: bool = False,
    user=None,
    record: RosterImport | None = None,
    progress: Callable[[int], None] | None = None,
) -> RosterImport:
    """Add (or with `replace`, make the roster exactly) the file's rows, then re-check the claims.

    `source` is the file's bytes or a binary file, read line by line. A row updates the entry with its
    external id, else its email, else its name. Nothing is written unless every row is good and the resulting
    roster has no email or external id twice. `record`: the upload's RosterImport (a worker's import), else a
    new one is written; `progress(lines read)` is called while the rows are checked; `on_change(affiliation
    id, reason, user)` in the import's transaction when the roster changed (it queues the re-check).
    """
    uploaded = record is not None
    rows = parse_roster(source, progress)
    if record is not None:
        _progress(record.pk, state=RosterImport.State.WRITING, rows=len(rows))
    try:
        with transaction.atomic():
            # One import of an affiliation's roster at a time: the plan is made from what is there now.
            Affiliation.objects.select_for_update().filter(pk=affiliation.pk).first()
            if record is not None:
                record = RosterImport.objects.select_for_update().get(pk=record.pk)
                if record.state == RosterImport.State.DONE:
                    return record  # a repeat delivery of an import that has been written
            existing = [
                _Existing(*values)
                for values in RosterEntry.objects.filter(affiliation=affiliation)
                .order_by("pk")
                .values_list("pk", *FIELDS)
                .iterator(10_000)
            ]
            plan = _plan(affiliation, rows, existing, replace)
            for start in range(0, len(plan.remove), 10_000):
                RosterEntry.objects.filter(pk__in=plan.remove[start : start + 10_000]).delete()
            if plan.update:
                # Unique keys may move between entries (a swap): clear them first, then set them.
                cleared = [RosterEntry(pk=e.pk, email_key="", external_id="") for e in plan.update]
                RosterEntry.objects.bulk_update(cleared, ["email_key", "external_id"], batch_size=1000)
                updated = [e.as_entry(affiliation) for e in plan.update]
                RosterEntry.objects.bulk_update(updated, FIELDS, batch_size=1000)
            _create(affiliation, plan.create)
            counts = {
                "rows": len(rows),
                "created": len(plan.create),
                "updated": len(plan.update),
                "removed": len(plan.remove),
            }
            if record is None:
                record = RosterImport.objects.create(
                    affiliation=affiliation, filename=filename[:255], replaced=replace, imported_by=user, **counts
                )
            else:
                for name, value in counts.items():
                    setattr(record, name, value)
                record.state, record.finished_at = RosterImport.State.DONE, timezone.now()
                record.save()
            changed = bool(plan.create or plan.update or plan.remove)
            if changed:
                on_change(affiliation.pk, f"roster import of {filename[:150]}", user)
            if uploaded:  # an upload, written by a worker: the layers above record it (and tell, if it reaches)
                roster_imported.send(sender=RosterImport, import_id=record.pk, changed=changed)
    except IntegrityError as error:
        raise RosterError([f"the rows conflict with entries already on the roster ({error}); try again"])
    return record


def _create(affiliation: Affiliation, rows: list[RosterRow]) -> None:
    """New entries: PostgreSQL's COPY (a big roster in about a second), else bulk inserts (SQLite)."""
    if connection.vendor != "postgresql":
        fields = ("full_name", "email", "handles", "external_id", "name_key", "email_key")
        entries = (RosterEntry(affiliation_id=affiliation.pk, **{f: getattr(row, f) for f in fields}) for row in rows)
        while batch := list(itertools.islice(entries, 1000)):
            RosterEntry.objects.bulk_create(batch)
        return
    now = timezone.now()
    columns = ["affiliation", "full_name", "email", "handles", "external_id", "name_key", "email_key", "imported_at"]
    names = ", ".join(f'"{RosterEntry._meta.get_field(name).column}"' for name in columns)
    statement = f'COPY "{RosterEntry._meta.db_table}" ({names}) FROM STDIN'
    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        for r in rows:
            copy.write_row(
                (affiliation.pk, r.full_name, r.email, r.handles, r.external_id, r.name_key, r.email_key, now)
            )
    Affiliation.bump_roster_version(affiliation.pk)


def run_import(import_id: int, *, on_change: OnChange) -> RosterImport | None:
    """The worker's side of an upload: check every row (reporting progress), write all or nothing, and record
    the outcome. Safe to run again (a redelivery after a worker was killed): a written import is not redone."""
    record = RosterImport.objects.select_related("affiliation", "imported_by").filter(pk=import_id).first()
    if record is None or not record.in_progress:
        return record
    if not record.upload:
        _progress(record.pk, state=RosterImport.State.FAILED, problems=["the uploaded file is gone: upload it again"])
        return record
    _progress(record.pk, state=RosterImport.State.READING, lines_read=0)
    try:
        with record.upload.open("rb") as source:
            record = import_file(
                record.affiliation,
                source,
                record.filename,
                replace=record.replaced,
                user=record.imported_by,
                record=record,
                on_change=on_change,
                progress=functools.partial(_lines_read, record.pk),
            )
    except RosterError as error:
        _progress(
            record.pk,
            state=RosterImport.State.FAILED,
            problems=error.problems[:MAX_PROBLEMS_KEPT],
            problems_count=len(error.problems),
            finished_at=timezone.now(),
        )
    record.upload.delete(save=False)
    RosterImport.objects.filter(pk=record.pk).update(upload="")
    record.refresh_from_db()
    return record


def _lines_read(import_id: int, lines: int) -> None:
    _progress(import_id, lines_read=lines)


def _progress(import_id: int, **fields) -> None:
    """Outside the import's transaction (autocommit), so the upload page sees it while the import runs."""
    RosterImport.objects.filter(pk=import_id).update(progress_at=timezone.now(), **fields)


def _plan(affiliation: Affiliation, rows: list[RosterRow], existing: list[_Existing], replace: bool) -> _Plan:
    by_external_id = {e.external_id: e for e in existing if e.external_id}
    by_email = {e.email_key: e for e in existing if e.email_key}
    # One entry per name, a list only for a name held twice or more (a list per entry cost 12 MB at 100k).
    by_name: dict[str, _Existing | list[_Existing]] = {}
    for entry in existing:
        held = by_name.setdefault(entry.name_key, entry)
        if held is not entry:
            if isinstance(held, list):
                held.append(entry)
            else:
                by_name[entry.name_key] = [held, entry]
    plan = _Plan()

    def find(row: RosterRow) -> _Existing | None:
        """The entry this row states (an entry already stated by an earlier row, `line` set, is taken)."""
        entry = by_external_id.get(row.external_id) if row.external_id else None
        if entry is None and row.email_key:
            entry = by_email.get(row.email_key)
            if entry is not None and row.external_id and entry.external_id:
                entry = None  # the address is another member's (different external id)
        if entry is None:
            named = by_name.get(row.name_key)
            named = named if isinstance(named, list) else [] if named is None else [named]
            same_name = [e for e in named if _compatible(e, row) and not e.line]
            entry = same_name[0] if len(same_name) == 1 else None
        return None if entry is None or entry.line else entry

    for row in rows:
        entry = find(row)
        if entry is None:
            plan.create.append(row)  # a new entry holds exactly the row's values and keys
        else:
            entry.line = row.line
            if row.differs_from(entry):
                row.apply_to(entry)
                plan.update.append(entry)
    if replace:
        plan.remove = [e.pk for e in existing if not e.line]
    problems = _conflicts(existing, plan.create, replace)
    if problems:
        raise RosterError(problems)
    return plan


def _compatible(entry: _Existing, row: RosterRow) -> bool:
    """A same-name entry is this row's only if neither has a different email or external id."""
    return (not entry.email_key or not row.email_key or entry.email_key == row.email_key) and (
        not entry.external_id or not row.external_id or entry.external_id == row.external_id
    )


def _conflicts(existing: list[_Existing], created: list[RosterRow], replace: bool) -> list[str]:
    """Emails and external ids the roster would hold twice, reported at the file's rows that cause them.

    The roster to be is the entries no row states (unless `replace` removes them), then those rows state, then
    the new ones: a clash is reported at the later of the two, which is always a row of the file.
    """
    problems: list[tuple[int, str]] = []
    for label, attr, shown in (("email", "email_key", "email"), ("external_id", "external_id", "external_id")):
        owners: dict[str, _Existing | RosterRow] = {}
        roster = itertools.chain(
            () if replace else (e for e in existing if not e.line), (e for e in existing if e.line), created
        )
        for entry in roster:
            value = getattr(entry, attr)
            if not value:
                continue
            other = owners.setdefault(value, entry)
            if other is entry:
                continue
            where = f"line {other.line}" if other.line else f"the roster's entry {other.full_name!r}"
            problems.append(
                (
                    entry.line,
                    f"line {entry.line}: {label} {getattr(entry, shown)} is also on {where}"
                    " (give the same external_id to update it, or import with --replace)",
                )
            )
    return [problem for _, problem in sorted(problems)]
