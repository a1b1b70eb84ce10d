"""Roster uploads are imported by a worker from the stored file: progress on the record, all or nothing, the
file not kept, and an upload whose task was lost imported by the sweeper."""

from datetime import timedelta

import pytest
from django.core.files.storage import default_storage
from django.core.files.uploadedfile import SimpleUploadedFile
from django.utils import timezone

from tests.support.factories import make_roster_entry
from tests.support.queued import settled
from verification.models import RosterEntry, RosterImport
from verification.roster_csv import parse_roster
from verification.rosters import import_roster, queue_import, run_import
from verification.tasks import requeue_stalled_checks

pytestmark = pytest.mark.django_db

GOOD = b"full_name,email\nAna Nunez,ana@studio.example\nBen Okafor,ben@studio.example\n"


@pytest.fixture(autouse=True)
def _uploads_in_a_temporary_directory(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path


def test_an_upload_is_imported_by_the_worker_and_the_file_is_not_kept(artists, django_user_model):
    moderator = django_user_model.objects.create(username="mod", email="mod@example.org")
    with settled():
        record = queue_import(artists, SimpleUploadedFile("members.csv", GOOD), user=moderator)
        stored = record.upload.name
        assert record.state == RosterImport.State.QUEUED and default_storage.exists(stored)
    record.refresh_from_db()
    assert (record.state, record.rows, record.created, record.imported_by) == ("done", 2, 2, moderator)
    assert record.finished_at is not None and record.upload.name == ""
    assert not default_storage.exists(stored)
    assert sorted(RosterEntry.objects.values_list("full_name", flat=True)) == ["Ana Nunez", "Ben Okafor"]


def test_a_bad_upload_imports_nothing_and_keeps_the_problems_by_line(artists):
    make_roster_entry(artists, "Old Member", "old@studio.example")
    bad = b"full_name,email\nAna,not-an-address\n,nobody@studio.example\n"
    with settled():
        record = queue_import(artists, SimpleUploadedFile("bad.csv", bad), replace=True)
    record.refresh_from_db()
    assert record.state == RosterImport.State.FAILED
    assert [p.split(":")[0] for p in record.problems] == ["line 2", "line 3"] and record.problems_count == 2
    assert list(RosterEntry.objects.values_list("full_name", flat=True)) == ["Old Member"]


def test_an_upload_whose_task_was_lost_is_imported_by_the_sweep(artists, settings):
    settings.SWEEP_AFTER = 300
    record = queue_import(artists, SimpleUploadedFile("members.csv", GOOD))  # its task is never run
    with settled():
        assert requeue_stalled_checks()["imports"] == 0  # it has not waited long enough
    RosterImport.objects.filter(pk=record.pk).update(progress_at=timezone.now() - timedelta(seconds=301))
    with settled():
        assert requeue_stalled_checks()["imports"] == 1
    record.refresh_from_db()
    assert (record.state, record.created) == ("done", 2)


def test_a_repeated_delivery_of_an_import_writes_nothing_twice(artists):
    record = queue_import(artists, SimpleUploadedFile("members.csv", GOOD))
    run_import(record.pk)
    again = run_import(record.pk)
    assert (again.state, again.created) == ("done", 2)
    assert RosterEntry.objects.count() == 2
    assert RosterImport.objects.count() == 1


def test_the_rows_are_read_from_the_file_with_progress_reported(artists, tmp_path):
    lines = ["full_name,email"] + [f"Member {n},m{n}@studio.example" for n in range(25_000)]
    path = tmp_path / "big.csv"
    path.write_text("\n".join(lines) + "\n")
    reported: list[int] = []
    with path.open("rb") as source:
        rows = parse_roster(source, reported.append)
    assert len(rows) == 25_000
    assert reported == [10_000, 20_000, 25_001]
    with path.open("rb") as source:
        record = import_roster(artists, source, "big.csv")
    assert (record.rows, record.created, RosterEntry.objects.count()) == (25_000, 25_000, 25_000)
    assert RosterEntry.objects.get(email="m24999@studio.example").name_key == "24999 member"


# Issue 10: an upload shows, before it is written, how many claims' verdicts it changes, per letter.


@pytest.fixture
def claims(artists, letter, django_user_model):
    """Claims on two letters, each a different case for a roster change (the roster starts with Old Member)."""
    from petitions.models import Petition
    from tests.support.factories import make_petition, make_signature
    from verification.claims import reject_claim

    make_roster_entry(artists, "Old Member", "old@studio.example")
    other = make_petition(title="Another letter", affiliations=[artists])
    moderator = django_user_model.objects.create(username="mod", email="mod@example.org")
    with settled():
        made = {
            "joins": make_signature(letter, full_name="Ana Nunez", email="ana@studio.example", affiliation=artists),
            "leaves": make_signature(letter, full_name="Old Member", email="old@studio.example", affiliation=artists),
            "elsewhere": make_signature(other, full_name="Ben Okafor", email="ben@studio.example", affiliation=artists),
            "stranger": make_signature(letter, full_name="Zed Nobody", email="zed@else.example", affiliation=artists),
            "rejected": make_signature(letter, full_name="Cy Moe", email="cy@studio.example", affiliation=artists),
        }
    reject_claim(made["rejected"], moderator, "not a member")
    for signature in made.values():
        signature.refresh_from_db()
    assert made["leaves"].verification == "verified" and made["joins"].verification == "unverified"
    assert isinstance(other, Petition)
    return made


NEW_ROSTER = (
    b"full_name,email\n"
    b"Ana Nunez,ana@studio.example\n"  # joins: her claim becomes verified
    b"Ben Okafor,ben@studio.example\n"  # joins: his claim, on the other letter, becomes verified
    b"Cy Moe,cy@studio.example\n"  # a moderator rejected his claim: it stays rejected
)  # replacing the roster, Old Member leaves: his claim stops being verified


def verdicts(claims):
    return {name: type(s).objects.get(pk=s.pk).verification for name, s in claims.items()}


def test_an_upload_that_changes_verdicts_waits_for_review_with_its_counts_and_writes_nothing(artists, claims, letter):
    before = verdicts(claims)
    version = str(type(artists).objects.get(pk=artists.pk).roster_version)
    with settled():
        record = queue_import(artists, SimpleUploadedFile("new.csv", NEW_ROSTER), replace=True)
    record.refresh_from_db()
    assert record.state == RosterImport.State.REVIEW
    other = claims["elsewhere"].petition_id
    assert record.preview["letters"] == {
        str(letter.pk): {"changed": 2, "verified": 1, "unverified": 1},
        str(other): {"changed": 1, "verified": 1, "unverified": 0},
    }
    assert (record.preview["created"], record.preview["removed"], record.verdicts_changed) == (3, 1, 3)
    assert record.preview["roster_version"] == version and record.checked_at is not None
    # Nothing written: the roster, its version, the verdicts and the stored file are as they were.
    assert list(RosterEntry.objects.values_list("full_name", flat=True)) == ["Old Member"]
    assert str(type(artists).objects.get(pk=artists.pk).roster_version) == version
    assert verdicts(claims) == before
    assert record.upload.name and default_storage.exists(record.upload.name)


def test_a_confirmed_upload_changes_exactly_the_verdicts_its_dry_run_counted(artists, claims, django_user_model):
    from verification.rosters import confirm_upload

    keeper = django_user_model.objects.create(username="keeper", email="keeper@example.org")
    before = verdicts(claims)
    with settled():
        record = queue_import(artists, SimpleUploadedFile("new.csv", NEW_ROSTER), replace=True)
    record.refresh_from_db()
    with settled():
        assert confirm_upload(record, keeper)
    record.refresh_from_db()
    assert (record.state, record.confirmed_by, record.created, record.removed) == ("done", keeper, 3, 1)
    assert not record.upload.name
    after = verdicts(claims)
    moved = {name for name in claims if after[name] != before[name]}
    assert moved == {"joins", "leaves", "elsewhere"} and len(moved) == record.verdicts_changed
    assert (after["joins"], after["leaves"], after["rejected"]) == ("verified", "unverified", "rejected")
    with settled():
        assert not confirm_upload(record, keeper)  # a second confirmation (another tab) does nothing


def test_an_upload_confirmed_after_the_roster_moved_on_is_judged_again(artists, claims, django_user_model):
    from verification.rosters import confirm_upload, save_entry

    keeper = django_user_model.objects.create(username="keeper", email="keeper@example.org")
    with settled():
        record = queue_import(artists, SimpleUploadedFile("new.csv", NEW_ROSTER), replace=True)
    record.refresh_from_db()
    first = record.preview
    with settled():  # meanwhile, someone adds Zed to the roster at his address: the dry run is out of date
        save_entry(RosterEntry(affiliation=artists, full_name="Zed Nobody", email="zed@else.example"))
    assert verdicts(claims)["stranger"] == "verified"
    with settled():
        assert confirm_upload(record, keeper)
    record.refresh_from_db()
    assert record.state == RosterImport.State.REVIEW and record.confirmed_at is None
    assert record.preview["roster_version"] != first["roster_version"]
    assert record.preview["removed"] == 2  # Zed's entry now leaves too
    assert record.verdicts_changed == 4
    assert RosterEntry.objects.filter(full_name="Ana Nunez").count() == 0
    with settled():
        assert confirm_upload(record, keeper)
    record.refresh_from_db()
    assert record.state == "done" and verdicts(claims)["stranger"] == "unverified"


def test_a_dry_run_leaves_no_trace_for_the_next_claim_check(artists, claims):
    """The dry run builds a roster index for the rolled-back roster; the workers never use it."""
    from verification.claims import verify_claim
    from verification.rosters import cancel_upload

    with settled():
        record = queue_import(artists, SimpleUploadedFile("new.csv", NEW_ROSTER), replace=True)
    record.refresh_from_db()
    assert cancel_upload(record, None)
    with settled():
        verify_claim(claims["joins"].pk)
        verify_claim(claims["leaves"].pk)
    assert verdicts(claims)["joins"] == "unverified" and verdicts(claims)["leaves"] == "verified"


def test_uploads_left_in_review_are_neither_swept_nor_kept_forever(artists, claims, settings):
    from verification.roster_import import REVIEW_DAYS
    from verification.tasks import cancel_unconfirmed_imports

    settings.SWEEP_AFTER = 300
    with settled():
        record = queue_import(artists, SimpleUploadedFile("new.csv", NEW_ROSTER), replace=True)
    stored = RosterImport.objects.get(pk=record.pk).upload.name
    RosterImport.objects.filter(pk=record.pk).update(progress_at=timezone.now() - timedelta(days=REVIEW_DAYS - 1))
    with settled():
        assert requeue_stalled_checks()["imports"] == 0  # waiting for a person is not a lost task
        assert cancel_unconfirmed_imports() == 0
        assert run_import(record.pk).state == RosterImport.State.REVIEW  # a repeat delivery does nothing
    RosterImport.objects.filter(pk=record.pk).update(progress_at=timezone.now() - timedelta(days=REVIEW_DAYS, hours=1))
    with settled():
        assert cancel_unconfirmed_imports() == 1
    record.refresh_from_db()
    assert record.state == RosterImport.State.CANCELLED and "not confirmed within" in record.problems[0]
    assert not record.upload.name and not default_storage.exists(stored)
    assert list(RosterEntry.objects.values_list("full_name", flat=True)) == ["Old Member"]


def test_an_upload_that_changes_no_verdict_is_written_without_a_review(artists, claims):
    with settled():
        record = queue_import(artists, SimpleUploadedFile("extra.csv", b"full_name,email\nNew Person,np@x.example\n"))
    record.refresh_from_db()
    assert (record.state, record.created, record.verdicts_changed) == ("done", 1, 0)
    assert record.preview["letters"] == {} and record.confirmed_at is None
