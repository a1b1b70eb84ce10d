"""The signing's one statement: store a new signature or restate a known one, and owe its confirmation email.

`INSERT … ON CONFLICT (petition, email_key) DO UPDATE … RETURNING` does in one statement what an insert that did
nothing for a known address, a `SELECT … FOR UPDATE` and an `UPDATE` did in three (and the ORM's work of
building them). The rules of signing again are in the `DO UPDATE`, row by row, on the row as it was:

- a signature that does not count yet (unconfirmed or withdrawn) takes the restated details, the version the
  signer saw and a new `submitted_at` (older withdraw and erase links stop working: tokens.submission_fingerprint);
- a changed claim drops its verdict and evidence (`pending`, or `none` without a claim);
- a counted or rejected signature keeps every value, but is written all the same, so a known address costs
  the same work as a new one and the response time does not tell them apart.

On PostgreSQL the outbox row is owed in the same statement (a data-modifying `WITH`, signatures.outbox's upsert), and
so are the rows an app above keys by the signature (`Alongside`: where it came from, abuse.Source), inserted unless
the signature has one already. So a signing is one statement, atomic by itself: no BEGIN and COMMIT round trips.
SQLite (`make run`) has no data-modifying `WITH`, so there `outbox.owe_confirmation` and the other rows follow in
the same transaction. Both answer the signature as stored, in one `Signature` built from the returned row.

The statement also checks, in the database, that the petition accepts signatures (open, not past its closing
time): `INSERT … SELECT … WHERE EXISTS (the petition, open)` stores nothing and returns no row otherwise. So the
signing POST can judge the petition from a copy kept a few seconds (front.kept_petitions) without a closed
petition ever taking a signature: the database says the last word, in the same statement, at no extra query.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from functools import lru_cache

from django.db import DEFAULT_DB_ALIAS, connection, connections, models, transaction
from django.utils import timezone

from petitions.models import Petition

from . import outbox
from .models import OutgoingConfirmation, Signature

# The statuses in which a signature takes what its signer restates (constants of the model, written into the SQL).
OPEN = (Signature.Status.UNCONFIRMED, Signature.Status.WITHDRAWN)


@dataclass(frozen=True)
class Alongside:
    """A row of `model` (a table of an app above, whose `signature` is unique) written with the signing: inserted
    if the signature has none yet, kept as it is otherwise. `values`: its other fields, by attribute name."""

    model: type[models.Model]
    values: dict

    def shape(self) -> tuple:
        return (self.model._meta.db_table, tuple(self.model._meta.get_field(name).column for name in self.values))

    def params(self, db=connection) -> list:
        return [self.model._meta.get_field(name).get_db_prep_save(value, db) for name, value in self.values.items()]


def sign(
    fresh: Signature, restated: tuple[str, ...], *, owe_email: bool, alongside: Sequence[Alongside] = ()
) -> Signature | None:
    """Insert `fresh`, or restate `restated` (field names) of the address's signature on that petition; the
    signature as stored, or None (nothing written) if the petition does not accept signatures as the database
    has it now. With `owe_email` its confirmation email is owed, and the `alongside` rows are written: in the same
    statement on PostgreSQL, in the same transaction elsewhere."""
    if connection.vendor != "postgresql":
        with transaction.atomic(savepoint=False):
            signature = _upsert(fresh, restated, owe_email=False, alongside=())
            if signature is not None:
                if owe_email:
                    outbox.owe_confirmation(signature.pk)
                for other in alongside:
                    other.model._default_manager.bulk_create(
                        [other.model(signature_id=signature.pk, **other.values)], ignore_conflicts=True
                    )
        return signature
    return _upsert(fresh, restated, owe_email=owe_email, alongside=alongside)


def _upsert(fresh: Signature, restated: tuple[str, ...], *, owe_email: bool, alongside: Sequence[Alongside]):
    # The connection itself: `connection` is a proxy that looks it up again at each of the thirty uses below.
    db = connections[DEFAULT_DB_ALIAS]
    fields = _fields()
    values = [field.get_db_prep_save(field.pre_save(fresh, add=True), db) for field in fields[1:]]
    statement = _statement(tuple(sorted(restated)), owe_email, tuple(row.shape() for row in alongside))
    now = timezone.now()
    params = [*values, fresh.petition_id, db.ops.adapt_datetimefield_value(now)]  # SQLite: as stored
    if owe_email:
        params.append(now)
    for other in alongside:
        params += other.params(db)
    with db.cursor() as cursor:
        cursor.execute(statement, params)
        row = cursor.fetchone()
    if row is None:
        return None
    return Signature.from_db(db.alias, None, _converted(row, db))


@lru_cache
def _fields() -> list:
    """Every column of the signature, the primary key first."""
    fields = list(Signature._meta.concrete_fields)
    fields.sort(key=lambda field: not field.primary_key)
    assert fields[0].primary_key and len(fields) == len(Signature._meta.concrete_fields)
    return fields


@lru_cache
def _converters() -> list:
    """What the ORM applies to each returned column (on SQLite, text back to datetimes and booleans)."""
    found = []
    for field in _fields():
        column = field.get_col(Signature._meta.db_table)
        found.append((column, connection.ops.get_db_converters(column) + column.get_db_converters(connection)))
    return found


def _converted(row, db) -> list:
    values = []
    for value, (column, converters) in zip(row, _converters(), strict=True):
        for converter in converters:
            value = converter(value, column, db)
        values.append(value)
    # from_db takes the values in the model's column order.
    by_name = {field.attname: value for field, value in zip(_fields(), values, strict=True)}
    return [by_name[field.attname] for field in Signature._meta.concrete_fields]


@lru_cache
def _statement(restated: tuple[str, ...], owe_email: bool, alongside: tuple = ()) -> str:
    """The statement for this set of restated fields and rows alongside (one per process and set: almost always the
    form's); `owe_email` and `alongside` are PostgreSQL's only (data-modifying `WITH`)."""
    q = connection.ops.quote_name
    table = q(Signature._meta.db_table)
    fields = _fields()
    inserted = fields[1:]
    columns = ", ".join(q(field.column) for field in inserted)
    returned = ", ".join(q(field.column) for field in fields)
    statuses = ", ".join(f"'{status}'" for status in OPEN)
    is_open = f"{table}.{q('status')} IN ({statuses})"
    new_claim = f"{is_open} AND {table}.{q('affiliation_id')} IS DISTINCT FROM EXCLUDED.{q('affiliation_id')}"
    if connection.vendor != "postgresql":  # SQLite spells it IS NOT
        new_claim = new_claim.replace("IS DISTINCT FROM", "IS NOT")
    names = {Signature._meta.get_field(name).column for name in (*restated, "affiliation")}
    names |= {"version_id", "submitted_at"}
    claim = {"verification", "evidence_id", "verified_at"}
    assignments = []
    for field in inserted:
        column = q(field.column)
        if field.column in names:
            condition = is_open
        elif field.column in claim:
            condition = new_claim
        else:
            continue
        assignments.append(f"{column} = CASE WHEN {condition} THEN EXCLUDED.{column} ELSE {table}.{column} END")
    placeholders = ", ".join(["%s"] * len(inserted))
    petitions = q(Petition._meta.db_table)
    # The rule of Petition.accepts_signatures, as the database has it when the statement runs (`%s`: the time).
    accepting = (
        f"EXISTS (SELECT 1 FROM {petitions} WHERE {q('id')} = %s AND {q('status')} = '{Petition.Status.OPEN}' "  # noqa: S608
        f"AND ({q('closes_at')} IS NULL OR {q('closes_at')} > %s))"
    )
    statement = (
        # SELECT … WHERE rather than VALUES: the row is inserted only if the petition is open (SQLite needs the
        # WHERE anyway, to tell the upsert's ON CONFLICT from a join's).
        f"INSERT INTO {table} ({columns}) SELECT {placeholders} WHERE {accepting} "  # noqa: S608 (names from the model)
        f"ON CONFLICT ({q('petition_id')}, {q('email_key')}) DO UPDATE SET {', '.join(assignments)} "
        f"RETURNING {returned}"
    )
    if not owe_email and not alongside:
        return statement
    parts = [f"signed AS ({statement})"]
    if owe_email:
        owed = q(OutgoingConfirmation._meta.db_table)
        parts.append(
            f"owed AS (INSERT INTO {owed} (signature_id, requested_at, leased_until, refusals, last_error) "  # noqa: S608 (names from the models)
            f"SELECT {q('id')}, %s, NULL, 0, '' FROM signed "
            "ON CONFLICT (signature_id) DO UPDATE SET requested_at = EXCLUDED.requested_at)"
        )
    for n, (other, columns) in enumerate(alongside):
        names = ", ".join(q(column) for column in columns)
        placeholders = ", ".join(["%s"] * len(columns))
        parts.append(
            f"alongside_{n} AS (INSERT INTO {q(other)} (signature_id, {names}) "  # noqa: S608 (names from the models)
            f"SELECT {q('id')}, {placeholders} FROM signed ON CONFLICT (signature_id) DO NOTHING)"
        )
    return f"WITH {', '.join(parts)} SELECT * FROM signed"  # noqa: S608 (names from the models)
