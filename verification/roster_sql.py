"""The roster import's plan on PostgreSQL, worked out in the database: the plan of verification.roster_plan (which
SQLite's import runs in Python), without holding the roster or the file's rows in Python.

Unless the roster is empty (then every row is a new entry, COPYed into it: verification.roster_import), the
file's rows are COPYed as they are read into a temporary table, `roster_import_stage`; once the file is read
(and only if every row is good), the plan is made there:

- each row's reach, as roster_plan's `find` looks rows up but regardless of what earlier rows took: the entry
  with its external id, else the one with its email key (unless both have an external id), else the
  compatible entries of its name; and whether the row differs from it (`roster_import_reach`);
- a row *competes* if an entry within its reach is within another row's too. Every other row's entries are
  within its reach alone, so no earlier row can take them, and its outcome does not depend on the file's
  order: the entry it reaches if it reaches exactly one, else a new entry;
- the competing rows (few: namesakes, an address on one member and an external id on another) are fetched with
  the entries within their reach and matched in the file's order by roster_plan's own `match_rows`. The
  entries they reach are reached by no other row, so this gives what matching the whole file in order gives;
- the changes (rows that differ from their entry, new entries: `roster_import_change`) are checked for an email
  or external id the new roster would hold twice, worded as roster_plan words it, then written as roster_plan's
  are: entries removed (`replace`), updated (their unique keys cleared first) and created.

tests/verification/test_import_paths.py runs this plan and roster_plan's on the same rosters and files
(chosen and random ones) and compares the rosters, the counts and the problems.
"""

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass

from django.db import connection
from django.utils import timezone

from signatures.addresses import email_key

from . import roster_plan
from .models import Affiliation, RosterEntry
from .roster_csv import COLUMNS, RosterError, RosterRow

TABLE = RosterEntry._meta.db_table
STAGED = ("line", "full_name", "email", "handles", "external_id", "name_key", "email_key")
# Staged rows per message of the COPY that stages them.
COPY_BATCH = 1000
# PostgreSQL's settings while the plan is made: hash tables of 100,000 rows in memory (its default work_mem, 4 MB,
# spills them to disk), and no nested loops. Right after a big import the roster's statistics are stale (until
# autovacuum analyses it) and the planner may take 100,000 entries for a handful: a nested loop over them took
# minutes where hash joins take a fraction of a second.
PLANNING = {"work_mem": "64MB", "enable_nestloop": "off"}
_TEMPORARY = "pg_temp.roster_import_stage, pg_temp.roster_import_reach, pg_temp.roster_import_change"


@dataclass
class RosterBefore:
    """The roster as the import found it (its affiliation locked): the entries up to `last_pk`."""

    affiliation_id: int
    last_pk: int
    empty: bool

    @classmethod
    def of(cls, affiliation_id: int) -> "RosterBefore":
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT count(*), coalesce(max(id), 0) FROM {TABLE} WHERE affiliation_id = %s",  # noqa: S608
                [affiliation_id],
            )
            count, last_pk = cursor.fetchone()
        return cls(affiliation_id, last_pk, count == 0)


@contextmanager
def staging() -> Iterator[Callable[[RosterRow], None]]:
    """`stage(row)` sends a row of the file to the temporary table the plan is made from, through a COPY that
    stays open while the file is read (the server stores each row while Python checks the next). A checked
    row holds no control character (roster_csv): a backslash is all there is to escape."""
    lines: list[str] = []

    def stage(r: RosterRow) -> None:
        line = f"{r.line}\t{r.full_name}\t{r.email}\t{r.handles}\t{r.external_id}\t{r.name_key}\t{r.email_key}\n"
        lines.append(line.replace("\\", "\\\\") if "\\" in line else line)
        if len(lines) >= COPY_BATCH:
            copy.write("".join(lines))
            lines.clear()

    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS {_TEMPORARY}")
        cursor.execute(
            "CREATE TEMPORARY TABLE roster_import_stage (line integer NOT NULL, full_name text NOT NULL, "
            "email text NOT NULL, handles text NOT NULL, external_id text NOT NULL, name_key text NOT NULL, "
            "email_key text NOT NULL) ON COMMIT DROP"
        )
        with cursor.cursor.copy(f"COPY roster_import_stage ({', '.join(STAGED)}) FROM STDIN") as copy:
            yield stage
            if lines:
                copy.write("".join(lines))


def staged_keys_repeat() -> bool:
    """Whether the staged rows hold an email key or an external id twice: rows read without that check
    (roster_csv.read_roster's `unique_keys`), which the plan assumes made."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT EXISTS (SELECT FROM roster_import_stage WHERE email_key <> '' GROUP BY email_key "
            "HAVING count(*) > 1) OR EXISTS (SELECT FROM roster_import_stage WHERE external_id <> '' "
            "GROUP BY external_id HAVING count(*) > 1)"
        )
        return cursor.fetchone()[0]


def write_plan(roster: RosterBefore, given: frozenset[str], replace: bool) -> tuple[int, int, int]:
    """Plan the staged rows against the roster (its entries up to `roster.last_pk`) and write the plan;
    (created, updated, removed). RosterError, writing nothing, if the new roster would hold an email or
    external id twice."""
    params = {"affiliation": roster.affiliation_id, "last": roster.last_pk, "replace": replace}
    entries = f"{TABLE} e WHERE e.affiliation_id = %(affiliation)s AND e.id <= %(last)s"
    with connection.cursor() as cursor:
        # For this transaction's statements (PLANNING), set back when the plan is written.
        cursor.execute("SELECT name, current_setting(name) FROM unnest(%s::text[]) AS name", [list(PLANNING)])
        settings = cursor.fetchall()
        for name, value in PLANNING.items():
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
        cursor.execute(_reach(given), params)
        _choose(cursor, given)
        cursor.execute(_changes(given), params)
        changes = cursor.rowcount
        if changes and "email" not in given:
            _fill_email_keys(cursor)
        problems = _conflicts(cursor, params) if changes else []
        if problems:
            raise RosterError(problems)
        removed = 0
        if replace:
            cursor.execute(
                f"SELECT e.id FROM {entries} AND NOT EXISTS "  # noqa: S608
                "(SELECT FROM roster_import_reach c WHERE c.entry_id = e.id) ORDER BY e.id",
                params,
            )
            remove = [pk for (pk,) in cursor.fetchall()]
            for start in range(0, len(remove), 10_000):
                RosterEntry.objects.filter(pk__in=remove[start : start + 10_000]).delete()
            removed = len(remove)
        updated = created = 0
        if changes:
            # Unique keys may move between entries (a swap): clear them first, then set them.
            cursor.execute(
                f"UPDATE {TABLE} e SET email_key = '', external_id = '' FROM roster_import_change o "  # noqa: S608
                "WHERE o.entry_id = e.id AND e.affiliation_id = %(affiliation)s",
                params,
            )
            cursor.execute(
                f"UPDATE {TABLE} e SET full_name = o.full_name, email = o.email, handles = o.handles, "  # noqa: S608
                "external_id = o.external_id, name_key = o.name_key, email_key = o.email_key "
                "FROM roster_import_change o WHERE o.entry_id = e.id AND e.affiliation_id = %(affiliation)s",
                params,
            )
            updated = cursor.rowcount
            cursor.execute(
                f"INSERT INTO {TABLE} (affiliation_id, full_name, email, handles, external_id, name_key, "  # noqa: S608
                "email_key, imported_at) SELECT %(affiliation)s, full_name, email, handles, external_id, name_key, "
                "email_key, %(now)s FROM roster_import_change WHERE entry_id IS NULL ORDER BY line",
                {**params, "now": timezone.now()},
            )
            created = cursor.rowcount
        cursor.execute(f"DROP TABLE {_TEMPORARY}")
        for name, value in settings:
            cursor.execute("SELECT set_config(%s, %s, true)", [name, value])
    if created or updated:
        Affiliation.bump_roster_version(roster.affiliation_id)
    return created, updated, removed


def _reach(given: frozenset[str]) -> str:
    """Each staged row's reach (roster_plan's `find` without the taken entries): the entry with its external id,
    else the one with its email key unless both have an external id, else every compatible entry of its name;
    and whether the row differs from it (in the file's columns)."""
    entry = {name: f"coalesce(x.{name}, y.{name}, n.{name})" for name in COLUMNS}
    differs = " OR ".join(f"s.{name} <> {entry[name]}" for name in COLUMNS if name in given)
    return f"""
CREATE TEMPORARY TABLE roster_import_reach ON COMMIT DROP AS
SELECT s.line, coalesce(x.id, y.id, n.id) AS entry_id, n.id IS NOT NULL AS named, {differs} AS differs,
    n.id IS NOT NULL OR (x.id IS NULL AND s.external_id = '' AND y.external_id <> '') AS open
FROM roster_import_stage s
LEFT JOIN {TABLE} x ON x.affiliation_id = %(affiliation)s AND x.id <= %(last)s
    AND x.external_id <> '' AND x.external_id = s.external_id
LEFT JOIN {TABLE} y ON y.affiliation_id = %(affiliation)s AND y.id <= %(last)s
    AND y.email_key <> '' AND y.email_key = s.email_key AND (s.external_id = '' OR y.external_id = '')
LEFT JOIN {TABLE} n ON x.id IS NULL AND y.id IS NULL AND n.affiliation_id = %(affiliation)s AND n.id <= %(last)s
    AND n.name_key = s.name_key
    AND (n.email_key = '' OR s.email_key = '' OR n.email_key = s.email_key)
    AND (n.external_id = '' OR s.external_id = '' OR n.external_id = s.external_id)
WHERE coalesce(x.id, y.id, n.id) IS NOT NULL
"""  # noqa: S608


def _choose(cursor, given: frozenset[str]) -> None:
    """roster_import_reach becomes each row's entry (a row without one is a new entry). A row whose reach is
    its own (no other row reaches its entries) states its entry if it reaches exactly one; the rows that
    compete for an entry (one within the reach of two rows or more) are matched in the file's order by
    roster_plan, against the entries within their reach (no other row reaches those)."""
    cursor.execute(_SEVERAL)
    reach = cursor.fetchall()
    competing = sorted({line for line, _, shared in reach if shared})
    stated = _match_competing(cursor, given, competing) if competing else {}
    if reach:  # the lines reaching several entries or competing: they state the entry matched, if any
        cursor.execute(
            "DELETE FROM roster_import_reach r WHERE line = ANY(%s) AND NOT EXISTS ("
            "SELECT FROM unnest(%s::integer[], %s::integer[]) AS m(line, entry_id) "
            "WHERE m.line = r.line AND m.entry_id = r.entry_id)",
            [sorted({line for line, *_ in reach}), list(stated), list(stated.values())],
        )
    cursor.execute("ANALYZE roster_import_reach")


# The lines that reach several entries or share one with another line (and whether they share it). Only an entry
# `open` to a second line can be shared: one within a name's reach, or reached by its address from a line without
# an external id while it has one (another line may reach it by that id). Entries reached otherwise, by an external
# id or by an address, are reached from one line only: the file holds each external id and address once.
_SEVERAL = """
WITH shared AS (
    SELECT entry_id FROM roster_import_reach
    WHERE entry_id IN (SELECT entry_id FROM roster_import_reach WHERE open)
    GROUP BY entry_id HAVING count(*) > 1
)
SELECT line, entry_id, entry_id IN (SELECT entry_id FROM shared) FROM roster_import_reach WHERE line IN (
    SELECT line FROM roster_import_reach WHERE named GROUP BY line HAVING count(*) > 1
    UNION SELECT line FROM roster_import_reach WHERE entry_id IN (SELECT entry_id FROM shared)
)
"""


def _match_competing(cursor, given: frozenset[str], lines: list[int]) -> dict[int, int]:
    """The entry each of these rows states (none: a new entry), matched in the file's order by roster_plan."""
    cursor.execute(
        f"SELECT {', '.join(STAGED)} FROM roster_import_stage WHERE line = ANY(%s) ORDER BY line",  # noqa: S608
        [lines],
    )
    rows = [RosterRow(*values[:5], given, *values[5:]) for values in cursor.fetchall()]
    cursor.execute(
        f"SELECT e.id, e.full_name, e.email, e.handles, e.external_id, e.name_key, e.email_key FROM {TABLE} e "  # noqa: S608
        "WHERE e.id IN (SELECT entry_id FROM roster_import_reach WHERE line = ANY(%s)) ORDER BY e.id",
        [lines],
    )
    roster = roster_plan.Roster([roster_plan.Existing(*values) for values in cursor.fetchall()])
    roster_plan.match_rows(roster, rows)
    return {entry.line: entry.pk for entry in roster.existing if entry.line}


def _changes(given: frozenset[str]) -> str:
    """The rows that change the roster (roster_import_change): those that state an entry and differ from it,
    and the new entries, with the values the entry holds afterwards, as roster_plan's RosterRow.apply_to sets
    them. An email key left NULL (a file without an email column, an entry it changes) is the entry's
    address's key, worked out in Python (_fill_email_keys)."""
    values = ", ".join(
        f"s.{name}" if name in given else f"coalesce(e.{name}, s.{name}) AS {name}"
        for name in ("full_name", "email", "handles", "external_id")
    )
    changed_key = "s.email_key" if "email" in given else "CASE WHEN e.id IS NULL THEN s.email_key END"
    return f"""
CREATE TEMPORARY TABLE roster_import_change ON COMMIT DROP AS
SELECT s.line, c.entry_id, {values}, s.name_key, {changed_key} AS email_key
FROM roster_import_stage s
LEFT JOIN roster_import_reach c ON c.line = s.line
LEFT JOIN {TABLE} e ON e.id = c.entry_id AND c.differs AND e.affiliation_id = %(affiliation)s
WHERE c.line IS NULL OR c.differs
"""  # noqa: S608


def _fill_email_keys(cursor) -> None:
    cursor.execute("SELECT line, email FROM roster_import_change WHERE email_key IS NULL")
    found = cursor.fetchall()
    if found:
        cursor.execute(
            "UPDATE roster_import_change o SET email_key = k.email_key "
            "FROM unnest(%s::integer[], %s::text[]) AS k(line, email_key) WHERE o.line = k.line",
            [[line for line, _ in found], [email_key(email) if email else "" for _, email in found]],
        )


def _conflicts(cursor, params: dict) -> list[str]:
    """roster_plan's conflicts: the roster to be is the entries no row states (unless `replace` removes them),
    in the order of their ids, then those rows state, in the same order, then the new ones, in the file's; a
    value held twice is reported at every holder after the first, worded as roster_plan words it.

    Only a value a row changes or brings can be held twice: the entries no row changes keep their values, and
    those were unique on the roster (its unique constraints). So only those values are looked at, and none
    when no row changes an entry or brings a new one (a re-import of the same file)."""
    problems: list[tuple[int, str]] = []
    for label, key, shown in (("email", "email_key", "email"), ("external_id", "external_id", "external_id")):
        cursor.execute(
            f"""
WITH members AS (
    SELECT CASE WHEN c.line IS NULL THEN 0 ELSE 1 END AS part, e.id AS position, coalesce(c.line, 0) AS line,
        e.full_name, e.{shown} AS shown, e.{key} AS value
    FROM {TABLE} e LEFT JOIN roster_import_reach c ON c.entry_id = e.id
    WHERE e.affiliation_id = %(affiliation)s AND e.id <= %(last)s
        AND e.{key} IN (SELECT {key} FROM roster_import_change WHERE {key} <> '')
        AND ((c.line IS NULL AND NOT %(replace)s) OR (c.line IS NOT NULL AND NOT c.differs))
    UNION ALL
    SELECT CASE WHEN entry_id IS NULL THEN 2 ELSE 1 END, coalesce(entry_id, line), line, full_name, {shown}, {key}
    FROM roster_import_change WHERE {key} <> ''
)
SELECT line, shown, first_line, first_name FROM (
    SELECT line, shown, row_number() OVER holders AS rank, first_value(line) OVER holders AS first_line,
        first_value(full_name) OVER holders AS first_name
    FROM members WINDOW holders AS (PARTITION BY value ORDER BY part, position)
) ranked WHERE rank > 1
""",  # noqa: S608
            params,
        )
        for line, value, first_line, first_name in cursor.fetchall():
            where = f"line {first_line}" if first_line else f"the roster's entry {first_name!r}"
            problems.append(
                (
                    line,
                    f"line {line}: {label} {value} is also on {where}"
                    " (give the same external_id to update it, or import with --replace)",
                )
            )
    return [problem for _, problem in sorted(problems)]
