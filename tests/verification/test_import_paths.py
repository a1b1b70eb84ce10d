"""The roster import's two paths give the same roster: on PostgreSQL the file is read inside the import's
transaction and rows that can match no entry are COPYed in as they are read; elsewhere (SQLite, the embedded
default) the file is read first. Both are run here on PostgreSQL, on the same files, and must agree on the
entries, the counts and every problem."""

import io
import random

import pytest
from django.db import connection

from tests.support.factories import make_roster_entry
from verification import roster_import
from verification.models import Affiliation, RosterEntry, RosterImport
from verification.roster_csv import COLUMNS
from verification.rosters import RosterError, import_roster

pytestmark = pytest.mark.django_db

HEADER = "full_name,email,handles,external_id\n"
# Each case: the roster before (name, email, external id), the file, and whether it replaces the roster.
CASES = {
    "new roster": (
        [],
        HEADER + "Ana Núñez,ana@studio.example,@ana,A-1\nBen Okafor,,,\nC\\D Back\\slash,,,B-2\n",
        False,
    ),
    "re-import with changes": (
        [("Ana Nunez", "ana@studio.example", "A-1"), ("Ben Okafor", "", ""), ("Old Member", "old@studio.example", "")],
        HEADER + "Ana Núñez,ana@new.example,,A-1\nBen Okafor,ben@studio.example,,\nNew Member,new@studio.example,,\n",
        False,
    ),
    "replace": (
        [("Ana Nunez", "ana@studio.example", "A-1"), ("Old Member", "old@studio.example", "")],
        HEADER + "Ana Nunez,ana@studio.example,,A-1\nNew Member,,,N-1\n",
        True,
    ),
    "same names: taken in the file's order": (
        [("Jo Kim", "", ""), ("Jo Kim", "", "J-9")],
        HEADER + "Jo Kim,jo@a.example,,\nJo Kim,jo@b.example,,\nJo Kim,,,J-9\n",
        False,
    ),
    "an address another member holds": (
        [("Ana Nunez", "ana@studio.example", "A-1")],
        HEADER + "Someone Else,ana@studio.example,,Z-1\nBrand New,brand@studio.example,,\n",
        False,
    ),
    "namesakes: a row by name before the row that states the entry by address": (
        [("Jo Kim", "", ""), ("Jo Kim", "jo@a.example", ""), ("Jo Kim", "", "J-1")],
        HEADER + "Jo Kim,,,\nJo Kim,jo@a.example,,\nKim Jo,jo@c.example,,\nJo Kim,,,J-1\n",
        False,
    ),
    "one entry stated by address, then by external id": (
        [("Eve Stone", "eve@studio.example", "E-1"), ("Ed Stone", "ed@studio.example", "")],
        HEADER + "Eve Stone,eve@studio.example,,\nEve S.,eve@new.example,,E-1\nEd Stone,,,\n",
        False,
    ),
    "addresses swapped between members": (
        [("Ana Nunez", "ana@studio.example", "A-1"), ("Ben Okafor", "ben@studio.example", "B-1")],
        HEADER + "Ana Nunez,ben@studio.example,,A-1\nBen Okafor,ana@studio.example,,B-1\n",
        False,
    ),
    "an address an untouched entry holds, whose name needs quoting": (
        [('O\'Brien "Bo"', "bo@studio.example", "O-1"), ("Ann Lee", "ann@studio.example", "L-1")],
        HEADER + "Ann Lee,bo@studio.example,,L-1\nNew One,new@studio.example,,O-1\nNew Two,ann@studio.example,,\n",
        False,
    ),
    "a file without an email column": (
        [("Ana Nunez", "Ana@Studio.example", "A-1"), ("Ben Okafor", "", "B-1")],
        "full_name,external_id\nAna Núñez,A-1\nBen Okafor,B-1\nCat Moss,C-1\n",
        False,
    ),
    "a file without an external_id column, replacing": (
        [("Ana Nunez", "ana@studio.example", "A-1"), ("Ben Okafor", "", "B-1"), ("Ben Okafor", "", "")],
        "full_name,email,handles\nAna Nunez,ana@other.example,@ana\nBen Okafor,,\nDee Park,,\n",
        True,
    ),
    "a bad row after good new ones": (
        [("Old Member", "old@studio.example", "")],
        HEADER + "".join(f"Member {n},m{n}@studio.example,,\n" for n in range(3000)) + "Bad,not-an-address,,\n",
        False,
    ),
}


def outcome(monkeypatch, streams: bool, roster, content: str, replace: bool, slug: str = "paths"):
    monkeypatch.setattr(roster_import, "STREAM_ON", {"postgresql"} if streams else set())
    affiliation = Affiliation.objects.create(slug=f"{slug}-{streams}", name="Paths")
    for name, email, external_id in roster:
        make_roster_entry(affiliation, name, email, external_id=external_id)
    try:
        record = import_roster(affiliation, content.encode(), "roster.csv", replace=replace)
        result = (record.rows, record.created, record.updated, record.removed)
    except RosterError as error:
        result = error.problems
    entries = sorted(
        RosterEntry.objects.filter(affiliation=affiliation).values_list(
            "full_name", "email", "handles", "external_id", "name_key", "email_key"
        )
    )
    return result, entries


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="compares PostgreSQL's path with the other")
@pytest.mark.parametrize("case", CASES)
def test_reading_inside_the_transaction_and_reading_first_give_the_same_roster(monkeypatch, case):
    roster, content, replace = CASES[case]
    streamed = outcome(monkeypatch, True, roster, content, replace)
    read_first = outcome(monkeypatch, False, roster, content, replace)
    assert streamed == read_first
    assert streamed[1]  # every case leaves a roster to compare


def test_a_backslash_in_a_name_is_stored_as_typed(artists):
    import_roster(artists, (HEADER + "C\\D Back\\slash,,,\n").encode(), "roster.csv")
    assert RosterEntry.objects.get(affiliation=artists).full_name == "C\\D Back\\slash"


def test_new_rows_after_a_bad_one_leave_the_roster_untouched(artists):
    make_roster_entry(artists, "Old Member", "old@studio.example")
    content = HEADER + "Bad,not-an-address,,\n" + "".join(f"Member {n},,,M-{n}\n" for n in range(2000))
    with pytest.raises(RosterError) as raised:
        import_roster(artists, content.encode(), "roster.csv")
    assert raised.value.problems == ["line 2: email 'not-an-address' is not a valid address"]
    assert list(RosterEntry.objects.values_list("full_name", flat=True)) == ["Old Member"]


@pytest.mark.django_db(transaction=True)
def test_an_uploads_lines_read_are_written_while_the_import_runs(artists):
    """The upload's page reads the record from another connection: the lines read reach it while the import's
    own transaction is still open (on PostgreSQL through a connection of the import's own)."""
    seen: list[int] = []

    def watch(lines: int) -> None:  # another reader, as the upload's page is
        other = connection.copy()
        try:
            with other.cursor() as cursor:
                cursor.execute("SELECT lines_read FROM verification_rosterimport WHERE id = %s", [record.pk])
                seen.append(cursor.fetchone()[0])
        finally:
            other.close()

    content = HEADER + "".join(f"Member {n},m{n}@studio.example,,\n" for n in range(25_000))
    record = RosterImport.objects.create(affiliation=artists, filename="big.csv", state=RosterImport.State.READING)
    done = import_roster(artists, io.BytesIO(content.encode()), "big.csv", record=record, progress=watch)
    assert (done.state, done.created, done.lines_read) == (RosterImport.State.DONE, 25_000, 25_001)
    assert seen == [10_000, 20_000, 25_001]


def random_case(rng: random.Random) -> tuple[list, str, bool]:
    """A small roster and file drawn from a few names, addresses and external ids, so that rows compete for
    entries (namesakes, an address on one entry and an external id on another) in every way the plan knows."""
    names = ["Jo Kim", "Kim Jo", "Ana Nunez", "Ana Núñez", "Ben Okafor", "Cat Moss"]
    emails = ["", "", "jo@a.example", "Jo@A.example", "ana@a.example", "ben@a.example", "cat@a.example", "x@a.example"]
    ids = ["", "", "", "K-1", "K-2", "K-3", "K-4"]
    roster, held = [], set()
    for _ in range(rng.randint(0, 7)):
        name, email, external_id = rng.choice(names), rng.choice(emails), rng.choice(ids)
        keys = {("e", email.lower())} if email else set()
        keys |= {("x", external_id)} if external_id else set()
        if not keys & held:
            held |= keys
            roster.append((name, email, external_id))
    columns = rng.choice([COLUMNS, COLUMNS, ("full_name", "email"), ("full_name", "external_id")])
    lines, seen = [], set()
    for _ in range(rng.randint(1, 8)):
        row = {"full_name": rng.choice(names), "email": rng.choice(emails), "handles": rng.choice(["", "@jo"]),
               "external_id": rng.choice(ids)}  # fmt: skip
        row = {name: row[name] if name in columns else "" for name in COLUMNS}
        keys = {("e", row["email"].lower())} if row["email"] else set()
        keys |= {("x", row["external_id"])} if row["external_id"] else set()
        keys = keys or {("n", row["full_name"])}
        if not keys & seen:  # a file holds each address, external id and (of rows with neither) name once
            seen |= keys
            lines.append(",".join(row[name] for name in columns))
    return roster, ",".join(columns) + "\n" + "\n".join(lines) + "\n", rng.random() < 0.3


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="compares PostgreSQL's path with the other")
def test_random_rosters_and_files_give_the_same_roster_on_both_paths(monkeypatch):
    """The database's plan (verification.roster_sql) against roster_plan's, on random files whose rows compete
    for entries."""
    rng = random.Random(9)
    for case in range(100):
        roster, content, replace = random_case(rng)
        streamed = outcome(monkeypatch, True, roster, content, replace, slug=f"random-{case}")
        read_first = outcome(monkeypatch, False, roster, content, replace, slug=f"random-{case}")
        assert streamed == read_first, (roster, content, replace)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the plan's settings are PostgreSQL's")
def test_the_plans_settings_do_not_outlast_it(artists):
    """The plan runs with nested loops off and more work_mem; what follows in the import's transaction (the dry
    run's verdicts, the re-check) is planned as usual."""
    make_roster_entry(artists, "Old Member", "old@studio.example")

    def settings():
        with connection.cursor() as cursor:
            cursor.execute("SELECT current_setting('enable_nestloop'), current_setting('work_mem')")
            return cursor.fetchone()

    before = settings()
    import_roster(artists, (HEADER + "Old Member,old@studio.example,,O-1\nNew Member,,,\n").encode(), "roster.csv")
    assert settings() == before
    assert RosterEntry.objects.filter(affiliation=artists).count() == 2
