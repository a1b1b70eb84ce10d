"""The roster import pipeline behind verification.rosters (the door every surface uses): a CSV read line by
line, every row checked (verification.roster_csv), then all of it written or nothing, in one transaction.

An upload is imported by a worker (`run_import`, from the `import_roster_file` task) with its progress and
outcome on its RosterImport. Before an upload is written for good, its dry run (verification.preview) counts
the claims whose verdict it changes, per letter: the import is written in its transaction, judged, and rolled
back. If it changes any verdict, it waits in `review` for a keeper to confirm it (`confirm_import`), and is
then written unless the roster moved on meanwhile (then it is judged again). On PostgreSQL the file is read
inside the import's transaction and each row is COPYed as it is read, so the server stores it while Python
checks the next rows: into the roster if it is empty, else into a temporary table the plan is then made from,
in the database (verification.roster_sql). Elsewhere (SQLite) the plan is made in Python
(verification.roster_plan). This module queues nothing itself: whoever calls it passes `on_change`, which
queues the re-check of the claims in the import's transaction (the door passes `rosters.roster_changed`).
"""

import itertools
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import BinaryIO

from django.db import IntegrityError, connection, transaction
from django.utils import timezone

from . import preview
from .matching import out_of_cycle_collections
from .models import Affiliation, RosterEntry, RosterImport
from .roster_csv import RosterError, RosterRow, parse_roster, read_roster
from .roster_plan import FIELDS, Existing, Roster, make_plan
from .roster_sql import RosterBefore, staged_keys_repeat, staging, write_plan
from .signals import roster_imported

# Problems kept on a failed import's record (all are counted).
MAX_PROBLEMS_KEPT = 1000
OnChange = Callable[[int, str, object], None]
# The databases whose imports read the file inside their transaction, COPYing new entries in as they are read.
STREAM_ON = {"postgresql"}
# New entries per message of the COPY that writes them.
COPY_BATCH = 1000
# How long an upload waits in `review` for its keeper before it is cancelled and its file deleted.
REVIEW_DAYS = 7


class _Review(Exception):
    """Raised inside the import's transaction to roll its writes back: the upload changes these verdicts."""

    def __init__(self, summary: dict):
        self.summary = summary


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
    review: bool = False,
) -> RosterImport:
    """Add (or with `replace`, make the roster exactly) the file's rows, then re-check the claims.

    `source` is the file's bytes or a binary file, read line by line. A row updates the entry with its
    external id, else its email, else its name. Nothing is written unless every row is good and the resulting
    roster has no email or external id twice. `record`: the upload's RosterImport (a worker's import, whose
    progress is written on it), else a new one is written; `progress(lines read)` is called while the rows are
    checked (on PostgreSQL while the import's COPY streams: it must not use the default database connection);
    `on_change(affiliation id, reason, user)` in the import's transaction when the roster changed (it queues the
    re-check).

    `review` (an upload): unless its keeper confirmed the dry run of this very roster version, the import is
    judged first (verification.preview) and, if it changes any claim's verdict, rolled back and left in
    `review` with what it changes, for its keeper to confirm.

    On PostgreSQL the file is read inside the import's transaction, each row COPYed as soon as it is read (the
    database stores it while Python checks the next rows): into an empty roster as a new entry, else into the
    temporary table the plan is made from once the file is read (verification.roster_sql: neither the roster
    nor the file's rows are held in Python). Elsewhere (SQLite) the file is read first, then the roster loaded
    and the plan made in Python (verification.roster_plan); both plans write the same roster.
    """
    uploaded = record is not None
    streaming = connection.vendor in STREAM_ON
    side = _SideProgress(record.pk if record is not None else None, progress, beside=streaming)
    rows = None
    if not streaming:
        rows = parse_roster(source, side.lines)
        if record is not None:
            _progress(record.pk, state=_writing_state(record, review), rows=len(rows))
    try:
        with transaction.atomic():
            # One import of an affiliation's roster at a time: the plan is made from what is there now.
            locked = Affiliation.objects.select_for_update().filter(pk=affiliation.pk).first()
            if record is not None:
                current = RosterImport.objects.get(pk=record.pk)  # the affiliation's lock orders redeliveries
                if current.state not in RosterImport.WORKING:
                    return current  # a repeat delivery of an import written, cancelled or waiting for review
            before = str(locked.roster_version)
            if streaming:  # the plan is made in the database (verification.roster_sql)
                roster = RosterBefore.of(affiliation.pk)
                # What the process holds is out of the collector's sight while 100,000 rows come and go (and the
                # garbage it held is freed first, for the rows to reuse).
                out_of_cycle_collections()
                with side:
                    read = _copy_while_reading(affiliation, source, side.lines, roster)
                    if record is not None:
                        side.update(state=_writing_state(record, review), rows=read.rows)
                if record is not None:
                    record = RosterImport.objects.select_for_update().get(pk=record.pk)
                created = updated = removed = 0
                if not roster.empty:
                    created, updated, removed = write_plan(roster, read.given, replace)
            else:
                if record is not None:
                    record = RosterImport.objects.select_for_update().get(pk=record.pk)
                created, updated, removed = _plan_in_python(affiliation, rows, replace)
                read = _Read(rows=len(rows))
            counts = {
                "rows": read.rows,
                "created": read.created + created,
                "updated": updated,
                "removed": removed,
            }
            changed = bool(read.created or created or updated or removed)
            if review and record is not None and changed and not _confirmed(record, before):
                letters = preview.verdict_changes(affiliation.pk)
                if letters:
                    raise _Review({"roster_version": before, **counts, "letters": letters})
                record.preview = {"roster_version": before, **counts, "letters": {}}
            if record is None:
                record = RosterImport.objects.create(
                    affiliation=affiliation, filename=filename[:255], replaced=replace, imported_by=user, **counts
                )
            else:
                for name, value in counts.items():
                    setattr(record, name, value)
                record.state, record.finished_at = RosterImport.State.DONE, timezone.now()
                record.save()
            if changed:
                on_change(affiliation.pk, f"roster import of {filename[:150]}", user)
            if uploaded:  # an upload, written by a worker: the layers above record it (and tell, if it reaches)
                roster_imported.send(sender=RosterImport, import_id=record.pk, changed=changed)
    except IntegrityError as error:
        raise _conflict(error)
    except _Review as outcome:  # the writes are rolled back: the keeper confirms what they change first
        summary = {**outcome.summary, "checked_at": timezone.now().isoformat()}
        _progress(record.pk, state=RosterImport.State.REVIEW, preview=summary, confirmed_at=None, confirmed_by=None)
        record.refresh_from_db()
    return record


def _writing_state(record: RosterImport, review: bool) -> str:
    reviewed = record.confirmed_at is not None
    return RosterImport.State.WRITING if reviewed or not review else RosterImport.State.PREVIEWING


def _confirmed(record: RosterImport, version: str) -> bool:
    """The keeper confirmed the dry run of the roster as it is now (no other change was written since)."""
    return record.confirmed_at is not None and record.preview.get("roster_version") == version


def _create(affiliation: Affiliation, rows: list[RosterRow]) -> None:
    """New entries: PostgreSQL's COPY (a big roster in about a second), else bulk inserts (SQLite)."""
    if not rows:
        return
    if connection.vendor != "postgresql":
        fields = ("full_name", "email", "handles", "external_id", "name_key", "email_key")
        entries = (RosterEntry(affiliation_id=affiliation.pk, **{f: getattr(row, f) for f in fields}) for row in rows)
        while batch := list(itertools.islice(entries, 1000)):
            RosterEntry.objects.bulk_create(batch)
        return
    with _copy_entries(affiliation) as write:
        for row in rows:
            write(row)
    Affiliation.bump_roster_version(affiliation.pk)


@contextmanager
def _copy_entries(affiliation: Affiliation) -> Iterator[Callable[[RosterRow], None]]:
    """PostgreSQL's COPY into the roster: `write(row)` sends a new entry (the server inserts it meanwhile).

    The rows are COPY's text lines made here, sent COPY_BATCH at a time (a third of the CPU of psycopg's
    write_row per row): a checked row holds no control character (roster_csv refuses them), so a backslash is
    the only character to escape.
    """
    columns = ["affiliation", "full_name", "email", "handles", "external_id", "name_key", "email_key", "imported_at"]
    names = ", ".join(f'"{RosterEntry._meta.get_field(name).column}"' for name in columns)
    statement = f'COPY "{RosterEntry._meta.db_table}" ({names}) FROM STDIN'
    before, after = f"{affiliation.pk}\t", f"\t{timezone.now().isoformat()}\n"
    lines: list[str] = []

    def write(r: RosterRow) -> None:
        cells = (r.full_name, r.email, r.handles, r.external_id, r.name_key, r.email_key)
        line = before + "\t".join(cells) + after
        lines.append(line.replace("\\", "\\\\") if "\\" in line else line)
        if len(lines) >= COPY_BATCH:
            copy.write("".join(lines))
            lines.clear()

    with connection.cursor() as cursor, cursor.cursor.copy(statement) as copy:
        yield write
        if lines:
            copy.write("".join(lines))


@dataclass
class _Read:
    rows: int = 0  # the file's good rows
    created: int = 0  # of which new entries, written as they were read
    given: frozenset[str] = frozenset()  # the file's columns


def _copy_while_reading(
    affiliation: Affiliation, source: bytes | BinaryIO, progress: Callable[[int], None], roster: RosterBefore
) -> _Read:
    """PostgreSQL: the rows are COPYed as they are read, into the roster if it is empty (each is a new entry),
    else into the table the plan is made from. A bad row found later raises RosterError out of the COPY
    (cancelled) and the transaction.

    When the file can be read again (bytes, or a file that can seek: an upload), it is read without the check
    that no email or external id is in it twice, which held a key and a line number for each (15 MB of a
    worker's memory for 100,000 rows, kept by the process afterwards): the database makes it, with the roster's
    unique indexes, or one query of the staged rows. If the file is refused, by that or by any other check, it
    is read again with every check (nothing is written then), so its problems are the same, in the same order,
    as a reading with every check gives."""
    from psycopg.errors import UniqueViolation

    again = _reader_again(source)
    read = _Read()
    try:
        with _copy_entries(affiliation) if roster.empty else staging() as write:
            for row in read_roster(source, progress, unique_keys=again is None):
                read.rows += 1
                read.given = row.given
                write(row)
        if again is not None and not roster.empty and staged_keys_repeat():
            raise _KeysRepeat
    except (RosterError, UniqueViolation, _KeysRepeat) as refused:
        if again is None:
            raise
        for _row in read_roster(again()):  # every check: RosterError with every problem of the file
            pass
        if isinstance(refused, RosterError):
            raise
        raise _conflict(refused)
    if roster.empty:
        read.created = read.rows
        Affiliation.bump_roster_version(affiliation.pk)
    return read


def _conflict(error: Exception) -> RosterError:
    """A file the roster's unique indexes refused, though its own rows passed every check (a concurrent edit)."""
    return RosterError([f"the rows conflict with entries already on the roster ({error}); try again"])


class _KeysRepeat(Exception):
    """The staged rows hold an email or an external id twice."""


def _reader_again(source: bytes | BinaryIO) -> Callable[[], bytes | BinaryIO] | None:
    """How to read `source` again from where it starts now, or None if it cannot be (a stream that cannot seek)."""
    if isinstance(source, bytes | bytearray):
        return lambda: source
    try:
        start = source.tell() if source.seekable() else None
    except (AttributeError, OSError):
        start = None
    if start is None:
        return None

    def again() -> BinaryIO:
        source.seek(start)
        return source

    return again


def _plan_in_python(affiliation: Affiliation, rows: list[RosterRow], replace: bool) -> tuple[int, int, int]:
    """Rows read before the transaction (SQLite): the roster loaded, the rows that can match no entry written,
    the others planned by verification.roster_plan and the plan written; (created, updated, removed)."""
    roster = Roster(
        [
            Existing(*values)
            for values in RosterEntry.objects.filter(affiliation=affiliation)
            .order_by("pk")
            .values_list("pk", *FIELDS)
            .iterator(10_000)
        ]
    )
    # Every full collection would walk the loaded entries again (a third of a re-import's CPU): they hold no
    # cycle.
    out_of_cycle_collections()
    kept, new = [], []
    for row in rows:
        (kept if roster.may_hold(row) else new).append(row)
    _create(affiliation, new)
    plan = make_plan(roster, kept, replace)
    for start in range(0, len(plan.remove), 10_000):
        RosterEntry.objects.filter(pk__in=plan.remove[start : start + 10_000]).delete()
    if plan.update:
        # Unique keys may move between entries (a swap): clear them first, then set them.
        cleared = [RosterEntry(pk=e.pk, email_key="", external_id="") for e in plan.update]
        RosterEntry.objects.bulk_update(cleared, ["email_key", "external_id"], batch_size=1000)
        updated = [e.as_entry(affiliation) for e in plan.update]
        RosterEntry.objects.bulk_update(updated, FIELDS, batch_size=1000)
    _create(affiliation, plan.create)
    return len(new) + len(plan.create), len(plan.update), len(plan.remove)


class _SideProgress:
    """Where an import reports how far it has got. Read before the import's transaction (SQLite), through
    `_progress`; read inside it (PostgreSQL: its connection busy with the COPY, its writes unseen until the
    commit), through a connection of its own, opened on first use and closed when the reading is over, so the
    upload's page still sees the lines read. The import's transaction does not touch the record meanwhile."""

    def __init__(self, import_id: int | None, progress: Callable[[int], None] | None, *, beside: bool) -> None:
        self.import_id, self.progress, self.beside = import_id, progress, beside
        self.connection = None

    def lines(self, count: int) -> None:
        if self.import_id is not None:
            self.update(lines_read=count)
        if self.progress is not None:
            self.progress(count)

    def update(self, **fields) -> None:
        if self.import_id is None:
            return
        if not self.beside:
            _progress(self.import_id, **fields)
            return
        if self.connection is None:
            self.connection = connection.copy()
        fields["progress_at"] = timezone.now()
        quote = self.connection.ops.quote_name
        meta = RosterImport._meta
        assignments = ", ".join(f"{quote(meta.get_field(name).column)} = %s" for name in fields)
        values = [getattr(value, "value", value) for value in fields.values()]
        with self.connection.cursor() as cursor:
            cursor.execute(
                f"UPDATE {quote(meta.db_table)} SET {assignments} WHERE {quote(meta.pk.column)} = %s",  # noqa: S608
                [*values, self.import_id],
            )

    def __enter__(self) -> "_SideProgress":
        return self

    def __exit__(self, *exc_info) -> None:
        if self.connection is not None:
            self.connection.close()
            self.connection = None


def run_import(import_id: int, *, on_change: OnChange) -> RosterImport | None:
    """The worker's side of an upload: check every row (reporting progress), judge what the import changes
    (a dry run), then write all of it, or leave it in `review` when it changes verdicts and is not confirmed
    yet, or record every problem. Safe to run again (a redelivery after a worker was killed): an import
    written, cancelled or waiting for review is not redone."""
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
                review=True,
            )
    except RosterError as error:
        _progress(
            record.pk,
            state=RosterImport.State.FAILED,
            problems=error.problems[:MAX_PROBLEMS_KEPT],
            problems_count=len(error.problems),
            finished_at=timezone.now(),
        )
    if record.state != RosterImport.State.REVIEW:  # the file waits with its review, for the confirmed import
        discard_upload(record)
    record.refresh_from_db()
    return record


def confirm_import(record: RosterImport, user) -> bool:
    """The keeper confirms the dry run shown to them: the upload goes back to the workers (the caller queues
    it), to be written unless the roster moved on since (then it is judged again). False if it no longer waits
    for review (confirmed, cancelled or expired meanwhile)."""
    return bool(
        RosterImport.objects.filter(pk=record.pk, state=RosterImport.State.REVIEW).update(
            state=RosterImport.State.QUEUED, confirmed_by=user, confirmed_at=timezone.now(), progress_at=timezone.now()
        )
    )


def cancel_import(record: RosterImport, problem: str) -> bool:
    """An upload waiting for review is dropped, its file deleted: nothing was written. False if it no longer
    waits for review."""
    cancelled = RosterImport.objects.filter(pk=record.pk, state=RosterImport.State.REVIEW).update(
        state=RosterImport.State.CANCELLED, problems=[problem], problems_count=1, finished_at=timezone.now()
    )
    if cancelled:
        discard_upload(record)
    return bool(cancelled)


def cancel_unconfirmed(now=None) -> int:
    """Uploads left in review for REVIEW_DAYS are cancelled and their files deleted (periodic, idempotent)."""
    cutoff = (now or timezone.now()) - timedelta(days=REVIEW_DAYS)
    waiting = RosterImport.objects.filter(state=RosterImport.State.REVIEW, progress_at__lt=cutoff)
    return sum(cancel_import(record, f"not confirmed within {REVIEW_DAYS} days: upload it again") for record in waiting)


def discard_upload(record: RosterImport) -> None:
    if record.upload:
        record.upload.delete(save=False)
    RosterImport.objects.filter(pk=record.pk).update(upload="")


def _progress(import_id: int, **fields) -> None:
    """Outside the import's transaction (autocommit), so the upload page sees it while the import runs."""
    RosterImport.objects.filter(pk=import_id).update(progress_at=timezone.now(), **fields)
