"""Reading a roster CSV: every row checked, every problem reported by line, before anything is written."""

import codecs
import csv
import functools
import io
import operator
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import BinaryIO

from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator

from signatures.addresses import email_key

from .models import RosterEntry
from .names import name_key

COLUMNS = ("full_name", "email", "handles", "external_id")
LIMITS = {"full_name": 200, "email": 254, "handles": 1000, "external_id": 200}
_NAME_LIMIT, _EMAIL_LIMIT, _HANDLES_LIMIT, _EXTERNAL_ID_LIMIT = (LIMITS[name] for name in COLUMNS)
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

    def differs_from(self, entry: RosterEntry) -> bool:
        if len(self.given) == len(COLUMNS):  # the usual file, with every column: one tuple comparison
            mine = (self.full_name, self.email, self.handles, self.external_id)
            return mine != (entry.full_name, entry.email, entry.handles, entry.external_id)
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
# Bytes of the file read and decoded at a time.
_BLOCK = 1 << 16


def parse_roster(source: bytes | BinaryIO, progress: Callable[[int], None] | None = None) -> list[RosterRow]:
    """All rows of a roster CSV (bytes, or a binary file read line by line), or RosterError listing each bad
    row and why. `progress(lines read)` is called every PROGRESS_EVERY lines (a worker reports it)."""
    return list(read_roster(source, progress))


def read_roster(
    source: bytes | BinaryIO, progress: Callable[[int], None] | None = None, *, unique_keys: bool = True
) -> Iterator[RosterRow]:
    """The good rows of a roster CSV as they are read; once the file is read, RosterError listing each bad row
    and why if there were any (so a caller that writes rows as they come must do so in a transaction it rolls
    back then). `progress(lines read)` is called every PROGRESS_EVERY lines.

    `unique_keys=False` leaves out the check that no email or external id is in the file twice, and the memory
    it takes (a key and a line number for each of them: 15 MB for 100,000 rows): for a caller whose database
    refuses such a file (its unique indexes), which then reads the file again with it, for every problem in
    order (verification.roster_import). The rows yielded are then those of a file that may still be refused."""
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

    parse_row = _RowParser(header)
    good = 0
    # What must be unique within one file: external ids, emails, and the names of rows with neither (a dict
    # per kind, keyed by the value itself: no tuple per row).
    seen_external_ids: dict[str, int] = {}
    seen_emails: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    line = reader.line_num + 1  # where the next record starts (a quoted cell may span lines)
    reported = 0
    try:
        for cells in reader:
            start, line = line, reader.line_num + 1
            if progress is not None and reader.line_num - reported >= PROGRESS_EVERY:
                reported = reader.line_num
                progress(reported)
            if not "".join(cells).strip():
                continue  # a blank line, or one of empty cells
            row, row_problems = parse_row(start, cells)
            if row is not None:  # the first line of each value (inline: once or twice a row)
                if row.external_id and unique_keys:
                    first = seen_external_ids.setdefault(row.external_id, start)
                    if first != start:
                        row_problems.append(f"duplicate external_id of line {first}")
                if row.email and unique_keys:
                    first = seen_emails.setdefault(row.email_key, start)
                    if first != start:
                        row_problems.append(f"duplicate email of line {first}")
                if not row.external_id and not row.email:
                    first = seen_names.setdefault(row.name_key, start)
                    if first != start:
                        row_problems.append(f"duplicate name of line {first}")
            if row_problems:
                problems.extend(f"line {start}: {p}" for p in row_problems)
            elif row is not None:
                good += 1
                if not problems:  # after a bad row, the rest is only checked
                    yield row
    except csv.Error as error:
        problems.append(f"line {line}: {error}")
    if progress is not None:
        progress(reader.line_num)
    if problems:
        raise RosterError(problems)
    if not good:
        raise RosterError(["the file has a header but no rows"])


def _decoded_lines(source: BinaryIO) -> Iterator[str]:
    """The file's lines as text (split at line feeds only), read a block at a time and decoded a block at a time
    (in C: a line at a time cost a Python step per line); the first line that is not UTF-8, or holds NUL, stops
    it, after the lines before it, as when the file was read line by line."""
    number = offset = 0  # lines and bytes read before this block
    pending = b""
    while True:
        block = source.read(_BLOCK)
        data = pending + block
        if block:
            cut = data.rfind(b"\n") + 1
            data, pending = data[:cut], data[cut:]
            if not data:
                continue  # no line ends in this block yet
        elif not data:
            return
        else:
            pending = b""  # the last line, without a line feed
        if not number and data.startswith(codecs.BOM_UTF8):
            data, offset = data[len(codecs.BOM_UTF8) :], len(codecs.BOM_UTF8)
        text = _utf8(data) if b"\x00" not in data else None
        if text is None:  # a bad line in this block: line by line, up to it
            yield from _checked_lines(data, number, offset)
        else:
            yield from io.StringIO(text, newline="\n")
        number += data.count(b"\n") + (not data.endswith(b"\n"))
        offset += len(data)


def _utf8(data: bytes) -> str | None:
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return None


def _checked_lines(data: bytes, number: int, offset: int) -> Iterator[str]:
    """The lines of a block holding NUL or bytes that are not UTF-8, up to the first such line (RosterError)."""
    for number, raw in enumerate(io.BytesIO(data), start=number + 1):  # noqa: B020 (the first line's number)
        if not raw:
            continue
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


class _RowParser:
    """Checks a record of a file with this header and makes its RosterRow, or says what is wrong with it.

    Called once per row (hundreds of thousands): the columns' positions are found once, the common case (a good
    row) takes one test per rule, and the per-column messages are only worked out for a row that fails one.
    """

    def __init__(self, header: list[str]) -> None:
        self.width = len(header)
        self.given = frozenset(header)
        # A column the file lacks reads the empty cell appended after the row's own.
        self.cells_of = operator.itemgetter(*(header.index(name) if name in header else self.width for name in COLUMNS))

    def __call__(self, line: int, cells: list[str]) -> tuple[RosterRow | None, list[str]]:
        if len(cells) != self.width:
            unit = "cell" if len(cells) == 1 else "cells"
            return None, [f"{len(cells)} {unit} where the header has {self.width}"]
        cells.append("")
        full_name, email, handles, external_id = self.cells_of(cells)
        full_name, email, external_id = full_name.strip(), email.strip(), external_id.strip()
        if handles:
            handles = " ".join(handles.split())
        problems = []
        if (
            len(full_name) > _NAME_LIMIT
            or len(email) > _EMAIL_LIMIT
            or len(handles) > _HANDLES_LIMIT
            or len(external_id) > _EXTERNAL_ID_LIMIT
        ):
            values = (full_name, email, handles, external_id)
            problems += [
                f"{name} is longer than {LIMITS[name]} characters"
                for name, value in zip(COLUMNS, values, strict=True)
                if len(value) > LIMITS[name]
            ]
        if _CONTROL.search(full_name + email + handles + external_id):
            values = (full_name, email, handles, external_id)
            problems += [f"{name} contains control characters" for name, value in zip(COLUMNS, values, strict=True)
                         if _has_control(value)]  # fmt: skip
        key = name_key(full_name)  # once per row: the plan and the entry reuse it
        if not full_name:
            problems.append("full_name is empty")
        elif not key:
            problems.append(f"full_name {full_name!r} has no letters")
        if email and not is_email(email):
            problems.append(f"email {email!r} is not a valid address")
        if handles:
            bad_handles = [h for h in handles.split(" ") if not _is_handle(h)]
            if bad_handles:
                problems.append(f"handles {', '.join(map(repr, bad_handles))} are neither URLs nor @names")
        if problems:
            return None, problems
        address_key = email_key(email) if email else ""
        if address_key == email:
            address_key = email  # one string for both (most addresses are their own key): less memory
        return RosterRow(line, full_name, email, handles, external_id, self.given, key, address_key), problems


# Django's EmailValidator, rule for rule, with its domain test remembered: a roster holds hundreds of thousands
# of addresses at a few domains, and the domain's regular expression is most of the validator's time.
_email_validator = EmailValidator()
_user_part = _email_validator.user_regex.match


@functools.lru_cache(maxsize=4096)
def _valid_domain(domain: str) -> bool:
    return domain in _email_validator.domain_allowlist or _email_validator.validate_domain_part(domain)


def is_email(value: str) -> bool:
    """What django.core.validators.validate_email accepts (tests/verification compares the two)."""
    if not value or "@" not in value or len(value) > 320:
        return False
    user, domain = value.rsplit("@", 1)
    return _user_part(user) is not None and _valid_domain(domain)


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
