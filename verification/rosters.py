"""Roster import from CSV: validate every row first, then write all of it or nothing."""

import csv
import io
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import IntegrityError, transaction

from .models import Affiliation, RosterEntry, RosterImport
from .names import email_key, name_key

COLUMNS = ("full_name", "email", "handles", "external_id")
LIMITS = {"full_name": 200, "email": 254, "handles": 1000, "external_id": 200}


@dataclass
class RosterRow:
    line: int
    full_name: str
    email: str = ""
    handles: str = ""
    external_id: str = ""

    @property
    def identity(self) -> tuple[str, str]:
        """How a row finds the entry it updates: external id, else email, else the name itself."""
        if self.external_id:
            return ("external_id", self.external_id)
        if self.email:
            return ("email", email_key(self.email))
        return ("name", name_key(self.full_name))


@dataclass
class RosterError(Exception):
    """A bad file: every problem found, each naming its line (1 is the header)."""

    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.problems)


def parse_roster(data: bytes) -> list[RosterRow]:
    """All rows of a roster CSV, or RosterError listing each bad row and why."""
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        line = data[: error.start].count(b"\n") + 1
        raise RosterError([f"line {line}: the file is not UTF-8 (byte {error.start + 1} cannot be decoded)"])
    if "\x00" in text:
        raise RosterError(["the file contains NUL bytes: is it a spreadsheet rather than a CSV export?"])
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = [name.strip().lower() for name in next(reader)]
    except StopIteration:
        raise RosterError(["the file is empty: expected a header row with full_name"])
    except csv.Error as error:
        raise RosterError([f"line 1: {error}"])
    problems = _header_problems(header)
    if problems:
        raise RosterError(problems)

    rows: list[RosterRow] = []
    seen: dict[tuple[str, str], int] = {}
    try:
        for cells in reader:
            line = reader.line_num
            if not any(cell.strip() for cell in cells):
                continue
            row, row_problems = _parse_row(line, header, cells)
            if row is not None:
                for kind, value in _keys(row):
                    if (kind, value) in seen:
                        row_problems.append(f"duplicate {kind} of line {seen[kind, value]}")
                    else:
                        seen[kind, value] = line
            problems.extend(f"line {line}: {p}" for p in row_problems)
            if row is not None and not row_problems:
                rows.append(row)
    except csv.Error as error:
        problems.append(f"line {reader.line_num}: {error}")
    if problems:
        raise RosterError(problems)
    if not rows:
        raise RosterError(["the file has a header but no rows"])
    return rows


def _header_problems(header: list[str]) -> list[str]:
    problems = []
    if "full_name" not in header:
        problems.append(f"line 1: the header must name a full_name column (found: {', '.join(header) or 'nothing'})")
    unknown = [name for name in header if name not in COLUMNS]
    if unknown:
        problems.append(f"line 1: unknown columns {', '.join(unknown)}; allowed: {', '.join(COLUMNS)}")
    repeated = sorted({name for name in header if header.count(name) > 1})
    if repeated:
        problems.append(f"line 1: columns named twice: {', '.join(repeated)}")
    return problems


def _parse_row(line: int, header: list[str], cells: list[str]) -> tuple[RosterRow | None, list[str]]:
    if len(cells) != len(header):
        return None, [f"{len(cells)} cells where the header has {len(header)}"]
    values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
    values.update({name: "" for name in COLUMNS if name not in values})
    problems = [
        f"{name} is longer than {limit} characters" for name, limit in LIMITS.items() if len(values[name]) > limit
    ]
    if not values["full_name"]:
        problems.append("full_name is empty")
    if values.get("email"):
        try:
            validate_email(values["email"])
        except ValidationError:
            problems.append(f"email {values['email']!r} is not a valid address")
    if problems:
        return None, problems
    return RosterRow(line=line, **values), []


def _keys(row: RosterRow) -> list[tuple[str, str]]:
    keys = [row.identity]
    if row.external_id and row.email:
        keys.append(("email", email_key(row.email)))
    return keys


def import_roster(
    affiliation: Affiliation, data: bytes, filename: str, *, replace: bool = False, user=None
) -> RosterImport:
    """Add (or with `replace`, make the roster exactly) the file's rows, then re-check the claims.

    Rows update the entry with the same external id, else email, else name. Nothing is written
    unless every row is good.
    """
    rows = parse_roster(data)
    existing = {_entry_identity(e): e for e in RosterEntry.objects.filter(affiliation=affiliation)}
    to_create, to_update, kept = [], [], set()
    for row in rows:
        entry = existing.get(row.identity)
        if entry is None:
            entry = RosterEntry(affiliation=affiliation)
            to_create.append(entry)
        else:
            kept.add(entry.pk)
            if (entry.full_name, entry.email, entry.handles, entry.external_id) == (
                row.full_name, row.email, row.handles, row.external_id
            ):  # fmt: skip
                continue
            to_update.append(entry)
        entry.full_name, entry.email, entry.handles, entry.external_id = (
            row.full_name, row.email, row.handles, row.external_id
        )  # fmt: skip
        entry.fill_keys()
    removed = [e.pk for e in existing.values() if e.pk not in kept] if replace else []

    try:
        with transaction.atomic():
            RosterEntry.objects.filter(pk__in=removed).delete()
            RosterEntry.objects.bulk_update(
                to_update, ["full_name", "email", "handles", "external_id", "name_key", "email_key"], batch_size=1000
            )
            RosterEntry.objects.bulk_create(to_create, batch_size=1000)
            record = RosterImport.objects.create(
                affiliation=affiliation,
                filename=filename[:255],
                replaced=replace,
                rows=len(rows),
                created=len(to_create),
                updated=len(to_update),
                removed=len(removed),
                imported_by=user,
            )
            if to_create or to_update or removed:
                from .tasks import recheck_affiliation_claims

                recheck_affiliation_claims.delay_on_commit(affiliation.pk)
    except IntegrityError as error:
        raise RosterError([f"the rows conflict with entries already on the roster ({error}); try --replace"])
    return record


def _entry_identity(entry: RosterEntry) -> tuple[str, str]:
    return RosterRow(0, entry.full_name, entry.email, entry.handles, entry.external_id).identity
