"""The CSV export of signers: streamed row by row from a server-side cursor, formula-injection safe."""

import csv
from collections.abc import Iterator

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
    """The header and one CSV line per confirmed signature, `verification` filtered (or ALL).

    Lazy: rows are read from a server-side cursor as the caller consumes them, so memory stays flat.
    """
    if not valid_filter(verification):
        raise ValueError(f"Unknown verification filter {verification!r}.")
    signatures = Signature.objects.filter(petition=petition, status=Signature.Status.CONFIRMED)
    if verification != ALL:
        signatures = signatures.filter(verification=verification)
    return _lines(signatures.order_by("id").values_list(*FIELDS))


def _lines(rows) -> Iterator[str]:
    writer = csv.writer(_Line())
    yield writer.writerow(COLUMNS)
    for row in rows.iterator(chunk_size=CHUNK_SIZE):
        yield writer.writerow([neutralise(value) for value in row])
