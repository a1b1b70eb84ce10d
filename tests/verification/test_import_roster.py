"""`manage.py import_roster`: good files, upserts, --replace, every kind of bad file, and the re-check that follows."""

import io

import pytest
from django.core.management import CommandError, call_command

from signatures.models import Signature
from tests.support.counting import real_counts, stored_counts
from tests.support.factories import make_affiliation, make_petition, make_roster_entry, make_user
from tests.support.factories import make_checked_signature as sign
from tests.support.queued import settled
from verification.models import Evidence, RosterEntry, RosterImport
from verification.rosters import RosterError, import_roster

pytestmark = pytest.mark.django_db

V = Signature.Verification


def run_import(tmp_path, affiliation, content: bytes, *args: str) -> str:
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    out = io.StringIO()
    with settled():
        call_command("import_roster", affiliation.slug, str(path), *args, stdout=out)
    return out.getvalue()


def roster(affiliation) -> list[tuple[str, str, str, str]]:
    return sorted(
        RosterEntry.objects.filter(affiliation=affiliation).values_list("full_name", "email", "handles", "external_id")
    )


def test_good_file_creates_entries_and_records_the_import(tmp_path, artists):
    content = (
        b"full_name,email,handles,external_id\n"
        b"Jane Doe,jane@studio.org,@janedoe https://art.example/jane,A-1\n"
        b"Kim Lee,,,\n"
    )
    out = run_import(tmp_path, artists, content)
    assert roster(artists) == [
        ("Jane Doe", "jane@studio.org", "@janedoe https://art.example/jane", "A-1"),
        ("Kim Lee", "", "", ""),
    ]
    record = RosterImport.objects.get()
    assert (record.filename, record.rows, record.created, record.updated, record.removed, record.replaced) == (
        "roster.csv",
        2,
        2,
        0,
        0,
        False,
    )
    assert "2 rows" in out and "2 new" in out


def test_entries_get_the_keys_matching_uses(tmp_path, artists):
    run_import(tmp_path, artists, 'full_name,email\n"Núñez, María",Maria+x@Studio.org\n'.encode())
    entry = RosterEntry.objects.get()
    assert (entry.name_key, entry.email_key) == ("maria nunez", "maria@studio.org")


def test_file_with_a_byte_order_mark_imports(tmp_path, artists):
    run_import(tmp_path, artists, b"\xef\xbb\xbffull_name,email\nJane Doe,jane@studio.org\n")
    assert roster(artists) == [("Jane Doe", "jane@studio.org", "", "")]


def test_file_with_windows_line_endings_imports(tmp_path, artists):
    run_import(tmp_path, artists, b"full_name,email\r\nJane Doe,jane@studio.org\r\nKim Lee,kim@studio.org\r\n")
    assert roster(artists) == [("Jane Doe", "jane@studio.org", "", ""), ("Kim Lee", "kim@studio.org", "", "")]


def test_columns_may_come_in_any_order_and_only_full_name_is_required(tmp_path, artists):
    run_import(tmp_path, artists, b"external_id, Full_Name \nA-1,Jane Doe\n")
    assert roster(artists) == [("Jane Doe", "", "", "A-1")]


def test_blank_lines_and_quoted_cells_are_read_as_csv(tmp_path, artists):
    run_import(tmp_path, artists, b'full_name,handles\n\n"Doe, Jane","@jane https://art.example/jane"\n\n')
    assert roster(artists) == [("Doe, Jane", "", "@jane https://art.example/jane", "")]


def test_row_with_the_same_external_id_updates_the_entry(tmp_path, artists):
    entry = make_roster_entry(artists, "Jane Doe", "jane@studio.org", external_id="A-1")
    run_import(tmp_path, artists, b"full_name,email,external_id\nJane Doe-Smith,jane.smith@studio.org,A-1\n")
    assert roster(artists) == [("Jane Doe-Smith", "jane.smith@studio.org", "", "A-1")]
    assert RosterEntry.objects.get().pk == entry.pk
    assert RosterImport.objects.get().updated == 1


def test_row_with_the_same_email_updates_the_entry(tmp_path, artists):
    entry = make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    run_import(tmp_path, artists, b"full_name,email,handles\nJane Q. Doe,JANE+roster@studio.org,@jane\n")
    assert roster(artists) == [("Jane Q. Doe", "JANE+roster@studio.org", "@jane", "")]
    assert RosterEntry.objects.get().pk == entry.pk


def test_row_with_the_same_name_updates_the_entry(tmp_path, artists):
    entry = make_roster_entry(artists, "Jane Doe")
    run_import(tmp_path, artists, b'full_name,handles\n"doe, jane",@jane\n')
    assert roster(artists) == [("doe, jane", "", "@jane", "")]
    assert RosterEntry.objects.get().pk == entry.pk


def test_name_only_entry_gains_the_email_of_a_row_with_the_same_name(tmp_path, artists):
    entry = make_roster_entry(artists, "Jane Doe")
    run_import(tmp_path, artists, b"full_name,email\nJane Doe,jane@studio.org\n")
    assert roster(artists) == [("Jane Doe", "jane@studio.org", "", "")]
    assert RosterEntry.objects.get().pk == entry.pk


def test_same_name_with_a_different_email_is_another_person(tmp_path, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    run_import(tmp_path, artists, b"full_name,email\nJane Doe,other.jane@studio.org\n")
    assert roster(artists) == [("Jane Doe", "jane@studio.org", "", ""), ("Jane Doe", "other.jane@studio.org", "", "")]


def test_unchanged_row_is_neither_created_nor_updated(tmp_path, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    out = run_import(tmp_path, artists, b"full_name,email\nJane Doe,jane@studio.org\n")
    record = RosterImport.objects.get()
    assert (record.created, record.updated, record.removed) == (0, 0, 0)
    assert "unchanged" in out


def test_without_replace_entries_missing_from_the_file_are_kept(tmp_path, artists):
    make_roster_entry(artists, "Kim Lee", "kim@studio.org")
    run_import(tmp_path, artists, b"full_name,email\nJane Doe,jane@studio.org\n")
    assert roster(artists) == [("Jane Doe", "jane@studio.org", "", ""), ("Kim Lee", "kim@studio.org", "", "")]


def test_replace_removes_entries_missing_from_the_file(tmp_path, artists):
    kept = make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    make_roster_entry(artists, "Kim Lee", "kim@studio.org")
    out = run_import(tmp_path, artists, b"full_name,email\nJane Doe,jane@studio.org\nPat Quinn,\n", "--replace")
    assert roster(artists) == [("Jane Doe", "jane@studio.org", "", ""), ("Pat Quinn", "", "", "")]
    assert RosterEntry.objects.get(full_name="Jane Doe").pk == kept.pk
    record = RosterImport.objects.get()
    assert (record.replaced, record.created, record.removed) == (True, 1, 1)
    assert "1 removed" in out


def test_replace_leaves_other_affiliations_alone(tmp_path, artists):
    other = make_affiliation("other-group")
    make_roster_entry(other, "Kim Lee")
    run_import(tmp_path, artists, b"full_name\nJane Doe\n", "--replace")
    assert roster(other) == [("Kim Lee", "", "", "")]


def test_replace_can_move_an_email_to_a_new_external_id(tmp_path, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org", external_id="OLD-1")
    run_import(tmp_path, artists, b"full_name,email,external_id\nJane Doe,jane@studio.org,NEW-1\n", "--replace")
    assert roster(artists) == [("Jane Doe", "jane@studio.org", "", "NEW-1")]


def test_row_whose_email_belongs_to_another_external_id_is_refused_without_replace(tmp_path, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org", external_id="OLD-1")
    with pytest.raises(CommandError) as error:
        run_import(tmp_path, artists, b"full_name,email,external_id\nJane Doe,jane@studio.org,NEW-1\n")
    assert "line 2" in str(error.value)
    assert "jane@studio.org" in str(error.value)
    assert roster(artists) == [("Jane Doe", "jane@studio.org", "", "OLD-1")]
    assert not RosterImport.objects.exists()


def test_unknown_affiliation_is_an_error(tmp_path, artists):
    path = tmp_path / "roster.csv"
    path.write_bytes(b"full_name\nJane Doe\n")
    with pytest.raises(CommandError, match="No affiliation"):
        call_command("import_roster", "no-such-group", str(path))


def test_missing_file_is_an_error(tmp_path, artists):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("import_roster", artists.slug, str(tmp_path / "absent.csv"))


LONG = "x" * 201
BAD_FILES = {
    "missing full_name column": (b"name,email\nJane Doe,jane@studio.org\n", ["line 1", "full_name"]),
    "unknown column": (b"full_name,email,phone\nJane Doe,jane@studio.org,555\n", ["line 1", "phone"]),
    "column named twice": (b"full_name,email,email\nJane Doe,a@studio.org,b@studio.org\n", ["line 1", "email"]),
    "empty column name": (b"full_name,email,\nJane Doe,jane@studio.org,\n", ["line 1", "unknown column"]),
    "too many cells": (b"full_name,email\nJane Doe,jane@studio.org,extra\n", ["line 2", "3 cells", "2"]),
    "too few cells": (b"full_name,email\nJane Doe,jane@studio.org\nKim Lee\n", ["line 3", "1 cell", "2"]),
    "latin-1 bytes": ("full_name\nJane Doe\nJosé Núñez\n".encode("latin-1"), ["line 3", "UTF-8"]),
    "NUL bytes": (b"full_name\nJane\x00 Doe\n", ["NUL"]),
    "duplicate email": (
        b"full_name,email\nJane Doe,jane@studio.org\nJ. Doe,JANE+2@studio.org\n",
        ["line 3", "duplicate email", "line 2"],
    ),
    "duplicate external_id": (
        b"full_name,external_id\nJane Doe,A-1\nKim Lee,A-1\n",
        ["line 3", "duplicate external_id", "line 2"],
    ),
    "duplicate name without email or id": (
        b'full_name\nJane Doe\n"DOE, Jane"\n',
        ["line 3", "duplicate name", "line 2"],
    ),
    "missing name": (b"full_name,email\n  ,jane@studio.org\n", ["line 2", "full_name is empty"]),
    "invalid email": (b"full_name,email\nJane Doe,jane@@studio\n", ["line 2", "email", "not a valid"]),
    "over-long name": (f"full_name\n{LONG}\n".encode(), ["line 2", "full_name", "longer than 200"]),
    "over-long external_id": (f"full_name,external_id\nJane,{LONG}\n".encode(), ["line 2", "external_id"]),
    "control characters": (b"full_name\nJane \x1b[31mDoe\n", ["line 2", "control character"]),
    "bad handle": (b"full_name,handles\nJane Doe,@jane not-a-handle\n", ["line 2", "not-a-handle"]),
    "empty file": (b"", ["empty"]),
    "only a byte order mark": (b"\xef\xbb\xbf", ["empty"]),
    "header only": (b"full_name,email\n", ["no rows"]),
    "header and blank lines only": (b"full_name,email\n\n,\n", ["no rows"]),
}


@pytest.mark.parametrize("content,expected", BAD_FILES.values(), ids=BAD_FILES.keys())
def test_bad_file_imports_nothing_and_reports_why(tmp_path, artists, content, expected):
    make_roster_entry(artists, "Old Member", "old@studio.org")
    with pytest.raises(CommandError) as error:
        run_import(tmp_path, artists, content, "--replace")
    report = str(error.value)
    assert report.startswith("Nothing imported")
    for fragment in expected:
        assert fragment in report
    assert roster(artists) == [("Old Member", "old@studio.org", "", "")]
    assert not RosterImport.objects.exists()


def test_report_names_every_bad_row_and_imports_none_of_the_good_ones(tmp_path, artists):
    content = b"full_name,email\nGood One,good@studio.org\n,nameless@studio.org\nGood Two,\nBad Email,nope\n"
    with pytest.raises(RosterError) as error:
        import_roster(artists, content, "roster.csv")
    assert error.value.problems == [
        "line 3: full_name is empty",
        "line 5: email 'nope' is not a valid address",
    ]
    assert RosterEntry.objects.count() == 0
    assert RosterImport.objects.count() == 0


def test_bad_row_after_a_multi_line_cell_is_reported_at_its_own_line(tmp_path, artists):
    content = b'full_name,handles\nJane Doe,"@jane\n@jane2"\n,@nobody\n'
    with pytest.raises(RosterError) as error:
        import_roster(artists, content, "roster.csv")
    assert error.value.problems == ["line 4: full_name is empty"]


# Two repeated keys around a bad row: on PostgreSQL the file is read without the repeated-key check, which the
# database makes (the roster's unique indexes when it is empty, a query of the staged rows when not), and a refused
# file is read again with every check (verification.roster_import._copy_while_reading).
REPEATS = (
    b"full_name,email,external_id\nJane Doe,jane@studio.org,A-1\nKim Lee,kim@studio.org,A-1\n"
    b"Bad Email,nope,\nJ. Doe,JANE+2@studio.org,\nAna Silva,ana@studio.org,A-3\n"
)
REPEATS_PROBLEMS = [
    "line 3: duplicate external_id of line 2",
    "line 4: email 'nope' is not a valid address",
    "line 5: duplicate email of line 2",
]


class _Stream(io.RawIOBase):
    """A file that can be read once (an upload streamed from a socket): it cannot seek."""

    def __init__(self, data: bytes) -> None:
        self.data = io.BytesIO(data)

    def readable(self) -> bool:
        return True

    def readinto(self, buffer) -> int:
        return self.data.readinto(buffer)


@pytest.mark.parametrize("on_roster", [False, True], ids=["empty roster", "roster with an entry"])
@pytest.mark.parametrize("source", ["bytes", "file", "stream"])
@pytest.mark.parametrize(
    "content,problems",
    [
        (REPEATS, REPEATS_PROBLEMS),
        (REPEATS.replace(b"nope", b"bad@studio.org"), [REPEATS_PROBLEMS[0], REPEATS_PROBLEMS[2]]),
        (
            b"full_name,email\nJane Doe,jane@studio.org\nJ. Doe,JANE+2@studio.org\n",
            ["line 3: duplicate email of line 2"],
        ),
        (b"full_name,email\nJane Doe,jane@studio.org\nKim,kim@\n", ["line 3: email 'kim@' is not a valid address"]),
    ],
    ids=["repeats and a bad row", "repeats only", "one repeated email", "a bad row only"],
)
def test_a_file_repeating_an_email_or_external_id_is_refused_with_every_problem_in_order(
    tmp_path, artists, content, problems, source, on_roster
):
    if on_roster:
        make_roster_entry(artists, "Old Member", "old@studio.org")
    path = tmp_path / "roster.csv"
    path.write_bytes(content)
    with path.open("rb") as opened:
        given = {"bytes": content, "file": opened, "stream": _Stream(content)}[source]
        with pytest.raises(RosterError) as error:
            import_roster(artists, given, "roster.csv")
    assert error.value.problems == problems
    assert roster(artists) == ([("Old Member", "old@studio.org", "", "")] if on_roster else [])
    assert not RosterImport.objects.exists()


def test_a_file_with_the_same_keys_on_other_rows_is_imported_read_once(tmp_path, artists):
    """Emails and external ids each once, names repeated: nothing for the database to refuse."""
    content = b"full_name,email,external_id\nJane Doe,jane@studio.org,A-1\nJane Doe,jane2@studio.org,A-2\n"
    reads = []

    class Counted(io.BytesIO):
        def seek(self, *args):
            reads.append(args)
            return super().seek(*args)

    record = import_roster(artists, Counted(content), "roster.csv")
    assert (record.rows, record.created) == (2, 2)
    assert reads == []  # not read again
    assert len(roster(artists)) == 2


def test_signer_whose_email_is_added_to_the_roster_becomes_verified(tmp_path, artists):
    petition = make_petition(affiliations=[artists])
    signature = sign(petition, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    assert signature.verification == V.UNVERIFIED
    run_import(tmp_path, artists, b"full_name,email\nJane Doe,jane@studio.org\n")
    signature.refresh_from_db()
    assert (signature.verification, signature.evidence.method) == (V.VERIFIED, Evidence.Method.EMAIL)
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 1)}}


def test_signer_whose_name_is_added_to_the_roster_goes_to_review(tmp_path, artists):
    petition = make_petition(affiliations=[artists])
    signature = sign(petition, full_name="Jane Doe", email="jane@elsewhere.net", affiliation=artists)
    run_import(tmp_path, artists, b"full_name\nJane Doe\n")
    signature.refresh_from_db()
    assert signature.verification == V.NEEDS_REVIEW


def test_signer_removed_from_the_roster_with_replace_becomes_unverified(tmp_path, artists):
    petition = make_petition(affiliations=[artists])
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    signature = sign(petition, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    assert signature.verification == V.VERIFIED
    run_import(tmp_path, artists, b"full_name,email\nKim Lee,kim@studio.org\n", "--replace")
    signature.refresh_from_db()
    assert (signature.verification, signature.verified_at) == (V.UNVERIFIED, None)
    assert signature.evidence_trail.count() == 2
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 0)}}


def test_moderator_approved_signer_stays_verified_when_removed_with_replace(tmp_path, artists):
    from verification.claims import approve_claim

    petition = make_petition(affiliations=[artists])
    make_roster_entry(artists, "Jane Doe")
    signature = sign(petition, full_name="Jane Doe", email="jane@elsewhere.net", affiliation=artists)
    approve_claim(signature, make_user("moderator@example.net"), note="known to the coordinator")
    run_import(tmp_path, artists, b"full_name\nKim Lee\n", "--replace")
    signature.refresh_from_db()
    assert signature.verification == V.VERIFIED
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 1, "by_affiliation": {artists.pk: (1, 1)}}


def test_roster_import_rechecks_claims_on_every_petition_of_the_affiliation(tmp_path, artists):
    first, second = make_petition(affiliations=[artists]), make_petition(affiliations=[artists])
    a = sign(first, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    b = sign(second, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    run_import(tmp_path, artists, b"full_name,email\nJane Doe,jane@studio.org\n")
    assert {s.verification for s in Signature.objects.filter(pk__in=[a.pk, b.pk])} == {V.VERIFIED}
    for petition in (first, second):
        assert stored_counts(petition) == real_counts(petition)


def test_roster_import_leaves_withdrawn_and_unconfirmed_signatures_alone(tmp_path, artists):
    from signatures import services

    petition = make_petition(affiliations=[artists])
    withdrawn = sign(petition, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    services.withdraw(withdrawn.pk)
    unconfirmed = sign(petition, full_name="Kim Lee", email="kim@studio.org", affiliation=artists, confirmed=False)
    run_import(tmp_path, artists, b"full_name,email\nJane Doe,jane@studio.org\nKim Lee,kim@studio.org\n")
    assert Evidence.objects.filter(signature=withdrawn).count() == 1
    assert not Evidence.objects.filter(signature=unconfirmed).exists()
    assert stored_counts(petition) == real_counts(petition) == {"confirmed": 0, "by_affiliation": {}}


def test_import_that_changes_nothing_records_no_new_evidence(tmp_path, artists):
    petition = make_petition(affiliations=[artists])
    make_roster_entry(artists, "Jane Doe", "jane@studio.org")
    signature = sign(petition, full_name="Jane Doe", email="jane@studio.org", affiliation=artists)
    run_import(tmp_path, artists, b"full_name,email\nJane Doe,jane@studio.org\n")
    run_import(tmp_path, artists, b"full_name,email\nJane Doe,jane@studio.org\n", "--replace")
    assert signature.evidence_trail.count() == 1


def test_entries_may_swap_emails_by_external_id(tmp_path, artists):
    make_roster_entry(artists, "Jane Doe", "a@studio.org", external_id="A-1")
    make_roster_entry(artists, "Kim Lee", "b@studio.org", external_id="B-2")
    run_import(tmp_path, artists, b"full_name,email,external_id\nJane Doe,b@studio.org,A-1\nKim Lee,a@studio.org,B-2\n")
    assert roster(artists) == [("Jane Doe", "b@studio.org", "", "A-1"), ("Kim Lee", "a@studio.org", "", "B-2")]


def test_columns_the_file_lacks_are_left_as_they_are(tmp_path, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org", external_id="A-1", handles="@jane")
    run_import(tmp_path, artists, b"full_name,external_id\nJane Q. Doe,A-1\n")
    assert roster(artists) == [("Jane Q. Doe", "jane@studio.org", "@jane", "A-1")]


def test_empty_cell_clears_the_field(tmp_path, artists):
    make_roster_entry(artists, "Jane Doe", "jane@studio.org", external_id="A-1", handles="@jane")
    run_import(tmp_path, artists, b"full_name,email,handles,external_id\nJane Doe,jane@studio.org,,A-1\n")
    assert roster(artists) == [("Jane Doe", "jane@studio.org", "", "A-1")]


def test_unterminated_quote_is_reported(tmp_path, artists):
    with pytest.raises(RosterError) as error:
        import_roster(artists, b'full_name,email\n"Jane Doe,jane@studio.org\nKim Lee,kim@studio.org\n', "r.csv")
    assert error.value.problems[0].startswith("line 2:")
    assert RosterEntry.objects.count() == 0


@pytest.mark.parametrize(
    "address",
    [
        "jane@example.org", "Jane.Doe+tag@Example.ORG", "a@b", "a@localhost", "a@[127.0.0.1]", "a@[::1]",
        "a@[999.1.1.1]",
        "a@-example.org", "a@example-.org", "a@example..org", ".a@example.org", "a.@example.org", "a..b@example.org",
        '"quoted local"@example.org', '"bad"quote"@example.org', "a@b@example.org", "@example.org", "a@", "",
        "jane@münchen.de", "jane@xn--mnchen-3ya.de", "jane@example.org.", "ñame@example.org", "a b@example.org",
        "a@exa mple.org", "a@example.c", "a@example.123", "x" * 65 + "@example.org", "a@" + "b" * 64 + ".org",
        "a@" + ("b" * 63 + ".") * 5 + "org", "a" * 320 + "@x.org", "a@example.org\n", "a@ex_ample.org",
    ],
)  # fmt: skip
def test_the_roster_email_check_accepts_exactly_what_django_validate_email_accepts(address):
    """The import checks addresses with Django's own rules, remembering each domain's answer (a roster is
    hundreds of thousands of addresses at a few domains): the answers must be Django's."""
    from django.core.exceptions import ValidationError
    from django.core.validators import validate_email

    from verification.roster_csv import is_email

    try:
        validate_email(address)
        valid = True
    except ValidationError:
        valid = False
    assert is_email(address) is valid
    assert is_email(address) is valid  # the remembered answer too


def _lines_one_at_a_time(source):
    """How the file was read before it was decoded a block at a time: a line at a time (the reference)."""
    import codecs

    offset = 0
    for number, raw in enumerate(source, start=1):
        if number == 1 and raw.startswith(codecs.BOM_UTF8):
            raw, offset = raw[3:], 3
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


def _read_all(lines):
    read = []
    try:
        for line in lines:
            read.append(line)
    except RosterError as error:
        return read, error.problems
    return read, None


@pytest.mark.parametrize("block", [1, 5, 17, 1 << 18])
def test_a_file_decoded_a_block_at_a_time_gives_the_lines_and_errors_of_one_line_at_a_time(monkeypatch, block):
    from verification import roster_csv

    monkeypatch.setattr(roster_csv, "_BLOCK", block)
    good = 'full_name,email\nJosé Núñez,a@b.example\r\nŁukasz\x85 \u2028Søren,\n"Multi\nline",x@y.example\nlast'
    files = [
        b"", b"\xef\xbb\xbf", b"\xef\xbb\xbf\n", b"\n\n", good.encode(), b"\xef\xbb\xbf" + good.encode(),
        good.encode() + b"\n", good.encode() + b"\nJane\x00 Doe\nafter\n", b"\xef\xbb\xbfok\n\xff\n",
        "full_name\nJane Doe\nJosé Núñez\n".encode("latin-1"), good.encode() + "\nAnn é\n".encode("latin-1") + b"x\n",
        b"a\nb\xe2\x82", "x" * 100 + "\n" + "é" * 40,
    ]  # fmt: skip
    for content in files:
        content = content.encode() if isinstance(content, str) else content
        expected = _read_all(_lines_one_at_a_time(io.BytesIO(content)))
        assert _read_all(roster_csv._decoded_lines(io.BytesIO(content))) == expected, content
