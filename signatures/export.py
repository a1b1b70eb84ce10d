"""The CSV export of signers: streamed in constant memory, formula-injection safe.

On PostgreSQL the file is written by `COPY (SELECT …) TO STDOUT WITH (FORMAT csv, HEADER)`: the SELECT
neutralises the cells and writes the dates as Python's isoformat() would, COPY quotes them, and Python only
turns each row's LF into CRLF and hands the bytes on. Building each line with string functions and regular
expressions in SQL, or with Python's csv module, cost two to three times the CPU (docs/decisions.md, "Export").
Elsewhere (the embedded SQLite default) Python's csv module writes the lines. Both give the same bytes for the
same rows: tests/signatures/test_export.py compares them on hostile data.
"""

import csv
from collections.abc import Iterable, Iterator

from django.db import connection

from petitions.models import Petition

from .models import Signature

COLUMNS = [
    "full_name", "email", "affiliation", "verification", "method", "roster_name", "role", "organisation",
    "comment", "signed_at", "confirmed_at", "verified_at", "version",
]  # fmt: skip
FIELDS = [
    "full_name", "email", "affiliation__slug", "verification", "evidence__method", "evidence__roster_name", "role",
    "organisation", "comment", "created_at", "confirmed_at", "verified_at", "version__number",
]  # fmt: skip
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
ALL = "all"
CHUNK_SIZE = 2000
BLOCK_SIZE = 64 * 1024  # bytes per piece of export_bytes(): one write per block, not one per signer


def neutralise(value) -> str:
    """Spreadsheets run cells that start like a formula; a leading apostrophe makes them text."""
    if value is None:
        return ""
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    return "'" + text if text.startswith(FORMULA_PREFIXES) else text


class _Line:
    """csv.writer needs a file; this one hands each written line straight back."""

    def write(self, line: str) -> str:
        return line


def valid_filter(verification: str) -> bool:
    return verification == ALL or verification in Signature.Verification.values


def export_rows(petition: Petition, verification: str = Signature.Verification.VERIFIED) -> Iterator[str]:
    """The header and one CSV line (CRLF-terminated) per confirmed signature, `verification` filtered (or ALL).

    Lazy: rows are read as the caller consumes them, so memory stays flat. A response or a file should take
    export_bytes(): the same text, already encoded, in blocks.
    """
    _refuse_unknown(verification)
    if connection.vendor == "postgresql":
        return (str(row[:-1], "utf-8") + "\r\n" for row in copy_rows(petition, verification))
    return python_lines(petition, verification)


def export_bytes(petition: Petition, verification: str = Signature.Verification.VERIFIED) -> Iterator[bytes]:
    """The same CSV as export_rows(), UTF-8, in blocks of about BLOCK_SIZE bytes (lazy, flat memory).

    A server or a file then makes one write per block instead of one per signer. A block always ends where a
    line ends, so each one decodes on its own.
    """
    _refuse_unknown(verification)
    if connection.vendor == "postgresql":
        return copy_blocks(copy_rows(petition, verification))
    return python_blocks(python_lines(petition, verification))


def _refuse_unknown(verification: str) -> None:
    if not valid_filter(verification):
        raise ValueError(f"Unknown verification filter {verification!r}.")


# Any database: Python's csv module.


def python_lines(petition: Petition, verification: str) -> Iterator[str]:
    """The export written by Python's csv module, read in chunks from a server-side cursor where there is one."""
    signatures = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
    if verification != ALL:
        signatures = signatures.filter(verification=verification)
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for row in signatures.order_by("id").values_list(*FIELDS).iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow([neutralise(value) for value in row])


def python_blocks(lines: Iterable[str]) -> Iterator[bytes]:
    """Lines joined into UTF-8 blocks of about BLOCK_SIZE bytes."""
    block: list[str] = []
    size = 0
    for line in lines:
        block.append(line)
        size += len(line)
        if size >= BLOCK_SIZE:
            yield "".join(block).encode("utf-8")
            block.clear()
            size = 0
    if block:
        yield "".join(block).encode("utf-8")


# PostgreSQL: the SELECT makes each cell what neutralise() makes of it, and COPY's CSV quotes it as csv.writer
# does (a cell holding a comma, a quote, CR or LF is quoted, its quotes doubled). Two differences are bridged:
# COPY quotes an empty string (to tell it from NULL), so an empty cell is sent as NULL, which COPY writes as
# nothing; and COPY ends a row with LF, which is made CRLF row by row (a cell's own line breaks are left as
# they are, as csv.writer leaves them).
_FORMULA_CODES = ", ".join(str(ord(prefix)) for prefix in FORMULA_PREFIXES)


def _sql_text(expression: str) -> str:
    """A text cell: a formula prefix gets an apostrophe (ascii() of the first character: an integer test,
    several times cheaper than comparing left(…, 1) with strings); empty or NULL is NULL."""
    return (
        f"(CASE WHEN ascii({expression}) IN ({_FORMULA_CODES}) THEN '''' || {expression} "
        f"WHEN {expression} <> '' THEN {expression} END)"
    )


def _sql_time(expression: str) -> str:
    """A timestamp as Python's isoformat() in UTC: microseconds only when there are some, then +00:00.

    One to_char() and a replace(): the cheapest of the forms measured (text casts padded with rpad() cost more).
    """
    iso = f"""to_char(({expression}) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US')"""
    return f"(replace({iso}, '.000000', '') || '+00:00')"


_CELLS = {
    "full_name": _sql_text("s.full_name"),
    "email": _sql_text("s.email"),
    "affiliation": _sql_text("a.slug"),
    "verification": _sql_text("s.verification"),
    "method": _sql_text("e.method"),
    "roster_name": _sql_text("e.roster_name"),
    "role": _sql_text("s.role"),
    "organisation": _sql_text("s.organisation"),
    "comment": _sql_text("s.comment"),
    "signed_at": _sql_time("s.created_at"),
    "confirmed_at": _sql_time("s.confirmed_at"),
    "verified_at": _sql_time("s.verified_at"),
    "version": "v.number",
}
assert list(_CELLS) == COLUMNS, "the COPY writes the export's columns, in the contract's order"
_RELATED = ("affiliation", "evidence", "version")


def copy_statement(petition: Petition, verification: str) -> tuple[str, list]:
    """The COPY statement and its parameters (merged client-side by psycopg: COPY takes no bound parameters)."""
    quote = connection.ops.quote_name
    table = {name: quote(Signature._meta.get_field(name).related_model._meta.db_table) for name in _RELATED}
    cells = ", ".join(f"{cell} AS {quote(name)}" for name, cell in _CELLS.items())
    select = (
        f"SELECT {cells} FROM {quote(Signature._meta.db_table)} s "  # noqa: S608 (names from the models)
        f"LEFT JOIN {table['affiliation']} a ON a.id = s.affiliation_id "
        f"LEFT JOIN {table['evidence']} e ON e.id = s.evidence_id "
        f"JOIN {table['version']} v ON v.id = s.version_id "
        "WHERE s.petition_id = %s AND s.status = %s"
        + (" AND s.verification = %s" if verification != ALL else "")
        + " ORDER BY s.id"
    )
    params = [petition.pk, Signature.Status.CONFIRMED] + ([verification] if verification != ALL else [])
    return f"COPY ({select}) TO STDOUT WITH (FORMAT csv, HEADER)", params


def copy_rows(petition: Petition, verification: str) -> Iterator[memoryview]:
    """The header and the rows as PostgreSQL sends them: one COPY message per row, each ending in LF.

    One statement, so one consistent snapshot and no transaction to hold open. Abandoned half-way (a client
    that hangs up), psycopg cancels the COPY and drains it, and the connection stays usable.
    """
    statement, params = copy_statement(petition, verification)
    with connection.cursor() as cursor, cursor.cursor.copy(statement, params) as copy:
        yield from copy


def copy_blocks(rows: Iterable[memoryview]) -> Iterator[bytes]:
    """COPY's rows with CRLF line ends, joined into blocks of about BLOCK_SIZE bytes."""
    block = bytearray()
    for row in rows:
        block += row[:-1]
        block += b"\r\n"
        if len(block) >= BLOCK_SIZE:
            yield bytes(block)
            block.clear()
    if block:
        yield bytes(block)
