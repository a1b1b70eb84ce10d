"""Roster upload in the panel: a good file is imported and its claims re-checked; a bad one imports nothing."""

import re

import pytest
from django.contrib.admin.models import LogEntry
from django.core.files.uploadedfile import SimpleUploadedFile

from signatures.models import Signature
from tests.support.factories import make_roster_entry, make_signature
from tests.support.queued import settled
from verification.models import RosterEntry, RosterImport

pytestmark = pytest.mark.django_db

GOOD = (
    "full_name,email,handles,external_id\n"
    "Ana Núñez,ana@studio.example,@ana,A-1\n"
    "Ben Okafor,ben@studio.example,,A-2\n"
    "Late Member,late@studio.example,,A-3\n"
)
BAD = (
    "full_name,email,handles,external_id\n"
    "Ana Núñez,ana@studio.example,,A-1\n"
    ",nobody@studio.example,,A-2\n"
    "Ben Okafor,not-an-address,,A-3\n"
    "Cleo,cleo@studio.example,,A-1\n"
)


def upload_url(affiliation) -> str:
    return f"/admin/verification/affiliation/{affiliation.pk}/roster/"


def domains_url(affiliation) -> str:
    return f"/admin/verification/affiliation/{affiliation.pk}/domains/"


def csv_file(text: str, name: str = "roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, text.encode("utf-8"), content_type="text/csv")


def upload(client, affiliation, file, **data):
    """Upload as a moderator does: the file is stored and queued; the worker imports it (here, when the upload
    commits); the moderator lands on the import's page."""
    with settled():
        posted = client.post(upload_url(affiliation), {"file": file, **data})
    assert posted.status_code == 302, posted.content.decode()[:2000]
    return client.get(posted["Location"])


def test_keeper_uploads_a_good_roster_and_the_claims_are_rechecked(client, keeper, letter_a, artists, settled):
    with settled():
        late = make_signature(letter_a, full_name="Late Member", email="late@studio.example", affiliation=artists)
    late.refresh_from_db()
    assert late.verification == Signature.Verification.UNVERIFIED
    client.force_login(keeper)
    assert "Replace the roster" in client.get(upload_url(artists)).content.decode()

    review = upload(client, artists, csv_file(GOOD, "members.csv"))
    assert "Importing members.csv changes the verdict of 1 claim." in review.content.decode()
    assert not RosterEntry.objects.exists()  # nothing is written before the keeper confirms
    with settled():
        confirmed = client.post(review.wsgi_request.path, {"confirm": "Import it"})
    response = client.get(confirmed["Location"])
    assert "Imported members.csv (3 rows): 3 created, 0 updated, 0 removed." in response.content.decode()
    html = client.get(f"/admin/verification/affiliation/{artists.pk}/change/").content.decode()
    assert sorted(RosterEntry.objects.filter(affiliation=artists).values_list("full_name", flat=True)) == [
        "Ana Núñez",
        "Ben Okafor",
        "Late Member",
    ]
    record = RosterImport.objects.get()
    assert (record.imported_by, record.filename, record.created) == (keeper, "members.csv", 3)
    assert {e.user for e in LogEntry.objects.filter(object_id=str(artists.pk))} == {keeper}  # uploaded, imported
    late.refresh_from_db()
    assert late.verification == Signature.Verification.VERIFIED
    # The affiliation page reports the claims and the import.
    assert "0 still being checked" in html
    assert "members.csv" in html


def test_replace_removes_members_missing_from_the_file(client, keeper, artists):
    make_roster_entry(artists, "Gone Member", "gone@studio.example")
    client.force_login(keeper)
    response = upload(client, artists, csv_file(GOOD), replace="on")
    assert "replacing the roster): 3 created, 0 updated, 1 removed." in response.content.decode()
    assert not RosterEntry.objects.filter(full_name="Gone Member").exists()


def test_bad_roster_imports_nothing_and_reports_each_bad_line(client, keeper, artists):
    make_roster_entry(artists, "Existing Member", "existing@studio.example")
    client.force_login(keeper)
    response = upload(client, artists, csv_file(BAD), replace="on")
    html = response.content.decode()
    assert "Nothing was imported" in html
    problems = re.findall(r"<li>(line \d+):", html)
    assert problems == ["line 3", "line 4", "line 5"]  # line 2 is good; each bad one is named
    assert "not-an-address" in html
    assert list(RosterEntry.objects.filter(affiliation=artists).values_list("full_name", flat=True)) == [
        "Existing Member"
    ]
    assert RosterImport.objects.get().state == RosterImport.State.FAILED
    assert RosterImport.objects.get().upload.name == ""  # the uploaded file is not kept


def test_problems_in_a_roster_are_shown_as_text_not_markup(client, keeper, artists):
    client.force_login(keeper)
    hostile = "full_name,email\n<script>alert(1)</script>,<b>@x\n"
    html = upload(client, artists, csv_file(hostile)).content.decode()
    assert "<b>@x" not in html
    assert "&lt;b&gt;@x" in html
    assert not RosterEntry.objects.exists()


def test_roster_with_unknown_columns_is_refused(client, keeper, artists):
    client.force_login(keeper)
    response = upload(client, artists, csv_file("full_name,salary\nAna,100\n"))
    assert re.search(r"<li>line 1: unknown column.*salary", response.content.decode())
    assert not RosterEntry.objects.exists()


def test_empty_upload_is_refused_with_a_clear_error(client, keeper, artists):
    client.force_login(keeper)
    response = client.post(upload_url(artists), {"file": SimpleUploadedFile("empty.csv", b"")})
    assert response.status_code == 400
    assert "The submitted file is empty." in response.content.decode()
    no_file = client.post(upload_url(artists), {})
    assert no_file.status_code == 400
    assert "This field is required." in no_file.content.decode()


def test_oversized_roster_is_refused_before_importing(client, keeper, artists, settings):
    settings.ROSTER_UPLOAD_MAX_MB = 0.0001  # about 100 bytes
    client.force_login(keeper)
    response = client.post(upload_url(artists), {"file": csv_file(GOOD * 3)})
    assert response.status_code == 400
    assert "a roster may be at most 0.0001 MB" in response.content.decode()
    assert not RosterEntry.objects.exists()


def test_a_moderator_of_a_letter_offering_the_affiliation_cannot_upload_its_roster(client, moderator, artists):
    client.force_login(moderator)
    assert client.post(upload_url(artists), {"file": csv_file(GOOD)}).status_code == 403
    page = client.get(f"/admin/verification/affiliation/{artists.pk}/change/").content.decode()
    assert "Upload roster" not in page
    assert not RosterEntry.objects.exists()


def test_affiliation_page_shows_reverification_progress(client, keeper, letter_a, artists, settled):
    with settled():
        make_signature(letter_a, full_name="Checked", email="checked@x.example", affiliation=artists)
    make_signature(letter_a, full_name="Waiting", email="waiting@x.example", affiliation=artists)  # not run yet
    client.force_login(keeper)
    html = client.get(f"/admin/verification/affiliation/{artists.pk}/change/").content.decode()
    assert "2 confirmed: 0 verified, <strong>1 still being checked</strong>" in html


def test_correcting_a_roster_entry_rechecks_the_affiliations_claims(client, keeper, letter_a, artists, settled):
    entry = make_roster_entry(artists, "Kim Lee", "kim.lee@old.example")
    with settled():
        claim = make_signature(letter_a, full_name="K. Lee", email="kim@new.example", affiliation=artists)
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.PENDING  # a challenge went to kim.lee@old.example
    [challenge] = claim.challenges.all()
    client.force_login(keeper)
    with settled():
        response = client.post(
            f"/admin/verification/rosterentry/{entry.pk}/change/",
            {"full_name": "Kim Lee", "email": "kim@new.example", "handles": "", "external_id": ""},
        )
    assert response.status_code == 302
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.VERIFIED
    assert claim.evidence.roster_name == "Kim Lee"
    challenge.refresh_from_db()
    assert challenge.state == "cancelled"  # its link now does nothing


def test_adding_a_membership_domain_rechecks_the_affiliations_claims(client, keeper, letter_a, artists, settled):
    with settled():
        claim = make_signature(
            letter_a, full_name="Dana Staff", email="dana@sora-alpha.example.org", affiliation=artists
        )
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.UNVERIFIED
    client.force_login(keeper)
    policy = {"email_domains": "sora-alpha.example.org", "domain_policy": "on"}
    preview = client.post(domains_url(artists), policy)
    assert preview.status_code == 200
    assert "In all, 1 claim's verdict will change." in preview.content.decode()
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.UNVERIFIED  # the dry run changed nothing
    with settled():
        response = client.post(domains_url(artists), {**policy, "confirm": "yes"}, follow=True)
    assert "being re-checked" in response.content.decode()
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.VERIFIED
    assert claim.evidence.method == "email_domain"


@pytest.mark.parametrize(
    "content",
    [
        b"PK\x03\x04\x14\x00\x06\x00\x08\x00\x00\x00!\x00",  # a spreadsheet, not its CSV export
        "full_name\nJosé Núñez\n".encode("latin-1"),  # not UTF-8
        b"email\nana@studio.example\n",  # no full_name column
    ],
)
def test_malformed_roster_files_are_reported_and_import_nothing(client, keeper, artists, content):
    client.force_login(keeper)
    response = upload(client, artists, SimpleUploadedFile("roster.csv", content))
    assert re.search(r"<ul class=\"roster-problems\">\s*<li>\S", response.content.decode())
    assert not RosterEntry.objects.exists()
    assert RosterImport.objects.get().state == RosterImport.State.FAILED


def test_deleting_roster_entries_in_bulk_rechecks_the_claims_they_supported(
    client, superuser, letter_a, artists, settled
):
    entry = make_roster_entry(artists, "Kim Lee")
    with settled():
        claim = make_signature(letter_a, full_name="Kim Lee", email="kim@new.example", affiliation=artists)
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.NEEDS_REVIEW
    client.force_login(superuser)

    with settled():
        response = client.post(
            "/admin/verification/rosterentry/",
            {"action": "delete_selected", "_selected_action": [entry.pk], "post": "yes"},
        )
    assert response.status_code == 302
    assert not RosterEntry.objects.exists()
    claim.refresh_from_db()
    assert claim.verification == Signature.Verification.UNVERIFIED


@pytest.mark.parametrize(
    ("domains", "says"),
    [
        ("gmail.com", "free email provider"),
        ("studio.example.org, outlook.com", "free email provider"),
        ("co.uk", "public suffix"),
        ("github.io", "public suffix"),
        ("stu\u00addio.org", "SOFT HYPHEN"),
        ("not a domain", "is not a domain name that can receive mail"),
    ],
)
def test_a_domain_that_cannot_prove_membership_is_refused_with_a_clear_error(client, keeper, artists, domains, says):
    client.force_login(keeper)
    response = client.post(domains_url(artists), {"email_domains": domains, "domain_policy": "on", "confirm": "yes"})
    assert response.status_code == 400  # the form again, with the error
    assert says in response.content.decode()
    artists.refresh_from_db()
    assert (artists.email_domains, artists.domain_policy) == ("", False)


def test_membership_domains_are_stored_in_their_canonical_punycode_form(client, keeper, artists):
    client.force_login(keeper)
    client.post(domains_url(artists), {"email_domains": "@München-Kunst.DE, münchen-kunst.de", "confirm": "yes"})
    artists.refresh_from_db()
    assert artists.email_domains == "xn--mnchen-kunst-dlb.de"


def test_an_import_waiting_for_a_worker_shows_its_progress_on_a_page_that_reloads_itself(client, keeper, artists):
    client.force_login(keeper)
    posted = client.post(upload_url(artists), {"file": csv_file(GOOD, "members.csv")})  # no worker runs it yet
    page = client.get(posted["Location"])
    html = page.content.decode()
    assert page.status_code == 200
    assert "members.csv is waiting for a worker to import it" in html
    assert '<meta http-equiv="refresh" content="2">' in html
    assert 'type="file"' not in html  # no second upload while this one runs
    assert not RosterEntry.objects.exists()

    RosterImport.objects.update(state=RosterImport.State.READING, lines_read=20000)
    assert "20000 lines read" in client.get(posted["Location"]).content.decode()


def test_another_affiliations_import_page_is_not_found(client, keeper, artists, settled):
    from tests.support.factories import make_affiliation

    other = make_affiliation("other-group")
    client.force_login(keeper)
    with settled():
        posted = client.post(upload_url(artists), {"file": csv_file(GOOD)})
    import_id = posted["Location"].rstrip("/").rsplit("/", 1)[1]
    assert client.get(f"{upload_url(other)}{import_id}/").status_code == 404
