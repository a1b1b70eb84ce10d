"""Reading a roster CSV: every row checked, every problem reported by line, before anything is written."""

import codecs
import csv
import io
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.validators import URLValidator, validate_email

from signatures.addresses import email_key

from .models import RosterEntry
from .names import name_key

COLUMNS = ("full_name", "email", "handles", "external_id")
LIMITS = {"full_name": 200, "email": 254, "handles": 1000, "external_id": 200}
_AT_NAME = re.compile(r"^@[\w.\-]{1,100}(@[\w\-]+(\.[\w\-]+)+)?$")
_is_url = URLValidator(schemes=["http", "https"])


@dataclass(slots=True)
class RosterRow:
    """One good row of the file, with its keys computed once (a big roster holds hundreds of thousands)."""

    line: int
    full_name: str
    email: str = ""
    handles: str = ""
    external_id: str = ""
    # The columns the file has: those it lacks are left as they are on the entries it updates.
    given: frozenset[str] = frozenset(COLUMNS)
    name_key: str = ""
    email_key: str = ""

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
        # The keys of what the entry now holds (a column the file lacks keeps the entry's value).
        entry.name_key = self.name_key if "full_name" in self.given else name_key(entry.full_name)
        if "email" in self.given:
            entry.email_key = self.email_key
        else:
            entry.email_key = email_key(entry.email) if entry.email else ""


@dataclass
class RosterError(Exception):
    """A bad file: every problem found, each naming its line (1 is the header)."""

    problems: list[str] = field(default_factory=list)

    def __str__(self) -> str:
        return "\n".join(self.problems)


PROGRESS_EVERY = 10_000


def parse_roster(source: bytes | BinaryIO, progress: Callable[[int], None] | None = None) -> list[RosterRow]:
    """All rows of a roster CSV (bytes, or a binary file read line by line), or RosterError listing each bad
    row and why. `progress(lines read)` is called every PROGRESS_EVERY lines (a worker reports it)."""
    lines = _decoded_lines(io.BytesIO(source) if isinstance(source, bytes | bytearray) else source)
    reader = csv.reader(lines)
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
    reported = 0
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if progress is not None and reader.line_num - reported >= PROGRESS_EVERY:
                reported = reader.line_num
                progress(reported)
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
    if progress is not None:
        progress(reader.line_num)
    if problems:
        raise RosterError(problems)
    if not rows:
        raise RosterError(["the file has a header but no rows"])
    return rows


def _decoded_lines(source: BinaryIO) -> Iterator[str]:
    """The file's lines as text, read one at a time; the first that is not UTF-8, or holds NUL, stops it."""
    offset = 0
    for number, raw in enumerate(source, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw, offset = raw[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
        if not raw:
            continue  # nothing but the byte order mark
        if b"\x00" in raw:
            raise RosterError(["the file contains NUL bytes: is it a spreadsheet rather than a CSV export?"])
        try:
            yield raw.decode("utf-8")
        except UnicodeDecodeError as error:
            raise RosterError(
                [f"line {number}: the file is not UTF-8 (byte {offset + error.start + 1} cannot be decoded)"]
            )
        offset += len(raw)


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
    key = name_key(values["full_name"])  # once per row: the plan and the entry reuse it
    if not values["full_name"]:
        problems.append("full_name is empty")
    elif not key:
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
    address_key = email_key(values["email"]) if values["email"] else ""
    return RosterRow(line=line, given=given, name_key=key, email_key=address_key, **values), []


# Unicode's control characters (category Cc): C0, DEL and C1.
_CONTROL = re.compile("[\x00-\x1f\x7f-\x9f]")


def _has_control(text: str) -> bool:
    return _CONTROL.search(text) is not None


def _is_handle(handle: str) -> bool:
    if handle.startswith("@"):
        return bool(_AT_NAME.match(handle))
    try:
        _is_url(handle if "://" in handle else f"https://{handle}")
    except ValidationError:
        return False
    return True
