"""Reading a roster CSV: every row checked, every problem reported by line, before anything is written."""

import csv
import io
import re
import unicodedata
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from signatures.addresses import email_key

from .models import RosterEntry
from .names import name_key

COLUMNS = ("full_name", "email", "handles", "external_id")
LIMITS = {"full_name": 200, "email": 254, "handles": 1000, "external_id": 200}
_AT_NAME = re.compile(r"^@[\w.\-]{1,100}(@[\w\-]+(\.[\w\-]+)+)?$")
_is_url = URLValidator(schemes=["http", "https"])


@dataclass
class RosterRow:
    line: int
    full_name: str
    email: str = ""
    handles: str = ""
    external_id: str = ""
    # The columns the file has: those it lacks are left as they are on the entries it updates.
    given: frozenset[str] = frozenset(COLUMNS)

    @property
    def email_key(self) -> str:
        return email_key(self.email) if self.email else ""

    @property
    def name_key(self) -> str:
        return name_key(self.full_name)

    def unique_keys(self) -> list[tuple[str, str]]:
        """What must be unique within one file: external ids, emails, and the names of rows with neither."""
        keys = []
        if self.external_id:
            keys.append(("external_id", self.external_id))
        if self.email:
            keys.append(("email", self.email_key))
        return keys or [("name", self.name_key)]

    def differs_from(self, entry: RosterEntry) -> bool:
        return any(getattr(entry, name) != getattr(self, name) for name in self.given)

    def apply_to(self, entry: RosterEntry) -> None:
        for name in self.given:
            setattr(entry, name, getattr(self, name))
        entry.fill_keys()


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

    given = frozenset(header)
    rows: list[RosterRow] = []
    seen: dict[tuple[str, str], int] = {}
    line = reader.line_num + 1  # where the next record starts (a quoted cell may span lines)
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if not any(cell.strip() for cell in cells):
                continue
            row, row_problems = _parse_row(start, header, cells, given)
            if row is not None:
                for key in row.unique_keys():
                    if key in seen:
                        row_problems.append(f"duplicate {key[0]} of line {seen[key]}")
                    else:
                        seen[key] = start
            problems.extend(f"line {start}: {p}" for p in row_problems)
            if row is not None and not row_problems:
                rows.append(row)
    except csv.Error as error:
        problems.append(f"line {line}: {error}")
    if problems:
        raise RosterError(problems)
    if not rows:
        raise RosterError(["the file has a header but no rows"])
    return rows


def _header_problems(header: list[str]) -> list[str]:
    problems = []
    if "full_name" not in header:
        problems.append(f"line 1: the header must name a full_name column (found: {', '.join(header) or 'nothing'})")
    unknown = [repr(name) for name in header if name not in COLUMNS]
    if unknown:
        problems.append(f"line 1: unknown column(s) {', '.join(unknown)}; allowed: {', '.join(COLUMNS)}")
    repeated = sorted({name for name in header if header.count(name) > 1 and name in COLUMNS})
    if repeated:
        problems.append(f"line 1: column(s) named twice: {', '.join(repeated)}")
    return problems


def _parse_row(
    line: int, header: list[str], cells: list[str], given: frozenset[str]
) -> tuple[RosterRow | None, list[str]]:
    if len(cells) != len(header):
        unit = "cell" if len(cells) == 1 else "cells"
        return None, [f"{len(cells)} {unit} where the header has {len(header)}"]
    values = {name: cell.strip() for name, cell in zip(header, cells, strict=True)}
    values["handles"] = " ".join(values.get("handles", "").split())
    values.update({name: "" for name in COLUMNS if name not in values})
    problems = [
        f"{name} is longer than {limit} characters" for name, limit in LIMITS.items() if len(values[name]) > limit
    ]
    problems += [f"{name} contains control characters" for name in COLUMNS if _has_control(values[name])]
    if not values["full_name"]:
        problems.append("full_name is empty")
    elif not name_key(values["full_name"]):
        problems.append(f"full_name {values['full_name']!r} has no letters")
    if values["email"]:
        try:
            validate_email(values["email"])
        except ValidationError:
            problems.append(f"email {values['email']!r} is not a valid address")
    bad_handles = [h for h in values["handles"].split() if not _is_handle(h)]
    if bad_handles:
        problems.append(f"handles {', '.join(map(repr, bad_handles))} are neither URLs nor @names")
    if problems:
        return None, problems
    return RosterRow(line=line, given=given, **values), []


def _has_control(text: str) -> bool:
    return any(unicodedata.category(c) == "Cc" for c in text)


def _is_handle(handle: str) -> bool:
    if handle.startswith("@"):
        return bool(_AT_NAME.match(handle))
    try:
        _is_url(handle if "://" in handle else f"https://{handle}")
    except ValidationError:
        return False
    return True
