"""The roster import's plan: which entry each row of the file states, what is created, updated and removed,
and the emails and external ids the new roster would hold twice (verification.roster_import writes it). This
is the plan of SQLite's import; PostgreSQL's is made in the database (verification.roster_sql), to the same
rules, and uses `match_rows` for the rows that compete for an entry.

A row updates the entry with its external id, else its email, else its name (when exactly one entry of that
name, compatible and not yet taken, has it), in the file's order: an entry an earlier row stated is taken.
"""

import itertools
from dataclasses import dataclass, field

from .models import Affiliation, RosterEntry
from .roster_csv import RosterError, RosterRow

FIELDS = ["full_name", "email", "handles", "external_id", "name_key", "email_key"]


@dataclass(slots=True)
class Existing:
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
class Plan:
    create: list[RosterRow] = field(default_factory=list)  # new entries, as their rows (no model instances)
    update: list[Existing] = field(default_factory=list)
    remove: list[int] = field(default_factory=list)


class Roster:
    """The entries on the roster now, indexed as the plan looks rows up."""

    def __init__(self, existing: list[Existing]) -> None:
        self.existing = existing
        self.by_external_id = {e.external_id: e for e in existing if e.external_id}
        self.by_email = {e.email_key: e for e in existing if e.email_key}
        # One entry per name, a list only for a name held twice or more (a list per entry cost 12 MB at 100k).
        self.by_name: dict[str, Existing | list[Existing]] = {}
        for entry in existing:
            held = self.by_name.setdefault(entry.name_key, entry)
            if held is not entry:
                if isinstance(held, list):
                    held.append(entry)
                else:
                    self.by_name[entry.name_key] = [held, entry]

    def may_hold(self, row: RosterRow) -> bool:
        """False for a row that matches no entry by any key: a new entry, whatever the file's other rows say
        (they have other external ids and emails, and can take no entry it could)."""
        return bool(
            (row.external_id and row.external_id in self.by_external_id)
            or (row.email_key and row.email_key in self.by_email)
            or row.name_key in self.by_name
        )


def make_plan(roster: Roster, rows: list[RosterRow], replace: bool) -> Plan:
    """Rows that may state an entry, in the file's order: the entry each states, or a new one. New entries
    written while reading clash with nothing (their keys are on no entry and unique in the file)."""
    plan = match_rows(roster, rows)
    existing = roster.existing
    if replace:
        plan.remove = [e.pk for e in existing if not e.line]
    problems = _conflicts(existing, plan.create, replace)
    if problems:
        raise RosterError(problems)
    return plan


def match_rows(roster: Roster, rows: list[RosterRow]) -> Plan:
    """The entry each row states, in the file's order (`line` set on it, its values updated), or a new one.
    Also the PostgreSQL plan's (verification.roster_sql) for the rows that compete for an entry."""
    by_external_id, by_email, by_name = roster.by_external_id, roster.by_email, roster.by_name
    plan = Plan()

    def find(row: RosterRow) -> Existing | None:
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
    return plan


def _compatible(entry: Existing, row: RosterRow) -> bool:
    """A same-name entry is this row's only if neither has a different email or external id."""
    return (not entry.email_key or not row.email_key or entry.email_key == row.email_key) and (
        not entry.external_id or not row.external_id or entry.external_id == row.external_id
    )


def _conflicts(existing: list[Existing], created: list[RosterRow], replace: bool) -> list[str]:
    """Emails and external ids the roster would hold twice, reported at the file's rows that cause them.

    The roster to be is the entries no row states (unless `replace` removes them), then those rows state, then
    the new ones: a clash is reported at the later of the two, which is always a row of the file.
    """
    problems: list[tuple[int, str]] = []
    for label, attr, shown in (("email", "email_key", "email"), ("external_id", "external_id", "external_id")):
        owners: dict[str, Existing | RosterRow] = {}
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
