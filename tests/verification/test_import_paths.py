"""The roster import's two paths give the same roster: on PostgreSQL the file is read inside the import's
transaction and rows that can match no entry are COPYed in as they are read; elsewhere (SQLite, the embedded
default) the file is read first. Both are run here on PostgreSQL, on the same files, and must agree on the
entries, the counts and every problem."""

import io

import pytest
from django.db import connection

from tests.support.factories import make_roster_entry
from verification import roster_import
from verification.models import Affiliation, RosterEntry, RosterImport
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
    "a bad row after good new ones": (
        [("Old Member", "old@studio.example", "")],
        HEADER + "".join(f"Member {n},m{n}@studio.example,,\n" for n in range(3000)) + "Bad,not-an-address,,\n",
        False,
    ),
}


def outcome(monkeypatch, streams: bool, roster, content: str, replace: bool):
    monkeypatch.setattr(roster_import, "STREAM_ON", {"postgresql"} if streams else set())
    affiliation = Affiliation.objects.create(slug=f"paths-{streams}", name="Paths")
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
